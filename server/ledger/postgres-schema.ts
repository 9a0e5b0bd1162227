// The ledger's schema on PostgreSQL: ordered migrations tracked in mediagen_schema_version, applied in one
// transaction under an advisory lock, so that several daemons starting at once migrate it exactly once.
import type { SQL } from "bun";
import { BILLED_FAILURE } from "./database.ts";

/** The advisory lock key every mediagen daemon takes while it migrates ("mediagen" in ASCII, as a bigint). */
export const MIGRATION_LOCK = 0x6d65646961676en;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The columns the rollups are keyed by: the cost summary's groupings and filters (a row without a client, owner or team has ''). */
const CALLER = ["type", "model", "provider", "door", "client"] as const;

/**
 * The rollup tables of the cost summary, each with its bucket (`hour`: local days are dated from them; `day`: UTC) and
 * the columns it is keyed by besides, smallest first (a query reads the first that holds its columns): by type alone,
 * by model, by caller, by both, and by person and team (a team's view of its spend).
 */
export const PG_ROLLUPS = [
  { table: "spend_type_hours", bucket: "hour", unit: HOUR_MS, keys: ["type"] },
  { table: "spend_model_hours", bucket: "hour", unit: HOUR_MS, keys: ["type", "model", "provider"] },
  { table: "spend_caller_hours", bucket: "hour", unit: HOUR_MS, keys: ["type", "door", "client"] },
  { table: "spend_hours", bucket: "hour", unit: HOUR_MS, keys: CALLER },
  { table: "spend_days", bucket: "day", unit: DAY_MS, keys: CALLER },
  { table: "spend_people_hours", bucket: "hour", unit: HOUR_MS, keys: ["type", "owner", "team"] },
  { table: "spend_people_days", bucket: "day", unit: DAY_MS, keys: ["type", "model", "provider", "owner", "team"] },
] as const;
/** One of PG_ROLLUPS. */
export type PgRollup = (typeof PG_ROLLUPS)[number];
/** The key columns that may be NULL in a row, '' in a rollup. */
const OPTIONAL_KEYS = new Set(["client", "owner", "team"]);

/** What a generations row counts as in the rollups: [column, SQL of row `r` (new or old)]; `rows` is 1 for a row the cost summary shows. */
const ROLLUP_MEASURES: [column: string, type: string, of: (r: string) => string][] = [
  ["rows", "bigint", (r) => `(${included(r)} OR ${r}.refusal_count IS NOT NULL OR ${billed(r)})::int`],
  ["included", "bigint", (r) => `${included(r)}::int`],
  ["succeeded", "bigint", (r) => `(${r}.status = 'succeeded')::int`],
  ["cost_usd", "double precision", (r) => `CASE WHEN ${included(r)} THEN coalesce(${r}.cost_usd, 0) ELSE 0 END`],
  ["unknown_cost", "bigint", (r) => `(${r}.cost_usd IS NULL AND (${r}.status = 'succeeded' OR ${r}.cost_note IS NOT NULL))::int`],
  ["refused", "bigint", (r) => `coalesce(${r}.refusal_count, 0)`],
  ["billed", "bigint", (r) => `${billed(r)}::int`],
  ["billed_usd", "double precision", (r) => `CASE WHEN ${billed(r)} THEN coalesce(${r}.cost_usd, 0) ELSE 0 END`],
];
function included(r: string): string {
  return `(${r}.status = 'succeeded' OR ${r}.cost_usd IS NOT NULL OR ${r}.cost_note IS NOT NULL)`;
}
function billed(r: string): string {
  return `coalesce(${r}.status IN ('failed', 'cancelled', 'interrupted') AND (${r}.cost_usd > 0 OR ${r}.cost_note IS NOT NULL), false)`;
}
/** The columns whose change can move a row's contribution: the trigger fires only on updates naming one. */
const ROLLUP_WATCHED = ["created_at", "status", "cost_usd", "cost_note", "refusal_count", ...new Set(PG_ROLLUPS.flatMap((rollup) => rollup.keys))];

/** The bucket and key values of row `r` in a rollup. */
const rollupKey = (r: string, { unit, keys }: PgRollup) => [`${r}.created_at / ${unit} * ${unit}`, ...keys.map((k) => (OPTIONAL_KEYS.has(k) ? `coalesce(${r}.${k}, '')` : `${r}.${k}`))];

/**
 * The cost summary's rollups (PG_ROLLUPS), built from the existing rows and kept equal to them by one row trigger:
 * an insert adds the row to its buckets, a delete takes it out, an update of a watched column does both (old out,
 * new in) unless nothing it counts changed. Rows the summary does not show (queued, running, plain failures) add
 * nothing. Buckets are never deleted (one emptied by a delete stays with zeros; readers skip groups without rows);
 * a TRUNCATE of generations empties them.
 */
