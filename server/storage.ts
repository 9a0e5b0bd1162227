// Where the ledger and the tokens live: the SQLite file in the data folder (the default), or the PostgreSQL database
// named by MEDIAGEN_DATABASE_URL or `storage:` in config.yml. Opening either applies its pending migrations; a
// database newer than this binary is refused. A PostgreSQL URL's password never reaches a log, an answer or an error.
import { SQL } from "bun";
import { join } from "node:path";
import { LEASE_SECONDS } from "./defaults.ts";
import { MIGRATIONS, migrate, openDatabase } from "./ledger/database.ts";
import { SqliteLedger } from "./ledger/ledger.ts";
import { PostgresLedger } from "./ledger/postgres.ts";
import { migratePostgres, pgSchemaVersion, PG_MIGRATIONS, type SchemaVersions } from "./ledger/postgres-schema.ts";
import type { Ledger } from "./ledger/store.ts";
import { PostgresTokenStore, SqliteTokenStore, type TokenStore } from "./tokens/store.ts";
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";

/** The environment variable naming a PostgreSQL database; it wins over `storage:` in config.yml. */
export const DATABASE_URL_ENV = "MEDIAGEN_DATABASE_URL";

/** Where storage is: the SQLite file, or a PostgreSQL URL (kept whole only to connect). */
export type StorageTarget = { backend: "sqlite"; path: string } | { backend: "postgres"; url: string };

/** The ledger and token store on one database, and how to close it. */
export interface Storage {
  backend: "sqlite" | "postgres";
  /** Where it is, for logs and health: the file, or the URL with its password masked. */
  location: string;
  ledger: Ledger;
  tokens: TokenStore;
  /** Flushes deferred writes and closes the database; resolves to the writes still unwritten. */
  close(): Promise<string[]>;
}

/** A URL with its password (and any password= parameter) replaced by ***. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    if (parsed.searchParams.has("password")) parsed.searchParams.set("password", "***");
    return parsed.href;
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
  }
}

/** `text` with every occurrence of the URL's password masked (for error messages that might quote it). */
export function maskSecret(text: string, url: string): string {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? text.split(password).join("***").split(encodeURIComponent(password)).join("***") : text;
  } catch {
    return text;
  }
}

/** Which database to use: MEDIAGEN_DATABASE_URL, else `storage:` from config.yml, else the SQLite file in `dataDir`. */
export function storageTarget(dataDir: string, configured: string | undefined, env: Record<string, string | undefined> = process.env): StorageTarget {
  const url = env[DATABASE_URL_ENV] || configured;
  if (url) return { backend: "postgres", url };
  return { backend: "sqlite", path: join(dataDir, "mediagen.db") };
}

/** The variable that overrides LEASE_SECONDS (several daemons on PostgreSQL): whole seconds from 2 to 3600. */
export const LEASE_SECONDS_ENV = "MEDIAGEN_LEASE_SECONDS";

/** A job lease's length in ms: LEASE_SECONDS, or MEDIAGEN_LEASE_SECONDS when set; throws naming the variable when it is not a whole number of seconds in range. */
export function leaseMs(env: Record<string, string | undefined> = process.env): number {
  const raw = env[LEASE_SECONDS_ENV];
  if (raw === undefined || raw === "") return LEASE_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 2 || seconds > 3600) throw new Error(`${LEASE_SECONDS_ENV} must be a whole number of seconds from 2 to 3600, got "${raw}"`);
  return seconds * 1000;
}

/** Where a target is, for people: the file, or the masked URL. */
export function describeTarget(target: StorageTarget): string {
  return target.backend === "sqlite" ? target.path : maskUrl(target.url);
}

/**
 * Opens (and migrates) the storage at `target`; `onProblem` hears when writes start and stop failing. `daemon` names
 * this daemon across restarts (PostgreSQL: its recovery takes only the jobs it recorded itself).
 */
export async function openStorage(target: StorageTarget, onProblem?: (message: string, recovered: boolean) => void, daemon: string | null = null): Promise<Storage> {
  if (target.backend === "sqlite") {
    const db = openDatabase(target.path);
    const ledger = new SqliteLedger(db, Date.now, onProblem);
    return {
      backend: "sqlite",
      location: target.path,
      ledger,
      tokens: new SqliteTokenStore(db),
      async close() {
        const left = await ledger.close();
        db.close();
        return left;
      },
    };
  }
  const lease = leaseMs();
  const sql = new SQL(target.url);
  try {
    await migratePostgres(sql);
  } catch (error) {
    await sql.close();
    throw new Error(maskSecret(error instanceof Error ? error.message : String(error), target.url));
  }
  const ledger = new PostgresLedger(sql, Date.now, onProblem, daemon, lease);
  return {
    backend: "postgres",
    location: maskUrl(target.url),
    ledger,
    tokens: new PostgresTokenStore(sql),
    async close() {
      const left = await ledger.close();
      await sql.close();
      return left;
    },
  };
}

/** The schema version of the storage at `target` and this binary's, without changing anything. */
export async function storageVersions(target: StorageTarget): Promise<SchemaVersions> {
  if (target.backend === "sqlite") {
    if (!existsSync(target.path)) return { current: 0, target: MIGRATIONS.length };
    const db = new Database(target.path, { readonly: true });
    try {
      const { user_version } = db.query<{ user_version: number }, []>("PRAGMA user_version").get()!;
      return { current: user_version, target: MIGRATIONS.length };
    } finally {
      db.close();
    }
  }
  const sql = new SQL(target.url);
  try {
    return await pgSchemaVersion(sql);
  } catch (error) {
    throw new Error(maskSecret(error instanceof Error ? error.message : String(error), target.url));
  } finally {
    await sql.close();
  }
}

/** Applies the pending migrations of the storage at `target`; resolves to the versions before and after. */
export async function migrateStorage(target: StorageTarget): Promise<SchemaVersions> {
  if (target.backend === "sqlite") {
    const before = await storageVersions(target);
    const db = openDatabase(target.path);
    try {
      return { current: before.current, target: migrate(db) };
    } finally {
      db.close();
    }
  }
  const sql = new SQL(target.url);
  try {
    const before = await migratePostgres(sql);
    return { current: before.current, target: PG_MIGRATIONS.length };
  } catch (error) {
    throw new Error(maskSecret(error instanceof Error ? error.message : String(error), target.url));
  } finally {
    await sql.close();
  }
}
