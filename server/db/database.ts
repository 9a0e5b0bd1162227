// Opening the ledger database: WAL, ordered migrations tracked with PRAGMA user_version.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** Ordered schema migrations; migration i brings the database to user_version i + 1. Never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE generations (
     seq              INTEGER PRIMARY KEY AUTOINCREMENT,
     id               TEXT NOT NULL UNIQUE,
     type             TEXT NOT NULL CHECK (type IN ('image', 'video', 'audio')),
     status           TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
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
     error            TEXT,
     error_type       TEXT,
     upstream_status  INTEGER,
     created_at       INTEGER NOT NULL,
     started_at       INTEGER,
     finished_at      INTEGER,
     latency_ms       INTEGER,
     session_id       TEXT,
     client           TEXT
   );
   CREATE INDEX generations_created ON generations (created_at);
   CREATE INDEX generations_type_status ON generations (type, status);
   CREATE INDEX generations_model ON generations (model);`,
  // Every component of a computed cost (unit, quantity, unit price, amount), for auditing multi-part prices.
  `ALTER TABLE generations ADD COLUMN cost_breakdown TEXT;`,
  // Jobs: queued and cancelled states (SQLite cannot alter a CHECK, so the table is rebuilt), provider
  // operation ids for restart recovery, progress, attempts, idempotency keys, cost estimates for budgets,
  // and the response body for replaying a finished job.
  `CREATE TABLE generations_v3 (
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
   INSERT INTO generations_v3 (seq, id, type, status, model, model_name, provider, prompt, params, output_path, mime_type, bytes,
     width, height, duration_seconds, usage, cost_usd, cost_source, cost_unit, cost_quantity, cost_unit_price, cost_breakdown,
     error, error_type, upstream_status, created_at, started_at, finished_at, latency_ms, session_id, client)
   SELECT seq, id, type, status, model, model_name, provider, prompt, params, output_path, mime_type, bytes,
     width, height, duration_seconds, usage, cost_usd, cost_source, cost_unit, cost_quantity, cost_unit_price, cost_breakdown,
     error, error_type, upstream_status, created_at, started_at, finished_at, latency_ms, session_id, client
   FROM generations;
   DROP TABLE generations;
   ALTER TABLE generations_v3 RENAME TO generations;
   CREATE INDEX generations_created ON generations (created_at);
   CREATE INDEX generations_type_status ON generations (type, status);
   CREATE INDEX generations_model ON generations (model);
   CREATE INDEX generations_idempotency ON generations (idempotency_key) WHERE idempotency_key IS NOT NULL;`,
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