function rollupMigration(): string {
  const columns = ROLLUP_MEASURES.map(([c]) => c);
  const tables = PG_ROLLUPS.map(
    ({ table, bucket, keys }) => `CREATE TABLE ${table} (
       ${bucket} bigint NOT NULL, ${keys.map((k) => `${k} text NOT NULL`).join(", ")},
       ${ROLLUP_MEASURES.map(([c, type]) => `${c} ${type} NOT NULL`).join(", ")},
       PRIMARY KEY (${bucket}, ${keys.join(", ")}));`,
  );
  const backfill = PG_ROLLUPS.map(
    (rollup) => `INSERT INTO ${rollup.table} (${rollup.bucket}, ${rollup.keys.join(", ")}, ${columns.join(", ")})
       SELECT ${rollupKey("g", rollup).join(", ")}, ${ROLLUP_MEASURES.map(([, , m]) => `sum(${m("g")})`).join(", ")}
       FROM generations g WHERE ${ROLLUP_MEASURES[0]![2]("g")} = 1 GROUP BY ${rollupKey("g", rollup).map((_, i) => i + 1).join(", ")};`,
  );
  const upserts = (r: string, sign: string) =>
    PG_ROLLUPS.map(
      (rollup) => `INSERT INTO ${rollup.table} (${rollup.bucket}, ${rollup.keys.join(", ")}, ${columns.join(", ")})
           VALUES (${rollupKey(r, rollup).join(", ")}, ${ROLLUP_MEASURES.map(([, , m]) => `${sign}${m(r)}`).join(", ")})
           ON CONFLICT (${rollup.bucket}, ${rollup.keys.join(", ")}) DO UPDATE SET ${columns.map((c) => `${c} = ${rollup.table}.${c} + excluded.${c}`).join(", ")};`,
    ).join("\n         ");
  const shows = (r: string) => `${ROLLUP_MEASURES[0]![2](r)} = 1`;
  const same = `(${ROLLUP_WATCHED.map((c) => `old.${c}`).join(", ")}) IS NOT DISTINCT FROM (${ROLLUP_WATCHED.map((c) => `new.${c}`).join(", ")})`;
  return `${tables.join("\n   ")}
   ${backfill.join("\n   ")}
   CREATE FUNCTION mediagen_spend_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'UPDATE' THEN
       IF ${same} THEN RETURN NULL; END IF;
     END IF;
     IF TG_OP <> 'INSERT' THEN
       IF ${shows("old")} THEN
         ${upserts("old", "-")}
       END IF;
     END IF;
     IF TG_OP <> 'DELETE' THEN
       IF ${shows("new")} THEN
         ${upserts("new", "")}
       END IF;
     END IF;
     RETURN NULL;
   END $$;
   CREATE TRIGGER generations_spend_rollup AFTER INSERT OR DELETE OR UPDATE OF ${ROLLUP_WATCHED.join(", ")} ON generations
     FOR EACH ROW EXECUTE FUNCTION mediagen_spend_rollup();
   CREATE FUNCTION mediagen_spend_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     TRUNCATE ${PG_ROLLUPS.map(({ table }) => table).join(", ")};
     RETURN NULL;
   END $$;
   CREATE TRIGGER generations_spend_rollup_truncate AFTER TRUNCATE ON generations
     FOR EACH STATEMENT EXECUTE FUNCTION mediagen_spend_rollup_truncate();`;
}

/**
 * Ordered schema migrations; migration i brings the database to version i + 1. Never edit a shipped one. Migrations
 * 1 to 4 compute summaries from the rows through covering indexes; migration 5 adds rollups kept by a trigger.
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
  // 5. Cost rollups: a year of a team's history summed from the rows took seconds (docs/benchmarks.md, PostgreSQL at
  // 1M rows). The PG_ROLLUPS tables sum what the cost summary shows per UTC hour or day, by caller and model or by
  // person and team, backfilled here from the rows and kept equal to them by a trigger (rollupMigration).
  // The spend of a person or a team reads its own index, covering now (no row fetched for a month's budget check).
  // Writers wait while it runs (about 20 s a million rows), so that no row lands between a backfill and the trigger.
  `LOCK TABLE generations IN SHARE ROW EXCLUSIVE MODE;
   ${rollupMigration()}
   DROP INDEX generations_token_spend;
   DROP INDEX generations_owner;
   DROP INDEX generations_team;
   CREATE INDEX generations_token_spend ON generations (token_id, created_at) INCLUDE (type, status, cost_usd, estimated_cost_usd, cost_note) WHERE token_id IS NOT NULL;
   CREATE INDEX generations_owner ON generations (owner, created_at) INCLUDE (type, status, cost_usd, cost_note, refusal_count) WHERE owner IS NOT NULL;
   CREATE INDEX generations_team ON generations (team, created_at) INCLUDE (type, status, cost_usd, estimated_cost_usd, cost_note, refusal_count) WHERE team IS NOT NULL;`,
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
