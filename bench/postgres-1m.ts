// The PostgreSQL ledger at a year of history against the SQLite one on the same rows, in the same run: a big SQLite
// ledger (fill one with bench/ledger-fill.ts) is copied into a fresh PostgreSQL database (a throwaway cluster, or
// MEDIAGEN_TEST_DATABASE_URL's server, as the tests get one), then every ledger operation a user waits on is timed on
// both through the Ledger interface, as median milliseconds of REPEATS runs with the ratio PostgreSQL / SQLite: the
// Costs page's summaries for a year (each grouping), an admission's budget checks (spendSince, spendSinceBy for a
// person and a team) and its insert, History's first page with and without filters, a page deep in the cursor.
// The rows are loaded at LOADED_AT_VERSION with the indexes dropped and rebuilt (COPY speed), then the later
// migrations run on them, timed (a rollup migration backfills from the rows there, as on a real team's database).
// The SQLite file is opened in place (its pending migrations run); the bench inserts a few rows into both ledgers.
// Run: bun bench/ledger-fill.ts DIR 1000000 && bun bench/postgres-1m.ts DIR [repeats]
import { SQL } from "bun";
import { join } from "node:path";
import { costSummary } from "../server/costs/summary.ts";
import { periodStarts } from "../server/costs/budget.ts";
import { openDatabase } from "../server/ledger/database.ts";
import { SqliteLedger } from "../server/ledger/ledger.ts";
import { PostgresLedger } from "../server/ledger/postgres.ts";
import { migratePostgres, PG_MIGRATIONS } from "../server/ledger/postgres-schema.ts";
import type { CostQuery } from "../server/ledger/schema.ts";
import type { Ledger } from "../server/ledger/store.ts";
import { testDatabase } from "../test/postgres.ts";
import { localDate, median } from "./timing.ts";

/** The schema version the rows are loaded at: the last one without the rollup trigger on generations (any number). */
const ROLLUP_MIGRATION = PG_MIGRATIONS.findIndex((migration) => migration.includes("CREATE TRIGGER generations_spend_rollup"));
const LOADED_AT_VERSION = ROLLUP_MIGRATION < 0 ? PG_MIGRATIONS.length : ROLLUP_MIGRATION;
/** Rows per INSERT while copying. */
const COPY_BATCH = 5000;
/** What an operation a user waits on may take at 1M rows, in ms (issue 16). */
const WAIT_TARGET_MS = 150;
const DAY_MS = 86_400_000;

const [dataDir, repeatsArg] = process.argv.slice(2);
if (!dataDir) {
  console.error("usage: bun bench/postgres-1m.ts DATA_DIR [repeats]");
  process.exit(2);
}
const repeats = Number(repeatsArg ?? 7);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

const db = openDatabase(join(dataDir, "mediagen.db"));
const sqlite = new SqliteLedger(db);
const total = db.query<{ n: number }, []>("SELECT count(*) AS n FROM generations").get()!.n;
const newest = db.query<{ at: number }, []>("SELECT max(created_at) AS at FROM generations").get()!.at;
const deepCursor = db.query<{ seq: number }, []>("SELECT seq FROM generations ORDER BY seq DESC LIMIT 1 OFFSET 49999").get()?.seq ?? 1;
const busiest = db.query<{ owner: string; team: string; token_id: string }, []>(
  "SELECT owner, team, token_id FROM generations WHERE owner IS NOT NULL GROUP BY 1, 2, 3 ORDER BY count(*) DESC LIMIT 1",
).get();
if (!busiest) throw new Error("the ledger has no rows with an owner: fill it with today's bench/ledger-fill.ts");

const made = await testDatabase();
if (!made) throw new Error("no PostgreSQL: set MEDIAGEN_TEST_DATABASE_URL or install Debian's postgresql (see test/postgres.ts)");
const sql = new SQL(made.url);

