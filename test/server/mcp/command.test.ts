// `mediagen mcp`: its command line, the client config it prints, and the stdio server run from source by the MCP
// SDK's Client against a daemon on loopback (and against none).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { parseArgs, USAGE } from "../../../server/cli.ts";
import { clientConfig, noDaemonMessage } from "../../../server/mcp/command.ts";
import { storeDir } from "../../../server/media/output-files.ts";
import { makePng } from "../../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";

const REPO = resolve(import.meta.dir, "../../..");
const BUN = join(REPO, "node_modules/.bin/bun");

describe("mediagen mcp: command line", () => {
  test.each([
    [["mcp"], { kind: "mcp", printConfig: false }],
    [["mcp", "--url", "http://127.0.0.1:7171"], { kind: "mcp", url: "http://127.0.0.1:7171", printConfig: false }],
    [["mcp", "--url=http://h:1/", "--print-config"], { kind: "mcp", url: "http://h:1/", printConfig: true }],
    [["mcp", "--help"], { kind: "help" }],
  ] as const)("%j", (argv, expected) => {
    expect(parseArgs(argv, {})).toEqual(expected);
  });

  test.each([
    [["mcp", "--port", "1"], 'unknown argument "--port"'],
    [["mcp", "--url"], "--url needs a value"],
    [["mcp", "--url", "127.0.0.1:7070"], "--url must be an http(s) URL"],
  ])("%j is an error", (argv, message) => {
    const command = parseArgs(argv, {});
    expect(command.kind === "error" && command.message).toContain(message);
  });

  test("--help documents the command", () => {
    expect(USAGE).toContain("mediagen mcp [--url U] [--print-config]");
    expect(USAGE).toContain("MEDIAGEN_TOKEN");
  });

  test("--print-config: the mcpServers entry that starts this command, with a non-default URL and the token", () => {
    const plain = clientConfig({ kind: "mcp", printConfig: true }, {}) as { mcpServers: { mediagen: { command: string; args: string[]; env?: unknown } } };
    expect(plain.mcpServers.mediagen.command).toBe(process.execPath);
    expect(plain.mcpServers.mediagen.args.at(-1)).toBe("mcp");
    expect(plain.mcpServers.mediagen.env).toBeUndefined();
    const custom = clientConfig({ kind: "mcp", printConfig: true }, { MEDIAGEN_URL: "http://127.0.0.1:7171", MEDIAGEN_TOKEN: "t0k" }) as typeof plain;
    expect(custom.mcpServers.mediagen.args.slice(-3)).toEqual(["mcp", "--url", "http://127.0.0.1:7171"]);
    expect(custom.mcpServers.mediagen.env).toEqual({ MEDIAGEN_TOKEN: "t0k" });
    const tunnelled = clientConfig({ kind: "mcp", printConfig: true }, { MEDIAGEN_DELIVERY: "download" }) as typeof plain;
    expect(tunnelled.mcpServers.mediagen.env).toEqual({ MEDIAGEN_DELIVERY: "download" });
  });

  test("no daemon: the message gives the exact command that starts one at that address", () => {
    const self = { command: "/opt/mediagen", args: [] };
    expect(noDaemonMessage("http://127.0.0.1:7070", self)).toContain("`/opt/mediagen serve`");
    expect(noDaemonMessage("http://127.0.0.1:7171", self)).toContain("`/opt/mediagen serve --port 7171`");
    expect(noDaemonMessage("http://studio.lan:7070", self)).toContain("Start it on studio.lan");
  });
});

