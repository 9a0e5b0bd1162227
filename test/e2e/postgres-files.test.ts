// Files and queues of three daemons of the built executable on one PostgreSQL database, behind a tiny round-robin
// proxy, each daemon on "its own machine" as far as files go: its output store and thumbnails are a tmpfs mounted in
// a mount namespace of its own (unshare -m), which neither the other daemons nor this test can see. A remote caller's
// result is kept by the daemon that made it; a download through the proxy lands on any daemon, which forwards it to
// the holder. The queue length is the service's, not one daemon's. Needs root (mount namespaces) and PostgreSQL.
import { SQL } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai.ts";
import { tempDir } from "../helpers.ts";
import { postgresAvailable, testDatabase, type TestDatabase } from "../postgres.ts";
import { BUILD_TIMEOUT_MS, cleanEnv, PNG_SIGNATURE, poll, prepareExecutable, startDaemon, writeConfig, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 120_000;

/** Whether this process may make mount namespaces (root, or a container that allows it). */
function canUnshare(): boolean {
  const probe = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "true"], { stdout: "ignore", stderr: "ignore" });
  return probe.exitCode === 0;
}

const available = (await postgresAvailable()) && canUnshare();
if (!available && process.env.CI === "true") throw new Error("CI: this test needs PostgreSQL and mount namespaces (run as root)");
const root = tempDir("mediagen-e2e-files-");
let binary = "";
let runDir = "";
let database: TestDatabase | undefined;
let sql: SQL;
let images: FakeOpenAI;
let proxy: ReturnType<typeof Bun.serve>;
const daemons: Daemon[] = [];

/** Runs the daemon with `<data>/outputs` and `<data>/thumbnails` on a tmpfs only its own mount namespace sees. */
const PRIVATE_DISK = 'for d in "$MG_DATA/outputs" "$MG_DATA/thumbnails"; do mount -t tmpfs mediagen-private "$d" || exit 97; done; exec "$0" "$@"';

beforeAll(async () => {
  if (!available) return;
  ({ binary, runDir } = await prepareExecutable(root.path));
  database = (await testDatabase())!;
  sql = new SQL(database.url);
  images = startFakeOpenAI("sk-test-img");
  for (const name of ["a", "b", "c"]) daemons.push(await launch(name));
  // Round-robin, as a load balancer would: each request to the next daemon, marked as forwarded for a remote caller.
  let next = 0;
  proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: async (request) => {
      const target = daemons[next++ % daemons.length]!;
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      headers.set("host", new URL(target.url).host);
      headers.set("x-forwarded-for", "203.0.113.7");
      const body = request.body ? await request.arrayBuffer() : undefined;
      return fetch(`${target.url}${url.pathname}${url.search}`, { method: request.method, headers, body, timeout: false } as RequestInit);
    },
  });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await proxy?.stop(true);
  await Promise.all(daemons.map((daemon) => daemon.dispose()));
  await images?.close();
  await sql?.close();
  await database?.drop();
  root[Symbol.dispose]();
});

/** Daemon `name` on its own data folder (private outputs and thumbnails) and the shared database: one image slot, a queue of one. */
async function launch(name: string): Promise<Daemon> {
  const dataDir = join(root.path, name);
  for (const dir of ["outputs", "thumbnails"]) mkdirSync(join(dataDir, dir), { recursive: true });
  writeConfig(dataDir, {
    models: [{ type: "image", provider: "openai", model: "gpt-image-1", api_key: "sk-test-img", base_url: `${images.url}/v1` }],
    jobs: { image: { concurrency: 1, queue: 1 } },
  });
  const env = cleanEnv({ HOME: root.path, MEDIAGEN_DATABASE_URL: database!.url, MG_DATA: dataDir });
  return await startDaemon({ cmd: ["unshare", "-m", "--propagation", "private", "sh", "-c", PRIVATE_DISK, binary], cwd: runDir, dataDir, env });
}

