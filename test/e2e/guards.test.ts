// The daemon as a process against hostile or careless clients: a second daemon on the same port or data folder,
// a lock left by kill -9, bodies past every limit, a malformed Host, a DNS-rebinding page on the UI routes, an
// idle-socket flood next to a blocking generation. Loopback only; runs from source, or MEDIAGEN_BINARY if set.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket } from "bun";
import { startFakeClacky } from "../fakes/openclacky.ts";
import { clackyConfig } from "../helpers.ts";
import { cleanEnv, daemonCommand, daemonFixture, exitWithin, freePort, poll, postJson, readLedger, writeConfig, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 90_000;
/** The idle timeout the daemons of this file run with, in seconds (MEDIAGEN_IDLE_TIMEOUT_SECONDS). */
const IDLE_SECONDS = 2;
/** Idle sockets opened against one daemon: bounded, well past what one request needs. */
const IDLE_SOCKETS = 300;

const fixture = daemonFixture(startFakeClacky, "mediagen-e2e-guards-");

const env = () => cleanEnv({ MEDIAGEN_IDLE_TIMEOUT_SECONDS: String(IDLE_SECONDS) });

function dataDir(config: Record<string, unknown> = clackyConfig(fixture.fake.url, fixture.fake.key)): string {
  const data = join(fixture.folder(), "data");
  writeConfig(data, config);
  return data;
}

const launch = (data: string): Promise<Daemon> => fixture.launch({ dataDir: data, env: env() });

/** Starts a daemon expected to refuse to start; returns its exit code and output once it has exited. */
async function startRefused(data: string, port: number): Promise<{ code: number | undefined; stdout: string; stderr: string; ms: number }> {
  const { cmd, cwd } = daemonCommand();
  const started = Date.now();
  const proc = Bun.spawn([...cmd, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", data], {
    cwd,
    env: env(),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const code = await exitWithin(proc, 20_000);
  if (code === undefined) proc.kill("SIGKILL");
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** Sends `head` (and then `body` chunks) on a raw TCP connection; resolves with everything the daemon sent back. */
async function rawHttp(port: number, head: string, body: Uint8Array[] = [], waitMs = 5000): Promise<string> {
  let received = "";
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, chunk) {
        received += new TextDecoder().decode(chunk);
      },
      close: () => closed(),
      error: () => closed(),
    },
  });
  socket.write(head);
  for (const chunk of body) {
    if (received) break;
    socket.write(chunk);
    await Bun.sleep(0);
  }
  await Promise.race([done, Bun.sleep(waitMs), poll(() => (/\r\n\r\n[\s\S]*\}\s*$/.test(received) ? true : undefined), waitMs, "a JSON answer").catch(() => {})]);
  socket.end();
  return received;
}

/** Status line and JSON body of a raw HTTP answer. */
function parseAnswer(raw: string): { status: number; headers: string; json: Record<string, unknown> | undefined } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
  const split = raw.indexOf("\r\n\r\n");
  const headers = raw.slice(0, split).toLowerCase();
  const text = raw.slice(split + 4);
  const start = text.indexOf("{");
  let json: Record<string, unknown> | undefined;
  try {
    json = start < 0 ? undefined : (JSON.parse(text.slice(start, text.lastIndexOf("}") + 1)) as Record<string, unknown>);
  } catch {
    json = undefined;
  }
  return { status, headers, json };
}

