// Fault injection for the e2e fault table: a gateway whose answers a test holds and shapes (truncated media,
// impossible costs, an endless body), and the ways a root-run test can break a disk under a live daemon:
// a tmpfs in the daemon's own mount namespace (full disk), the immutable attribute (read-only file or folder),
// and a low descriptor limit. Each probe says why it cannot inject here, so a row skips instead of passing.
import { Database } from "bun:sqlite";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FakeCall, startFakeServer } from "../fakes/harness.ts";
import { makePng } from "../fakes/media.ts";
import { daemonCommand } from "./daemon.ts";

/** What the gateway answers one request with. */
export type GatewayAnswer =
  | { kind: "png" } // a valid PNG with usage and cost_usd 0.04
  | { kind: "truncated" } // the first 79 bytes of that PNG (no IEND), as truncated base64 gives; still billed
  | { kind: "cost"; raw: string } // a valid PNG with cost_usd written as this raw JSON number (1e999 parses as Infinity)
  | { kind: "oversized"; bytes: number }; // a 200 JSON body streamed until `bytes` bytes, never a usable answer

/** The cost the gateway reports for an ordinary answer, in USD. */
export const GATEWAY_COST_USD = 0.04;

/** A fake openclacky-dialect image gateway whose answers a test can hold until it has broken something. */
export interface FaultyGateway {
  url: string;
  key: string;
  /** Prompts of the requests received, in order. */
  received: string[];
  /** Prompts the gateway answered with media it would bill for (the paid results that must not be lost). */
  billed: string[];
  /** Answers for the next requests, in order; an empty queue answers `png`. */
  next(...answers: GatewayAnswer[]): void;
  /** While true, requests wait for `release()` before being answered. */
  holding: boolean;
  /** Resolves once `count` requests have arrived in total. */
  arrived(count: number, timeoutMs?: number): Promise<void>;
  /** Lets every held request be answered. */
  release(): void;
  /** Ends every held request without media (its caller is gone, e.g. killed): nothing billed. */
  abandon(): void;
  close(): Promise<void>;
}

const PNG = makePng(64, 48);
const USAGE = { prompt_tokens: 50, completion_tokens: 4500, total_tokens: 4550 };

/** Starts the gateway on 127.0.0.1 with a random port (on the fakes' shared server harness). */
export function startFaultyGateway(key = "faults-test-key-not-a-real-one"): FaultyGateway {
  const queued: GatewayAnswer[] = [];
  let waiters: ((deliver: boolean) => void)[] = [];
  const wake = (deliver: boolean) => {
    const woken = waiters;
    waiters = [];
    for (const waiter of woken) waiter(deliver);
  };
  const handle = async ({ request, rec, path }: FakeCall<never>): Promise<Response> => {
    if (request.method !== "POST" || !path.endsWith("/images/generations")) return Response.json({ error: { message: `unknown endpoint ${path}` } }, { status: 404 });
    if (request.headers.get("authorization") !== `Bearer ${key}`) return Response.json({ error: { message: "Invalid API key" } }, { status: 401 });
    const prompt = String(rec.body.prompt ?? "");
    const answer = queued.shift() ?? { kind: "png" };
    gateway.received.push(prompt);
    const deliver = gateway.holding ? await new Promise<boolean>((resolve) => waiters.push(resolve)) : true;
    if (!deliver) return Response.json({ error: { message: "abandoned by the test" } }, { status: 500 });
    if (answer.kind === "oversized") return oversized(answer.bytes);
    gateway.billed.push(prompt);
    const bytes = answer.kind === "truncated" ? PNG.subarray(0, 79) : PNG;
    const b64 = Buffer.from(bytes).toString("base64");
    const cost = answer.kind === "cost" ? answer.raw : String(GATEWAY_COST_USD);
    const text = `{"data":[{"b64_json":"${b64}","mime_type":"image/png"}],"usage":${JSON.stringify(USAGE)},"cost_usd":${cost}}`;
    return new Response(text, { headers: { "content-type": "application/json" } });
  };
  const server = startFakeServer<never>(handle);
  const stop = server.close;
  const gateway: FaultyGateway = Object.assign(server, {
    key,
    received: [] as string[],
    billed: [] as string[],
    holding: false,
    next: (...answers: GatewayAnswer[]) => void queued.push(...answers),
    async arrived(count: number, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (gateway.received.length < count) {
        if (Date.now() > deadline) throw new Error(`the gateway saw ${gateway.received.length} request(s), expected ${count}`);
        await Bun.sleep(20);
      }
    },
    release: () => wake(true),
    abandon: () => wake(false),
    close: async () => {
      wake(false);
      await stop();
    },
  });
  return gateway;
}