/** Runs the executable as a client of the proxy from `cwd`. */
async function mediagen(args: string[], cwd: string) {
  const proc = Bun.spawn([binary, ...args], { cwd, env: cleanEnv({ HOME: root.path, MEDIAGEN_URL: proxy.url.href.replace(/\/$/, "") }), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const daemonName = (daemon: Daemon) => `${hostname()}:${daemon.dataDir}`;

describe.skipIf(!available)("three daemons on one PostgreSQL database, each with its own disk, behind a round-robin proxy", () => {
  test(
    "a remote caller's result is fetched through any daemon: the CLI downloads it, ranges and thumbnails are forwarded to the daemon that keeps it",
    async () => {
      const made: { id: string; local: string }[] = [];
      for (let i = 0; i < 6; i++) {
        const cwd = join(root.path, `caller-${i}`);
        mkdirSync(cwd, { recursive: true });
        const result = await mediagen(["image", `A harbour at dawn, take ${i}`, "--out", "renders", "--json"], cwd);
        expect(result.err).toBe("");
        expect(result.code).toBe(0);
        const record = JSON.parse(result.out) as Record<string, string>;
        expect(record.image).toStartWith(join(cwd, "renders"));
        made.push({ id: record.id!, local: record.image! });
      }

      const rows = (await sql`SELECT id, daemon, output_path, bytes FROM generations WHERE id IN ${sql(made.map((m) => m.id))}`) as { id: string; daemon: string; output_path: string; bytes: number }[];
      // Every result is on a private disk: this process cannot see any daemon's copy, yet each caller got its file.
      expect(new Set(rows.map((row) => row.daemon)).size).toBeGreaterThan(1);
      for (const row of rows) {
        expect(existsSync(row.output_path)).toBe(false);
        const local = made.find((m) => m.id === row.id)!.local;
        const bytes = new Uint8Array(readFileSync(local));
        expect(bytes.length).toBe(Number(row.bytes));
        expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      }

      // Straight to each daemon: the same bytes from the holder and from the two others (forwarded), whole and by range.
      const first = rows[0]!;
      const wholes = await Promise.all(daemons.map(async (daemon) => {
        const answer = await fetch(`${daemon.url}/api/generations/${first.id}/file`);
        expect(answer.status).toBe(200);
        expect(answer.headers.get("content-type")).toBe("image/png");
        return sha(new Uint8Array(await answer.arrayBuffer()));
      }));
      expect(new Set(wholes).size).toBe(1);
      expect(wholes[0]).toBe(sha(new Uint8Array(readFileSync(made.find((m) => m.id === first.id)!.local))));
      const holder = daemons.find((daemon) => daemonName(daemon) === first.daemon)!;
      const other = daemons.find((daemon) => daemon !== holder)!;
      const ranged = await fetch(`${other.url}/api/generations/${first.id}/file`, { headers: { range: "bytes=0-7" } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get("content-range")).toBe(`bytes 0-7/${first.bytes}`);
      expect([...new Uint8Array(await ranged.arrayBuffer())]).toEqual(PNG_SIGNATURE);
      const named = await fetch(`${other.url}/api/generations/${first.id}/file?download=1`);
      expect(named.headers.get("content-disposition")).toStartWith("attachment;");
      await named.arrayBuffer();

      // The holder made the thumbnail on its own disk; another daemon forwards its request too, and lists the file as present.
      await poll(async () => ((await sql`SELECT thumbnail FROM generations WHERE id = ${first.id}`)[0] as { thumbnail: string | null }).thumbnail ?? undefined, 20_000, "the thumbnail");
      const thumbnail = await fetch(`${other.url}/api/generations/${first.id}/thumbnail`);
      expect(thumbnail.status).toBe(200);
      expect(thumbnail.headers.get("content-type")).toBe("image/webp");
      expect(new TextDecoder().decode(new Uint8Array(await thumbnail.arrayBuffer()).subarray(8, 12))).toBe("WEBP");
      const listed = (await (await fetch(`${other.url}/api/generations?limit=50`)).json()) as { items: { id: string; file_missing?: boolean }[] };
      for (const m of made) expect(listed.items.find((item) => item.id === m.id)?.file_missing).toBe(false);
      // No daemon made a thumbnail of a file it does not hold (no "file missing" thumbnail errors).
      const [errors] = await sql`SELECT count(*)::int AS n FROM generations WHERE thumbnail_error IS NOT NULL`;
      expect(errors.n).toBe(0);

      // Deleting a record with its file through a daemon that does not hold it: the holder deletes both.
      const doomed = rows.find((row) => row.daemon !== daemonName(other) && row.id !== first.id)!;
      const deleted = await fetch(`${other.url}/api/generations/${doomed.id}?file=true`, { method: "DELETE" });
      expect(deleted.status).toBe(200);
      expect(await deleted.json()).toEqual({ success: true, id: doomed.id, file_removed: true });
      const doomedHolder = daemons.find((daemon) => daemonName(daemon) === doomed.daemon)!;
      expect((await fetch(`${doomedHolder.url}/api/generations/${doomed.id}/file`)).status).toBe(404);
      expect(await sql`SELECT id FROM generations WHERE id = ${doomed.id}`).toHaveLength(0);

      // With the holder gone, another daemon says where the file is and that it cannot be reached, never a 500.
      holder.proc.kill("SIGKILL");
      await holder.proc.exited;
      const gone = await fetch(`${other.url}/api/generations/${first.id}/file`);
      expect(gone.status).toBe(503);
      const error = (await gone.json()) as { error_type: string; error: string };
      expect(error.error_type).toBe("file_unavailable");
      expect(error.error).toContain(holder.url);
      // A request already forwarded is never forwarded again (no loops): the file is simply not on this disk.
      const looped = await fetch(`${other.url}/api/generations/${first.id}/file`, { headers: { "x-mediagen-forwarded": "somewhere" } });
      expect(looped.status).toBe(404);
      expect(readdirSync(join(root.path, "caller-0", "renders")).length).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "jobs.image.queue is the service's: with the one slot taken on one daemon and one job queued on another, a third daemon refuses with queue_full",
    async () => {
      const up = daemons.filter((daemon) => daemon.proc.exitCode === null && daemon.proc.signalCode === null);
      expect(up.length).toBeGreaterThanOrEqual(2);
      images.slowMs = 2500;
      const post = (daemon: Daemon, prompt: string) =>
        fetch(`${daemon.url}/api/media/image`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: `[[fake:slow]] ${prompt}`, output_dir: join(root.path, "queue"), async: true }) });
      expect((await post(up[0]!, "runs")).status).toBe(202);
      await poll(() => (images.inFlight > 0 ? true : undefined), 10_000, "the first job at the provider");
      expect((await post(up[1]!, "waits")).status).toBe(202);
      const refused = await post(up[up.length > 2 ? 2 : 0]!, "refused");
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error_type: string }).error_type).toBe("queue_full");
      images.slowMs = 0;
    },
    TEST_TIMEOUT_MS,
  );
});
