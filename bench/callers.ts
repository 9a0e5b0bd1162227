// Who spent what on a big ledger (fill one with bench/ledger-fill.ts): the cost summary grouped by caller, split
// into daily series, narrowed by caller, and the refusal and billed-failure counts every summary adds, for a day,
// a month and a year, as median milliseconds of REPEATS runs, beside the plain groupings of the same run; plus the
// time migration 6 takes on the file (when it is pending) and the list filters by client and session.
// Run: bun bench/callers.ts DATA_DIR [repeats]
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { costSummary } from "../server/costs/summary.ts";
import { openDatabase } from "../server/ledger/database.ts";
import { SqliteLedger } from "../server/ledger/ledger.ts";
import type { CostQuery } from "../server/ledger/schema.ts";

const [dataDir, repeatsArg] = process.argv.slice(2);
if (!dataDir) {
  console.error("usage: bun bench/callers.ts DATA_DIR [repeats]");
  process.exit(2);
}
const repeats = Number(repeatsArg ?? 7);
const DAY_MS = 86_400_000;
const path = join(dataDir, "mediagen.db");

const raw = new Database(path, { readonly: true });
const versionBefore = raw.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version;
raw.close();
const started = performance.now();
const db = openDatabase(path);
console.log(`opened schema ${versionBefore}: ${(performance.now() - started).toFixed(0)} ms (migrations included)`);
const ledger = new SqliteLedger(db);
const newest = db.query<{ at: number }, []>("SELECT max(created_at) AS at FROM generations").get()!.at;
const session = db.query<{ s: string }, []>("SELECT session_id AS s FROM generations WHERE session_id IS NOT NULL ORDER BY seq DESC LIMIT 1").get()?.s ?? "none";
const client = db.query<{ c: string }, []>("SELECT client AS c FROM generations WHERE client IS NOT NULL ORDER BY seq DESC LIMIT 1").get()?.c ?? "none";
const rows = (table: string) => db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
console.log(`rollup rows: ledger_caller_hours ${rows("ledger_caller_hours")}, ledger_model_hours ${rows("ledger_model_hours")}`);

const localDate = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};
const windows = { day: [newest, newest], month: [newest - 29 * DAY_MS, newest], year: [newest - 364 * DAY_MS, newest] } as const;

function median(run: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const cases: [string, Omit<CostQuery, "from" | "to">][] = [
  ["by type (plain rollups + exceptions)", { group_by: "type" }],
  ["by model (plain rollups + exceptions)", { group_by: "model" }],
  ["by day (plain rollups + exceptions)", { group_by: "day" }],
  ["by door", { group_by: "door" }],
  ["by client", { group_by: "client" }],
  ["by day, series=type", { group_by: "day", series: "type" }],
  ["by day, series=door", { group_by: "day", series: "door" }],
  ["by day, series=client", { group_by: "day", series: "client" }],
  ["by day, series=model", { group_by: "day", series: "model" }],
  ["by model, door=mcp (rows)", { group_by: "model", door: "mcp" }],
  ["by type, client=<newest>", { group_by: "type", client }],
  ["by day, session=<newest> (rows)", { group_by: "day", session }],
];
console.log("| summary | day ms | month ms | year ms |\n|---|---|---|---|");
for (const [name, query] of cases) {
  const times = Object.values(windows).map(([from, to]) => median(() => costSummary(ledger, { ...query, from: localDate(from), to: localDate(to) } as CostQuery, newest + 1)));
  console.log(`| ${name} | ${times.map((t) => t.toFixed(2)).join(" | ")} |`);
}
console.log(`| list, client=<newest> | ${median(() => ledger.list({ client })).toFixed(2)} ms |`);
console.log(`| list, session=<newest> | ${median(() => ledger.list({ session })).toFixed(2)} ms |`);
console.log(`| list, status=refused | ${median(() => ledger.list({ status: "refused" })).toFixed(2)} ms |`);
console.log(`| list, status=failed | ${median(() => ledger.list({ status: "failed" })).toFixed(2)} ms |`);
const refuse = () => ledger.refuse({ type: "image", model: "m", provider: "p", prompt: "flood", errorType: "queue_full", error: "full", door: "api", sessionId: `s-${Math.random()}` });
console.log(`| refuse (new row, then folded) | ${median(refuse).toFixed(3)} ms |`);
ledger.close();
db.close();
