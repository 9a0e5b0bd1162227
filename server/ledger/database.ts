// Opening the ledger database: WAL, ordered migrations tracked with PRAGMA user_version.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** SQL true of a billed failure: a job that failed, was cancelled or interrupted after its provider charged (or may have). */
export const BILLED_FAILURE = "status IN ('failed', 'cancelled', 'interrupted') AND (cost_usd > 0 OR cost_note IS NOT NULL)";

/** What each rollup row sums, as SQL of one generations row (`r.` stands for new. or old.). */
const ROLLUP_MEASURES: [column: string, of: (r: string) => string][] = [
  ["included", (r) => `(${r}status = 'succeeded' OR ${r}cost_usd IS NOT NULL OR ${r}cost_note IS NOT NULL)`],
  ["succeeded", (r) => `(${r}status = 'succeeded')`],
  ["cost_usd", (r) => `coalesce(${r}cost_usd, 0)`],
  ["unknown_cost", (r) => `(${r}cost_usd IS NULL AND (${r}status = 'succeeded' OR ${r}cost_note IS NOT NULL))`],
];

/** A rollup's time bucket: its column and the SQL of a row's bucket (`r` is new. or old.). */
type Bucket = { column: string; of: (r: string) => string };
const HOUR_BUCKET: Bucket = { column: "hour", of: (r) => `${r}created_at / 3600000 * 3600000` };
const DAY_BUCKET: Bucket = { column: "day", of: (r) => `${r}created_at / 86400000 * 86400000` };

/**
 * A rollup of the rows the cost summary counts per UTC hour or day, type and `keys` (SQL of a generations row,
 * `columns` their names), built from the existing rows and kept equal to them by insert, delete and update triggers.
 */
