// The fault table of issue 8: one row per fault a broken disk, a second daemon, a crash, a misbehaving gateway or
// an idle-socket flood can cause, each injected into a real daemon process (from source, or MEDIAGEN_BINARY) and
// each stating the answer it expects. After every row: the daemon still answers /api/health with JSON, no paid
// result is lost (a billed answer is a file on disk or a failed row that keeps its cost), the ledger holds one row
// per accepted job, and `PRAGMA integrity_check` is ok. Disk faults need root (a tmpfs in the daemon's own mount
// namespace, the immutable attribute); where this machine cannot inject a fault its row skips and says why.
// Loopback only, bounded in sockets, bytes and time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "bun";
import {
  cleanEnv,
  curl,
  daemonCommand,
  exitWithin,
  formatOf,
  freePort,
  poll,
  postJson,
  startDaemon,
  writeConfig,
  type CurlResult,
  type Daemon,
} from "./daemon.ts";
import {
  fillDisk,
  GATEWAY_COST_USD,
  gatewayConfig,
  immutableUnavailable,
  inMountNamespace,
  inspectLedger,
  inspectLedgerIn,
  peakRssMib,
  removeTree,
  setImmutable,
  socketsUnavailable,
  startFaultyGateway,
  tmpfsUnavailable,
  withFdLimit,
  type FaultyGateway,
} from "./faults-helpers.ts";

const ROW_TIMEOUT_MS = 60_000;
/** Idle timeout the daemons of this file run with, in seconds (MEDIAGEN_IDLE_TIMEOUT_SECONDS). */
const IDLE_SECONDS = 2;
/** Descriptors the flooded daemon may hold, and idle sockets opened against it: past its limit, bounded. */
const FLOOD_FD_LIMIT = 1024;
const FLOOD_SOCKETS = 1100;
/** An upstream answer far past any plausible image, streamed only as fast as the daemon reads it. */
const OVERSIZED_BODY_BYTES = 1536 * 1048576;
/** Peak memory the daemon may reach while refusing that body, in MiB: it must not buffer it whole. */
const OVERSIZED_PEAK_RSS_MIB = 1024;
/** How soon a second daemon must give up, in ms. */
const REFUSAL_MS = 10_000;

const root = mkdtempSync(join(tmpdir(), "mediagen-e2e-faults-"));
const cannot = { tmpfs: tmpfsUnavailable(root), immutable: immutableUnavailable(root), flood: socketsUnavailable(FLOOD_SOCKETS) };
let gateway: FaultyGateway;
const daemons: Daemon[] = [];
const spawned: ReturnType<typeof Bun.spawn>[] = [];
let cases = 0;

/** A daemon under test: its process, where its files are seen from here, and how many jobs it accepted. */
interface Target {
  daemon: Daemon;
  dataDir: string;
  /** Prefix that reaches the daemon's view of the file system (its mount namespace), "" when it shares ours. */
  view: string;
  accepted: number;
}

beforeAll(() => {
  gateway = startFaultyGateway();
});

afterAll(async () => {
  gateway?.abandon();
  for (const proc of spawned) proc.kill("SIGKILL");
  await Promise.all(daemons.map((daemon) => daemon.dispose()));
  await gateway?.close();
  removeTree(root);
});

const env = (extra: Record<string, string> = {}) => cleanEnv({ MEDIAGEN_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS), ...extra });

