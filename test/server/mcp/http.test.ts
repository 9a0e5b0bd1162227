// The daemon's /mcp door driven by the MCP SDK's own Client over Streamable HTTP, through app.handle (no port):
// every tool, progress notifications, cancellation, roots as output_dir, failures as tool errors, the guards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ListRootsRequestSchema, type CallToolResult, type Progress } from "@modelcontextprotocol/sdk/types.js";
import { startFakeGemini } from "../../fakes/gemini.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";

let fake: FakeClacky;
let h: Harness;
const clients: Client[] = [];

beforeAll(() => {
  fake = startFakeClacky();
  fake.slowMs = 600;
  const once = { concurrency: 1, max_attempts: 1 };
  h = createHarness({ config: { ...clackyConfig(fake.url, fake.key), jobs: { image: once, video: once, audio: once } } });
  mkdirSync(h.workDir, { recursive: true });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  h[Symbol.dispose]();
  await fake.close();
});

/** A connected SDK client named `name`; with `root`, it declares that folder as its root. */
async function connect(name: string, options: { root?: string; headers?: Record<string, string>; harness?: Harness } = {}): Promise<Client> {
  const app = (options.harness ?? h).app;
  const client = new Client({ name, version: "1.0.0" }, { capabilities: options.root ? { roots: {} } : {} });
  if (options.root) client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: pathToFileURL(options.root!).href, name: "project" }] }));
  const transport = new StreamableHTTPClientTransport(new URL("http://127.0.0.1:7070/mcp"), {
    fetch: (url, init) => app.handle(new Request(url, init)),
    requestInit: { headers: options.headers ?? {} },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}, onprogress?: (p: Progress) => void) =>
  client.callTool({ name, arguments: args }, undefined, onprogress ? { onprogress, resetTimeoutOnProgress: true } : {}) as Promise<CallToolResult>;

const text = (result: CallToolResult) => result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