function rollup(table: string, bucket: Bucket, keys: string[], columns: string[]): string {
  const of = (r: string) => keys.map((key) => key.replace(/\b(door|client|model|provider|session_id|owner|team)\b/g, `${r}$1`));
  const row = (r: string, sign: string) =>
    `SELECT ${bucket.of(r)}, ${r}type, ${of(r).join(", ")}, ${ROLLUP_MEASURES.map(([, m]) => `${sign}${m(r)}`).join(", ")}
       WHERE ${ROLLUP_MEASURES[0]![1](r)}`;
  const upsert = (r: string, sign: string) =>
    `INSERT INTO ${table} (${bucket.column}, type, ${columns.join(", ")}, ${ROLLUP_MEASURES.map(([c]) => c).join(", ")})
       ${row(r, sign)}
       ON CONFLICT DO UPDATE SET ${ROLLUP_MEASURES.map(([c]) => `${c} = ${c} + excluded.${c}`).join(", ")};`;
  const watched = ["created_at", "type", "status", "cost_usd", "cost_note", ...columns];
  return `CREATE TABLE ${table} (
     ${bucket.column} INTEGER NOT NULL, type TEXT NOT NULL, ${columns.map((c) => `${c} TEXT NOT NULL`).join(", ")},
     included INTEGER NOT NULL, succeeded INTEGER NOT NULL, cost_usd REAL NOT NULL, unknown_cost INTEGER NOT NULL,
     PRIMARY KEY (${bucket.column}, type, ${columns.join(", ")})
   ) WITHOUT ROWID;
   INSERT INTO ${table} (${bucket.column}, type, ${columns.join(", ")}, ${ROLLUP_MEASURES.map(([c]) => c).join(", ")})
     SELECT ${bucket.of("")}, type, ${keys.join(", ")}, ${ROLLUP_MEASURES.map(([, m]) => `sum(${m("")})`).join(", ")}
     FROM generations WHERE ${ROLLUP_MEASURES[0]![1]("")} GROUP BY 1, 2, ${keys.map((_, i) => i + 3).join(", ")};
   CREATE TRIGGER ${table}_insert AFTER INSERT ON generations BEGIN
     ${upsert("new.", "")}
   END;
   CREATE TRIGGER ${table}_delete AFTER DELETE ON generations BEGIN
     ${upsert("old.", "-")}
   END;
   CREATE TRIGGER ${table}_update AFTER UPDATE OF ${watched.join(", ")} ON generations BEGIN
     ${upsert("old.", "-")}
     ${upsert("new.", "")}
   END;`;
}

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
  // Cost rollups and prompt search. ledger_hours sums each UTC hour and type, ledger_days each UTC day, type, model
  // and provider: what costGroups and spendSince add up (all rows, rows the cost summary counts, succeeded rows, known
  // cost, unknown costs; spend with estimates, and the finished rows that count at ASSUMED_COST_USD, applied when read).
  // Triggers keep them equal to the generations table on every insert, update and delete: an update that keeps a
  // row's hour, type, model and provider adds the difference in one statement per table, one that moves it takes it
  // out of its old buckets and adds it to the new ones. generations_fts is an external-content trigram index of
  // prompts for the q filter (substrings of 3 characters or more, Chinese included).
  `CREATE TABLE ledger_hours (
     hour INTEGER NOT NULL, type TEXT NOT NULL, rows INTEGER NOT NULL,
     included INTEGER NOT NULL, succeeded INTEGER NOT NULL, cost_usd REAL NOT NULL, unknown_cost INTEGER NOT NULL,
     spend_usd REAL NOT NULL, assumed INTEGER NOT NULL,
     PRIMARY KEY (hour, type)
   ) WITHOUT ROWID;
   CREATE TABLE ledger_days (
     day INTEGER NOT NULL, type TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
     included INTEGER NOT NULL, succeeded INTEGER NOT NULL, cost_usd REAL NOT NULL, unknown_cost INTEGER NOT NULL,
     PRIMARY KEY (day, type, model, provider)
   ) WITHOUT ROWID;
   INSERT INTO ledger_hours (hour, type, rows, included, succeeded, cost_usd, unknown_cost, spend_usd, assumed)
     SELECT g.created_at / 3600000 * 3600000, g.type, count(*), sum((g.status = 'succeeded' OR g.cost_usd IS NOT NULL OR g.cost_note IS NOT NULL)), sum((g.status = 'succeeded')), sum(coalesce(g.cost_usd, 0)),
       sum((g.cost_usd IS NULL AND (g.status = 'succeeded' OR g.cost_note IS NOT NULL))),
       sum((CASE WHEN g.status IN ('queued', 'running') OR g.cost_usd IS NULL AND (g.status = 'succeeded' OR g.cost_note IS NOT NULL) THEN coalesce(g.estimated_cost_usd, 0) ELSE coalesce(g.cost_usd, 0) END)),
       sum((g.status NOT IN ('queued', 'running') AND g.cost_usd IS NULL AND (g.status = 'succeeded' OR g.cost_note IS NOT NULL) AND g.estimated_cost_usd IS NULL))
     FROM generations g GROUP BY 1, 2;
   INSERT INTO ledger_days (day, type, model, provider, included, succeeded, cost_usd, unknown_cost)
     SELECT g.created_at / 86400000 * 86400000, g.type, g.model, g.provider, count(*), sum((g.status = 'succeeded')), sum(coalesce(g.cost_usd, 0)),
       sum((g.cost_usd IS NULL AND (g.status = 'succeeded' OR g.cost_note IS NOT NULL)))
     FROM generations g WHERE (g.status = 'succeeded' OR g.cost_usd IS NOT NULL OR g.cost_note IS NOT NULL) GROUP BY 1, 2, 3, 4;
   CREATE TRIGGER generations_rollup_insert AFTER INSERT ON generations BEGIN
     -- + the new row in its hour
     INSERT INTO ledger_hours (hour, type, rows, included, succeeded, cost_usd, unknown_cost, spend_usd, assumed)
       VALUES (new.created_at / 3600000 * 3600000, new.type, 1,
         (new.status = 'succeeded' OR new.cost_usd IS NOT NULL OR new.cost_note IS NOT NULL), (new.status = 'succeeded'), coalesce(new.cost_usd, 0),
         (new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL)),
         (CASE WHEN new.status IN ('queued', 'running') OR new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL) THEN coalesce(new.estimated_cost_usd, 0) ELSE coalesce(new.cost_usd, 0) END),
         (new.status NOT IN ('queued', 'running') AND new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL) AND new.estimated_cost_usd IS NULL))
       ON CONFLICT DO UPDATE SET rows = rows + excluded.rows, included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost, spend_usd = spend_usd + excluded.spend_usd, assumed = assumed + excluded.assumed;
     -- + the new row in its day, if the cost summary counts it
     INSERT INTO ledger_days (day, type, model, provider, included, succeeded, cost_usd, unknown_cost)
       SELECT new.created_at / 86400000 * 86400000, new.type, new.model, new.provider,
         1, (new.status = 'succeeded'), coalesce(new.cost_usd, 0), (new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL))
       WHERE (new.status = 'succeeded' OR new.cost_usd IS NOT NULL OR new.cost_note IS NOT NULL)
       ON CONFLICT DO UPDATE SET included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost;
   END;
   CREATE TRIGGER generations_rollup_delete AFTER DELETE ON generations BEGIN
     -- - the old row in its hour
     INSERT INTO ledger_hours (hour, type, rows, included, succeeded, cost_usd, unknown_cost, spend_usd, assumed)
       VALUES (old.created_at / 3600000 * 3600000, old.type, -1,
         -(old.status = 'succeeded' OR old.cost_usd IS NOT NULL OR old.cost_note IS NOT NULL), -(old.status = 'succeeded'), -coalesce(old.cost_usd, 0),
         -(old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL)),
         -(CASE WHEN old.status IN ('queued', 'running') OR old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL) THEN coalesce(old.estimated_cost_usd, 0) ELSE coalesce(old.cost_usd, 0) END),
         -(old.status NOT IN ('queued', 'running') AND old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL) AND old.estimated_cost_usd IS NULL))
       ON CONFLICT DO UPDATE SET rows = rows + excluded.rows, included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost, spend_usd = spend_usd + excluded.spend_usd, assumed = assumed + excluded.assumed;
     -- - the old row in its day, if the cost summary counts it
     INSERT INTO ledger_days (day, type, model, provider, included, succeeded, cost_usd, unknown_cost)
       SELECT old.created_at / 86400000 * 86400000, old.type, old.model, old.provider,
         -1, -(old.status = 'succeeded'), -coalesce(old.cost_usd, 0), -(old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL))
       WHERE (old.status = 'succeeded' OR old.cost_usd IS NOT NULL OR old.cost_note IS NOT NULL)
       ON CONFLICT DO UPDATE SET included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost;
   END;
   CREATE TRIGGER generations_rollup_update AFTER UPDATE OF status, cost_usd, cost_note, estimated_cost_usd ON generations
   WHEN old.created_at = new.created_at AND old.type = new.type AND old.model = new.model AND old.provider = new.provider
     AND (old.cost_usd IS NOT new.cost_usd OR old.cost_note IS NOT new.cost_note OR old.estimated_cost_usd IS NOT new.estimated_cost_usd
       OR (old.status = 'succeeded') <> (new.status = 'succeeded') OR (old.status IN ('queued', 'running')) <> (new.status IN ('queued', 'running')))
   BEGIN
     INSERT INTO ledger_hours (hour, type, rows, included, succeeded, cost_usd, unknown_cost, spend_usd, assumed)
       VALUES (new.created_at / 3600000 * 3600000, new.type, 0,
         (new.status = 'succeeded' OR new.cost_usd IS NOT NULL OR new.cost_note IS NOT NULL) - (old.status = 'succeeded' OR old.cost_usd IS NOT NULL OR old.cost_note IS NOT NULL),
         (new.status = 'succeeded') - (old.status = 'succeeded'), coalesce(new.cost_usd, 0) - coalesce(old.cost_usd, 0),
         (new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL)) - (old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL)),
         (CASE WHEN new.status IN ('queued', 'running') OR new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL) THEN coalesce(new.estimated_cost_usd, 0) ELSE coalesce(new.cost_usd, 0) END)
         - (CASE WHEN old.status IN ('queued', 'running') OR old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL) THEN coalesce(old.estimated_cost_usd, 0) ELSE coalesce(old.cost_usd, 0) END),
         (new.status NOT IN ('queued', 'running') AND new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL) AND new.estimated_cost_usd IS NULL)
         - (old.status NOT IN ('queued', 'running') AND old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL) AND old.estimated_cost_usd IS NULL))
       ON CONFLICT DO UPDATE SET rows = rows + excluded.rows, included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost, spend_usd = spend_usd + excluded.spend_usd, assumed = assumed + excluded.assumed;
     INSERT INTO ledger_days (day, type, model, provider, included, succeeded, cost_usd, unknown_cost)
       SELECT new.created_at / 86400000 * 86400000, new.type, new.model, new.provider,
         (new.status = 'succeeded' OR new.cost_usd IS NOT NULL OR new.cost_note IS NOT NULL) - (old.status = 'succeeded' OR old.cost_usd IS NOT NULL OR old.cost_note IS NOT NULL),
         (new.status = 'succeeded') - (old.status = 'succeeded'), coalesce(new.cost_usd, 0) - coalesce(old.cost_usd, 0),
         (new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL)) - (old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL))
       WHERE (old.status = 'succeeded' OR old.cost_usd IS NOT NULL OR old.cost_note IS NOT NULL) OR (new.status = 'succeeded' OR new.cost_usd IS NOT NULL OR new.cost_note IS NOT NULL)
       ON CONFLICT DO UPDATE SET included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost;
   END;
   CREATE TRIGGER generations_rollup_move AFTER UPDATE OF created_at, type, model, provider ON generations
   WHEN NOT (old.created_at = new.created_at AND old.type = new.type AND old.model = new.model AND old.provider = new.provider)
   BEGIN
     -- - the old row in its hour
     INSERT INTO ledger_hours (hour, type, rows, included, succeeded, cost_usd, unknown_cost, spend_usd, assumed)
       VALUES (old.created_at / 3600000 * 3600000, old.type, -1,
         -(old.status = 'succeeded' OR old.cost_usd IS NOT NULL OR old.cost_note IS NOT NULL), -(old.status = 'succeeded'), -coalesce(old.cost_usd, 0),
         -(old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL)),
         -(CASE WHEN old.status IN ('queued', 'running') OR old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL) THEN coalesce(old.estimated_cost_usd, 0) ELSE coalesce(old.cost_usd, 0) END),
         -(old.status NOT IN ('queued', 'running') AND old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL) AND old.estimated_cost_usd IS NULL))
       ON CONFLICT DO UPDATE SET rows = rows + excluded.rows, included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost, spend_usd = spend_usd + excluded.spend_usd, assumed = assumed + excluded.assumed;
     -- - the old row in its day, if the cost summary counts it
     INSERT INTO ledger_days (day, type, model, provider, included, succeeded, cost_usd, unknown_cost)
       SELECT old.created_at / 86400000 * 86400000, old.type, old.model, old.provider,
         -1, -(old.status = 'succeeded'), -coalesce(old.cost_usd, 0), -(old.cost_usd IS NULL AND (old.status = 'succeeded' OR old.cost_note IS NOT NULL))
       WHERE (old.status = 'succeeded' OR old.cost_usd IS NOT NULL OR old.cost_note IS NOT NULL)
       ON CONFLICT DO UPDATE SET included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost;
     -- + the new row in its hour
     INSERT INTO ledger_hours (hour, type, rows, included, succeeded, cost_usd, unknown_cost, spend_usd, assumed)
       VALUES (new.created_at / 3600000 * 3600000, new.type, 1,
         (new.status = 'succeeded' OR new.cost_usd IS NOT NULL OR new.cost_note IS NOT NULL), (new.status = 'succeeded'), coalesce(new.cost_usd, 0),
         (new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL)),
         (CASE WHEN new.status IN ('queued', 'running') OR new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL) THEN coalesce(new.estimated_cost_usd, 0) ELSE coalesce(new.cost_usd, 0) END),
         (new.status NOT IN ('queued', 'running') AND new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL) AND new.estimated_cost_usd IS NULL))
       ON CONFLICT DO UPDATE SET rows = rows + excluded.rows, included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost, spend_usd = spend_usd + excluded.spend_usd, assumed = assumed + excluded.assumed;
     -- + the new row in its day, if the cost summary counts it
     INSERT INTO ledger_days (day, type, model, provider, included, succeeded, cost_usd, unknown_cost)
       SELECT new.created_at / 86400000 * 86400000, new.type, new.model, new.provider,
         1, (new.status = 'succeeded'), coalesce(new.cost_usd, 0), (new.cost_usd IS NULL AND (new.status = 'succeeded' OR new.cost_note IS NOT NULL))
       WHERE (new.status = 'succeeded' OR new.cost_usd IS NOT NULL OR new.cost_note IS NOT NULL)
       ON CONFLICT DO UPDATE SET included = included + excluded.included, succeeded = succeeded + excluded.succeeded,
         cost_usd = cost_usd + excluded.cost_usd, unknown_cost = unknown_cost + excluded.unknown_cost;
   END;
   CREATE VIRTUAL TABLE generations_fts USING fts5(prompt, content = 'generations', content_rowid = 'seq', tokenize = 'trigram', columnsize = 0);
   INSERT INTO generations_fts (generations_fts) VALUES ('rebuild');
   CREATE TRIGGER generations_fts_insert AFTER INSERT ON generations BEGIN
     INSERT INTO generations_fts (rowid, prompt) VALUES (new.seq, new.prompt);
   END;
   CREATE TRIGGER generations_fts_delete AFTER DELETE ON generations BEGIN
     INSERT INTO generations_fts (generations_fts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
   END;
   CREATE TRIGGER generations_fts_update AFTER UPDATE OF prompt ON generations BEGIN
     INSERT INTO generations_fts (generations_fts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
     INSERT INTO generations_fts (rowid, prompt) VALUES (new.seq, new.prompt);
   END;`,
  // Which front door a request came through (api, ui, mcp, openai, cli); older rows are the seed API's.
  `ALTER TABLE generations ADD COLUMN door TEXT NOT NULL DEFAULT 'api';
   CREATE INDEX generations_door ON generations (door) WHERE door <> 'api';`,
  // Who spent what. refusal_count marks a request refused before any provider call (stored as status 'failed',
  // which the API reports as 'refused': SQLite cannot widen the status CHECK without rebuilding the table) and
  // how many refusals of the same caller the row stands for. Covering partial indexes read the rare refused rows
  // and billed failures (a provider charged, mediagen failed afterwards) without touching the table; partial
  // indexes find one client's or session's rows, newest first. Rollups by caller (door, client) per UTC day
  // answer the caller groupings; per UTC hour by caller and by model and provider, the per-day series.
  `ALTER TABLE generations ADD COLUMN refusal_count INTEGER;
   CREATE INDEX generations_refused ON generations (created_at, type, model, provider, door, client, refusal_count) WHERE refusal_count IS NOT NULL;
   CREATE INDEX generations_billed_failures ON generations (created_at, type, model, provider, door, client, cost_usd, status, cost_note) WHERE ${BILLED_FAILURE};
   CREATE INDEX generations_client ON generations (client) WHERE client IS NOT NULL;
   CREATE INDEX generations_session ON generations (session_id) WHERE session_id IS NOT NULL;
   ${rollup("ledger_caller_days", DAY_BUCKET, ["door", "coalesce(client, '')"], ["door", "client"])}
   ${rollup("ledger_caller_hours", HOUR_BUCKET, ["door", "coalesce(client, '')"], ["door", "client"])}
   ${rollup("ledger_model_hours", HOUR_BUCKET, ["model", "provider"], ["model", "provider"])}`,
  // History thumbnails: the WebP's file name under <data>/thumbnails, or why none could be made (never retried).
  `ALTER TABLE generations ADD COLUMN thumbnail TEXT;
   ALTER TABLE generations ADD COLUMN thumbnail_error TEXT;`,
  // 8. People and tokens: each token stored as its SHA-256 hash with a short prefix for display, its owner (a person
  // or team name), team, role and its own limits; one active token per name. Each generation records the token it
  // came with (id, owner name, team), so spend is filtered and budgeted per token and per team.
  `CREATE TABLE tokens (
     id                 TEXT PRIMARY KEY,
     name               TEXT NOT NULL,
     team               TEXT,
     role               TEXT NOT NULL CHECK (role IN ('member', 'admin')),
     prefix             TEXT NOT NULL,
     hash               TEXT NOT NULL UNIQUE,
     budget_daily_usd   REAL,
     budget_monthly_usd REAL,
     created_at         INTEGER NOT NULL,
     revoked_at         INTEGER
   );
   CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked_at IS NULL;
   ALTER TABLE generations ADD COLUMN token_id TEXT;
   ALTER TABLE generations ADD COLUMN owner TEXT;
   ALTER TABLE generations ADD COLUMN team TEXT;
   CREATE INDEX generations_token_spend ON generations (token_id, created_at) WHERE token_id IS NOT NULL;
   CREATE INDEX generations_owner ON generations (owner, created_at) WHERE owner IS NOT NULL;
   CREATE INDEX generations_team ON generations (team, created_at) WHERE team IS NOT NULL;`,
  // 9. When each token last authenticated a request (ms; null: never), written at most once a minute per token.
  `ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;`,
  // 10. A person's and a team's History and Costs at a year of history. Partial indexes on owner and on team alone
  // (seq, the rowid, ends each) give their newest rows in History's order without a sort. Rollups by person and team
  // per UTC hour (their spend by local day or type), per UTC day with model and provider (by model or provider), by
  // caller with model and provider per UTC day (a client's spend by model), and per UTC hour by every column the cost
  // summary groups, splits or filters by (the Costs page's daily series under any filter), built from the existing
  // rows and kept by the same insert, delete and update triggers as migration 6's. The covering indexes of refusals
  // and billed failures gain owner and team, so that a person's or a team's are counted without reading the table.
  `CREATE INDEX generations_owner_seq ON generations (owner) WHERE owner IS NOT NULL;
   CREATE INDEX generations_team_seq ON generations (team) WHERE team IS NOT NULL;
   DROP INDEX generations_refused;
   CREATE INDEX generations_refused ON generations (created_at, type, model, provider, door, client, owner, team, refusal_count) WHERE refusal_count IS NOT NULL;
   DROP INDEX generations_billed_failures;
   CREATE INDEX generations_billed_failures ON generations (created_at, type, model, provider, door, client, owner, team, cost_usd, status, cost_note) WHERE ${BILLED_FAILURE};
   ${rollup("ledger_people_hours", HOUR_BUCKET, ["coalesce(owner, '')", "coalesce(team, '')"], ["owner", "team"])}
   ${rollup("ledger_people_days", DAY_BUCKET, ["model", "provider", "coalesce(owner, '')", "coalesce(team, '')"], ["model", "provider", "owner", "team"])}
   ${rollup("ledger_caller_model_days", DAY_BUCKET, ["model", "provider", "door", "coalesce(client, '')"], ["model", "provider", "door", "client"])}
   ${rollup("ledger_spend_hours", HOUR_BUCKET, ["model", "provider", "door", "coalesce(client, '')", "coalesce(owner, '')", "coalesce(team, '')"], ["model", "provider", "door", "client", "owner", "team"])}`,
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