describe("one daemon per port and per data folder", () => {
  test(
    "a second daemon on the same data folder fails at once naming the first one's PID, before touching its jobs",
    async () => {
      const data = dataDir();
      const first = await launch(data);
      fixture.fake.slowMs = 4000;
      const pending = postJson(`${first.url}/api/media/image`, { prompt: "kept while a second daemon tries [[fake:slow]]" });
      await poll(() => (fixture.fake.inFlight > 0 ? true : undefined), 10_000, "the slow generation to reach the fake");

      const second = await startRefused(data, freePort());
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`data directory ${data} is in use by PID ${first.proc.pid}`);
      expect(second.ms).toBeLessThan(15_000);
      // The first daemon's job was not marked interrupted by the second one, and still succeeds.
      expect(readLedger(data).map((row) => row.status)).toEqual(["running"]);
      const answer = await pending;
      expect(answer.json()).toMatchObject({ success: true });
      expect(readLedger(data).map((row) => row.status)).toEqual(["succeeded"]);
      expect(await first.stop()).toBe(0);
      expect(existsSync(join(data, "mediagen.lock"))).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a second daemon on the same port (another data folder) fails at once saying the port is in use",
    async () => {
      const first = await launch(dataDir());
      const second = await startRefused(dataDir(), first.port);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`port ${first.port} in use`);
      expect(second.ms).toBeLessThan(15_000);
      const health = await fetch(`${first.url}/api/health`);
      expect(health.status).toBe(200);
      await first.stop();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a lock left by kill -9 does not block the next start, nor does a lock file naming a live, unrelated PID",
    async () => {
      const data = dataDir();
      const first = await launch(data);
      first.proc.kill("SIGKILL");
      await first.proc.exited;
      expect(readFileSync(join(data, "mediagen.lock"), "utf8")).toContain(String(first.proc.pid));
      const second = await launch(data);
      expect((await fetch(`${second.url}/api/health`)).status).toBe(200);
      await second.stop();

      // A reused PID: the lock file names this test runner, which is alive but holds no lock.
      writeFileSync(join(data, "mediagen.lock"), `${process.pid}\n`);
      const third = await launch(data);
      expect((await fetch(`${third.url}/api/health`)).status).toBe(200);
      await third.stop();
    },
    TEST_TIMEOUT_MS,
  );
});

