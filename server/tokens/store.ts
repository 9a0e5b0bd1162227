// Where tokens are kept: the only module that reads or writes the `tokens` table. The TokenStore interface is
// what the token service needs, so a PostgreSQL implementation can sit beside the SQLite one.
import type { Database } from "bun:sqlite";
import type { TokenRole } from "./schema.ts";

/** One stored token: its SHA-256 hash, never the secret. */
export interface TokenRecord {
  id: string;
  name: string;
  team: string | null;
  role: TokenRole;
  prefix: string;
  hash: string;
  budgetDailyUsd: number | null;
  budgetMonthlyUsd: number | null;
  createdAt: number;
  revokedAt: number | null;
}

/** The token storage the service needs; every method is one statement. */
export interface TokenStore {
  /** Adds a token; throws when an active token already has its name. */
  insert(record: TokenRecord): void;
  /** Every token, active ones first, newest first. */
  list(): TokenRecord[];
  /** The active token with this hash. */
  findActiveByHash(hash: string): TokenRecord | undefined;
  /** The active token with this id, or else the one with this name. */
  findActive(idOrName: string): TokenRecord | undefined;
  /** Marks a token revoked at `at` (ms); false when it was not active. */
  revoke(id: string, at: number): boolean;
  /** Sets an active token's own limits (null: none); false when it is not active. */
  setBudget(id: string, daily: number | null, monthly: number | null): boolean;
  /** How many active tokens there are, of one role or all. */
  countActive(role?: TokenRole): number;
}

type Row = {
  id: string;
  name: string;
  team: string | null;
  role: TokenRole;
  prefix: string;
  hash: string;
  budget_daily_usd: number | null;
  budget_monthly_usd: number | null;
  created_at: number;
  revoked_at: number | null;
};

const toRecord = (row: Row): TokenRecord => ({
  id: row.id,
  name: row.name,
  team: row.team,
  role: row.role,
  prefix: row.prefix,
  hash: row.hash,
  budgetDailyUsd: row.budget_daily_usd,
  budgetMonthlyUsd: row.budget_monthly_usd,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** Tokens in the ledger's SQLite database (the `tokens` table of migration 8). */
export class SqliteTokenStore implements TokenStore {
  constructor(private readonly db: Database) {}

  /** Adds a token; the unique index on active names refuses a second active token of one name. */
  insert(record: TokenRecord): void {
    this.db
      .query(
        `INSERT INTO tokens (id, name, team, role, prefix, hash, budget_daily_usd, budget_monthly_usd, created_at)
         VALUES ($id, $name, $team, $role, $prefix, $hash, $daily, $monthly, $createdAt)`,
      )
      .run({
        id: record.id,
        name: record.name,
        team: record.team,
        role: record.role,
        prefix: record.prefix,
        hash: record.hash,
        daily: record.budgetDailyUsd,
        monthly: record.budgetMonthlyUsd,
        createdAt: record.createdAt,
      });
  }

  /** Every token, active ones first, newest first. */
  list(): TokenRecord[] {
    return this.db.query<Row, []>("SELECT * FROM tokens ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC").all().map(toRecord);
  }

  /** The active token with this hash. */
  findActiveByHash(hash: string): TokenRecord | undefined {
    const row = this.db.query<Row, { hash: string }>("SELECT * FROM tokens WHERE hash = $hash AND revoked_at IS NULL").get({ hash });
    return row ? toRecord(row) : undefined;
  }

  /** The active token with this id, or else the one with this name. */
  findActive(idOrName: string): TokenRecord | undefined {
    const row = this.db
      .query<Row, { key: string }>("SELECT * FROM tokens WHERE revoked_at IS NULL AND (id = $key OR name = $key) ORDER BY id = $key DESC LIMIT 1")
      .get({ key: idOrName });
    return row ? toRecord(row) : undefined;
  }

  /** Marks a token revoked at `at` (ms); false when it was not active. */
  revoke(id: string, at: number): boolean {
    return this.db.query("UPDATE tokens SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL").run({ id, at }).changes > 0;
  }

  /** Sets an active token's own limits (null: none); false when it is not active. */
  setBudget(id: string, daily: number | null, monthly: number | null): boolean {
    return this.db.query("UPDATE tokens SET budget_daily_usd = $daily, budget_monthly_usd = $monthly WHERE id = $id AND revoked_at IS NULL").run({ id, daily, monthly }).changes > 0;
  }

  /** How many active tokens there are, of one role or all. */
  countActive(role?: TokenRole): number {
    const row = role
      ? this.db.query<{ n: number }, { role: string }>("SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL AND role = $role").get({ role })
      : this.db.query<{ n: number }, []>("SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL").get();
    return row?.n ?? 0;
  }
}
