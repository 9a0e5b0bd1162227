// Gateway overhead: image generations through the mediagen daemon vs the same requests sent straight to
// the (fake) provider, measured in the same run; plus the daemon's memory before and after.
// Run: bun bench/gateway.ts [requests]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { startFakeClacky } from "../test/fakes/openclacky.ts";
import { clackyConfig } from "../test/helpers.ts";

const requests = Number(process.argv[2] ?? 200);
const fake = startFakeClacky();
const root = mkdtempSync(join(tmpdir(), "mediagen-bench-"));
await Bun.write(join(root, "data", "config.yml"), stringify({ ...clackyConfig(fake.url, fake.key), jobs: { image: { concurrency: 4, queue: 1000 } } }));
const port = 7400 + Math.floor(Math.random() * 500);
const daemon = Bun.spawn([process.execPath, "server/main.ts", "--port", String(port), "--data-dir", join(root, "data")], { stdout: "ignore", stderr: "inherit" });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 200; i++) {
  if (await fetch(`${base}/api/health`).then((r) => r.ok).catch(() => false)) break;
  await Bun.sleep(50);
}

const rssKb = async () => Number((await Bun.file(`/proc/${daemon.pid}/status`).text()).match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
const body = (i: number) => JSON.stringify({ prompt: `benchmark ${i}`, output_dir: join(root, "work") });

async function timed(run: (i: number) => Promise<unknown>, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run(i);
    samples.push(performance.now() - started);
  }
  return samples;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

const direct = (i: number) =>
  fetch(`${fake.url}/images/generations`, { method: "POST", headers: { authorization: `Bearer ${fake.key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "or-gpt-image-2", n: 1, prompt: `benchmark ${i}`, size: "1536x1024" }) }).then((r) => r.arrayBuffer());
const gateway = (i: number) => fetch(`${base}/api/media/image`, { method: "POST", headers: { "content-type": "application/json" }, body: body(i) }).then((r) => r.json());

await timed(direct, 10);
await timed(gateway, 10);
const idleRss = await rssKb();
const directMs = await timed(direct, requests);
const gatewayMs = await timed(gateway, requests);
const afterRss = await rssKb();

// Throughput with 8 concurrent clients (concurrency 4 at the provider, the rest queued).
const started = performance.now();
await Promise.all(Array.from({ length: 8 }, (_, c) => timed((i) => gateway(c * 1000 + i), Math.ceil(requests / 8))));
const flood = (Math.ceil(requests / 8) * 8) / ((performance.now() - started) / 1000);

const result = {
  requests,
  direct_median_ms: +median(directMs).toFixed(2),
  gateway_median_ms: +median(gatewayMs).toFixed(2),
  ratio_median: +(median(gatewayMs) / median(directMs)).toFixed(2),
  direct_p95_ms: +p95(directMs).toFixed(2),
  gateway_p95_ms: +p95(gatewayMs).toFixed(2),
  added_median_ms: +(median(gatewayMs) - median(directMs)).toFixed(2),
  rss_idle_mb: +(idleRss / 1024).toFixed(1),
  rss_after_mb: +(afterRss / 1024).toFixed(1),
  rss_ratio: +(afterRss / idleRss).toFixed(2),
  throughput_8_clients_per_s: +flood.toFixed(1),
};
console.log(JSON.stringify(result, null, 2));
daemon.kill("SIGTERM");
await daemon.exited;
await fake.close();
rmSync(root, { recursive: true, force: true });