describe("/mcp over Streamable HTTP", () => {
  test("lists the seven tools, each with its input and output schema and the skill's guidance", async () => {
    const client = await connect("lister");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["cost_summary", "generate_image", "generate_speech", "generate_video", "get_job", "list_generations", "media_types"]);
    for (const tool of tools) {
      expect(tool.outputSchema?.type).toBe("object");
      expect(tool.description!.length).toBeLessThan(600);
    }
    const image = tools.find((t) => t.name === "generate_image")!;
    expect(Object.keys(image.inputSchema.properties ?? {}).sort()).toEqual(["aspect_ratio", "image", "images", "model", "output_dir", "prompt"]);
    expect(image.inputSchema.required).toEqual(["prompt"]);
    expect(image.description).toContain("never in parallel");
    expect(Object.keys(tools.find((t) => t.name === "generate_video")!.inputSchema.properties ?? {}).sort()).toEqual([
      "aspect_ratio",
      "duration_seconds",
      "image",
      "model",
      "output_dir",
      "prompt",
    ]);
    expect(Object.keys(tools.find((t) => t.name === "generate_speech")!.inputSchema.properties ?? {}).sort()).toEqual(["input", "model", "output_dir", "voice"]);
    expect(client.getInstructions()).toContain("one generation at a time");
  });

  test("generate_image answers the API's record, the absolute path and a file link; the ledger records door mcp and the client's name", async () => {
    const client = await connect("image-agent");
    const result = await call(client, "generate_image", { prompt: "a red fox", aspect_ratio: "square", output_dir: h.workDir });
    expect(result.isError).toBeFalsy();
    const record = result.structuredContent as Record<string, any>;
    expect(record).toMatchObject({ success: true, provider: "openclacky", model: "or-gpt-image-2", aspect_ratio: "square", size: "1024x1024" });
    expect(record.image.startsWith(join(h.workDir, "assets/generated/"))).toBe(true);
    expect(text(result)).toContain(record.image);
    expect(result.content).toContainEqual(expect.objectContaining({ type: "resource_link", uri: pathToFileURL(record.image).href, mimeType: "image/png" }));
    expect(await h.ledger.get(record.id)).toMatchObject({ door: "mcp", client: "image-agent", status: "succeeded" });
  });

  test("without output_dir the file goes to the client's root", async () => {
    const root = join(h.root, "project");
    mkdirSync(root, { recursive: true });
    const client = await connect("rooted", { root });
    const result = await call(client, "generate_speech", { input: "Hello from the root." });
    const record = result.structuredContent as Record<string, any>;
    expect(record.audio.startsWith(join(root, "assets/generated/"))).toBe(true);
    expect(result.content).toContainEqual(expect.objectContaining({ type: "resource_link", mimeType: "audio/wav" }));
  });

  test("a queued then running job reports progress: queue position, then running with elapsed time", async () => {
    const client = await connect("progress-agent");
    const first = call(client, "generate_image", { prompt: "first [[fake:slow]]", output_dir: h.workDir });
    await Bun.sleep(50);
    const seen: Progress[] = [];
    const second = await call(client, "generate_image", { prompt: "second [[fake:slow]]", output_dir: h.workDir }, (p) => seen.push(p));
    await first;
    expect(second.isError).toBeFalsy();
    const messages = seen.map((p) => p.message ?? "");
    expect(messages.some((m) => m.includes("queued: position 1 in the image queue"))).toBe(true);
    expect(messages.some((m) => m.startsWith("running at openclacky (or-gpt-image-2)"))).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
  });

  test("a cancelled call cancels its queued job; nothing reaches the provider", async () => {
    const client = await connect("canceller");
    const first = call(client, "generate_image", { prompt: "blocker [[fake:slow]]", output_dir: h.workDir });
    await Bun.sleep(50);
    const controller = new AbortController();
    const second = client.callTool({ name: "generate_image", arguments: { prompt: "never made", output_dir: h.workDir } }, undefined, { signal: controller.signal });
    await Bun.sleep(100);
    controller.abort("changed my mind");
    expect(await second.catch((e: unknown) => String(e))).toContain("changed my mind");
    await first;
    const row = (await h.ledger.list({ q: "never made", limit: 1 })).items[0];
    expect(row).toMatchObject({ status: "cancelled", door: "mcp", client: "canceller" });
    expect(fake.requests.some((r) => String(r.body.prompt).includes("never made"))).toBe(false);
  });

  test("failures are tool errors with the error_type and message", async () => {
    const client = await connect("failing-agent");
    const refused = await call(client, "generate_image", { prompt: "a cat [[fake:401]]", output_dir: h.workDir });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toStartWith("auth_required: ");
    expect(refused.structuredContent).toMatchObject({ success: false, image: null, error_type: "auth_required" });
    const unknown = await call(client, "generate_video", { prompt: "a wave", model: "no-such-model", output_dir: h.workDir });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toStartWith("invalid_argument: ");
    expect(text(unknown)).toContain("no-such-model");
    const badDuration = await call(client, "generate_video", { prompt: "a wave", duration_seconds: 30, output_dir: h.workDir });
    expect(text(badDuration)).toStartWith("invalid_argument: duration_seconds");
    const noJob = await call(client, "get_job", { id: "nope" });
    expect(noJob.isError).toBe(true);
    expect(text(noJob)).toBe("not_found: No job with id nope");
  });

  test("arguments the SDK refuses against a tool's schema are recorded as refused: door mcp, the client, the field", async () => {
    const client = await connect("sloppy-agent");
    const refused = await call(client, "generate_image", { prompt: 42, output_dir: h.workDir });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain("Input validation error");
    const noPrompt = await call(client, "generate_speech", { voice: "alloy" });
    expect(noPrompt.isError).toBe(true);
    const rows = (await h.ledger.list({ status: "refused", client: "sloppy-agent" })).items;
    expect(rows.map((row) => [row.type, row.door, row.error_type]).sort()).toEqual([
      ["audio", "mcp", "invalid_argument"],
      ["image", "mcp", "invalid_argument"],
    ]);
    expect(rows.find((row) => row.type === "image")!.error).toStartWith("prompt: ");
    expect(rows.find((row) => row.type === "audio")!.session_id).toBeString();
    // Other tools' bad arguments are not generations: nothing more is recorded.
    await call(client, "get_job", { id: 7 });
    expect((await h.ledger.list({ status: "refused", client: "sloppy-agent" })).items).toHaveLength(2);
  });

  test("media_types, get_job, list_generations and cost_summary answer the API's records", async () => {
    const client = await connect("reader");
    const types = await call(client, "media_types");
    expect(types.structuredContent).toEqual(h.media.types() as Record<string, unknown>);
    expect(text(types)).toContain("image: or-gpt-image-2 (openclacky");

    const made = await call(client, "generate_speech", { input: "Read me back.", output_dir: h.workDir });
    const id = (made.structuredContent as { id: string }).id;
    const job = await call(client, "get_job", { id });
    expect(job.structuredContent).toMatchObject({ id, status: "succeeded", type: "audio", result: { success: true, id } });

    const page = await call(client, "list_generations", { door: "mcp", q: "Read me back", limit: 5 });
    const items = (page.structuredContent as { items: { id: string; door: string; client: string }[] }).items;
    expect(items).toEqual([expect.objectContaining({ id, door: "mcp", client: "reader" })]);
    expect(text(page)).toContain(id);
    const bad = await call(client, "list_generations", { from: "yesterday" });
    expect(text(bad)).toStartWith("invalid_argument: from");

    const costs = await call(client, "cost_summary", { group_by: "type" });
    expect(costs.structuredContent).toMatchObject({ group_by: "type", total: { count: expect.any(Number) } });
    expect(text(costs)).toContain("audio: $");
  });
});

