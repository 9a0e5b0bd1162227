// Every door shares one queue, one ledger and one budget: a flood mixing the seed API, the web UI's label, the
// OpenAI-compatible API and MCP never runs more image jobs at once than jobs.image.concurrency, and each request is
// recorded with the door it came through.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import OpenAI from "openai";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";

let fake: FakeClacky;
let h: Harness;
let server: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  fake = startFakeClacky();
  fake.slowMs = 80;
  const config = clackyConfig(fake.url, fake.key);
  h = createHarness({ config: { ...config, jobs: { image: { concurrency: 2, queue: 100, max_attempts: 1 } } } });
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => h.app.handle(request) });
});
afterAll(async () => {
  await server.stop(true);
  h[Symbol.dispose]();
  await fake.close();
});

test("a flood through four doors at once stays within the image concurrency; each row names its door", async () => {
  const openai = new OpenAI({ baseURL: `${server.url.href}v1`, apiKey: "any-key-on-loopback", maxRetries: 0 });
  const mcp = new Client({ name: "flood-client", version: "1.0.0" });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(`${server.url.href}mcp`)));
  fake.maxInFlight = 0;
  const seed = (i: number, headers: Record<string, string> = {}) => h.post("/api/media/image", { prompt: `flood seed ${i}`, output_dir: h.workDir }, headers);
  const results = await Promise.all([
    ...[1, 2, 3].map((i) => seed(i)),
    ...[1, 2].map((i) => seed(100 + i, { "x-mediagen-door": "ui" })),
    ...[1, 2, 3].map((i) => openai.images.generate({ prompt: `flood openai ${i}`, model: "img", response_format: "url" })),
    ...[1, 2].map((i) => mcp.callTool({ name: "generate_image", arguments: { prompt: `flood mcp ${i}`, output_dir: h.workDir } })),
  ]);
  await mcp.close();
  expect(results).toHaveLength(10);
  expect(fake.maxInFlight).toBeLessThanOrEqual(2);
  expect(fake.maxInFlight).toBeGreaterThan(0);
  const rows = (await h.ledger.list({ q: "flood", limit: 50 })).items;
  const doors = rows.map((r) => r.door).sort();
  expect(doors).toEqual(["api", "api", "api", "mcp", "mcp", "openai", "openai", "openai", "ui", "ui"]);
  expect(rows.every((r) => r.status === "succeeded")).toBe(true);
  expect(rows.find((r) => r.door === "mcp")!.client).toBe("flood-client");
});
