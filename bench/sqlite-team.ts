// A team's pages on the SQLite ledger at a year of history, before and after migration 10, in the same run: a big
// ledger (fill one with bench/ledger-fill.ts) is copied, opened with a baseline checkout's code (its migrations run:
// the schema before migration 10) and every History and Costs operation filtered by person, team or client is timed
// with a few unfiltered ones for reference; then this checkout's openDatabase runs migration 10 on the same file
// (timed: it backfills the rollups from the rows) and the same operations are timed again through this checkout's
// code. Median milliseconds of REPEATS runs after a warm-up, with the ratio after / before. Not part of CI.
// Baseline: a checkout of the commit before migration 10, e.g.
//   mkdir B && git archive 830bef4 server | tar -x -C B && ln -s "$PWD/node_modules" B/node_modules
// Run: bun bench/sqlite-team.ts LEDGER_DB BASELINE_DIR [repeats]
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { periodStarts } from "../server/costs/budget.ts";
import { costSummary } from "../server/costs/summary.ts";
import { openDatabase } from "../server/ledger/database.ts";
import { SqliteLedger } from "../server/ledger/ledger.ts";
import type { CostQuery } from "../server/ledger/schema.ts";
import type { Ledger } from "../server/ledger/store.ts";
import { localDate, median } from "./timing.ts";

/** What an operation a user waits on may take at 1M rows, in ms (issue 16). */
const WAIT_TARGET_MS = 150;
const DAY_MS = 86_400_000;

const [ledgerDb, baselineArg, repeatsArg] = process.argv.slice(2);
if (!ledgerDb || !baselineArg) {
  console.error("usage: bun bench/sqlite-team.ts LEDGER_DB BASELINE_DIR [repeats]");
  process.exit(2);
}
const baselineDir = resolve(baselineArg);
const repeats = Number(repeatsArg ?? 5);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

const dir = mkdtempSync(join(tmpdir(), "mediagen-sqlite-team-"));
const path = join(dir, "mediagen.db");
let started = performance.now();
copyFileSync(ledgerDb, path);
console.log(`copied the ledger in ${seconds(started)}`);

type Modules = {
  openDatabase: typeof openDatabase;
  SqliteLedger: typeof SqliteLedger;
  costSummary: typeof costSummary;
};
const baseline: Modules = {
  openDatabase: (await import(join(baselineDir, "server/ledger/database.ts"))).openDatabase,
  SqliteLedger: (await import(join(baselineDir, "server/ledger/ledger.ts"))).SqliteLedger,
  costSummary: (await import(join(baselineDir, "server/costs/summary.ts"))).costSummary,
};
const current: Modules = { openDatabase, SqliteLedger, costSummary };


type Case = [page: string, name: string, run: (ledger: Ledger, modules: Modules) => Promise<unknown>];

