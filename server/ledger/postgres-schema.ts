// The ledger's schema on PostgreSQL: ordered migrations tracked in mediagen_schema_version, applied in one
// transaction under an advisory lock, so that several daemons starting at once migrate it exactly once.
import type { SQL } from "bun";
import { BILLED_FAILURE } from "./database.ts";

/** The advisory lock key every mediagen daemon takes while it migrates ("mediagen" in ASCII, as a bigint). */
export const MIGRATION_LOCK = 0x6d65646961676en;

/**
 * Ordered schema migrations; migration i brings the database to version i + 1. Never edit a shipped one. Summaries
 * are computed from the rows (no rollup tables, no triggers): each query reads a covering or partial index.
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 1. The ledger as SQLite's schema 8 holds it (one row per job, refusals folded with a count, tokens), with:
  // ms times as bigint; mediagen_fold, the ASCII-only lower() SQLite applies, so that prompt search has the same
  // semantics; a pg_trgm GIN index on the folded prompt for the q filter (LIKE '%...%'); covering indexes for the
  // spend sums, the cost groupings and the refusals and billed failures. `daemon` names the daemon that took a job
  // (its host and data folder), so that a daemon's start-up recovery takes only its own previous run's jobs.
  `CREATE EXTENSION IF NOT EXISTS pg_trgm;
   CREATE FUNCTION mediagen_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
     AS $$ SELECT translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $$;
   CREATE TABLE generations (
     seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id               text NOT NULL UNIQUE,
     type             text NOT NULL CHECK (type IN ('image', 'video', 'audio')),
     status           text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
     model            text NOT NULL,
     model_name       text,
     provider         text NOT NULL,
     prompt           text NOT NULL,
     params           text NOT NULL DEFAULT '{}',
     output_path      text,
     mime_type        text,
     bytes            bigint,
     width            integer,
     height           integer,
     duration_seconds double precision,
     thumbnail        text,
     thumbnail_error  text,
     usage            text,
     cost_usd         double precision,
     cost_source      text NOT NULL DEFAULT 'unknown' CHECK (cost_source IN ('upstream', 'catalog', 'override', 'unknown')),
     cost_unit        text,
     cost_quantity    double precision,
     cost_unit_price  double precision,
     cost_breakdown   text,
     cost_note        text,
     estimated_cost_usd double precision,
     error            text,
     error_type       text,
     upstream_status  integer,
     created_at       bigint NOT NULL,
     started_at       bigint,
     finished_at      bigint,
     latency_ms       bigint,
     session_id       text,
     client           text,
     door             text NOT NULL DEFAULT 'api',
     refusal_count    integer,
     token_id         text,
     owner            text,
     team             text,
     operation_id     text,
     progress         double precision,
     attempts         text NOT NULL DEFAULT '[]',
     idempotency_key  text,
     request_hash     text,
     response         text,
     response_status  integer,
     daemon           text
   );
   CREATE INDEX generations_spend ON generations (created_at) INCLUDE (type, status, model, provider, door, client, cost_usd, estimated_cost_usd, cost_note);
   CREATE INDEX generations_type_status ON generations (type, status, seq);
   CREATE INDEX generations_model_provider ON generations (model, provider, status, type, seq);
   CREATE INDEX generations_model_name ON generations (model_name, seq);
   CREATE INDEX generations_idempotency ON generations (idempotency_key, created_at) WHERE idempotency_key IS NOT NULL;
   CREATE INDEX generations_unfinished ON generations (seq) WHERE status IN ('queued', 'running');
   CREATE INDEX generations_refused ON generations (created_at) INCLUDE (type, model, provider, door, client, refusal_count) WHERE refusal_count IS NOT NULL;
   CREATE INDEX generations_billed_failures ON generations (created_at) INCLUDE (type, model, provider, door, client, cost_usd) WHERE ${BILLED_FAILURE};
   CREATE INDEX generations_client ON generations (client, seq) WHERE client IS NOT NULL;
   CREATE INDEX generations_session ON generations (session_id, seq) WHERE session_id IS NOT NULL;
   CREATE INDEX generations_door ON generations (door, seq) WHERE door <> 'api';
   CREATE INDEX generations_token_spend ON generations (token_id, created_at) WHERE token_id IS NOT NULL;
   CREATE INDEX generations_owner ON generations (owner, created_at) WHERE owner IS NOT NULL;
   CREATE INDEX generations_team ON generations (team, created_at) WHERE team IS NOT NULL;
   CREATE INDEX generations_thumbnail_backlog ON generations (seq) WHERE status = 'succeeded' AND output_path IS NOT NULL AND thumbnail IS NULL AND thumbnail_error IS NULL;
   CREATE INDEX generations_prompt_trgm ON generations USING gin (mediagen_fold(prompt) gin_trgm_ops);
   CREATE TABLE tokens (
     id                 text PRIMARY KEY,
     name               text NOT NULL,
     team               text,
     role               text NOT NULL CHECK (role IN ('member', 'admin')),
     prefix             text NOT NULL,
     hash               text NOT NULL UNIQUE,
     budget_daily_usd   double precision,
     budget_monthly_usd double precision,
     created_at         bigint NOT NULL,
     revoked_at         bigint
   );
   CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked_at IS NULL;`,
  // 2. Leases for several daemons on one database: an unfinished job is held by the daemon named in `daemon` until
  // `lease_until` (ms, the database's clock), which that daemon renews; a job whose lease expired may be taken over.
  // The running rows with a live lease are the slots a type's concurrency limit counts.
  `ALTER TABLE generations ADD COLUMN lease_until bigint;
   CREATE INDEX generations_leases ON generations (type, status, lease_until) WHERE status IN ('queued', 'running');`,
  // 3. Where each daemon is reached (its files stay on its disk): a daemon asked for a file another one made forwards
  // the request to the address that one announced (upserted at start and with every lease renewal round).
  `CREATE TABLE IF NOT EXISTS daemons (
     name    text PRIMARY KEY,
     url     text NOT NULL,
     seen_at bigint NOT NULL
   );`,
  // 4. When each token last authenticated a request (ms; null: never), as SQLite's migration 9 adds it.
  `ALTER TABLE tokens ADD COLUMN IF NOT EXISTS last_used_at bigint;`,
];

/** A database whose schema is newer than this binary: refusing to start is the only safe answer. */
export class SchemaTooNewError extends Error {}

