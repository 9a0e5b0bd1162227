// The MCP doors of the executable, driven by the MCP SDK's own Client: `mediagen mcp --url ...` spawned over stdio
// from an empty folder, and the daemon's /mcp over Streamable HTTP through the real front door. Every tool is
// called; progress notifications, a failure as a tool error, and the ledger's door and client are checked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import { startFakeClacky, type FakeClacky } from "../fakes/openclacky.ts";
import { clackyConfig, tempDir } from "../helpers.ts";
import { BUILD_TIMEOUT_MS, cleanEnv, getJson, prepareExecutable, startDaemon, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;
const TOOLS = ["cost_summary", "generate_image", "generate_speech", "generate_video", "get_job", "list_generations", "media_types"];

const root = tempDir("mediagen-e2e-mcp-");
const dataDir = join(root.path, "data");
const workspace = join(root.path, "workspace");
const home = join(root.path, "home");
let binary = "";
let runDir = "";
let fake: FakeClacky;
let daemon: Daemon;
const clients: Client[] = [];

beforeAll(async () => {
  ({ binary, runDir } = await prepareExecutable(root.path));
  for (const dir of [dataDir, workspace, home]) mkdirSync(dir, { recursive: true });
  fake = startFakeClacky();
  fake.slowMs = 1500;
  const once = { concurrency: 1, max_attempts: 1 };
  writeFileSync(join(dataDir, "config.yml"), stringify({ ...clackyConfig(fake.url, fake.key), jobs: { image: once, video: once, audio: once } }), { mode: 0o600 });
  daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir, env: cleanEnv({ HOME: home }) });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => {})));
  await daemon?.stop("SIGTERM").catch(() => daemon.dispose());
  await fake?.close();
  root[Symbol.dispose]();
});

async function stdioClient(name: string, url = daemon.url): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: binary, args: ["mcp", "--url", url], cwd: runDir, env: cleanEnv({ HOME: home }), stderr: "pipe" }));
  clients.push(client);
  return client;
}

async function httpClient(name: string): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${daemon.url}/mcp`)));
  clients.push(client);
  return client;
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}, onprogress?: (p: Progress) => void) =>
  client.callTool({ name, arguments: args }, undefined, onprogress ? { onprogress, resetTimeoutOnProgress: true } : {}) as Promise<CallToolResult>;
const text = (result: CallToolResult) => result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

/** Calls every tool once, with progress on a queued image, and checks each answer; returns the generations made. */
async function everyTool(client: Client, label: string): Promise<string[]> {
  expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(TOOLS);
  expect((await call(client, "media_types")).structuredContent).toMatchObject({ image: { configured: true, model: "or-gpt-image-2" } });

  const blocker = call(client, "generate_image", { prompt: `${label} blocker [[fake:slow]]`, output_dir: workspace });
  await Bun.sleep(200);
  const progress: Progress[] = [];
  const image = await call(client, "generate_image", { prompt: `${label} a lighthouse [[fake:slow]]`, aspect_ratio: "portrait", output_dir: workspace }, (p) => progress.push(p));
  await blocker;
  expect(image.isError).toBeFalsy();
  const imageRecord = image.structuredContent as { id: string; image: string };
  expect(imageRecord.image.startsWith(join(workspace, "assets/generated/"))).toBe(true);
  expect(text(image)).toContain(imageRecord.image);
  expect(image.content).toContainEqual(expect.objectContaining({ type: "resource_link", uri: pathToFileURL(imageRecord.image).href, mimeType: "image/png" }));
  expect(progress.some((p) => p.message?.startsWith("queued: position 1"))).toBe(true);
  expect(progress.some((p) => p.message?.startsWith("running at openclacky"))).toBe(true);

  const video = await call(client, "generate_video", { prompt: `${label} waves`, duration_seconds: 4, output_dir: workspace });
  expect(video.structuredContent).toMatchObject({ success: true, duration_seconds: 4 });
  expect(video.content).toContainEqual(expect.objectContaining({ type: "resource_link", mimeType: "video/mp4" }));
  const speech = await call(client, "generate_speech", { input: `${label} says hello.`, voice: "Kore", output_dir: workspace });
  expect(speech.structuredContent).toMatchObject({ success: true, voice: "Kore", mime_type: "audio/wav" });
  const ids = [imageRecord.id, (video.structuredContent as { id: string }).id, (speech.structuredContent as { id: string }).id];

  expect((await call(client, "get_job", { id: ids[2] })).structuredContent).toMatchObject({ id: ids[2], status: "succeeded", type: "audio" });
  const page = (await call(client, "list_generations", { door: "mcp", q: label })).structuredContent as { items: { id: string }[] };
  expect(page.items.map((g) => g.id)).toEqual(expect.arrayContaining(ids));
  expect((await call(client, "cost_summary", { group_by: "type" })).structuredContent).toMatchObject({ group_by: "type" });

  const failed = await call(client, "generate_image", { prompt: `${label} refused [[fake:content_filter]]`, output_dir: workspace });
  expect(failed.isError).toBe(true);
  expect(text(failed)).toStartWith("content_filtered: ");
  return ids;
}

describe("mediagen mcp over stdio (the executable, from an empty folder)", () => {
  test(
    "every tool, progress, a failure; the ledger records door mcp and the client's name",
    async () => {
      const ids = await everyTool(await stdioClient("e2e-stdio-agent"), "stdio");
      const { items } = (await getJson(`${daemon.url}/api/generations?door=mcp&q=stdio&limit=50`)).json<{ items: { id: string; door: string; client: string }[] }>();
      for (const id of ids) expect(items.find((g) => g.id === id)).toMatchObject({ door: "mcp", client: "e2e-stdio-agent" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "no daemon at --url: the tools say how to start one",
    async () => {
      const result = await call(await stdioClient("e2e-lonely", "http://127.0.0.1:9"), "generate_speech", { input: "anyone?" });
      expect(result.isError).toBe(true);
      expect(text(result)).toContain(`\`${binary} serve --port 9\``);
    },
    TEST_TIMEOUT_MS,
  );

  test("--print-config prints the entry that starts this executable", async () => {
    const proc = Bun.spawn([binary, "mcp", "--print-config", "--url", daemon.url], { cwd: runDir, env: cleanEnv(), stdout: "pipe" });
    const config = JSON.parse(await new Response(proc.stdout).text());
    expect(config).toEqual({ mcpServers: { mediagen: { command: binary, args: ["mcp", "--url", daemon.url] } } });
  });
});

describe("the daemon's /mcp over Streamable HTTP", () => {
  test(
    "every tool, progress, a failure; the ledger records door mcp and the client's name",
    async () => {
      const ids = await everyTool(await httpClient("e2e-http-agent"), "http");
      const { items } = (await getJson(`${daemon.url}/api/generations?door=mcp&q=http&limit=50`)).json<{ items: { id: string; door: string; client: string }[] }>();
      for (const id of ids) expect(items.find((g) => g.id === id)).toMatchObject({ door: "mcp", client: "e2e-http-agent" });
    },
    TEST_TIMEOUT_MS,
  );

  test("another site's Origin is refused before the body is read", async () => {
    const response = await fetch(`${daemon.url}/mcp`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error_type: "forbidden" });
  });
});
