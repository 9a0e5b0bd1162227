// End-to-end fixtures: a real mediagen process on a free loopback port with its output captured,
// the real curl binary, and readers for the files the daemon writes. Loopback only, no network.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { stringify } from "yaml";
import { buildExecutable } from "../../build.ts";
import { tempDir } from "../helpers.ts";

/** The repository root (where package.json and server/ live). */
export const REPO_ROOT = resolve(import.meta.dir, "../..");

/** How long a daemon may take to answer /api/health on a slow shared machine. */
export const READY_TIMEOUT_MS = 45_000;

/** The command that starts the daemon from source, or the binary named by MEDIAGEN_BINARY. */
export function daemonCommand(): { cmd: string[]; cwd: string } {
  const binary = process.env.MEDIAGEN_BINARY;
  if (binary) return { cmd: [resolve(binary)], cwd: REPO_ROOT };
  const bun = existsSync(join(REPO_ROOT, "node_modules/.bin/bun")) ? join(REPO_ROOT, "node_modules/.bin/bun") : process.execPath;
  return { cmd: [bun, join(REPO_ROOT, "server/main.ts")], cwd: REPO_ROOT };
}

/** A port that was free a moment ago: bind port 0 on loopback, read the port, close it. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** A minimal environment: PATH without node_modules folders, no proxies, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const path = (process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin")
    .split(":")
    .filter((entry) => entry !== "" && !entry.includes("node_modules"))
    .join(":");
  const env: Record<string, string> = { PATH: path, LANG: "C.UTF-8", NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  if (process.env.HOME) env.HOME = process.env.HOME;
  return { ...env, ...extra };
}

/** Options for starting a daemon. */
export interface DaemonOptions {
  /** Executable and leading arguments (default: `daemonCommand()`). */
  cmd?: string[];
  cwd?: string;
  dataDir: string;
  host?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

/** A running daemon process. */
export interface Daemon {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`; rejects after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Waits for the exit code; SIGKILLs after `timeoutMs` and throws. */
  waitExit(timeoutMs?: number): Promise<number>;
  /** Sends `signal` and waits for the exit code; SIGKILLs after `timeoutMs` and throws. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
  /** SIGKILL if still running (for afterAll/finally). */
  dispose(): Promise<void>;
}

function collect(stream: ReadableStream<Uint8Array>): { text: () => string; done: Promise<void> } {
  let text = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
    text += decoder.decode();
  })().catch(() => {});
  return { text: () => text, done };
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function poll<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
    return response.ok && ((await response.json()) as { ok?: boolean }).ok === true;
  } catch {
    return false;
  }
}

/** Exit code of `proc`, or undefined if it is still running after `ms`. */
export async function exitWithin(proc: Subprocess, ms: number): Promise<number | undefined> {
  let timer: Timer | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the daemon on a free port (`--port 0` cannot be reported back, so a free port is picked first;
 * a lost race for it is retried) and waits until /api/health answers.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const base = options.cmd ?? daemonCommand().cmd;
  const cwd = options.cwd ?? daemonCommand().cwd;
  const host = options.host ?? "127.0.0.1";
  const timeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  let lastFailure = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const proc = Bun.spawn([...base, "serve", "--host", host, "--port", String(port), "--data-dir", options.dataDir], {
      cwd,
      env: options.env ?? cleanEnv(),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = collect(proc.stdout);
    const err = collect(proc.stderr);
    const url = `http://127.0.0.1:${port}`;
    const daemon: Daemon = {
      proc,
      port,
      url,
      dataDir: options.dataDir,
      stdout: out.text,
      stderr: err.text,
      waitForLine: (pattern, waitMs = 15_000) =>
        poll(() => out.text().split("\n").find((line) => pattern.test(line)), waitMs, `a log line matching ${pattern}`),
      async waitExit(waitMs = 20_000) {
        const code = await exitWithin(proc, waitMs);
        if (code === undefined) {
          proc.kill("SIGKILL");
          await proc.exited;
          throw new Error(`daemon did not exit within ${waitMs} ms\nstdout:\n${out.text()}\nstderr:\n${err.text()}`);
        }
        await Promise.all([out.done, err.done]);
        return code;
      },
      async stop(signal = "SIGTERM", waitMs = 20_000) {
        if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode ?? -1;
        proc.kill(signal);
        return daemon.waitExit(waitMs);
      },
      async dispose() {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill("SIGKILL");
          await proc.exited;
        }
      },
    };
    const ready = await poll(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return "exited" as const;
        return (await healthy(url)) ? ("up" as const) : undefined;
      },
      timeoutMs,
      `the daemon to answer ${url}/api/health`,
      100,
    ).catch(async (error: unknown) => {
      await daemon.dispose();
      throw new Error(`${String(error)}\nstdout:\n${out.text()}\nstderr:\n${err.text()}`);
    });
    if (ready === "up") return daemon;
    await Promise.all([out.done, err.done]);
    lastFailure = `exit ${proc.exitCode}\nstdout:\n${out.text()}\nstderr:\n${err.text()}`;
    if (!/cannot listen|in use/i.test(err.text())) break;
  }
  throw new Error(`daemon failed to start: ${lastFailure}`);
}

