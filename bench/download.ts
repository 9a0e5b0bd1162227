// A big video through the daemon: a fake openclacky gateway on 127.0.0.1 answers a video request with a URL to a
// structurally valid MP4 of SIZE MiB (ftyp, moov, one large mdat); the daemon downloads, checks and saves it. Baseline:
// `curl -o` of the same URL plus an fsync, in the same run. Both are sampled for RSS from /proc every 10 ms.
// With "chunked" the fake sends the file without a Content-Length (the daemon's read loop with the cap checked per chunk).
// Run: bun bench/download.ts [size_mib=1024] [rounds=3] [chunked]
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { clackyConfig } from "../test/helpers.ts";

const sizeMib = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 3);
const chunked = process.argv[4] === "chunked";
const root = mkdtempSync(join(tmpdir(), "mediagen-bench-download-"));
const source = join(root, "source.mp4");
writeMp4(source, sizeMib * 1048576);

const key = "bench-key-0123456789abcdef";
let base = "";
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  fetch(request): Response {
    const path = new URL(request.url).pathname;
    if (path === "/files/video.mp4") return new Response(chunked ? withoutLength() : Bun.file(source), { headers: { "content-type": "video/mp4" } });
    if (path.endsWith("/videos/generations")) {
      return Response.json({ data: [{ url: `${base}/files/video.mp4`, mime_type: "video/mp4" }], duration_seconds: 8, cost_usd: 2.688 });
    }
    return Response.json({ error: { message: "unknown" } }, { status: 404 });
  },
});
base = `http://127.0.0.1:${server.port}`;

/** The source as a stream Bun cannot size, so it goes out chunked (Bun gives a file's own stream a Content-Length). */
function withoutLength(): ReadableStream<Uint8Array> {
  const reader = Bun.file(source).stream().getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
}

const dataDir = join(root, "data");
await Bun.write(join(dataDir, "config.yml"), stringify({ ...clackyConfig(base, key), jobs: { video: { timeout_seconds: 3600, max_attempts: 1 } } }));
const port = 7400 + Math.floor(Math.random() * 500);
const daemon = Bun.spawn([process.execPath, "server/main.ts", "--port", String(port), "--data-dir", dataDir], { stdout: "ignore", stderr: "inherit" });
const api = `http://127.0.0.1:${port}`;
for (let i = 0; i < 400; i++) {
  if (await fetch(`${api}/api/health`).then((r) => r.ok).catch(() => false)) break;
  await Bun.sleep(50);
}

/** VmRSS and VmHWM of a process, in KiB (0 once it has exited). */
function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), hwm: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** Runs `work` while sampling the RSS of `pid` every 10 ms: wall time and the highest RSS seen, in KiB. */
async function sampled(pid: () => number | undefined, work: () => Promise<void>): Promise<{ ms: number; peakKb: number }> {
  let peakKb = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const id = pid();
      if (id) peakKb = Math.max(peakKb, memory(id).rss);
      await Bun.sleep(10);
    }
  })();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  running = false;
  await sampler;
  return { ms, peakKb };
}

async function viaCurl(round: number): Promise<{ ms: number; peakKb: number }> {
  const out = join(root, `curl-${round}.mp4`);
  let pid: number | undefined;
  const result = await sampled(
    () => pid,
    async () => {
      const proc = Bun.spawn(["curl", "-sf", "-o", out, `${base}/files/video.mp4`], { stdout: "ignore", stderr: "inherit" });
      pid = proc.pid;
      if ((await proc.exited) !== 0) throw new Error("curl failed");
      const fd = openSync(out, "r");
      fsyncSync(fd);
      closeSync(fd);
    },
  );
  if (statSync(out).size !== statSync(source).size) throw new Error("curl saved a different size");
  rmSync(out);
  return result;
}