describe("answers Bun would give itself are the documented JSON", () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await launch(dataDir({ ...clackyConfig(fixture.fake.url, fixture.fake.key), server: { max_body_mib: 1 } }));
  });

  test("a declared body far past every limit is a JSON 413 payload_too_large", async () => {
    const raw = await rawHttp(
      daemon.port,
      `POST /api/media/image HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\nContent-Type: application/json\r\nContent-Length: ${512 * 1048576}\r\n\r\n`,
    );
    const answer = parseAnswer(raw);
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ success: false, error_type: "payload_too_large" });
    expect(String(answer.json?.error)).toContain("server.max_body_mib");
  });

  test("a chunked body past every limit is a JSON 413 payload_too_large", async () => {
    const chunk = new Uint8Array(1048576).fill(0x20);
    const chunks = Array.from({ length: 40 }, () => new Uint8Array([...new TextEncoder().encode(`${chunk.length.toString(16)}\r\n`), ...chunk, 13, 10]));
    const raw = await rawHttp(
      daemon.port,
      `POST /api/media/image HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      chunks,
    );
    const answer = parseAnswer(raw);
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ success: false, error_type: "payload_too_large" });
  });

  test("a malformed Host is a JSON 400 naming the Host header, with one log line and no stack", async () => {
    const before = daemon.stdout().length + daemon.stderr().length;
    for (let i = 0; i < 5; i++) {
      const answer = parseAnswer(await rawHttp(daemon.port, "GET /api/health HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n"));
      expect(answer.status).toBe(400);
      expect(answer.headers).toContain("content-type: application/json");
      expect(answer.json).toMatchObject({ success: false, error_type: "invalid_argument", field: "host" });
    }
    await Bun.sleep(200);
    const logged = (daemon.stdout() + daemon.stderr()).slice(before);
    expect(logged).not.toMatch(/\n\s+at /);
    expect(logged.length).toBeLessThan(1500);
  });

  test("the UI routes refuse a DNS-rebinding Host with the JSON 403 and serve the page to a loopback one", async () => {
    for (const path of ["/", "/models", "/history", "/costs", "/jobs"]) {
      const refused = await fetch(`${daemon.url}${path}`, { headers: { host: "evil.example" } });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ success: false, error_type: "forbidden" });
      const page = await fetch(`${daemon.url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
    }
    const html = await (await fetch(daemon.url)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect((await fetch(`${daemon.url}${asset}`)).status).toBe(200);
      expect((await fetch(`${daemon.url}${asset}`, { headers: { host: "evil.example" } })).status).toBe(403);
    }
    const unknown = await fetch(`${daemon.url}/api/no-such-thing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ success: false, error_type: "not_found" });
  });
});

/** Opens a socket, sends `head` and then nothing more; resolves with the milliseconds until the daemon closed it, or undefined after `waitMs`. */
async function stalledFor(port: number, head: string, waitMs: number): Promise<number | undefined> {
  const started = Date.now();
  let closedAt: number | undefined;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data() {},
      close: () => void (closedAt ??= Date.now()),
      error: () => void (closedAt ??= Date.now()),
    },
  });
  socket.write(head);
  await poll(() => (closedAt === undefined ? undefined : true), waitMs, "the daemon to close a stalled request").catch(() => {});
  socket.end();
  return closedAt === undefined ? undefined : closedAt - started;
}

describe("idle sockets", () => {
  test(
    "a request whose body never arrives is closed by the idle timeout, on the routes that wait long as on the others",
    async () => {
      const daemon = await launch(dataDir());
      const host = `Host: 127.0.0.1:${daemon.port}\r\nContent-Type: application/json`;
      const stalls = [
        `POST /api/media/image HTTP/1.1\r\n${host}\r\nContent-Length: 100\r\n\r\n{"prompt":`,
        `POST /api/media/video HTTP/1.1\r\n${host}\r\nContent-Length: 100\r\n\r\n`,
        `POST /api/media/audio/speech HTTP/1.1\r\n${host}\r\nContent-Length: 100\r\n\r\n`,
        `POST /api/config/models/test HTTP/1.1\r\n${host}\r\nContent-Length: 100\r\n\r\n`,
        `POST /api/media/zzz HTTP/1.1\r\n${host}\r\nContent-Length: 100\r\n\r\n`,
        `POST /api/media/image HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"pro\r\n`,
        `POST /api/generations HTTP/1.1\r\n${host}\r\nContent-Length: 100\r\n\r\n`,
      ];
      const limitMs = IDLE_SECONDS * 3 * 1000;
      const closedAfter = await Promise.all(stalls.map((head) => stalledFor(daemon.port, head, limitMs + 2000)));
      const stillOpen = stalls.filter((_, i) => closedAfter[i] === undefined || closedAfter[i]! > limitMs).map((head) => head.split("\r\n").filter((line) => /^(POST|Content-Length|Transfer-Encoding)/.test(line)).join(", "));
      expect(stillOpen).toEqual([]);
      expect((await fetch(`${daemon.url}/api/health`)).status).toBe(200);
      expect(readLedger(daemon.dataDir)).toEqual([]);
      await daemon.stop();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    `${IDLE_SOCKETS} idle sockets are closed after the idle timeout, /api/health answers throughout, and a blocking generation longer than the timeout still gets its answer`,
    async () => {
      const daemon = await launch(dataDir());
      fixture.fake.slowMs = IDLE_SECONDS * 3 * 1000;
      const blocking = postJson(`${daemon.url}/api/media/image`, { prompt: "longer than the idle timeout [[fake:slow]]" });

      // Each socket asks once (keep-alive), then says nothing more: the flood that exhausted descriptors.
      let open = 0;
      let answered = 0;
      const sockets: Socket[] = [];
      for (let i = 0; i < IDLE_SOCKETS; i++) {
        sockets.push(
          await Bun.connect({
            hostname: "127.0.0.1",
            port: daemon.port,
            socket: {
              open: () => void open++,
              data: () => void answered++,
              close: () => void open--,
              error() {},
            },
          }),
        );
      }
      for (const socket of sockets.slice(1)) socket.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\n\r\n`);
      // A partial request counts as idle too.
      sockets[0]!.write("GET /api/health HTTP/1.1\r\n");
      await poll(() => (answered >= IDLE_SOCKETS - 1 ? true : undefined), 20_000, "every socket's first answer");
      expect(open).toBe(IDLE_SOCKETS);
      const health = await fetch(`${daemon.url}/api/health`, { signal: AbortSignal.timeout(5000) });
      expect(health.status).toBe(200);

      await poll(() => (open === 0 ? true : undefined), IDLE_SECONDS * 4 * 1000 + 5000, "the daemon to close every idle socket");
      const answer = await blocking;
      expect(answer.status).toBe(200);
      expect(answer.json()).toMatchObject({ success: true });
      expect((await fetch(`${daemon.url}/api/health`)).status).toBe(200);
      for (const socket of sockets) socket.end();
      await daemon.stop();
    },
    TEST_TIMEOUT_MS,
  );
});
