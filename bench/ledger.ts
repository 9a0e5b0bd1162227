// The ledger's queries on a big ledger (fill one with bench/ledger-fill.ts): each mediagen call against a
// baseline measured in the same run, either the same call on an empty ledger or the best hand-written SQL on
// the same file, as median milliseconds of REPEATS runs, with the ratio. Opening the database runs any
// pending migration first; its time is printed.
// Run: bun bench/ledger.ts DATA_DIR [repeats]
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { MIGRATIONS, openDatabase } from "../server/ledger/database.ts";
import { SqliteLedger } from "../server/ledger/ledger.ts";
import { tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";

const [dataDir, repeatsArg] = process.argv.slice(2);
if (!dataDir) {
  console.error("usage: bun bench/ledger.ts DATA_DIR [repeats]");
  process.exit(2);
}
const repeats = Number(repeatsArg ?? 7);
const DAY_MS = 24 * 3600 * 1000;
const path = join(dataDir, "mediagen.db");

const raw = new Database(path, { readonly: true });
const versionBefore = raw.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version;
raw.close();
let started = performance.now();
const db = openDatabase(path);
const migrationMs = performance.now() - started;
const ledger = new SqliteLedger(db);
const emptyDir = mkdtempSync(join(tmpdir(), "ledger-bench-"));
const emptyDb = openDatabase(join(emptyDir, "mediagen.db"));
const empty = new SqliteLedger(emptyDb);

const rows = db.query<{ n: number }, []>("SELECT count(*) AS n FROM generations").get()!.n;
const newest = db.query<{ at: number }, []>("SELECT max(created_at) AS at FROM generations").get()!.at;
const page1000 = db.query<{ seq: number }, []>("SELECT seq FROM generations ORDER BY seq DESC LIMIT 1 OFFSET 49999").get()!.seq;
const weekFrom = newest - 182 * DAY_MS;
const weekTo = weekFrom + 7 * DAY_MS;
const sql = (text: string) => db.query<Record<string, unknown>, Record<string, string | number>>(text);

/** The best hand-written trigram search for `text`, with more terms. */
const fts = (text: string, more = "") =>
  sql(`SELECT g.* FROM generations_fts JOIN generations g ON g.seq = generations_fts.rowid
       WHERE generations_fts MATCH '"${text}"' AND instr(lower(g.prompt), '${text}') > 0 ${more} ORDER BY generations_fts.rowid DESC LIMIT 51`).all({});

/** Median ms of `repeats` runs after one warm-up. */
function median(run: () => unknown): number {
  run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** The average the media service estimates an unpriced job with (MediaService.recentAverage). */
const recentAverage = (l: SqliteLedger, model: string, provider: string, type: "image" | "video" | "audio") =>
  l.recentCostAverage(model, provider, type);

type Case = [name: string, baselineName: string, baseline: () => unknown, mediagen: () => unknown];
const cases: Case[] = [
  ["recentAverage, a new model", "empty ledger", () => recentAverage(empty, "new-model", "fal", "image"), () => recentAverage(ledger, "new-model", "fal", "image")],
  ["recentAverage, a busy model", "empty ledger", () => recentAverage(empty, "gpt-image-1", "openai", "image"), () => recentAverage(ledger, "gpt-image-1", "openai", "image")],
  ["list, page 1", "raw SQL", () => sql("SELECT * FROM generations ORDER BY seq DESC LIMIT 51").all({}), () => ledger.list({})],
  ["list, page 1000 by cursor", "raw SQL", () => sql("SELECT * FROM generations WHERE seq < $c ORDER BY seq DESC LIMIT 51").all({ c: page1000 }), () => ledger.list({ cursor: String(page1000) })],
  ["list, type=video status=failed", "raw SQL", () => sql("SELECT * FROM generations WHERE type = 'video' AND status = 'failed' ORDER BY seq DESC LIMIT 51").all({}), () => ledger.list({ type: "video", status: "failed" })],
  ["list, model=sora-2", "raw SQL", () => sql("SELECT * FROM generations WHERE model = 'sora-2' ORDER BY seq DESC LIMIT 51").all({}), () => ledger.list({ model: "sora-2" })],
  ["list, one week 6 months back", "raw SQL", () => sql("SELECT * FROM generations WHERE created_at >= $f AND created_at < $t ORDER BY created_at DESC, seq DESC LIMIT 51").all({ f: weekFrom, t: weekTo }), () => ledger.list({}, { fromMs: weekFrom, toMs: weekTo })],
  ["list, that week, type=audio", "raw SQL", () => sql("SELECT * FROM generations WHERE created_at >= $f AND created_at < $t AND type = 'audio' ORDER BY created_at DESC, seq DESC LIMIT 51").all({ f: weekFrom, t: weekTo }), () => ledger.list({ type: "audio" }, { fromMs: weekFrom, toMs: weekTo })],
  ["spendSince, last day", "empty ledger", () => empty.spendSince(newest - DAY_MS), () => ledger.spendSince(newest - DAY_MS)],
  ["spendSince, last 30 days, video", "empty ledger", () => empty.spendSince(newest - 30 * DAY_MS, "video"), () => ledger.spendSince(newest - 30 * DAY_MS, "video")],
  ["spendSince, the year", "empty ledger", () => empty.spendSince(newest - 366 * DAY_MS), () => ledger.spendSince(newest - 366 * DAY_MS)],
  ["costGroups, last day by day", "empty ledger", () => empty.costGroups(newest - DAY_MS, newest + 1, "day"), () => ledger.costGroups(newest - DAY_MS, newest + 1, "day")],
  ["costGroups, last 30 days by model", "empty ledger", () => empty.costGroups(newest - 30 * DAY_MS, newest + 1, "model"), () => ledger.costGroups(newest - 30 * DAY_MS, newest + 1, "model")],
  ["costGroups, the year by day", "empty ledger", () => empty.costGroups(newest - 366 * DAY_MS, newest + 1, "day"), () => ledger.costGroups(newest - 366 * DAY_MS, newest + 1, "day")],
  ["costGroups, the year by model", "empty ledger", () => empty.costGroups(newest - 366 * DAY_MS, newest + 1, "model"), () => ledger.costGroups(newest - 366 * DAY_MS, newest + 1, "model")],
  ["costGroups, the year by provider, video", "empty ledger", () => empty.costGroups(newest - 366 * DAY_MS, newest + 1, "provider", "video"), () => ledger.costGroups(newest - 366 * DAY_MS, newest + 1, "provider", "video")],
  ["costGroups, the year by type", "empty ledger", () => empty.costGroups(newest - 366 * DAY_MS, newest + 1, "type"), () => ledger.costGroups(newest - 366 * DAY_MS, newest + 1, "type")],
  // A search's baseline is the hand-written trigram query (the same file, the same index) where the index can
  // answer it, and the scan it must do otherwise.
  ["list, q=lighthouse (common)", "raw FTS SQL", () => fts("lighthouse"), () => ledger.list({ q: "lighthouse" })],
  ["list, q=灯塔等距 (Chinese)", "raw FTS SQL", () => fts("灯塔等距"), () => ledger.list({ q: "灯塔等距" })],
  ["list, q=xyzzy (no match)", "raw FTS SQL", () => fts("xyzzy"), () => ledger.list({ q: "xyzzy" })],
  ["list, q=lighthouse type=video status=failed", "raw FTS SQL", () => fts("lighthouse", "AND g.type = 'video' AND g.status = 'failed'"), () => ledger.list({ q: "lighthouse", type: "video", status: "failed" })],
  ["list, q=lighthouse page 1000 by cursor", "raw FTS SQL", () => fts("lighthouse", `AND generations_fts.rowid < ${page1000}`), () => ledger.list({ q: "lighthouse", cursor: String(page1000) })],
  ["list, q=lighthouse that week", "raw FTS SQL", () => fts("lighthouse", `AND g.created_at >= ${weekFrom} AND g.created_at < ${weekTo}`), () => ledger.list({ q: "lighthouse" }, { fromMs: weekFrom, toMs: weekTo })],
  ["list, q=猫 (1 character)", "raw SQL scan", () => sql("SELECT * FROM generations WHERE instr(prompt, '猫') > 0 ORDER BY seq DESC LIMIT 51").all({}), () => ledger.list({ q: "猫" })],
  ["list, q=qz (2 characters, no match)", "raw SQL scan", () => sql("SELECT * FROM generations WHERE instr(prompt, 'qz') > 0 ORDER BY seq DESC LIMIT 51").all({}), () => ledger.list({ q: "qz" })],
  ["unfinished (recovery at start)", "empty ledger", () => empty.unfinished(), () => ledger.unfinished()],
];

console.log(`${rows} rows; schema ${versionBefore} -> ${MIGRATIONS.length}, opening and migrating took ${migrationMs.toFixed(0)} ms; median of ${repeats}`);
console.log("| query | baseline | baseline ms | mediagen ms | ratio |\n|---|---|---|---|---|");
for (const [name, baselineName, baseline, mediagen] of cases) {
  const base = median(baseline);
  const ours = median(mediagen);
  console.log(`| ${name} | ${baselineName} | ${base.toFixed(2)} | ${ours.toFixed(2)} | ${(ours / base).toFixed(1)}x |`);
}
ledger.close();
empty.close();
db.close();
emptyDb.close();
rmSync(emptyDir, { recursive: true, force: true });
