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

/** Records refusals, folding repeats of the same caller, type and error into one row with a count. */
export class RefusalLog {
  private readonly recent = new Map<string, Folded>();
  private newest?: Folded;
  private hour = 0;
  private rowsThisHour = 0;

  constructor(
    private readonly db: Database,
    private readonly writes: DeferredWrites,
    private readonly now: () => number,
  ) {}

  /** Records one refusal; returns the id of the row that counts it. Never throws (a write that fails is deferred). */
  record(refusal: Refusal): string {
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
    const id = into?.id ?? Bun.randomUUIDv7();
    // Folded into the row that counts this caller's refusals, or a new row (also when that one was deleted meanwhile).
    this.writes.run(`refusal ${id}`, () => {
      const folded = into
        ? this.db
            .query("UPDATE generations SET refusal_count = refusal_count + 1, finished_at = $at, error = $error, error_type = $errorType WHERE id = $id AND refusal_count IS NOT NULL")
            .run({ id, at, error: refusal.error, errorType: refusal.errorType }).changes > 0
        : false;
      if (!folded) this.insert(id, at, refusal);
    });
    if (into) return id;
    const made = { id, at };
    this.recent.set(key, made);
    this.newest = made;
    this.rowsThisHour++;
    return id;
  }

  private insert(id: string, at: number, refusal: Refusal): void {
    this.db
      .query(
        `INSERT INTO generations (id, type, status, model, model_name, provider, prompt, created_at, finished_at, session_id, client, door, error, error_type, refusal_count,
           token_id, owner, team)
         VALUES ($id, $type, 'failed', $model, $modelName, $provider, $prompt, $at, $at, $sessionId, $client, $door, $error, $errorType, 1, $tokenId, $owner, $team)`,
      )
      .run({
        id,
        type: refusal.type,
        model: refusal.model,
        modelName: refusal.modelName ?? null,
        provider: refusal.provider,
        prompt: refusal.prompt,
        at,
        sessionId: refusal.sessionId ?? null,
        client: refusal.client ?? null,
        door: refusal.door,
        error: refusal.error,
        errorType: refusal.errorType,
        tokenId: refusal.owner?.tokenId ?? null,
        owner: refusal.owner?.name ?? null,
        team: refusal.owner?.team ?? null,
      });
  }

  private forgetBefore(since: number): void {
    for (const [key, folded] of this.recent) if (folded.at < since) this.recent.delete(key);
  }
}
