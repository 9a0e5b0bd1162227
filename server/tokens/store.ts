// Where tokens are kept: the only module that reads or writes the `tokens` table. The TokenStore interface is
// what the token service needs; SqliteTokenStore and PostgresTokenStore implement it with the same semantics.
import type { Database } from "bun:sqlite";
import type { SQL } from "bun";
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
  /** When it last authenticated a request (ms; null: never), kept to the minute (TokenService throttles the writes). */
  lastUsedAt: number | null;
}

/** The token storage the service needs; every method is one statement. */
export interface TokenStore {
  /** Adds a token; rejects when an active token already has its name. */
  insert(record: TokenRecord): Promise<void>;
  /** Every token, active ones first, newest first. */
  list(): Promise<TokenRecord[]>;
  /** The active token with this hash. */
  findActiveByHash(hash: string): Promise<TokenRecord | undefined>;
  /** The active token with this id, or else the one with this name. */
  findActive(idOrName: string): Promise<TokenRecord | undefined>;
  /** Marks a token revoked at `at` (ms); false when it was not active. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Sets an active token's own limits (null: none); false when it is not active. */
  setBudget(id: string, daily: number | null, monthly: number | null): Promise<boolean>;
  /** How many active tokens there are, of one role or all. */
  countActive(role?: TokenRole): Promise<number>;
  /** Records that a token authenticated a request at `at` (ms); an earlier time never replaces a later one. */
  touch(id: string, at: number): Promise<void>;
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
  last_used_at: number | null;
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
  lastUsedAt: row.last_used_at,
});

/** Tokens in the ledger's SQLite database (the `tokens` table of migrations 8 and 9). */
export class SqliteTokenStore implements TokenStore {
  constructor(private readonly db: Database) {}

  /** Adds a token; the unique index on active names refuses a second active token of one name. */
  async insert(record: TokenRecord): Promise<void> {
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
  async list(): Promise<TokenRecord[]> {
    return this.db.query<Row, []>("SELECT * FROM tokens ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC").all().map(toRecord);
  }

  /** The active token with this hash. */
  async findActiveByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = this.db.query<Row, { hash: string }>("SELECT * FROM tokens WHERE hash = $hash AND revoked_at IS NULL").get({ hash });
    return row ? toRecord(row) : undefined;
  }

  /** The active token with this id, or else the one with this name. */
  async findActive(idOrName: string): Promise<TokenRecord | undefined> {
    const row = this.db
      .query<Row, { key: string }>("SELECT * FROM tokens WHERE revoked_at IS NULL AND (id = $key OR name = $key) ORDER BY id = $key DESC LIMIT 1")
      .get({ key: idOrName });
    return row ? toRecord(row) : undefined;
  }

  /** Marks a token revoked at `at` (ms); false when it was not active. */
  async revoke(id: string, at: number): Promise<boolean> {
    return this.db.query("UPDATE tokens SET revoked_at = $at WHERE id = $id AND revoked_at IS NULL").run({ id, at }).changes > 0;
  }

  /** Sets an active token's own limits (null: none); false when it is not active. */
  async setBudget(id: string, daily: number | null, monthly: number | null): Promise<boolean> {
    return this.db.query("UPDATE tokens SET budget_daily_usd = $daily, budget_monthly_usd = $monthly WHERE id = $id AND revoked_at IS NULL").run({ id, daily, monthly }).changes > 0;
  }

  /** How many active tokens there are, of one role or all. */
  async countActive(role?: TokenRole): Promise<number> {
    const row = role
      ? this.db.query<{ n: number }, { role: string }>("SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL AND role = $role").get({ role })
      : this.db.query<{ n: number }, []>("SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL").get();
    return row?.n ?? 0;
  }

  /** Records that a token authenticated a request at `at` (ms); an earlier time never replaces a later one. */
  async touch(id: string, at: number): Promise<void> {
    this.db.query("UPDATE tokens SET last_used_at = $at WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $at)").run({ id, at });
  }
}

/** A PostgreSQL row: bigint times come back as strings. */
const fromPostgres = (row: Record<string, unknown>): TokenRecord =>
  toRecord({
    ...(row as Row),
    created_at: Number(row.created_at),
    revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
    last_used_at: row.last_used_at === null ? null : Number(row.last_used_at),
  });

/** Tokens in the team's PostgreSQL database (the `tokens` table of PG migrations 1 and 3). */
export class PostgresTokenStore implements TokenStore {
  constructor(private readonly sql: SQL) {}

  /** Adds a token; the unique index on active names refuses a second active token of one name. */
  async insert(record: TokenRecord): Promise<void> {
    await this.sql`INSERT INTO tokens (id, name, team, role, prefix, hash, budget_daily_usd, budget_monthly_usd, created_at)
      VALUES (${record.id}, ${record.name}, ${record.team}, ${record.role}, ${record.prefix}, ${record.hash}, ${record.budgetDailyUsd}, ${record.budgetMonthlyUsd}, ${BigInt(record.createdAt)})`;
  }

  /** Every token, active ones first, newest first. */
  async list(): Promise<TokenRecord[]> {
    const rows = await this.sql`SELECT * FROM tokens ORDER BY revoked_at IS NOT NULL, created_at DESC, id DESC`;
    return (rows as Record<string, unknown>[]).map(fromPostgres);
  }

  /** The active token with this hash. */
  async findActiveByHash(hash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.sql`SELECT * FROM tokens WHERE hash = ${hash} AND revoked_at IS NULL`;
    return row ? fromPostgres(row as Record<string, unknown>) : undefined;
  }

  /** The active token with this id, or else the one with this name. */
  async findActive(idOrName: string): Promise<TokenRecord | undefined> {
    const [row] = await this.sql`SELECT * FROM tokens WHERE revoked_at IS NULL AND (id = ${idOrName} OR name = ${idOrName}) ORDER BY id = ${idOrName} DESC LIMIT 1`;
    return row ? fromPostgres(row as Record<string, unknown>) : undefined;
  }

  /** Marks a token revoked at `at` (ms); false when it was not active. */
  async revoke(id: string, at: number): Promise<boolean> {
    const result = await this.sql`UPDATE tokens SET revoked_at = ${BigInt(at)} WHERE id = ${id} AND revoked_at IS NULL`;
    return (result as unknown as { count: number }).count > 0;
  }

  /** Sets an active token's own limits (null: none); false when it is not active. */
  async setBudget(id: string, daily: number | null, monthly: number | null): Promise<boolean> {
    const result = await this.sql`UPDATE tokens SET budget_daily_usd = ${daily}, budget_monthly_usd = ${monthly} WHERE id = ${id} AND revoked_at IS NULL`;
    return (result as unknown as { count: number }).count > 0;
  }

  /** How many active tokens there are, of one role or all. */
  async countActive(role?: TokenRole): Promise<number> {
    const [row] = role
      ? await this.sql`SELECT count(*)::int AS n FROM tokens WHERE revoked_at IS NULL AND role = ${role}`
      : await this.sql`SELECT count(*)::int AS n FROM tokens WHERE revoked_at IS NULL`;
    return Number((row as { n: number } | undefined)?.n ?? 0);
  }

  /** Records that a token authenticated a request at `at` (ms); an earlier time never replaces a later one. */
  async touch(id: string, at: number): Promise<void> {
    await this.sql`UPDATE tokens SET last_used_at = ${BigInt(at)} WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < ${BigInt(at)})`;
  }
}