describe("/mcp progress from the provider", () => {
  test("a Veo job's progressPercent reaches the client in its progress messages", async () => {
    const gemini = startFakeGemini();
    gemini.pendingPolls = 3;
    gemini.reportProgress = true;
    const veo = createHarness({
      config: { models: [{ type: "video", provider: "gemini", model: "veo-3.1-generate-preview", api_key: gemini.key, base_url: gemini.url }] },
      pollIntervalSeconds: 0.2,
    });
    try {
      mkdirSync(veo.workDir, { recursive: true });
      const client = await connect("veo-watcher", { harness: veo });
      const seen: Progress[] = [];
      const result = await call(client, "generate_video", { prompt: "a wave", duration_seconds: 8, output_dir: veo.workDir }, (p) => seen.push(p));
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ success: true, provider: "gemini" });
      expect(seen.some((p) => /^running at gemini \(veo-3\.1-generate-preview\), \d+ s elapsed, (33|67)% done$/.test(p.message ?? ""))).toBe(true);
    } finally {
      veo[Symbol.dispose]();
      await gemini.close();
    }
  });
});

describe("/mcp guards", () => {
  const initialize = (headers: Record<string, string>) =>
    h.app.handle(
      new Request("http://127.0.0.1:7070/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
      }),
    );

  test("another site's Origin and a foreign Host are refused like /api", async () => {
    expect((await initialize({ origin: "https://evil.example" })).status).toBe(403);
    expect((await initialize({ host: "evil.example" })).status).toBe(403);
  });

  test("a configured token is required, and lets a client in", async () => {
    h.config.update((doc) => doc.setIn(["server", "token"], "mcp-secret-token"));
    try {
      const refused = await initialize({});
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error_type: "unauthorized" });
      const client = await connect("with-token", { headers: { authorization: "Bearer mcp-secret-token" } });
      expect((await client.listTools()).tools.length).toBe(7);
    } finally {
      h.config.update((doc) => doc.deleteIn(["server", "token"]));
    }
  });

  test("an unknown session is 404; a request without one that is not initialize is 400", async () => {
    const unknown = await h.app.handle(new Request("http://127.0.0.1:7070/mcp", { method: "GET", headers: { "mcp-session-id": "nope", accept: "text/event-stream" } }));
    expect(unknown.status).toBe(404);
    const bare = await h.app.handle(new Request("http://127.0.0.1:7070/mcp", { method: "GET", headers: { accept: "text/event-stream" } }));
    expect(bare.status).toBe(400);
  });
});