/** A 200 JSON answer whose base64 goes on for `total` bytes, produced only as fast as the client reads. */
function oversized(total: number): Response {
  const chunk = new Uint8Array(1048576).fill(0x41);
  let sent = 0;
  const head = new TextEncoder().encode('{"data":[{"mime_type":"image/png","b64_json":"');
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) {
        sent = head.length;
        controller.enqueue(head);
        return;
      }
      if (sent >= total) {
        controller.enqueue(new TextEncoder().encode('"}],"cost_usd":0.04}'));
        controller.close();
        return;
      }
      const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += part.length;
      controller.enqueue(part);
    },
  });
  return new Response(stream, { headers: { "content-type": "application/json" } });
}

/** A daemon config with one image model on the gateway and one attempt per job. */
export function gatewayConfig(gateway: FaultyGateway, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    models: [{ name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: gateway.key, base_url: gateway.url }],
    jobs: { image: { max_attempts: 1 } },
    ...extra,
  };
}

const run = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** Why a private mount namespace with a tmpfs cannot be made here, or undefined when it can. */
export function tmpfsUnavailable(scratch: string): string | undefined {
  if (!Bun.which("unshare") || !Bun.which("nsenter")) return "unshare or nsenter (util-linux) is not installed";
  const probe = join(scratch, "tmpfs-probe");
  mkdirSync(probe, { recursive: true });
  const result = run(["unshare", "-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs -o size=1m tmpfs ${quote(probe)} && touch ${quote(join(probe, "x"))}`]);
  return result.exitCode === 0 ? undefined : `cannot mount a tmpfs in a private mount namespace (unshare -m: ${result.stderr.toString().trim() || `exit ${result.exitCode}`}); needs root with CAP_SYS_ADMIN`;
}

/** Why the immutable attribute cannot make a file unwritable (even to root) here, or undefined when it can. */
export function immutableUnavailable(scratch: string): string | undefined {
  mkdirSync(scratch, { recursive: true });
  const probe = join(scratch, "immutable-probe");
  writeFileSync(probe, "x");
  const set = run(["chattr", "+i", probe]);
  if (set.exitCode !== 0) return `chattr +i failed (${set.stderr.toString().trim()}); needs CAP_LINUX_IMMUTABLE and a file system with the attribute`;
  try {
    closeSync(openSync(probe, "a"));
    return "chattr +i did not stop root from writing";
  } catch {
    return undefined;
  } finally {
    run(["chattr", "-i", probe]);
  }
}

/** Sets or clears the immutable attribute: no new entries in a folder, no writes to a file, even for root and open descriptors. */
export function setImmutable(paths: string[], on: boolean): void {
  const present = paths.filter((path) => existsSync(path));
  if (present.length === 0) return;
  const result = run(["chattr", on ? "+i" : "-i", ...present]);
  if (result.exitCode !== 0 && on) throw new Error(`chattr +i ${present.join(" ")}: ${result.stderr.toString()}`);
}

/** One tmpfs the daemon's mount namespace gets before it starts. */
export interface TmpfsMount {
  dir: string;
  mib: number;
  /** Files copied into the tmpfs once mounted (a data folder's config.yml). */
  seedFrom?: string;
}

/**
 * The command that starts the daemon in a private mount namespace with `mounts` in place. Only that process sees
 * them (the test reaches them through /proc/<pid>/root), and they vanish with it: nothing is left mounted.
 */
export function inMountNamespace(mounts: TmpfsMount[]): string[] {
  const steps = mounts.flatMap(({ dir, mib, seedFrom }) => [
    `mkdir -p ${quote(dir)}`,
    `mount -t tmpfs -o size=${mib}m,mode=0755 tmpfs ${quote(dir)}`,
    ...(seedFrom ? [`cp -a ${quote(seedFrom)}/. ${quote(dir)}/`] : []),
  ]);
  return ["unshare", "-m", "--propagation", "private", "sh", "-c", `${steps.join(" && ")} && exec "$@"`, "mediagen-faults", ...daemonCommand().cmd];
}

/** The command that starts the daemon with at most `fds` open descriptors. */
export function withFdLimit(fds: number): string[] {
  return ["sh", "-c", `ulimit -n ${fds} && exec "$@"`, "mediagen-faults", ...daemonCommand().cmd];
}

/** Fills the file system holding `dir` with one file (until ENOSPC); returns the file, to remove when the disk should recover. */
export function fillDisk(dir: string): string {
  const filler = join(dir, `filler-${crypto.randomUUID().slice(0, 8)}`);
  run(["dd", "if=/dev/zero", `of=${filler}`, "bs=1M"]);
  if (!existsSync(filler) || statSync(filler).size === 0) throw new Error(`could not fill the disk of ${dir}`);
  return filler;
}

/** The ledger columns the invariants look at. */
export interface FaultLedgerRow {
  id: string;
  status: string;
  prompt: string;
  output_path: string | null;
  cost_usd: number | null;
  cost_note: string | null;
  error_type: string | null;
  /** Set on a request refused before any provider call (how many refusals the row stands for); null for a job. */
  refusal_count: number | null;
}

/** Every ledger row and the `PRAGMA integrity_check` verdict of the database at `path`, opened read-only. */
export function inspectLedger(path: string): { rows: FaultLedgerRow[]; integrity: string } {
  const db = new Database(path, { readonly: true });
  try {
    const columns = db.query<{ name: string }, []>("PRAGMA table_info(generations)").all().map((c) => c.name);
    const note = columns.includes("cost_note") ? "cost_note" : "NULL AS cost_note";
    const refusals = columns.includes("refusal_count") ? "refusal_count" : "NULL AS refusal_count";
    const rows = db.query<FaultLedgerRow, []>(`SELECT id, status, prompt, output_path, cost_usd, ${note}, error_type, ${refusals} FROM generations ORDER BY seq`).all();
    const integrity = db
      .query<{ integrity_check: string }, []>("PRAGMA integrity_check")
      .all()
      .map((row) => row.integrity_check)
      .join("; ");
    return { rows, integrity };
  } finally {
    db.close();
  }
}

/**
 * `inspectLedger` as seen from inside the mount namespace of process `pid` (SQLite resolves /proc/<pid>/root
 * back to "/", so the database is opened by a bun process entered into that namespace).
 */
export function inspectLedgerIn(pid: number, path: string): { rows: FaultLedgerRow[]; integrity: string } {
  const script = `const { inspectLedger } = await import(${JSON.stringify(import.meta.path)}); console.log(JSON.stringify(inspectLedger(${JSON.stringify(path)})));`;
  const result = run(["nsenter", "--target", String(pid), "--mount", "--", process.execPath, "-e", script]);
  if (result.exitCode !== 0) throw new Error(`reading ${path} in the namespace of ${pid} failed: ${result.stderr.toString()}`);
  return JSON.parse(result.stdout.toString()) as { rows: FaultLedgerRow[]; integrity: string };
}

/** Why this test process cannot hold `sockets` open connections at once, or undefined when it can. */
export function socketsUnavailable(sockets: number): string | undefined {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((entry) => entry.startsWith("Max open files")) ?? "";
  const soft = Number(/^Max open files\s+(\d+)/.exec(line)?.[1] ?? Number.NaN);
  return Number.isFinite(soft) && soft < sockets + 256 ? `this process may open only ${soft} descriptors; ${sockets} sockets need more (ulimit -n)` : undefined;
}

/** The peak resident memory of a process so far, in MiB (VmHWM). */
export function peakRssMib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Removes a folder tree even when a test left the immutable attribute on part of it. */
export function removeTree(path: string): void {
  if (!existsSync(path)) return;
  run(["chattr", "-R", "-i", path]);
  rmSync(path, { recursive: true, force: true });
}
