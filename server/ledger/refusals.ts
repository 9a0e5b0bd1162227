// Requests refused before any provider call, kept in the ledger so a user can see an agent was turned away and why.
// Cheap and bounded: one insert per caller, type and error per REFUSAL_FOLD_MS (repeats add to its count), at most
// MAX_REFUSED_ROWS_PER_HOUR new rows an hour (the rest fold into the newest one), written through the deferred writes.
import type { Database } from "bun:sqlite";
import type { MediaType } from "../config/schema.ts";
import { MAX_REFUSED_ROWS_PER_HOUR, REFUSAL_FOLD_MS } from "../defaults.ts";
import type { DeferredWrites } from "./deferred-writes.ts";
import type { Door } from "./schema.ts";

/** A request turned away before it reached a provider. */
export interface Refusal {
  type: MediaType;
  /** The configured model it would have used, or the one it asked for; "" when none. */
  model: string;
  modelName?: string;
  provider: string;
  prompt: string;
  errorType: string;
  error: string;
  door: Door;
  client?: string;
  sessionId?: string;
  /** The person or team token it came with (absent without one). */
  owner?: { tokenId: string; name: string; team: string | null };
}

interface Folded {
  id: string;
  at: number;
}

const HOUR_MS = 3_600_000;

/** The columns of a refusal's row, in the order refusalValues gives them. */
export const REFUSAL_COLUMNS = [
  "id", "type", "status", "model", "model_name", "provider", "prompt", "created_at", "finished_at", "session_id", "client", "door", "error", "error_type",
  "refusal_count", "token_id", "owner", "team",
] as const;

/** The values of a refusal's row (REFUSAL_COLUMNS): stored as failed with a refusal_count of 1. */
export function refusalValues(id: string, at: number, refusal: Refusal): (string | number | null)[] {
  return [
    id, refusal.type, "failed", refusal.model, refusal.modelName ?? null, refusal.provider, refusal.prompt, at, at, refusal.sessionId ?? null, refusal.client ?? null,
    refusal.door, refusal.error, refusal.errorType, 1, refusal.owner?.tokenId ?? null, refusal.owner?.name ?? null, refusal.owner?.team ?? null,
  ];
}

/** Which row counts a refusal: folded into an existing one (`fold`), or a new row with this id. */
export interface RefusalPlan {
  id: string;
  at: number;
  fold: boolean;
}

/** Decides where refusals go, folding repeats of the same caller, type and error into one row with a count (no database). */
export class RefusalFolder {
  private readonly recent = new Map<string, Folded>();
  private newest?: Folded;
  private hour = 0;
  private rowsThisHour = 0;

  constructor(private readonly now: () => number) {}

  /** The row this refusal is counted in; a new row is remembered for the repeats that follow. */
  plan(refusal: Refusal): RefusalPlan {
    const at = this.now();
    const key = JSON.stringify([refusal.type, refusal.errorType, refusal.door, refusal.client ?? "", refusal.sessionId ?? "", refusal.owner?.tokenId ?? "", refusal.model]);
    this.forgetBefore(at - REFUSAL_FOLD_MS);
    const hour = Math.floor(at / HOUR_MS);
    if (hour !== this.hour) {
      this.hour = hour;
      this.rowsThisHour = 0;
    }
    const same = this.recent.get(key);
    const into = same ?? (this.rowsThisHour >= MAX_REFUSED_ROWS_PER_HOUR ? this.newest : undefined);
    if (into) return { id: into.id, at, fold: true };
    const made = { id: Bun.randomUUIDv7(), at };
    this.recent.set(key, made);
    this.newest = made;
    this.rowsThisHour++;
    return { ...made, fold: false };
  }

  private forgetBefore(since: number): void {
    for (const [key, folded] of this.recent) if (folded.at < since) this.recent.delete(key);
  }
}

/** Records refusals in SQLite through the deferred writes, folded by a RefusalFolder. */
export class RefusalLog {
  private readonly folder: RefusalFolder;

  constructor(
    private readonly db: Database,
    private readonly writes: DeferredWrites,
    now: () => number,
  ) {
    this.folder = new RefusalFolder(now);
  }

  /** Records one refusal; returns the id of the row that counts it. Never throws (a write that fails is deferred). */
  record(refusal: Refusal): string {
    const { id, at, fold } = this.folder.plan(refusal);
    // Folded into the row that counts this caller's refusals, or a new row (also when that one was deleted meanwhile).
    this.writes.run(`refusal ${id}`, () => {
      const folded = fold
        ? this.db
            .query("UPDATE generations SET refusal_count = refusal_count + 1, finished_at = $at, error = $error, error_type = $errorType WHERE id = $id AND refusal_count IS NOT NULL")
            .run({ id, at, error: refusal.error, errorType: refusal.errorType }).changes > 0
        : false;
      if (!folded) this.insert(id, at, refusal);
    });
    return id;
  }

  private insert(id: string, at: number, refusal: Refusal): void {
    this.db.query(`INSERT INTO generations (${REFUSAL_COLUMNS.join(", ")}) VALUES (${REFUSAL_COLUMNS.map(() => "?").join(", ")})`).run(...refusalValues(id, at, refusal));
  }
}