/** A fresh folder for one row. */
function folder(name: string): string {
  const dir = join(root, `${++cases}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts a daemon on a fresh data folder with the gateway configured. */
async function launch(name: string, options: { config?: Record<string, unknown>; cmd?: string[]; dataDir?: string } = {}): Promise<Target> {
  const dataDir = options.dataDir ?? join(folder(name), "data");
  if (!options.dataDir) writeConfig(dataDir, options.config ?? gatewayConfig(gateway));
  const daemon = await startDaemon({ dataDir, env: env(), cmd: options.cmd });
  daemons.push(daemon);
  return { daemon, dataDir, view: "", accepted: 0 };
}

/** Starts a daemon whose data folder is a tmpfs of `dataMib` in its own mount namespace, with `extra` tmpfs folders. */
async function launchOnTmpfs(name: string, dataMib: number, extra: { dir: string; mib: number }[]): Promise<Target> {
  const base = folder(name);
  const seed = join(base, "seed");
  writeConfig(seed, gatewayConfig(gateway));
  const dataDir = join(base, "data");
  const daemon = await startDaemon({ dataDir, env: env(), cmd: inMountNamespace([{ dir: dataDir, mib: dataMib, seedFrom: seed }, ...extra]) });
  daemons.push(daemon);
  return { daemon, dataDir, view: `/proc/${daemon.proc.pid}/root`, accepted: 0 };
}

let plainTarget: Promise<Target> | undefined;
/** One daemon shared by the rows that need nothing special from it. */
const plain = () => (plainTarget ??= launch("plain"));

/** A prompt with a unique marker. */
const marked = (text: string) => `${text} m-${crypto.randomUUID().slice(0, 8)}`;

/** POST /api/media/image through curl, bounded in time. */
const generate = (target: Target, body: Record<string, unknown>) => postJson(`${target.daemon.url}/api/media/image`, body, ["--max-time", "90"]);

/** Starts a generation whose upstream answer is held until `inject` has run; returns the daemon's answer. */
async function duringCall(target: Target, body: Record<string, unknown>, inject: () => void | Promise<void>): Promise<CurlResult> {
  const seen = gateway.received.length;
  gateway.holding = true;
  const pending = generate(target, body);
  try {
    await gateway.arrived(seen + 1);
    await inject();
  } finally {
    gateway.holding = false;
    gateway.release();
  }
  return pending;
}

/** The /api/health answer, as JSON; throws when the daemon does not answer with JSON within `ms`. */
async function health(target: Target, ms = 5000): Promise<Record<string, any>> {
  const response = await fetch(`${target.daemon.url}/api/health`, { signal: AbortSignal.timeout(ms) });
  expect(response.headers.get("content-type") ?? "").toContain("application/json");
  return (await response.json()) as Record<string, any>;
}

/** The ledger rows and integrity verdict of a daemon's database, read the way the daemon sees its files. */
function ledger(target: Target) {
  const path = join(target.dataDir, "mediagen.db");
  return target.view === "" ? inspectLedger(path) : inspectLedgerIn(target.daemon.proc.pid, path);
}
/** How many refused requests the ledger counts (a refused row stands for refusal_count of them). */
const refusals = (target: Target) => ledger(target).rows.reduce((sum, row) => sum + (row.refusal_count ?? 0), 0);
const rowOf = (target: Target, prompt: string) => ledger(target).rows.find((row) => row.prompt.includes(prompt.slice(-10)));

/**
 * The invariants every row ends with: the daemon is alive and answers /api/health with JSON; every answer the
 * gateway billed is a saved file or a failed row that keeps a cost (or says why it is unknown); one ledger row
 * per accepted job (requests refused before any provider call have rows of their own, with a refusal count); the
 * database passes `PRAGMA integrity_check`.
 */
async function invariants(target: Target): Promise<void> {
  expect(target.daemon.proc.exitCode).toBeNull();
  await health(target);
  const { rows, integrity } = ledger(target);
  const jobs = rows.filter((row) => row.refusal_count === null);
  expect(jobs.length).toBe(target.accepted);
  for (const row of jobs) {
    const marker = /m-[0-9a-f]{8}/.exec(row.prompt)?.[0];
    if (!marker || !gateway.billed.some((prompt) => prompt.includes(marker))) continue;
    if (row.status === "succeeded") {
      expect(row.output_path).toBeString();
      expect(existsSync(`${target.view}${row.output_path}`)).toBe(true);
      continue;
    }
    expect({ id: row.id, status: row.status, kept: (row.cost_usd !== null && row.cost_usd > 0) || Boolean(row.cost_note) }).toEqual({ id: row.id, status: row.status, kept: true });
  }
  expect(integrity).toBe("ok");
}

/**
 * The answer to a request refused before the provider was called: 400 invalid_argument naming output_dir, no
 * upstream request, no job; the refusal itself is recorded (status `refused` in the API).
 */
async function refusedBeforeCall(target: Target, outputDir: string): Promise<void> {
  const seen = gateway.received.length;
  const refusedBefore = refusals(target);
  const answer = await generate(target, { prompt: marked("refused"), output_dir: outputDir });
  expect(answer.status).toBe(400);
  expect(answer.json()).toMatchObject({ success: false, error_type: "invalid_argument", field: "output_dir" });
  expect(gateway.received.length).toBe(seen);
  // Repeats of the same refusal within a minute fold into one row whose count grows.
  expect(refusals(target)).toBe(refusedBefore + 1);
}

/** A success saved into the default output folder instead of `requested`, saying so. */
function savedToDefault(target: Target, answer: CurlResult, requested: string): string {
  expect(answer.status).toBe(200);
  const body = answer.json();
  expect(body).toMatchObject({ success: true, saved_to_default_dir: true });
  expect(body.warning).toBeString();
  const path = String(body.image);
  expect(path.startsWith(requested)).toBe(false);
  expect(path.startsWith(join(target.dataDir, "output"))).toBe(true);
  expect(formatOf(readFileSync(`${target.view}${path}`))).toBe("png");
  return path;
}

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((name) => name.endsWith(".png")) : []);

/** A second `mediagen serve`, expected to give up at once; its exit code (undefined: still running) and output. */
async function secondDaemon(dataDir: string, port: number): Promise<{ code: number | undefined; output: string; ms: number }> {
  const { cmd, cwd } = daemonCommand();
  const started = Date.now();
  const proc = Bun.spawn([...cmd, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir], { cwd, env: env(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  const code = await exitWithin(proc, REFUSAL_MS);
  if (code === undefined) proc.kill("SIGKILL");
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, output: stdout + stderr, ms: Date.now() - started };
}

/** Starts the daemon on a given port (a restart where the last one was killed); throws if it is not up within 10 s. */
async function startOnPort(dataDir: string, port: number): Promise<Daemon> {
  const { cmd, cwd } = daemonCommand();
  const proc = Bun.spawn([...cmd, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir], { cwd, env: env(), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const output = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then((parts) => parts.join(""));
  const url = `http://127.0.0.1:${port}`;
  const daemon = {
    proc,
    port,
    url,
    dataDir,
    dispose: async () => {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  } as unknown as Daemon;
  daemons.push(daemon);
  await poll(
    async () => {
      if (proc.exitCode !== null) throw new Error(`the restarted daemon exited ${proc.exitCode}: ${await output}`);
      const answer = await curl(["-s", "--max-time", "2", `${url}/api/health`]).catch(() => undefined);
      return answer?.status === 200 ? true : undefined;
    },
    REFUSAL_MS,
    "the restarted daemon to answer /api/health",
    100,
  );
  return daemon;
}

/** GET /api/costs/summary's totals. */
async function costTotals(target: Target): Promise<{ cost_usd: number; unknown_cost_count: number }> {
  return (await curl(["-s", `${target.daemon.url}/api/costs/summary`])).json<{ total: { cost_usd: number; unknown_cost_count: number } }>().total;
}

describe("an output folder that cannot take the result", () => {
  test("output_dir is a file → 400 invalid_argument naming output_dir; the provider is never called", async () => {
    const target = await plain();
    const file = join(folder("file"), "not-a-folder");
    writeFileSync(file, "x");
    await refusedBeforeCall(target, file);
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test("output_dir is a named pipe → 400 invalid_argument naming output_dir; the provider is never called", async () => {
    const target = await plain();
    const fifo = join(folder("fifo"), "pipe");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    await refusedBeforeCall(target, fifo);
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test("output_dir contains a NUL byte → 400 invalid_argument naming output_dir; the provider is never called", async () => {
    const target = await plain();
    await refusedBeforeCall(target, `${folder("nul")}/a\u0000b`);
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test("output_dir is under /proc → 400 invalid_argument naming output_dir; the provider is never called", async () => {
    const target = await plain();
    await refusedBeforeCall(target, "/proc/self");
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test.skipIf(cannot.immutable !== undefined)(
    `output_dir is read-only (chattr +i) → 400 invalid_argument naming output_dir; the provider is never called${cannot.immutable ? ` [skipped: ${cannot.immutable}]` : ""}`,
    async () => {
      const target = await plain();
      const dir = folder("read-only");
      setImmutable([dir], true);
      try {
        await refusedBeforeCall(target, dir);
      } finally {
        setImmutable([dir], false);
      }
      await invariants(target);
    },
    ROW_TIMEOUT_MS,
  );

  test.skipIf(cannot.immutable !== undefined)(
    `output folder turns read-only while the provider works (chattr +i) → 200, saved into the default output folder with a warning, cost recorded${cannot.immutable ? ` [skipped: ${cannot.immutable}]` : ""}`,
    async () => {
      const target = await plain();
      const out = folder("turns-read-only");
      const generated = join(out, "assets", "generated");
      mkdirSync(generated, { recursive: true });
      const prompt = marked("folder turns read-only");
      target.accepted++;
      let answer: CurlResult;
      try {
        answer = await duringCall(target, { prompt, output_dir: out }, () => setImmutable([generated], true));
      } finally {
        setImmutable([generated], false);
      }
      const path = savedToDefault(target, answer, out);
      expect(rowOf(target, prompt)).toMatchObject({ status: "succeeded", output_path: path, cost_usd: GATEWAY_COST_USD });
      await invariants(target);
    },
    ROW_TIMEOUT_MS,
  );

  test.skipIf(cannot.immutable !== undefined)(
    `output folder and the default output folder both turn read-only while the provider works → a JSON failure that keeps the cost (answer and ledger)${cannot.immutable ? ` [skipped: ${cannot.immutable}]` : ""}`,
    async () => {
      const target = await plain();
      const out = folder("both-read-only");
      const generated = join(out, "assets", "generated");
      const fallback = join(target.dataDir, "output", "assets", "generated");
      mkdirSync(generated, { recursive: true });
      mkdirSync(fallback, { recursive: true });
      const prompt = marked("both folders turn read-only");
      target.accepted++;
      let answer: CurlResult;
      try {
        answer = await duringCall(target, { prompt, output_dir: out }, () => setImmutable([generated, fallback], true));
      } finally {
        setImmutable([generated, fallback], false);
      }
      expect(answer.status).toBeGreaterThanOrEqual(500);
      expect(answer.json()).toMatchObject({ success: false, error_type: "storage_error", cost_usd: GATEWAY_COST_USD });
      expect(rowOf(target, prompt)).toMatchObject({ status: "failed", error_type: "storage_error", cost_usd: GATEWAY_COST_USD });
      await invariants(target);
    },
    ROW_TIMEOUT_MS,
  );
});

/** A marked generation into `outputDir` while the disk holding `disk` (as the daemon sees it) is filled; returns the filler to remove. */
async function callWhileFilling(target: Target, what: string, outputDir: string, disk: string) {
  const prompt = marked(what);
  target.accepted++;
  let filler = "";
  const answer = await duringCall(target, { prompt, output_dir: outputDir }, () => {
    filler = fillDisk(`${target.view}${disk}`);
  });
  return { prompt, answer, filler };
}

/** The answer is a 503 storage_error naming the saved PNG, and /api/health says the storage is not ok. */
async function expectStorageError(target: Target, answer: CurlResult): Promise<void> {
  expect(answer.status).toBe(503);
  const body = answer.json();
  expect(body).toMatchObject({ success: false, error_type: "storage_error" });
  expect(formatOf(readFileSync(String(body.image)))).toBe("png");
  const sick = await health(target);
  expect(sick.ok).toBe(false);
  expect(sick.storage).toMatchObject({ ok: false });
}

/** Once /api/health is ok again the generation is recorded as succeeded, with the file the answer named and its cost; the invariants hold. */
async function expectRecordedOnceHealthy(target: Target, prompt: string, answer: CurlResult): Promise<void> {
  await poll(async () => ((await health(target)).ok === true ? true : undefined), 20_000, "/api/health to be ok again", 250);
  expect(rowOf(target, prompt)).toMatchObject({ status: "succeeded", output_path: answer.json().image, cost_usd: GATEWAY_COST_USD });
  await invariants(target);
}

describe.skipIf(cannot.tmpfs !== undefined)(`full disks (a tmpfs in the daemon's mount namespace)${cannot.tmpfs ? ` [skipped: ${cannot.tmpfs}]` : ""}`, () => {
  let target: Target;
  let small: string;
  let fillable: string;
  let spare: string;
  beforeAll(async () => {
    const base = folder("disks");
    small = join(base, "small");
    fillable = join(base, "fillable");
    spare = join(base, "spare");
    mkdirSync(spare, { recursive: true });
    target = await launchOnTmpfs("tmpfs", 16, [
      { dir: small, mib: 4 },
      { dir: fillable, mib: 24 },
    ]);
  }, ROW_TIMEOUT_MS);

  test("output_dir on a disk with less free space than a result needs → 400 invalid_argument naming output_dir; the provider is never called", async () => {
    await refusedBeforeCall(target, small);
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test("output folder's disk fills while the provider works → 200, saved into the default output folder with a warning, cost recorded", async () => {
    const { prompt, answer, filler } = await callWhileFilling(target, "folder fills", fillable, fillable);
    rmSync(filler, { force: true });
    const path = savedToDefault(target, answer, fillable);
    expect(rowOf(target, prompt)).toMatchObject({ status: "succeeded", output_path: path, cost_usd: GATEWAY_COST_USD });
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test("database disk fills mid-job → the daemon stays up, a JSON storage_error naming the saved file, /api/health not ok; all recorded once space returns", async () => {
    const { prompt, answer, filler } = await callWhileFilling(target, "ledger disk fills", spare, target.dataDir);
    try {
      await expectStorageError(target, answer);
    } finally {
      rmSync(filler, { force: true });
    }
    await expectRecordedOnceHealthy(target, prompt, answer);
  }, ROW_TIMEOUT_MS);
});

describe("a database that turns read-only mid-job", () => {
  test.skipIf(cannot.immutable !== undefined)(
    `chattr +i on mediagen.db, its WAL and the data folder mid-job → the daemon stays up, a JSON storage_error naming the saved file, /api/health not ok; all recorded once writable${cannot.immutable ? ` [skipped: ${cannot.immutable}]` : ""}`,
    async () => {
      const target = await launch("read-only-db");
      const out = folder("read-only-db-out");
      const db = join(target.dataDir, "mediagen.db");
      const locked = [db, `${db}-wal`, target.dataDir];
      const prompt = marked("ledger turns read-only");
      target.accepted++;
      let answer: CurlResult;
      try {
        answer = await duringCall(target, { prompt, output_dir: out }, () => setImmutable(locked, true));
        await expectStorageError(target, answer);
      } finally {
        setImmutable(locked, false);
      }
      await expectRecordedOnceHealthy(target, prompt, answer);
    },
    ROW_TIMEOUT_MS,
  );
});

describe("a database deleted while the daemon runs", () => {
  test("rm mediagen.db (and its WAL) under a running daemon → /api/health not ok naming it, new jobs refused with 503 storage_error before the provider is called; a restart starts a new ledger", async () => {
    const first = await launch("deleted-db");
    const db = join(first.dataDir, "mediagen.db");
    for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
    const sick = await health(first);
    expect(sick.ok).toBe(false);
    expect(String(sick.storage?.error)).toContain("mediagen.db");
    const seen = gateway.received.length;
    const refused = await generate(first, { prompt: marked("after the ledger was deleted") });
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ success: false, error_type: "storage_error" });
    expect(gateway.received.length).toBe(seen);
    expect(await first.daemon.stop()).toBe(0);
    const restarted = await launch("deleted-db-restarted", { dataDir: first.dataDir });
    expect((await health(restarted)).ok).toBe(true);
    await invariants(restarted);
  }, ROW_TIMEOUT_MS);
});

describe("one daemon per port and per data folder", () => {
  let target: Target;
  beforeAll(async () => {
    target = await launch("first");
  }, ROW_TIMEOUT_MS);

  test("a second daemon on the same port (other data folder) → exits at once, non-zero, naming the port; the first one's job finishes", async () => {
    const prompt = marked("kept while a second daemon takes the port");
    target.accepted++;
    let second!: Awaited<ReturnType<typeof secondDaemon>>;
    const answer = await duringCall(target, { prompt }, async () => {
      second = await secondDaemon(join(folder("other-data"), "data"), target.daemon.port);
    });
    expect(second.code ?? "still running").not.toBe(0);
    expect(second.code).toBeNumber();
    expect(second.output).toContain(String(target.daemon.port));
    expect(answer.json()).toMatchObject({ success: true });
    expect((await health(target)).ok).toBe(true);
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test("a second daemon on the same data folder (other port) → exits at once, non-zero, naming the folder and PID N; the first one's running job is untouched", async () => {
    const prompt = marked("kept while a second daemon takes the data folder");
    target.accepted++;
    let second!: Awaited<ReturnType<typeof secondDaemon>>;
    let during = "";
    const answer = await duringCall(target, { prompt }, async () => {
      second = await secondDaemon(target.dataDir, freePort());
      during = rowOf(target, prompt)?.status ?? "missing";
    });
    expect(second.code ?? "still running").not.toBe(0);
    expect(second.code).toBeNumber();
    expect(second.output).toContain(target.dataDir);
    expect(second.output).toContain(`PID ${target.daemon.proc.pid}`);
    expect(during).toBe("running");
    expect(answer.json()).toMatchObject({ success: true });
    expect(rowOf(target, prompt)?.status).toBe("succeeded");
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test("kill -9 mid-job, then start on the same data folder and port → starts at once (a stale lock does not block); the lost job is recorded interrupted", async () => {
    const first = await launch("killed");
    const prompt = marked("killed mid-job");
    const seen = gateway.received.length;
    gateway.holding = true;
    const pending = generate(first, { prompt }).catch((error: unknown) => error);
    await gateway.arrived(seen + 1);
    first.daemon.proc.kill("SIGKILL");
    await first.daemon.proc.exited;
    gateway.holding = false;
    gateway.abandon();
    await pending;
    const started = Date.now();
    const restarted: Target = { daemon: await startOnPort(first.dataDir, first.daemon.port), dataDir: first.dataDir, view: "", accepted: 1 };
    expect(Date.now() - started).toBeLessThan(REFUSAL_MS);
    expect(rowOf(restarted, prompt)).toMatchObject({ status: "interrupted" });
    await invariants(restarted);
  }, ROW_TIMEOUT_MS);
});

describe("a misbehaving gateway", () => {
  test("truncated PNG (79 bytes, no IEND) → 502 invalid_response, nothing saved as a result, the billed cost kept on the failed row", async () => {
    const target = await plain();
    const out = folder("truncated");
    const prompt = marked("truncated media");
    gateway.next({ kind: "truncated" });
    target.accepted++;
    const answer = await generate(target, { prompt, output_dir: out });
    expect(answer.status).toBe(502);
    expect(answer.json()).toMatchObject({ success: false, error_type: "invalid_response", cost_usd: GATEWAY_COST_USD });
    expect(files(out)).toEqual([]);
    expect(rowOf(target, prompt)).toMatchObject({ status: "failed", error_type: "invalid_response", cost_usd: GATEWAY_COST_USD });
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  for (const [what, raw] of [
    ["negative cost_usd -1e308", "-1e308"],
    ["non-finite cost_usd 1e999 (parses as Infinity)", "1e999"],
    ["absurd cost_usd 1e9", "1e9"],
  ] as const) {
    test(`${what} → 200 with the file saved, cost recorded as unknown (null) with a reason, totals stay finite and count it unknown`, async () => {
      const target = await plain();
      const before = await costTotals(target);
      const prompt = marked(`cost ${raw}`);
      gateway.next({ kind: "cost", raw });
      target.accepted++;
      const answer = await generate(target, { prompt, output_dir: folder("cost") });
      expect(answer.status).toBe(200);
      const body = answer.json();
      expect(body.success).toBe(true);
      expect(body.cost_usd ?? null).toBeNull();
      expect(formatOf(readFileSync(String(body.image)))).toBe("png");
      const row = rowOf(target, prompt)!;
      expect(row).toMatchObject({ status: "succeeded", cost_usd: null });
      expect(row.cost_note).toBeString();
      const after = await costTotals(target);
      expect(Number.isFinite(after.cost_usd) && after.cost_usd >= 0).toBe(true);
      expect(after.cost_usd).toBeCloseTo(before.cost_usd, 6);
      expect(after.unknown_cost_count).toBe(before.unknown_cost_count + 1);
      await invariants(target);
    }, ROW_TIMEOUT_MS);
  }

  test("a budget after an implausible cost → the unknown cost counts as its estimate (the recent average), not $0 and not the figure: the next request is 402 budget_exceeded and never sent", async () => {
    // No price is configured: estimates come from this model's recent recorded costs (one at $0.04).
    const target = await launch("budget", { config: gatewayConfig(gateway, { budget: { daily_usd: GATEWAY_COST_USD * 2.5 } }) });
    target.accepted += 2;
    expect((await generate(target, { prompt: marked("priced") })).json()).toMatchObject({ success: true, cost_usd: GATEWAY_COST_USD });
    gateway.next({ kind: "cost", raw: "-1e308" });
    expect((await generate(target, { prompt: marked("implausible cost") })).json()).toMatchObject({ success: true });
    const seen = gateway.received.length;
    const third = await generate(target, { prompt: marked("over budget") });
    expect(third.status).toBe(402);
    expect(third.json()).toMatchObject({ success: false, error_type: "budget_exceeded" });
    expect(gateway.received.length).toBe(seen);
    await invariants(target);
  }, ROW_TIMEOUT_MS);

  test(`oversized upstream body (${OVERSIZED_BODY_BYTES / 1048576} MiB of JSON) → a clean JSON 502, not internal; the daemon never holds it whole (peak RSS < ${OVERSIZED_PEAK_RSS_MIB} MiB)`, async () => {
    const target = await launch("oversized");
    gateway.next({ kind: "oversized", bytes: OVERSIZED_BODY_BYTES });
    target.accepted++;
    const started = Date.now();
    const answer = await generate(target, { prompt: marked("oversized body"), output_dir: folder("oversized-out") });
    expect(answer.status).toBe(502);
    const body = answer.json();
    expect(body.success).toBe(false);
    expect(["invalid_response", "api_error"]).toContain(body.error_type);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(peakRssMib(target.daemon.proc.pid)).toBeLessThan(OVERSIZED_PEAK_RSS_MIB);
    await invariants(target);
  }, ROW_TIMEOUT_MS);
});

describe.skipIf(cannot.flood !== undefined)(`an idle-socket flood${cannot.flood ? ` [skipped: ${cannot.flood}]` : ""}`, () => {
  test(`${FLOOD_SOCKETS} keep-alive sockets left idle on 127.0.0.1 against a daemon limited to ${FLOOD_FD_LIMIT} descriptors → /api/health on a new connection answers within 10 s, and a generation after the flood succeeds`, async () => {
    const target = await launch("flood", { cmd: withFdLimit(FLOOD_FD_LIMIT) });
    const port = target.daemon.port;
    const sockets: Socket[] = [];
    // Each socket asks once, as a keep-alive client does, then stays silent.
    const request = `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    const connect = () =>
      Promise.race([
        Bun.connect({ hostname: "127.0.0.1", port, socket: { open: (socket) => void socket.write(request), data() {}, error() {}, close() {} } }).then((socket) => void sockets.push(socket)),
        Bun.sleep(3000),
      ]).catch(() => {});
    try {
      for (let batch = 0; batch < FLOOD_SOCKETS; batch += 100) await Promise.all(Array.from({ length: Math.min(100, FLOOD_SOCKETS - batch) }, connect));
      expect(sockets.length).toBeGreaterThan(FLOOD_FD_LIMIT);
      // A new connection (curl), not one kept alive from before the flood.
      const answer = await curl(["-s", "--max-time", "10", `${target.daemon.url}/api/health`]).catch((error: unknown) => ({ status: 0, body: String(error) }));
      expect({ status: answer.status, json: answer.body.trimStart().startsWith("{") }).toEqual({ status: 200, json: true });
    } finally {
      for (const socket of sockets) socket.terminate();
    }
    target.accepted++;
    const after = await generate(target, { prompt: marked("after the flood"), output_dir: folder("flood-out") });
    expect(after.json()).toMatchObject({ success: true });
    await invariants(target);
  }, ROW_TIMEOUT_MS);
});
