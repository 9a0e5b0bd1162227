// Person and team tokens: created (the secret shown once), listed, revoked, and recognised on every request. Tokens
// are stored as SHA-256 hashes; recognising one is a lookup of its hash in the active tokens held in memory (read at
// start with `load`, changed at once by this process's creates and revokes, and re-read every `refresh` for the
// changes other daemons sharing a PostgreSQL database make), so the hot path never waits for the database.
import { randomBytes } from "node:crypto";
import { AppError, invalidArgument } from "../errors.ts";
import type { Principal } from "./access.ts";
import type { TokenBudgetUpdate, TokenCreated, TokenCreate, TokenList, TokenView } from "./schema.ts";
import type { TokenRecord, TokenStore } from "./store.ts";

/** Every token starts with this, so that a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = "mg_";
/** Random bytes in a token: 256 bits, written as 43 base64url characters after the prefix. */
export const TOKEN_RANDOM_BYTES = 32;
/** Characters of a token kept for display (the prefix and four random characters): far too few to use it. */
export const TOKEN_DISPLAY_CHARS = TOKEN_PREFIX.length + 4;
/** How often the active tokens are re-read from a database other daemons share, in ms. */
export const TOKEN_REFRESH_MS = 5000;
/** The longest a token's last-used time is written behind, in ms: at most one write per token per minute. */
export const LAST_USED_WRITE_MS = 60_000;

/**
 * A token's SHA-256 as hex. A fast hash is enough for 256-bit random secrets (no dictionary to try), and the lookup
 * by hash needs no constant-time compare: timing can at most reveal bits of the hash, which do not help to build a
 * token that has it.
 */
export function hashToken(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}

/** A token record as the API lists it. */
function toView(record: TokenRecord): TokenView {
  return {
    id: record.id,
    name: record.name,
    team: record.team,
    role: record.role,
    prefix: record.prefix,
    budget_daily_usd: record.budgetDailyUsd,
    budget_monthly_usd: record.budgetMonthlyUsd,
    created_at: new Date(record.createdAt).toISOString(),
    revoked_at: record.revokedAt === null ? null : new Date(record.revokedAt).toISOString(),
    last_used_at: record.lastUsedAt === null ? null : new Date(record.lastUsedAt).toISOString(),
  };
}

/** The principal a token record stands for. */
function toPrincipal(record: TokenRecord): Principal {
  return {
    via: "token",
    role: record.role,
    tokenId: record.id,
    name: record.name,
    team: record.team,
    budgetDailyUsd: record.budgetDailyUsd,
    budgetMonthlyUsd: record.budgetMonthlyUsd,
  };
}

/** Creates, lists, revokes and recognises tokens. Knows nothing about HTTP. */
export class TokenService {
  /** Hash to the active token's record. */
  private active = new Map<string, TokenRecord>();
  private timer?: ReturnType<typeof setInterval>;
  /** Token id to when this process last wrote its last-used time (ms): the throttle of those writes. */
  private written = new Map<string, number>();
  /** Last-used writes not yet finished. */
  private writing = new Set<Promise<void>>();