/** The operations, with parameters read from the ledger (its busiest person and team, its newest time). */
function cases(db: ReturnType<typeof openDatabase>): Case[] {
  const newest = db.query<{ at: number }, []>("SELECT max(created_at) AS at FROM generations").get()!.at;
  const busiest = db.query<{ owner: string; team: string; token_id: string }, []>(
    "SELECT owner, team, token_id FROM generations WHERE owner IS NOT NULL GROUP BY 1, 2, 3 ORDER BY count(*) DESC LIMIT 1",
  ).get();
  if (!busiest) throw new Error("the ledger has no rows with an owner: fill it with today's bench/ledger-fill.ts");
  const now = newest + 1;
  const year = { from: localDate(newest - 364 * DAY_MS), to: localDate(newest) };
  const month = { from: localDate(newest - 29 * DAY_MS), to: localDate(newest) };
  const starts = periodStarts(now);
  const summary = (query: Omit<CostQuery, "from" | "to">, window = year) => (ledger: Ledger, modules: Modules) =>
    modules.costSummary(ledger, { ...window, ...query } as CostQuery, now);
  const { owner, team } = busiest;
  const lastMonth = { fromMs: newest - 30 * DAY_MS, toMs: now };
  return [
    ["Costs", "summary, a year by day (reference)", summary({ group_by: "day" })],
    ["Costs", "summary, a year by model (reference)", summary({ group_by: "model" })],
    ["Costs", "summary, a year by model, client=claude-code", summary({ group_by: "model", client: "claude-code" })],
    ["Costs", "summary, a year by day, client=claude-code", summary({ group_by: "day", client: "claude-code" })],
    ["Costs", `summary, a year by model, owner=${owner}`, summary({ group_by: "model", owner })],
    ["Costs", `summary, a year by day, owner=${owner}`, summary({ group_by: "day", owner })],
    ["Costs", `summary, a year by type, owner=${owner}`, summary({ group_by: "type", owner })],
    ["Costs", `summary, a year by day, team=${team}`, summary({ group_by: "day", team })],
    ["Costs", `summary, a year by model, team=${team}`, summary({ group_by: "model", team })],
    ["Costs", `summary, a year by provider, team=${team}, type=video`, summary({ group_by: "provider", team, type: "video" })],
    ["Costs", `summary, a year by day, series=model, team=${team}`, summary({ group_by: "day", series: "model", team })],
    ["Costs", `summary, a year by day, series=type, team=${team}`, summary({ group_by: "day", series: "type", team })],
    ["Costs", `summary, a year by day, series=client, owner=${owner}`, summary({ group_by: "day", series: "client", owner })],
    ["Costs", `summary, 30 days by day, team=${team}`, summary({ group_by: "day", team }, month)],
    ["Costs", `summary, 30 days by day, series=model, team=${team}`, summary({ group_by: "day", series: "model", team }, month)],
    ["admission", "spendSinceBy person, this month", (ledger) => ledger.spendSinceBy(starts.month, { tokenId: busiest.token_id })],
    ["admission", "spendSinceBy team, this month", (ledger) => ledger.spendSinceBy(starts.month, { team })],
    ["admission", "the insert and its success (start, succeed: every rollup trigger)", async (ledger) => {
      const id = await ledger.start({ type: "image", model: "gpt-image-1", provider: "openai", prompt: "a lighthouse at dusk", params: {}, client: "claude-code", owner: { tokenId: busiest.token_id, name: owner, team } });
      await ledger.succeed(id, { outputPath: "/tmp/a.png", mimeType: "image/png", bytes: 1, cost: { costUsd: 0.042, source: "catalog" } });
    }],
    ["History", "page 1 (reference)", (ledger) => ledger.page({})],
    ["History", `owner=${owner}`, (ledger) => ledger.page({ owner })],
    ["History", `team=${team}`, (ledger) => ledger.page({ team })],
    ["History", `team=${team} type=video`, (ledger) => ledger.page({ team, type: "video" })],
    ["History", `owner=${owner} model=sora-2`, (ledger) => ledger.page({ owner, model: "sora-2" })],
    ["History", `team=${team}, the last 30 days`, (ledger) => ledger.page({ team }, lastMonth)],
    ["History", `owner=${owner} page 2`, async (ledger) => {
      const first = await ledger.page({ owner });
      return ledger.page({ owner, cursor: first.next_cursor ?? undefined });
    }],
    ["History", "client=claude-code", (ledger) => ledger.page({ client: "claude-code" })],
  ];
}

/** Times every case on the copy through one checkout's code. */
async function measure(modules: Modules): Promise<Map<string, number>> {
  const db = modules.openDatabase(path);
  const ledger = new modules.SqliteLedger(db);
  const times = new Map<string, number>();
  for (const [page, name, run] of cases(db)) times.set(`${page}\u0000${name}`, await median(() => run(ledger, modules), repeats));
  await ledger.close();
  db.close();
  return times;
}

const before = await measure(baseline);
started = performance.now();
const migrated = openDatabase(path);
const total = migrated.query<{ n: number }, []>("SELECT count(*) AS n FROM generations").get()!.n;
const version = migrated.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version;
migrated.close();
console.log(`migration to schema ${version} on ${total} rows: ${seconds(started)}`);
const after = await measure(current);

console.log(`${total} rows; median of ${repeats}; over ${WAIT_TARGET_MS} ms marked **`);
console.log("| page | operation | before ms | after ms | after / before |\n|---|---|---|---|---|");
const mark = (ms: number) => (ms > WAIT_TARGET_MS ? `**${ms.toFixed(2)}**` : ms.toFixed(2));
for (const [id, was] of before) {
  const [page, name] = id.split("\u0000");
  const now = after.get(id)!;
  console.log(`| ${page} | ${name} | ${mark(was)} | ${mark(now)} | ${(now / was).toFixed(2)}x |`);
}
rmSync(dir, { recursive: true, force: true });
