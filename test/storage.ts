// Storage for the tests that run against both backends: SQLite in memory, and PostgreSQL (test/postgres.ts) with one
// database per run, emptied by each openStorage. BACKENDS lists the ones available here (PostgreSQL only when a
// server could be found or started; test/postgres.ts says why not, and fails under CI=true).
import { SQL } from "bun";
import { Database } from "bun:sqlite";
import { openDatabase } from "../server/ledger/database.ts";
import { SqliteLedger } from "../server/ledger/ledger.ts";
import { PostgresLedger } from "../server/ledger/postgres.ts";
import { migratePostgres } from "../server/ledger/postgres-schema.ts";
import type { Ledger } from "../server/ledger/store.ts";
import { PostgresTokenStore, SqliteTokenStore, type TokenStore } from "../server/tokens/store.ts";
import { postgresAvailable, testDatabase } from "./postgres.ts";

export type Backend = "sqlite" | "postgres";

/** The backends to run storage tests against here. */
export const BACKENDS: Backend[] = (await postgresAvailable()) ? ["sqlite", "postgres"] : ["sqlite"];

/** A ledger and token store on an empty database, with a way to read its rows directly. */
export interface OpenedStorage {
  backend: Backend;
  ledger: Ledger;
  tokens: TokenStore;
  /** Runs a read-only statement (plain SQL both engines accept) and returns its rows. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

let pool: Promise<SQL> | undefined;
let previous: PostgresLedger | undefined;

/**
 * The run's PostgreSQL database, created and migrated on first use and shared by every test file (they run one
 * after another in one process; each openStorage empties it). It goes when the process does: bun test has no hook
 * after the last file, and an afterAll registered from inside a hook would run at once.
 */
function postgresPool(): Promise<SQL> {
  pool ??= (async () => {
    const made = (await testDatabase({ untilExit: true }))!;
    const sql = new SQL(made.url);
    await migratePostgres(sql);
    return sql;
  })();
  return pool;
}

/** An empty ledger and token store on `backend`; `now` is the ledger's clock. */
export async function openStorage(backend: Backend, now: () => number = Date.now): Promise<OpenedStorage> {
  if (backend === "sqlite") {
    const db: Database = openDatabase(":memory:");
    return {
      backend,
      ledger: new SqliteLedger(db, now),
      tokens: new SqliteTokenStore(db),
      rows: async (sql) => db.query<Record<string, unknown>, []>(sql).all(),
      close: async () => db.close(),
    };
  }
  const sql = await postgresPool();
  // The previous test's writes (a refusal is written after its answer) land before the tables are emptied.
  await previous?.settled();
  await sql`TRUNCATE generations, tokens RESTART IDENTITY`;
  const ledger = new PostgresLedger(sql, now);
  previous = ledger;
  return {
    backend,
    ledger,
    tokens: new PostgresTokenStore(sql),
    rows: async (text) => {
      await ledger.settled();
      return (await sql.unsafe(text)) as Record<string, unknown>[];
    },
    close: async () => {
      await ledger.close();
    },
  };
}