/** The schema at `version` (as migratePostgres records it), without the later migrations. */
async function migrateTo(version: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`CREATE TABLE mediagen_schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
    for (let v = 0; v < version; v++) {
      await tx.unsafe(PG_MIGRATIONS[v]!);
      await tx`INSERT INTO mediagen_schema_version (version) VALUES (${v + 1})`;
    }
  });
}

/** Copies every generations row (seq kept) with the secondary indexes dropped, then rebuilds them, vacuums and analyzes. */
async function copyRows(): Promise<void> {
  const pgColumns = new Set(((await sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'generations'`) as { column_name: string }[]).map((c) => c.column_name));
  const columns = db.query<{ name: string }, []>("SELECT name FROM pragma_table_info('generations')").all().map((c) => c.name).filter((c) => pgColumns.has(c));
  const indexes = (await sql`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'generations' AND indexname NOT IN ('generations_pkey', 'generations_id_key')`) as { indexname: string; indexdef: string }[];
  for (const index of indexes) await sql.unsafe(`DROP INDEX ${index.indexname}`);
  const page = db.query<Record<string, unknown>, [number, number]>(`SELECT ${columns.join(", ")} FROM generations WHERE seq > ? ORDER BY seq LIMIT ?`);
  const insert = `INSERT INTO generations (${columns.join(", ")}) OVERRIDING SYSTEM VALUE
    SELECT ${columns.join(", ")} FROM json_populate_recordset(NULL::generations, $1::text::json)`;
  let started = performance.now();
  for (let last = 0; ; ) {
    const rows = page.all(last, COPY_BATCH);
    if (rows.length === 0) break;
    await sql.unsafe(insert, [JSON.stringify(rows)]);
    last = Number(rows.at(-1)!.seq);
  }
  await sql`SELECT setval(pg_get_serial_sequence('generations', 'seq'), (SELECT max(seq) FROM generations))`;
  console.log(`copied ${total} rows in ${seconds(started)}`);
  started = performance.now();
  const connection = await sql.reserve();
  await connection`SET maintenance_work_mem = '512MB'`;
  for (const index of indexes) await connection.unsafe(index.indexdef);
  connection.release();
  console.log(`rebuilt ${indexes.length} indexes in ${seconds(started)}`);
  started = performance.now();
  await sql`VACUUM ANALYZE generations`;
  console.log(`VACUUM ANALYZE in ${seconds(started)}`);
}

let started = performance.now();
await migrateTo(LOADED_AT_VERSION);
await copyRows();
started = performance.now();
await migratePostgres(sql);
console.log(`migrations ${LOADED_AT_VERSION + 1}..${PG_MIGRATIONS.length} on ${total} rows: ${seconds(started)}`);
await sql`VACUUM ANALYZE`;
const postgres = new PostgresLedger(sql);

const now = newest + 1;
const year = { from: localDate(newest - 364 * DAY_MS), to: localDate(newest) };
const month = { from: localDate(newest - 29 * DAY_MS), to: localDate(newest) };
const starts = periodStarts(now);
const person = { tokenId: busiest.token_id };
const team = { team: busiest.team };
const summary = (query: Omit<CostQuery, "from" | "to">, window = year) => (ledger: Ledger) => costSummary(ledger, { ...window, ...query } as CostQuery, now);

/** Every figure an admission with budgets set everywhere reads before its insert (service.ts: spentTable, spentByTable). */
async function budgetChecks(ledger: Ledger): Promise<void> {
  for (const from of [starts.day, starts.month]) {
    await ledger.spendSince(from);
    await ledger.spendSince(from, "video");
    await ledger.spendSinceBy(from, person);
    await ledger.spendSinceBy(from, team);
  }
}

let admitted = 0;
/** The admission's insert, as the media service writes it (a running job with an owner). */
const admit = (ledger: Ledger) =>
  ledger.start({
    type: "image",
    model: "gpt-image-1",
    modelName: "gpt-image",
    provider: "openai",
    prompt: `a lighthouse at dusk, take ${admitted++}`,
    params: { size: "1024x1024", output_dir: "/home/user/media" },
    sessionId: "bench-session",
    client: "claude-code",
    owner: { tokenId: busiest.token_id, name: busiest.owner, team: busiest.team },
    estimatedCostUsd: 0.042,
  });