describe("mediagen mcp over stdio, from source", () => {
  let fake: FakeClacky;
  let h: Harness;
  let server: ReturnType<typeof Bun.serve>;
  const clients: Client[] = [];
  beforeAll(() => {
    fake = startFakeClacky();
    h = createHarness({ config: clackyConfig(fake.url, fake.key) });
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => h.app.handle(request) });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await server.stop(true);
    h[Symbol.dispose]();
    await fake.close();
  });

  async function start(url: string, name: string, env: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name, version: "0.1" });
    await client.connect(new StdioClientTransport({ command: BUN, args: [join(REPO, "server/main.ts"), "mcp", "--url", url], cwd: h.root, env: { PATH: process.env.PATH ?? "", ...env }, stderr: "pipe" }));
    clients.push(client);
    return client;
  }

  test("forwards to the daemon: the generation is recorded with door mcp and the client's name", async () => {
    const client = await start(server.url.href, "stdio-agent");
    expect((await client.listTools()).tools).toHaveLength(7);
    const result = (await client.callTool({ name: "generate_speech", arguments: { input: "Over stdio.", output_dir: h.workDir } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const record = result.structuredContent as { id: string; audio: string };
    expect(record.audio.startsWith(h.workDir)).toBe(true);
    expect(await h.ledger.get(record.id)).toMatchObject({ door: "mcp", client: "stdio-agent" });
  });

  test("a remote daemon (MEDIAGEN_DELIVERY=download): input files go as bytes, the result is downloaded into output_dir", async () => {
    const client = await start(server.url.href, "remote-agent", { MEDIAGEN_DELIVERY: "download" });
    const input = join(h.root, "input.png");
    writeFileSync(input, makePng(8, 8));
    const asked = join(h.root, "remote-caller");
    const result = (await client.callTool({ name: "generate_image", arguments: { prompt: "stdio remote edit", image: input, output_dir: asked } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const record = result.structuredContent as { id: string; image: string; daemon_path: string; delivery?: string };
    expect(record.image).toStartWith(join(asked, "assets", "generated", "img_"));
    expect(record.delivery).toBeUndefined();
    const row = (await h.ledger.get(record.id))!;
    expect(record.daemon_path).toBe(row.output_path!);
    expect(row.output_path).toStartWith(storeDir(h.dataDir));
    expect(row.params).toMatchObject({ delivery: "download", caller_output_dir: asked, inputs: ["data-url"] });
    expect(new Uint8Array(readFileSync(record.image))).toEqual(new Uint8Array(readFileSync(row.output_path!)));
    const link = result.content.find((c) => c.type === "resource_link") as { uri: string } | undefined;
    expect(link?.uri).toBe(pathToFileURL(record.image).href);
    expect(readdirSync(join(asked, "assets", "generated")).filter((name) => name.startsWith("."))).toEqual([]);
  });

  test("a remote result that cannot be downloaded is a tool error naming its generation and download_url; the ledger keeps it", async () => {
    const broken = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => (new URL(request.url).pathname.endsWith("/file") ? new Response("disk on fire", { status: 503 }) : h.app.handle(request)),
    });
    try {
      const client = await start(broken.url.href, "unlucky-agent", { MEDIAGEN_DELIVERY: "download" });
      const asked = join(h.root, "never-filled");
      const result = (await client.callTool({ name: "generate_speech", arguments: { input: "Lost in transit.", output_dir: asked } })) as CallToolResult;
      expect(result.isError).toBe(true);
      const text = result.content[0]?.type === "text" ? result.content[0].text : "";
      expect(text).toStartWith("download_failed: ");
      const id = /generation ([\w-]+)\)/.exec(text)?.[1] ?? "";
      expect(text).toContain(`${broken.url.href.replace(/\/$/, "")}/api/generations/${id}/file`);
      expect(text).toContain("HTTP 503");
      expect(await h.ledger.get(id)).toMatchObject({ status: "succeeded", client: "unlucky-agent" });
      expect(existsSync((await h.ledger.get(id))!.output_path!)).toBe(true);
      expect(existsSync(join(asked, "assets", "generated")) ? readdirSync(join(asked, "assets", "generated")) : []).toEqual([]);
    } finally {
      await broken.stop(true);
    }
  });

  test("a cancelled call cancels its queued job in the daemon; progress arrives while it waits", async () => {
    fake.slowMs = 800;
    const client = await start(server.url.href, "stdio-canceller");
    const blocker = client.callTool({ name: "generate_image", arguments: { prompt: "stdio blocker [[fake:slow]]", output_dir: h.workDir } });
    await Bun.sleep(100);
    const controller = new AbortController();
    const messages: string[] = [];
    const waiting = client.callTool({ name: "generate_image", arguments: { prompt: "stdio never made", output_dir: h.workDir } }, undefined, {
      signal: controller.signal,
      onprogress: (p) => messages.push(p.message ?? ""),
    });
    await Bun.sleep(300);
    controller.abort("not needed");
    await waiting.catch(() => {});
    await blocker;
    expect(messages).toContain("queued: position 1 in the image queue");
    const row = await (async () => {
      for (let i = 0; i < 50; i++) {
        const found = (await h.ledger.list({ q: "stdio never made", limit: 1 })).items[0];
        if (found?.status === "cancelled") return found;
        await Bun.sleep(20);
      }
      return (await h.ledger.list({ q: "stdio never made", limit: 1 })).items[0];
    })();
    expect(row).toMatchObject({ status: "cancelled", door: "mcp", client: "stdio-canceller" });
    expect(fake.requests.some((r) => String(r.body.prompt).includes("stdio never made"))).toBe(false);
  });

  test("a daemon that requires a token: the tool error says to set MEDIAGEN_TOKEN", async () => {
    h.config.update((doc) => doc.setIn(["server", "token"], "stdio-secret-token-0123"));
    try {
      const client = await start(server.url.href, "tokenless");
      const result = (await client.callTool({ name: "media_types", arguments: {} })) as CallToolResult;
      expect(result.isError).toBe(true);
      const text = result.content[0]?.type === "text" ? result.content[0].text : "";
      expect(text).toStartWith("unauthorized: ");
      expect(text).toContain("Set MEDIAGEN_TOKEN");
    } finally {
      h.config.update((doc) => doc.deleteIn(["server", "token"]));
    }
  });

  test("no daemon: every tool is a tool error saying how to start one", async () => {
    const client = await start("http://127.0.0.1:9", "lonely-agent");
    for (const name of ["media_types", "generate_image"]) {
      const result = (await client.callTool({ name, arguments: name === "generate_image" ? { prompt: "x" } : {} })) as CallToolResult;
      expect(result.isError).toBe(true);
      const text = result.content[0]?.type === "text" ? result.content[0].text : "";
      expect(text).toStartWith("daemon_unreachable: No mediagen daemon answers at http://127.0.0.1:9.");
      expect(text).toContain("serve --port 9");
    }
  });
});
