// Outputs for remote callers, through the executable: a daemon bound to 127.0.0.1 that the CLI and `mediagen mcp`
// talk to as remote (MEDIAGEN_DELIVERY=download, which sends X-Mediagen-Delivery: download). The file lands in the
// caller's folder byte-identical to the daemon's copy in its output store, the ledger records it, a spoofed peer
// header changes nothing, and a failed download (a proxy on 127.0.0.1 that breaks file downloads) keeps the record.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { storeDir } from "../../server/media/output-files.ts";
import { makePng } from "../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../fakes/openclacky.ts";
import { clackyConfig, tempDir } from "../helpers.ts";
import { BUILD_TIMEOUT_MS, cleanEnv, postJson, prepareExecutable, readLedgerRow, startDaemon, writeConfig, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;
const root = tempDir("mediagen-e2e-remote-");
const dataDir = join(root.path, "data");
/** The caller's project folder (on "another machine": nothing the daemon is told about it is used). */
const caller = join(root.path, "caller");
const home = join(root.path, "home");
const REMOTE = { MEDIAGEN_DELIVERY: "download" };
let binary = "";
let runDir = "";
let fake: FakeClacky;
let daemon: Daemon;
/** Forwards to the daemon, except that every file download answers 503. */
let brokenProxy: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  ({ binary, runDir } = await prepareExecutable(root.path));
  for (const dir of [caller, home]) mkdirSync(dir, { recursive: true });
  fake = startFakeClacky();
  writeConfig(dataDir, clackyConfig(fake.url, fake.key));
  daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir, env: cleanEnv({ HOME: home }) });
  brokenProxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const url = new URL(request.url);
      if (url.pathname.endsWith("/file")) return Response.json({ error: "the proxy dropped it" }, { status: 503 });
      const headers = new Headers(request.headers);
      headers.set("host", new URL(daemon.url).host);
      const body = request.body ? await request.arrayBuffer() : undefined;
      return fetch(`${daemon.url}${url.pathname}${url.search}`, { method: request.method, headers, body, timeout: false } as RequestInit);
    },
    idleTimeout: 0,
  });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await brokenProxy?.stop(true);
  await daemon?.stop("SIGTERM").catch(() => daemon.dispose());
  await fake?.close();
  root[Symbol.dispose]();
});

/** Runs the executable as a client from the caller's folder. */
async function mediagen(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([binary, ...args], { cwd: caller, env: cleanEnv({ HOME: home, MEDIAGEN_URL: daemon.url, ...env }), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

/** A ledger row with its params parsed. */
function row(id: string): Record<string, unknown> & { params: Record<string, unknown>; output_path: string } {
  const found = readLedgerRow(dataDir, id)!;
  return { ...found, params: JSON.parse(String(found.params)) } as never;
}

const sameBytes = (a: string, b: string) => expect(new Uint8Array(readFileSync(a))).toEqual(new Uint8Array(readFileSync(b)));

describe("a remote caller, through the executable", () => {
  test(
    "mediagen image: the input goes as bytes, the result lands under --out in the caller's folder, byte-identical to the daemon's stored copy",
    async () => {
      writeFileSync(join(caller, "photo.png"), makePng(24, 16));
      const result = await mediagen(["image", "make it dusk", "--edit", "photo.png", "--out", "renders", "--json"], REMOTE);
      expect(result.code).toBe(0);
      const record = JSON.parse(result.out) as Record<string, string>;
      expect(record.image).toStartWith(join(caller, "renders", "assets", "generated", "img_"));
      const ledger = row(record.id!);
      expect(ledger.output_path).toStartWith(storeDir(dataDir));
      expect(record.daemon_path).toBe(ledger.output_path);
      expect(basename(record.image!)).toBe(basename(ledger.output_path));
      sameBytes(record.image!, ledger.output_path);
      expect(ledger.params).toMatchObject({ delivery: "download", caller_output_dir: join(caller, "renders"), inputs: ["data-url"] });
      expect(ledger.door).toBe("cli");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "mediagen mcp: generate_speech downloads into the output_dir asked for and links the local file",
    async () => {
      const client = new Client({ name: "far-agent", version: "1.0.0" });
      await client.connect(new StdioClientTransport({ command: binary, args: ["mcp", "--url", daemon.url], cwd: runDir, env: cleanEnv({ HOME: home, ...REMOTE }), stderr: "pipe" }));
      try {
        const asked = join(caller, "voice");
        const result = (await client.callTool({ name: "generate_speech", arguments: { input: "From another machine.", output_dir: asked } })) as CallToolResult;
        expect(result.isError).toBeFalsy();
        const record = result.structuredContent as Record<string, string>;
        expect(record.audio).toStartWith(join(asked, "assets", "generated", "tts_"));
        const ledger = row(record.id!);
        expect(ledger.output_path).toStartWith(storeDir(dataDir));
        sameBytes(record.audio!, ledger.output_path);
        expect(ledger).toMatchObject({ door: "mcp", client: "far-agent" });
        expect(ledger.params).toMatchObject({ delivery: "download", caller_output_dir: asked });
        const link = result.content.find((c) => c.type === "resource_link") as { uri: string } | undefined;
        expect(link?.uri).toBe(Bun.pathToFileURL(record.audio!).href);
      } finally {
        await client.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a failed download exits 1 naming the generation and its download_url; the ledger and the daemon's copy keep the result",
    async () => {
      const proxyUrl = brokenProxy.url.href.replace(/\/$/, "");
      const result = await mediagen(["speak", "Lost on the way.", "--out", "lost"], { ...REMOTE, MEDIAGEN_URL: proxyUrl });
      expect(result.code).toBe(1);
      expect(result.out).toBe("");
      const id = /generation ([\w-]+)\)/.exec(result.err)?.[1] ?? "";
      // The proxy passes the daemon's own Host, so the answer's download_url (which the message names) is on the daemon's address.
      expect(result.err).toContain(`fetch it from ${daemon.url}/api/generations/${id}/file`);
      const ledger = row(id);
      expect(ledger.status).toBe("succeeded");
      expect(existsSync(ledger.output_path)).toBe(true);
      const folder = join(caller, "lost", "assets", "generated");
      expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
      // Fetched again later from the daemon itself, it is the same file.
      const again = await fetch(`${daemon.url}/api/generations/${id}/file`);
      expect(new Uint8Array(await again.arrayBuffer())).toEqual(new Uint8Array(readFileSync(ledger.output_path)));
    },
    TEST_TIMEOUT_MS,
  );
});

describe("the daemon's front door", () => {
  test(
    "a remote request naming a daemon file as input is a 400 naming the field",
    async () => {
      const answer = await postJson(`${daemon.url}/api/media/image`, { prompt: "steal", image: join(dataDir, "config.yml") }, ["-H", "X-Mediagen-Delivery: download"]);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error_type: "invalid_argument", field: "image" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a client's own X-Mediagen-Peer is replaced by the real peer: a loopback caller saying it is remote is still local",
    async () => {
      const answer = await postJson(`${daemon.url}/api/media/audio/speech`, { input: "Spoofed.", output_dir: caller }, ["-H", "X-Mediagen-Peer: 203.0.113.50"]);
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body) as Record<string, string>;
      expect(body.audio).toStartWith(join(caller, "assets", "generated"));
      expect(body.delivery).toBeUndefined();
      expect(body.download_url).toBe(`${daemon.url}/api/generations/${body.id}/file`);
    },
    TEST_TIMEOUT_MS,
  );
});
