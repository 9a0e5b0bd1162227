// What the gateway benchmarks share: the fake provider answering a ~1 MB photo-like PNG, the executables (mediagen,
// the minimal gateway, a hello-world server; all compiled the same way), starting and stopping them, RSS and
// percentiles. Both gateways run as `bun build --compile` executables because the compiled dist/mediagen is what
// users run; the baselines are compiled with the same options (minify, bytecode) so that neither side pays for
// transpiling at start or carries a different runtime.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { buildExecutable } from "../build.ts";
import { makeNoisePng } from "../test/fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../test/fakes/openclacky.ts";
import { clackyConfig } from "../test/helpers.ts";

/** Width and height of the benchmark image: 600 x 560 random RGB pixels, an incompressible 1.06 MB PNG. */
export const IMAGE_SIZE = [600, 560] as const;

/** A running server process under test. */
export interface Gateway {
  name: string;
  url: string;
  pid: number;
  /** POSTs one image generation and resolves when its answer is read; throws on a non-2xx answer. */
  generate(prompt: string): Promise<void>;
  stop(): Promise<void>;
}

/** A temp folder for one benchmark run, removed on dispose. */
export function benchDir(): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), "mediagen-bench-"));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** The fake openclacky gateway answering every image request with the ~1 MB PNG (as base64 JSON, the dialect's way). */
export function startProvider(): FakeClacky {
  const fake = startFakeClacky();
  fake.image = makeNoisePng(IMAGE_SIZE[0], IMAGE_SIZE[1]);
  return fake;
}

/** Compiles a single-file server to an executable with the options build.ts uses (minify, bytecode, no autoload). */
export async function compile(entry: string, outfile: string): Promise<string> {
  const result = await Bun.build({
    entrypoints: [entry],
    minify: true,
    bytecode: true,
    sourcemap: "none",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
  });
  if (!result.success) throw new Error(`build of ${entry} failed:\n${result.logs.map(String).join("\n")}`);
  return outfile;
}

/** The mediagen executable to measure: $MEDIAGEN_BIN (e.g. an older build), else dist/mediagen, built if missing. */
export async function mediagenBinary(): Promise<string> {
  const given = process.env.MEDIAGEN_BIN;
  if (given) return resolve(given);
  const outfile = resolve("dist/mediagen");
  if (!existsSync(outfile)) await buildExecutable(outfile);
  return outfile;
}

/** A port below Linux's ephemeral range (32768 up), where client sockets would collide with a listener. */
const randomPort = () => 10000 + Math.floor(Math.random() * 20000);

/** Spawns a server on a random port until one binds (another process may hold the first pick); resolves once `health` answers. */
export async function spawnServer(command: (port: number) => string[], health: (port: number) => string, cwd?: string): Promise<{ proc: Bun.Subprocess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = randomPort();
    const proc = Bun.spawn(command(port), { stdout: "ignore", stderr: attempt < 5 ? "ignore" : "inherit", cwd });
    if (await waitReady(health(port), proc)) return { proc, port };
    if (attempt >= 5) throw new Error(`${command(port)[0]} did not start on 5 ports`);
  }
}

async function waitReady(url: string, proc: Bun.Subprocess): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if (proc.exitCode !== null) return false;
    if (await fetch(url).then((r) => r.ok).catch(() => false)) return true;
    await Bun.sleep(25);
  }
  proc.kill();
  throw new Error(`${url} did not answer`);
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 300)}`);
}

function stopper(proc: Bun.Subprocess): () => Promise<void> {
  return async () => {
    proc.kill("SIGTERM");
    await Promise.race([proc.exited, Bun.sleep(10_000)]);
    if (proc.exitCode === null) proc.kill("SIGKILL");
  };
}

/** Starts mediagen on a fresh data folder with image jobs at `concurrency` slots and a queue long enough never to refuse. */
export async function startMediagen(bin: string, fake: FakeClacky, root: string, concurrency: number): Promise<Gateway> {
  const dataDir = join(root, "mediagen-data");
  const outputDir = join(root, "mediagen-out");
  await Bun.write(join(dataDir, "config.yml"), stringify({ ...clackyConfig(fake.url, fake.key), jobs: { image: { concurrency, queue: 10_000 } } }));
  const { proc, port } = await spawnServer((p) => [bin, "--port", String(p), "--data-dir", dataDir], (p) => `http://127.0.0.1:${p}/api/health`, root);
  const url = `http://127.0.0.1:${port}`;
  return {
    name: "mediagen",
    url,
    pid: proc.pid,
    generate: (prompt) => post(`${url}/api/media/image`, { prompt, output_dir: outputDir }),
    stop: stopper(proc),
  };
}

/** Starts the minimal gateway (bench/minimal-gateway.ts, compiled to `bin`) with `concurrency` provider calls at once. */
export async function startMinimal(bin: string, fake: FakeClacky, root: string, concurrency: number): Promise<Gateway> {
  const outputDir = join(root, "minimal-out");
  const args = (p: number) => [bin, "--port", String(p), "--data-dir", join(root, "minimal-data"), "--provider", fake.url, "--key", fake.key, "--concurrency", String(concurrency)];
  const { proc, port } = await spawnServer(args, (p) => `http://127.0.0.1:${p}/health`, root);
  const url = `http://127.0.0.1:${port}`;
  return { name: "minimal", url, pid: proc.pid, generate: (prompt) => post(`${url}/image`, { prompt, output_dir: outputDir }), stop: stopper(proc) };
}

/** Compiles the minimal gateway into `dir` and returns the executable's path. */
export const minimalBinary = (dir: string) => compile(resolve(import.meta.dir, "minimal-gateway.ts"), join(dir, "minimal-gateway"));

/** A process's resident set size now, in MB (MiB). */
export async function rssMb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
}

/** The q-quantile (0..1) of the samples, nearest rank. */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A number with `digits` decimals, for the printed tables. */
export const fixed = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Reads `--name value` flags after the script name; each must be one of `defaults`' keys. */
export function flags<K extends string>(defaults: Record<K, number>): Record<K, number> {
  const out = { ...defaults };
  for (let i = 2; i + 1 < process.argv.length; i += 2) {
    const name = process.argv[i]!.replace(/^--/, "");
    if (!(name in defaults)) throw new Error(`unknown flag --${name}; known: ${Object.keys(defaults).join(", ")}`);
    out[name as K] = Number(process.argv[i + 1]);
  }
  return out;
}
