// Every read API call, and an image POST under a budget against the fake openclacky provider, on a daemon
// with an empty ledger (the baseline), one with 1,000 rows written by bench/ledger-fill.ts (whose pages are full,
// as on the big ledger, so JSON of 50 rows is on both sides) and one with a copy of a big ledger (fill one with
// bench/ledger-fill.ts), as median milliseconds of REPEATS calls with the ratios. Meanwhile a second loop polls
// /api/health and the largest health latency seen on each daemon is printed (target: at most 20 ms). The copy is
// opened by the daemon, so a pending migration runs at its start; the start time is printed.
// Run: bun bench/api-1m.ts LEDGER_DB [repeats]
import { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { startFakeClacky } from "../test/fakes/openclacky.ts";
import { clackyConfig } from "../test/helpers.ts";
import { localDate, median } from "./timing.ts";

const [ledgerDb, repeatsArg] = process.argv.slice(2);
if (!ledgerDb) {
  console.error("usage: bun bench/api-1m.ts LEDGER_DB [repeats]");
  process.exit(2);
}
const repeats = Number(repeatsArg ?? 9);
const DAY_MS = 86_400_000;
const HEALTH_EVERY_MS = 5;

// Parameters taken from the big ledger: its newest time, the cursor of page 1000, a week six months back.
const source = new Database(ledgerDb, { readonly: true });
const newest = source.query<{ at: number }, []>("SELECT max(created_at) AS at FROM generations").get()!.at;
const cursor = source.query<{ seq: number }, []>("SELECT seq FROM generations ORDER BY seq DESC LIMIT 1 OFFSET 49999").get()?.seq ?? 1;
source.close();
const iso = (ms: number) => new Date(ms).toISOString();
const week = `from=${iso(newest - 182 * DAY_MS)}&to=${iso(newest - 175 * DAY_MS)}`;
const windows = { day: `from=${localDate(newest)}&to=${localDate(newest)}`, month: `from=${localDate(newest - 29 * DAY_MS)}&to=${localDate(newest)}`, year: `from=${localDate(newest - 365 * DAY_MS)}&to=${localDate(newest)}` };

const reads: [name: string, path: string][] = [
  ["health", "/api/health"],
  ["generations, page 1", "/api/generations"],
  ["generations, page 1000 by cursor", `/api/generations?cursor=${cursor}`],
  ["generations, type=video status=failed", "/api/generations?type=video&status=failed"],
  ["generations, status=running (none after recovery)", "/api/generations?status=running"],
  ["generations, status=cancelled", "/api/generations?status=cancelled"],
  ["generations, model=sora-2", "/api/generations?model=sora-2"],
  ["generations, a week 6 months back", `/api/generations?${week}`],
  ["generations, that week, type=audio", `/api/generations?${week}&type=audio`],
  ["generations, q=lighthouse", "/api/generations?q=lighthouse"],
  ["generations, q=灯塔等距", `/api/generations?q=${encodeURIComponent("灯塔等距")}`],
  ["generations, q=xyzzy (no match)", "/api/generations?q=xyzzy"],
  ["generations, q=lighthouse type=video status=failed", "/api/generations?q=lighthouse&type=video&status=failed"],
  ["generations, q=lighthouse page 1000 by cursor", `/api/generations?q=lighthouse&cursor=${cursor}`],
  ["generations, q=lighthouse that week", `/api/generations?q=lighthouse&${week}`],
  ["generations, q=猫 (1 character)", `/api/generations?q=${encodeURIComponent("猫")}`],
  ["generations, limit=200", "/api/generations?limit=200"],
  ...(["day", "month", "year"] as const).flatMap((window) =>
    (["day", "model", "type", "provider"] as const).map((groupBy): [string, string] => [`costs/summary, ${window} by ${groupBy}`, `/api/costs/summary?${windows[window]}&group_by=${groupBy}`]),
  ),
  ["costs/summary, year by model, type=video", `/api/costs/summary?${windows.year}&group_by=model&type=video`],
  ["costs/summary, default (30 days by day)", "/api/costs/summary"],
  ["costs/budget", "/api/costs/budget"],
  ["media/jobs", "/api/media/jobs"],
  ["media/types", "/api/media/types"],
  ["config/models", "/api/config/models"],
];

const fake = startFakeClacky();
const root = mkdtempSync(join(tmpdir(), "mediagen-api-bench-"));
const config = { ...clackyConfig(fake.url, fake.key), budget: { daily_usd: 1_000_000, monthly_usd: 10_000_000, per_type: { image: { daily_usd: 1_000_000 } } } };

/** A free loopback port. */
function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

type Timings = { times: Map<string, number>; healthMaxMs: number; startMs: number; generationId: string };

/** Starts a daemon on `dataDir`, times every call while polling /api/health, and stops it. */
async function measure(dataDir: string): Promise<Timings> {
  await Bun.write(join(dataDir, "config.yml"), stringify(config));
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const daemon = Bun.spawn([process.execPath, "server/main.ts", "serve", "--port", String(port), "--data-dir", dataDir], { stdout: "ignore", stderr: "inherit" });
  while (!(await fetch(`${base}/api/health`).then((r) => r.ok).catch(() => false))) await Bun.sleep(20);
  const startMs = performance.now() - started;

  let polling = true;
  let healthMaxMs = 0;
  const poller = (async () => {
    while (polling) {
      const at = performance.now();
      await fetch(`${base}/api/health`).then((r) => r.arrayBuffer());
      healthMaxMs = Math.max(healthMaxMs, performance.now() - at);
      await Bun.sleep(HEALTH_EVERY_MS);
    }
  })();

  const time = (run: () => Promise<unknown>) => median(run, repeats);
  const get = (path: string) => async () => {
    const response = await fetch(base + path);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return response.arrayBuffer();
  };
  const times = new Map<string, number>();
  let generationId = "";
  const post = async () => {
    const response = await fetch(`${base}/api/media/image`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "a lighthouse at dusk", output_dir: join(root, "out") }) });
    const body = (await response.json()) as { id?: string };
    if (!response.ok || !body.id) throw new Error(`POST /api/media/image: HTTP ${response.status} ${JSON.stringify(body)}`);
    generationId = body.id;
  };
  times.set("POST media/image, budget configured (fake provider)", await time(post));
  times.set("generations/:id", await time(get(`/api/generations/${generationId}`)));
  for (const [name, path] of reads) times.set(name, await time(get(path)));

  polling = false;
  await poller;
  daemon.kill("SIGTERM");
  await daemon.exited;
  return { times, healthMaxMs, startMs, generationId };
}