  constructor(
    private readonly store: TokenStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the active tokens from the store (at start, and on every refresh). */
  async load(): Promise<void> {
    const records = await this.store.list();
    this.active = new Map(records.filter((record) => record.revokedAt === null).map((record) => [record.hash, record]));
  }

  /** Re-reads the active tokens every `everyMs` (a database shared by several daemons); a failed read keeps the last ones. */
  refreshEvery(everyMs = TOKEN_REFRESH_MS, onError: (error: unknown) => void = () => {}): void {
    this.timer ??= setInterval(() => void this.load().catch(onError), everyMs);
    this.timer.unref?.();
  }

  /** Stops refreshing (at shutdown). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Creates a token and returns it with its secret (shown this once). Without server.token the first token must be
   * an admin, or nobody could manage tokens afterwards (no token then means no access).
   */
  async create(input: TokenCreate, serverTokenSet: boolean): Promise<TokenCreated> {
    if ((await this.store.findActive(input.name))?.name === input.name) {
      throw invalidArgument("name", `An active token is already named "${input.name}"; revoke it first or choose another name`);
    }
    if (!serverTokenSet && input.role !== "admin" && (await this.store.countActive("admin")) === 0) {
      throw invalidArgument("role", "The first token must have role admin while config.yml has no server.token: once a token exists, requests without one are refused, and someone must be able to manage tokens", ["admin"]);
    }
    const secret = TOKEN_PREFIX + randomBytes(TOKEN_RANDOM_BYTES).toString("base64url");
    const record: TokenRecord = {
      id: Bun.randomUUIDv7(),
      name: input.name,
      team: input.team ?? null,
      role: input.role,
      prefix: secret.slice(0, TOKEN_DISPLAY_CHARS),
      hash: hashToken(secret),
      budgetDailyUsd: input.budget_daily_usd ?? null,
      budgetMonthlyUsd: input.budget_monthly_usd ?? null,
      createdAt: this.now(),
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.store.insert(record);
    this.active.set(record.hash, record);
    return { ...toView(record), token: secret };
  }

  /** Every token (never a secret), active ones first. */
  async list(): Promise<TokenList> {
    return { items: (await this.store.list()).map(toView) };
  }

  /** Revokes the active token with this id or name; it stops working with the next request. */
  async revoke(idOrName: string, serverTokenSet: boolean): Promise<TokenView> {
    const record = await this.store.findActive(idOrName);
    if (!record) throw new AppError("not_found", `No active token has the id or name "${idOrName}"`);
    if (!serverTokenSet && record.role === "admin" && (await this.store.countActive("admin")) === 1 && (await this.store.countActive()) > 1) {
      throw invalidArgument("id", `"${record.name}" is the last admin token and config.yml has no server.token: nobody could manage the other tokens. Create another admin token first, or set server.token`);
    }
    const at = this.now();
    await this.store.revoke(record.id, at);
    this.active.delete(record.hash);
    return toView({ ...record, revokedAt: at });
  }

  /** Changes an active token's own limits (a field left out keeps its limit, null removes it), from the next request on. */
  async setBudget(idOrName: string, update: TokenBudgetUpdate): Promise<TokenView> {
    const record = await this.store.findActive(idOrName);
    if (!record) throw new AppError("not_found", `No active token has the id or name "${idOrName}"`);
    const daily = update.budget_daily_usd === undefined ? record.budgetDailyUsd : update.budget_daily_usd;
    const monthly = update.budget_monthly_usd === undefined ? record.budgetMonthlyUsd : update.budget_monthly_usd;
    await this.store.setBudget(record.id, daily, monthly);
    const changed = { ...record, budgetDailyUsd: daily, budgetMonthlyUsd: monthly };
    this.active.set(record.hash, changed);
    return toView(changed);
  }

  /**
   * The principal of an active token's secret, or undefined (unknown or revoked); no database read. Notes the token's
   * use: its last-used time is written in the background at most once a minute (a failed write waits a minute too).
   */
  identify(secret: string): Principal | undefined {
    const record = this.active.get(hashToken(secret));
    if (!record) return undefined;
    this.noteUse(record.id);
    return toPrincipal(record);
  }

  /** Writes a token's last-used time unless this process wrote it less than LAST_USED_WRITE_MS ago. */
  private noteUse(id: string): void {
    const at = this.now();
    const last = this.written.get(id);
    if (last !== undefined && at - last < LAST_USED_WRITE_MS) return;
    this.written.set(id, at);
    const write = this.store.touch(id, at).catch(() => {});
    this.writing.add(write);
    void write.finally(() => this.writing.delete(write));
  }

  /** Resolves when the last-used writes started so far have finished (tests; shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.writing);
  }

  /** Whether any token is active (then every request must carry a token). */
  anyActive(): boolean {
    return this.active.size > 0;
  }
}