type Case = [page: string, name: string, run: (ledger: Ledger) => Promise<unknown>];
const cases: Case[] = [
  ...(["day", "model", "type", "provider", "door", "client"] as const).map((by): Case => ["Costs", `summary, a year by ${by}`, summary({ group_by: by })]),
  ["Costs", "summary, a year by day, series=type", summary({ group_by: "day", series: "type" })],
  ["Costs", "summary, a year by day, series=model", summary({ group_by: "day", series: "model" })],
  ["Costs", "summary, a year by model, type=video", summary({ group_by: "model", type: "video" })],
  ["Costs", "summary, a year by model, client=claude-code", summary({ group_by: "model", client: "claude-code" })],
  ["Costs", `summary, a year by model, owner=${busiest.owner}`, summary({ group_by: "model", owner: busiest.owner })],
  ["Costs", `summary, a year by day, team=${busiest.team}`, summary({ group_by: "day", team: busiest.team })],
  ["Costs", "summary, 30 days by day (the page's default)", summary({ group_by: "day" }, month)],
  ["Costs", "budget status (day and month, each type)", async (ledger) => {
    for (const from of [starts.day, starts.month]) for (const type of [undefined, "image", "video", "audio"] as const) await ledger.spendSince(from, type);
  }],
  ["admission", "spendSince, today", (ledger) => ledger.spendSince(starts.day)],
  ["admission", "spendSince, this month", (ledger) => ledger.spendSince(starts.month)],
  ["admission", "spendSince, this month, video", (ledger) => ledger.spendSince(starts.month, "video")],
  ["admission", "spendSinceBy person, this month", (ledger) => ledger.spendSinceBy(starts.month, person)],
  ["admission", "spendSinceBy team, this month", (ledger) => ledger.spendSinceBy(starts.month, team)],
  ["admission", "every budget check (8 sums)", budgetChecks],
  ["admission", "the insert (start)", admit],
  ["History", "page 1", (ledger) => ledger.page({})],
  ["History", "page 1000 by cursor", (ledger) => ledger.page({ cursor: String(deepCursor) })],
  ["History", "q=lighthouse", (ledger) => ledger.page({ q: "lighthouse" })],
  ["History", "q=灯塔等距", (ledger) => ledger.page({ q: "灯塔等距" })],
  ["History", "q=xyzzy (no match)", (ledger) => ledger.page({ q: "xyzzy" })],
  ["History", "q=lighthouse page 1000 by cursor", (ledger) => ledger.page({ q: "lighthouse", cursor: String(deepCursor) })],
  ["History", `owner=${busiest.owner}`, (ledger) => ledger.page({ owner: busiest.owner })],
  ["History", `team=${busiest.team}`, (ledger) => ledger.page({ team: busiest.team })],
  ["History", "model=sora-2", (ledger) => ledger.page({ model: "sora-2" })],
  ["History", `q=lighthouse owner=${busiest.owner}`, (ledger) => ledger.page({ q: "lighthouse", owner: busiest.owner })],
  ["History", "type=video status=failed", (ledger) => ledger.page({ type: "video", status: "failed" })],
  ["History", "status=refused", (ledger) => ledger.page({ status: "refused" })],
];

console.log(`${total} rows, PostgreSQL schema ${PG_MIGRATIONS.length}; median of ${repeats}; over ${WAIT_TARGET_MS} ms on PostgreSQL marked **`);
console.log("| page | operation | SQLite ms | PostgreSQL ms | PostgreSQL / SQLite |\n|---|---|---|---|---|");
for (const [page, name, run] of cases) {
  const lite = await median(() => run(sqlite), repeats);
  const pg = await median(() => run(postgres), repeats);
  const mark = pg > WAIT_TARGET_MS ? "**" : "";
  console.log(`| ${page} | ${name} | ${lite.toFixed(2)} | ${mark}${pg.toFixed(2)}${mark} | ${(pg / lite).toFixed(1)}x |`);
}
await postgres.close();
await sqlite.close();
db.close();
await sql.close();
await made.drop();
