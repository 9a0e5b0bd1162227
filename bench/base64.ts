// A big base64 image through the daemon: a fake openclacky gateway on 127.0.0.1 answers each image request with a JSON
// body of SIZE MB holding one b64_json PNG (a valid structure around incompressible data). Per request: the daemon's
// peak RSS growth over its idle RSS, against the JSON size as baseline (what one copy of the answer costs); after all
// requests: its RSS against idle. RSS is sampled from /proc every 10 ms.
// Run: bun bench/base64.ts [json_mb=50] [requests=5]
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { clackyConfig } from "../test/helpers.ts";

const jsonMb = Number(process.argv[2] ?? 50);
const requests = Number(process.argv[3] ?? 5);
const root = mkdtempSync(join(tmpdir(), "mediagen-bench-base64-"));
const png = bigPng(Math.floor((jsonMb * 1e6 * 3) / 4) - 200);
const body = new TextEncoder().encode(JSON.stringify({ data: [{ b64_json: Buffer.from(png).toString("base64"), mime_type: "image/png" }], cost_usd: 0.04 }));

const key = "bench-key-0123456789abcdef";
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  fetch(request) {
    if (new URL(request.url).pathname.endsWith("/images/generations")) return new Response(body, { headers: { "content-type": "application/json" } });
    return Response.json({ error: { message: "unknown" } }, { status: 404 });
  },
});
const base = `http://127.0.0.1:${server.port}`;
const dataDir = join(root, "data");
await Bun.write(join(dataDir, "config.yml"), stringify({ ...clackyConfig(base, key), jobs: { image: { max_attempts: 1 } } }));
const port = 7400 + Math.floor(Math.random() * 500);
const daemon = Bun.spawn([process.execPath, "server/main.ts", "--port", String(port), "--data-dir", dataDir], { stdout: "ignore", stderr: "inherit" });
const api = `http://127.0.0.1:${port}`;
for (let i = 0; i < 400; i++) {
  if (await fetch(`${api}/api/health`).then((r) => r.ok).catch(() => false)) break;
  await Bun.sleep(50);
}

const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"))?.[1] ?? 0);

async function generate(i: number): Promise<{ ms: number; peakKb: number }> {
  let peakKb = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peakKb = Math.max(peakKb, rssKb());
      await Bun.sleep(10);
    }
  })();
  const started = performance.now();
  const response = await fetch(`${api}/api/media/image`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: `bench ${i}`, output_dir: join(root, "work") }) });
  const answer = (await response.json()) as Record<string, unknown>;
  const ms = performance.now() - started;
  running = false;
  await sampler;
  if (answer.success !== true || typeof answer.image !== "string") throw new Error(`daemon failed: ${JSON.stringify(answer).slice(0, 400)}`);
  if (statSync(answer.image).size !== png.length) throw new Error("the daemon saved a different size");
  rmSync(answer.image);
  return { ms, peakKb };
}

await Bun.sleep(1000);
const idleKb = rssKb();
const runs: { ms: number; peakKb: number }[] = [];
for (let i = 0; i < requests; i++) runs.push(await generate(i));
await Bun.sleep(2000);
const afterKb = rssKb();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (kb: number) => +(kb / 1024).toFixed(1);
const jsonMib = body.length / 1048576;
const growthKb = median(runs.map((r) => r.peakKb - idleKb));
console.log(
  JSON.stringify(
    {
      json_mib: +jsonMib.toFixed(1),
      image_mib: +(png.length / 1048576).toFixed(1),
      requests,
      baseline_json_mib: +jsonMib.toFixed(1),
      mediagen_peak_rss_growth_mib: mib(growthKb),
      ratio_growth_to_json: +(growthKb / 1024 / jsonMib).toFixed(2),
      mediagen_idle_rss_mib: mib(idleKb),
      mediagen_rss_after_mib: mib(afterKb),
      ratio_after_to_idle: +(afterKb / idleKb).toFixed(2),
      median_ms: Math.round(median(runs.map((r) => r.ms))),
      peaks_mib: runs.map((r) => mib(r.peakKb)),
    },
    null,
    2,
  ),
);
daemon.kill("SIGTERM");
await daemon.exited;
await server.stop(true);
rmSync(root, { recursive: true, force: true });

/** A PNG of about `bytes` bytes that passes the structure check: signature, IHDR (4096x4096 RGB), one IDAT of random data, IEND. */
function bigPng(bytes: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    new DataView(out.buffer).setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    return out;
  };
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, 4096);
  new DataView(header.buffer).setUint32(4, 4096);
  header.set([8, 2, 0, 0, 0], 8);
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", new Uint8Array(randomBytes(bytes - 57))), chunk("IEND", new Uint8Array())]);
}