/** What curl printed and the HTTP status it saw. */
export interface CurlResult {
  status: number;
  body: string;
  json<T = Record<string, any>>(): T;
}

/** Runs the real curl binary with `args`, appending `-w` to learn the HTTP status. */
export async function curl(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CurlResult> {
  const marker = "\n__mediagen_http_status__";
  const proc = Bun.spawn(["curl", ...args, "-w", `${marker}%{http_code}`], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const at = stdout.lastIndexOf(marker);
  const status = at < 0 ? 0 : Number(stdout.slice(at + marker.length));
  const body = at < 0 ? stdout : stdout.slice(0, at);
  if (code !== 0 && status === 0) throw new Error(`curl exited ${code}: ${stderr.trim()}`);
  return {
    status,
    body,
    json<T>() {
      try {
        return JSON.parse(body) as T;
      } catch {
        throw new Error(`curl output is not JSON (HTTP ${status}): ${body.slice(0, 300)}`);
      }
    },
  };
}

/** The skill's request: `curl -s -X POST <url> -H "Content-Type: application/json" -d '<json>'`. */
export function postJson(url: string, body: unknown, extra: string[] = []): Promise<CurlResult> {
  return curl(["-s", "-X", "POST", url, "-H", "Content-Type: application/json", ...extra, "-d", JSON.stringify(body)]);
}

/** The skill's check: `curl -s <url>`. */
export function getJson(url: string, extra: string[] = []): Promise<CurlResult> {
  return curl(["-s", ...extra, url]);
}

/** POSTs `body` as the skill does, expects HTTP `status`, and returns the answer's JSON and its raw text. */
export async function postAnswer(
  url: string,
  body: unknown,
  status: number,
  extra: string[] = [],
): Promise<{ body: Record<string, any>; text: string }> {
  const response = await postJson(url, body, extra);
  expect(response.status).toBe(status);
  return { body: response.json(), text: response.body };
}

/** How the daemon names a file it saves: `<prefix>_<yyyymmdd>_<hhmmss>_<8 hex>.<one of extensions>`. */
export function savedName(prefix: "img" | "vid" | "tts", extensions: string): RegExp {
  return new RegExp(`^${prefix}_\\d{8}_\\d{6}_[0-9a-f]{8}\\.(${extensions})$`);
}

/** The bytes of a saved file, after checking it lies in `folder` and is named like `name`. */
export function savedBytes(path: string, folder: string, name: RegExp): Uint8Array {
  expect(path.startsWith(folder + "/")).toBe(true);
  expect(path.split("/").at(-1)).toMatch(name);
  return new Uint8Array(readFileSync(path));
}

/** The WAV header of `bytes`, after checking it is 24 kHz mono 16-bit PCM whose RIFF size matches its length. */
export function speechWav(bytes: Uint8Array): WavInfo {
  const wav = readWav(bytes);
  expect(wav).toMatchObject({ codec: 1, channels: 1, sampleRate: 24_000, bitsPerSample: 16 });
  expect(wav.riffSize).toBe(bytes.length - 8);
  return wav;
}

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A file's format from its magic bytes, whatever its name says. */
export function formatOf(bytes: Uint8Array): "png" | "jpeg" | "webp" | "wav" | "mp4" | "unknown" {
  const ascii = (from: number, to: number) => new TextDecoder().decode(bytes.subarray(from, to));
  if (PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE") return "wav";
  if (ascii(4, 8) === "ftyp") return "mp4";
  return "unknown";
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The format and data length of a RIFF/WAVE file, read chunk by chunk. */
export interface WavInfo {
  codec: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  riffSize: number;
  dataBytes: number;
  /** Where the data chunk's samples start. */
  dataOffset: number;
  durationSeconds: number;
}

/** Parses a WAV header; throws if it is not RIFF/WAVE with fmt and data chunks. */
export function readWav(bytes: Uint8Array): WavInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => new TextDecoder().decode(bytes.subarray(at, at + 4));
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error("not a RIFF/WAVE file");
  let offset = 12;
  let format: Pick<WavInfo, "codec" | "channels" | "sampleRate" | "bitsPerSample"> | undefined;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    if (id === "fmt ") {
      format = {
        codec: view.getUint16(offset + 8, true),
        channels: view.getUint16(offset + 10, true),
        sampleRate: view.getUint32(offset + 12, true),
        bitsPerSample: view.getUint16(offset + 22, true),
      };
    }
    if (id === "data") {
      if (!format) throw new Error("data chunk before fmt chunk");
      const bytesPerSecond = format.sampleRate * format.channels * (format.bitsPerSample / 8);
      return {
        ...format,
        riffSize: view.getUint32(4, true),
        dataBytes: size,
        dataOffset: offset + 8,
        durationSeconds: size / bytesPerSecond,
      };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error("no data chunk");
}

/** The ledger columns the lifecycle tests look at. */
export type LedgerRow = { id: string; status: string; error_type: string | null; prompt: string };

/** Reads ledger rows straight from `<dataDir>/mediagen.db` (for when the daemon is not running). */
export function readLedger(dataDir: string): LedgerRow[] {
  const db = new Database(join(dataDir, "mediagen.db"), { readonly: true });
  try {
    return db.query<LedgerRow, []>("SELECT id, status, error_type, prompt FROM generations ORDER BY seq").all();
  } finally {
    db.close();
  }
}

/** Reads one whole ledger row straight from `<dataDir>/mediagen.db` (for when the daemon is not running). */
export function readLedgerRow(dataDir: string, id: string): Record<string, unknown> | undefined {
  const db = new Database(join(dataDir, "mediagen.db"), { readonly: true });
  try {
    return db.query<Record<string, unknown>, [string]>("SELECT * FROM generations WHERE id = ?").get(id) ?? undefined;
  } finally {
    db.close();
  }
}

/** How long compiling the executable may take on a slow shared machine. */
export const BUILD_TIMEOUT_MS = 180_000;

/**
 * The executable to test, copied alone into `<root>/run` so it starts from an empty folder: MEDIAGEN_BINARY
 * when set, else a fresh build from this checkout into `<root>/build`.
 */
export async function prepareExecutable(root: string): Promise<{ binary: string; runDir: string }> {
  let source = process.env.MEDIAGEN_BINARY;
  if (!source) {
    const out = join(root, "build", "mediagen");
    const cwd = process.cwd();
    // build.ts names its entry point relative to the repository root.
    process.chdir(REPO_ROOT);
    try {
      source = await buildExecutable(out);
    } finally {
      process.chdir(cwd);
    }
  }
  const runDir = join(root, "run");
  mkdirSync(runDir, { recursive: true });
  const binary = join(runDir, "mediagen");
  copyFileSync(source, binary);
  chmodSync(binary, 0o755);
  return { binary, runDir };
}

/** Writes `<dataDir>/config.yml` (0600) in one rename, so a running daemon never reads half a file. */
export function writeConfig(dataDir: string, config: Record<string, unknown>): void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "config.yml");
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, stringify(config), { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * A test file's fake provider (started before its tests) and the daemons and temp folders its tests make, all
 * disposed of after them: daemons first, then the fake, then the folders.
 */
export function daemonFixture<Fake extends { close(): Promise<void> }>(startFake: () => Fake, prefix: string) {
  let fake: Fake | undefined;
  const dirs: { [Symbol.dispose](): void }[] = [];
  const daemons: Daemon[] = [];
  beforeAll(() => {
    fake = startFake();
  });
  afterAll(async () => {
    await Promise.all(daemons.map((daemon) => daemon.dispose()));
    await fake?.close();
    for (const dir of dirs) dir[Symbol.dispose]();
  });
  return {
    get fake(): Fake {
      if (!fake) throw new Error("the fake starts in beforeAll");
      return fake;
    },
    /** A new temp folder named from `prefix`, removed after all tests. */
    folder(): string {
      const dir = tempDir(prefix);
      dirs.push(dir);
      return dir.path;
    },
    /** Starts a daemon (see startDaemon) killed after all tests if still running. */
    async launch(options: DaemonOptions): Promise<Daemon> {
      const daemon = await startDaemon(options);
      daemons.push(daemon);
      return daemon;
    },
  };
}
