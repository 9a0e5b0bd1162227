// Opening the ledger database: WAL, ordered migrations tracked with PRAGMA user_version.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** Ordered schema migrations; migration i brings the database to user_version i + 1. Never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [
  // The ledger: one row per job, from queued to its end, with everything needed to audit its cost
  // (unit, quantity, unit price, breakdown), the provider operation id for restart recovery, attempts,
  // idempotency keys, the estimate counted against budgets, and the answer for replays.
  `CREATE TABLE generations (
     seq              INTEGER PRIMARY KEY AUTOINCREMENT,
     id               TEXT NOT NULL UNIQUE,
     type             TEXT NOT NULL CHECK (type IN ('image', 'video', 'audio')),
     status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
     model            TEXT NOT NULL,
     model_name       TEXT,
     provider         TEXT NOT NULL,
     prompt           TEXT NOT NULL,
     params           TEXT NOT NULL DEFAULT '{}',
     output_path      TEXT,
     mime_type        TEXT,
     bytes            INTEGER,
     width            INTEGER,
     height           INTEGER,
     duration_seconds REAL,
     usage            TEXT,
     cost_usd         REAL,
     cost_source      TEXT NOT NULL DEFAULT 'unknown' CHECK (cost_source IN ('upstream', 'catalog', 'override', 'unknown')),
     cost_unit        TEXT,
     cost_quantity    REAL,
     cost_unit_price  REAL,
     cost_breakdown   TEXT,
     estimated_cost_usd REAL,
     error            TEXT,
     error_type       TEXT,
     upstream_status  INTEGER,
     created_at       INTEGER NOT NULL,
     started_at       INTEGER,
     finished_at      INTEGER,
     latency_ms       INTEGER,
     session_id       TEXT,
     client           TEXT,
     operation_id     TEXT,
     progress         REAL,
     attempts         TEXT NOT NULL DEFAULT '[]',
     idempotency_key  TEXT,
     request_hash     TEXT,
     response         TEXT,
     response_status  INTEGER
   );
   CREATE INDEX generations_created ON generations (created_at);
   CREATE INDEX generations_type_status ON generations (type, status);
   CREATE INDEX generations_model ON generations (model);
   CREATE INDEX generations_idempotency ON generations (idempotency_key) WHERE idempotency_key IS NOT NULL;`,
  // Why a cost is unknown (an implausible figure from the provider, a billed job mediagen could not finish).
  `ALTER TABLE generations ADD COLUMN cost_note TEXT;`,
  // Indexes for a ledger of millions of rows (seq is the rowid, so every index ends with it): the recent
  // costs of a model, the model_name half of the model filter, spend sums read from the index alone (it
  // leads on created_at, so it replaces generations_created), and recovery's unfinished jobs.
  `CREATE INDEX generations_model_provider ON generations (model, provider, status);
   CREATE INDEX generations_model_name ON generations (model_name);
   CREATE INDEX generations_spend ON generations (created_at, type, status, cost_usd, estimated_cost_usd, cost_note);
   DROP INDEX generations_created;
   CREATE INDEX generations_unfinished ON generations (status) WHERE status IN ('queued', 'running');`,
];

/** Opens (creating if needed) the database at `path` or `:memory:`, in WAL mode and fully migrated. */
export function openDatabase(path: string): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA foreign_keys = ON");
  migrate(db);
  return db;
}

/** Applies every migration newer than the database's user_version, each in its own transaction. */
export function migrate(db: Database): number {
  const { user_version: current } = db.query<{ user_version: number }, []>("PRAGMA user_version").get()!;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this mediagen (${MIGRATIONS.length}); upgrade mediagen`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