async function viaDaemon(round: number): Promise<{ ms: number; peakKb: number; idleKb: number; afterKb: number }> {
  const idleKb = memory(daemon.pid).rss;
  let answer: Record<string, unknown> = {};
  const result = await sampled(
    () => daemon.pid,
    async () => {
      const response = await fetch(`${api}/api/media/video`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: `bench ${round}`, output_dir: join(root, "work"), duration_seconds: 8 }),
      });
      answer = (await response.json()) as Record<string, unknown>;
    },
  );
  const path = answer.video;
  if (answer.success !== true || typeof path !== "string") throw new Error(`daemon failed: ${JSON.stringify(answer).slice(0, 400)}`);
  if (statSync(path).size !== statSync(source).size) throw new Error("the daemon saved a different size");
  rmSync(path);
  await Bun.sleep(500);
  return { ...result, idleKb, afterKb: memory(daemon.pid).rss };
}

const curlRuns: { ms: number; peakKb: number }[] = [];
const daemonRuns: { ms: number; peakKb: number; idleKb: number; afterKb: number }[] = [];
const idleKb = memory(daemon.pid).rss;
for (let round = 0; round < rounds; round++) {
  curlRuns.push(await viaCurl(round));
  daemonRuns.push(await viaDaemon(round));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (kb: number) => +(kb / 1024).toFixed(1);
const curlMs = median(curlRuns.map((r) => r.ms));
const daemonMs = median(daemonRuns.map((r) => r.ms));
// Growth over the daemon's RSS before the first download: what it retains from one download counts in the next.
const growth = daemonRuns.map((r) => r.peakKb - idleKb);
console.log(
  JSON.stringify(
    {
      size_mib: sizeMib,
      content_length: !chunked,
      rounds,
      baseline_curl_fsync_ms: Math.round(curlMs),
      mediagen_ms: Math.round(daemonMs),
      ratio_time: +(daemonMs / curlMs).toFixed(2),
      baseline_curl_peak_rss_mib: mib(median(curlRuns.map((r) => r.peakKb))),
      mediagen_idle_rss_mib: mib(idleKb),
      mediagen_peak_rss_growth_mib: mib(median(growth)),
      mediagen_peak_rss_growth_max_mib: mib(Math.max(...growth)),
      mediagen_rss_after_mib: mib(daemonRuns.at(-1)!.afterKb),
      mediagen_vmhwm_mib: mib(memory(daemon.pid).hwm),
      runs_ms: { curl: curlRuns.map((r) => Math.round(r.ms)), mediagen: daemonRuns.map((r) => Math.round(r.ms)) },
    },
    null,
    2,
  ),
);
daemon.kill("SIGTERM");
await daemon.exited;
await server.stop(true);
rmSync(root, { recursive: true, force: true });

/** A structurally valid MP4 of exactly `bytes` bytes: ftyp, moov (mvhd, 8 s), and an mdat of pseudo-random filler. */
function writeMp4(path: string, bytes: number): void {
  const box = (type: string, body: Uint8Array) => {
    const out = new Uint8Array(8 + body.length);
    new DataView(out.buffer).setUint32(0, out.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(body, 8);
    return out;
  };
  const mvhd = new Uint8Array(100);
  const view = new DataView(mvhd.buffer);
  view.setUint32(12, 1000);
  view.setUint32(16, 8000);
  view.setUint32(20, 0x00010000);
  view.setUint16(24, 0x0100);
  view.setUint32(96, 1);
  const head = Buffer.concat([box("ftyp", new TextEncoder().encode("mp42\0\0\0\0mp42isom")), box("moov", box("mvhd", mvhd))]);
  const mdatHeader = new Uint8Array(8);
  new DataView(mdatHeader.buffer).setUint32(0, bytes - head.length);
  mdatHeader.set(new TextEncoder().encode("mdat"), 4);
  const fd = openSync(path, "w");
  writeSync(fd, head);
  writeSync(fd, mdatHeader);
  const block = new Uint8Array(randomBytes(1048576));
  let left = bytes - head.length - 8;
  while (left > 0) {
    const n = Math.min(left, block.length);
    writeSync(fd, block, 0, n);
    left -= n;
  }
  closeSync(fd);
}