const emptyDir = join(root, "empty");
const smallDir = join(root, "small");
const bigDir = join(root, "big");
mkdirSync(emptyDir, { recursive: true });
mkdirSync(bigDir, { recursive: true });
const fill = Bun.spawnSync([process.execPath, "bench/ledger-fill.ts", smallDir, "1000"], { stderr: "inherit" });
if (fill.exitCode !== 0) throw new Error("bench/ledger-fill.ts failed");
copyFileSync(ledgerDb, join(bigDir, "mediagen.db"));
const empty = await measure(emptyDir);
const small = await measure(smallDir);
const big = await measure(bigDir);

console.log(`median of ${repeats}; start to first /api/health: empty ${empty.startMs.toFixed(0)} ms, 1,000 rows ${small.startMs.toFixed(0)} ms, big ledger ${big.startMs.toFixed(0)} ms`);
console.log("| call | empty ms | 1,000 rows ms | big ledger ms | ratio to empty | ratio to 1,000 rows |\n|---|---|---|---|---|---|");
for (const [name, ms] of empty.times) {
  const ours = big.times.get(name)!;
  const thousand = small.times.get(name)!;
  console.log(`| ${name} | ${ms.toFixed(2)} | ${thousand.toFixed(2)} | ${ours.toFixed(2)} | ${(ours / ms).toFixed(2)}x | ${(ours / thousand).toFixed(2)}x |`);
}
console.log(`| max /api/health latency while measuring (every ${HEALTH_EVERY_MS} ms) | ${empty.healthMaxMs.toFixed(1)} | ${small.healthMaxMs.toFixed(1)} | ${big.healthMaxMs.toFixed(1)} | | |`);
await fake.close();
rmSync(root, { recursive: true, force: true });