/** The schema version a database is at and the one this binary brings. */
export interface SchemaVersions {
  current: number;
  target: number;
}

/** Reads the version without changing anything (0 for an empty database). */
export async function pgSchemaVersion(sql: SQL): Promise<SchemaVersions> {
  const [table] = await sql`SELECT to_regclass('mediagen_schema_version') IS NOT NULL AS present`;
  if (!(table as { present: boolean }).present) return { current: 0, target: PG_MIGRATIONS.length };
  const [row] = await sql`SELECT coalesce(max(version), 0)::int AS version FROM mediagen_schema_version`;
  return { current: (row as { version: number }).version, target: PG_MIGRATIONS.length };
}

/**
 * Applies every pending migration in one transaction holding MIGRATION_LOCK (a second daemon waits, then finds
 * nothing to do). Throws SchemaTooNewError when the database is newer than this binary. Returns the versions before.
 */
export async function migratePostgres(sql: SQL): Promise<SchemaVersions> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS mediagen_schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    const [row] = await tx`SELECT coalesce(max(version), 0)::int AS version FROM mediagen_schema_version`;
    const current = (row as { version: number }).version;
    if (current > PG_MIGRATIONS.length) {
      throw new SchemaTooNewError(`database schema version ${current} is newer than this mediagen (${PG_MIGRATIONS.length}); upgrade mediagen`);
    }
    for (let version = current; version < PG_MIGRATIONS.length; version++) {
      await tx.unsafe(PG_MIGRATIONS[version]!);
      await tx`INSERT INTO mediagen_schema_version (version) VALUES (${version + 1})`;
    }
    return { current, target: PG_MIGRATIONS.length };
  });
}
