// Outputs for remote callers, through app.handle with a simulated peer (the X-Mediagen-Peer header the front door
// stamps): the file stays in the daemon's output store, never in a folder the caller named; every answer carries
// download_url; input paths of a remote caller are refused; a local caller keeps today's behaviour.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ServerSettings } from "../../../server/config/schema.ts";
import { storeDir } from "../../../server/media/output-files.ts";
import { makePng } from "../../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";

let fake: FakeClacky;
let h: Harness;

beforeAll(() => {
  fake = startFakeClacky();
  h = createHarness({ config: clackyConfig(fake.url, fake.key) });
  mkdirSync(h.workDir, { recursive: true });
});
afterAll(async () => {
  h[Symbol.dispose]();
  await fake.close();
});

/** The peer address the front door would stamp for a caller on another machine. */
const REMOTE = { "x-mediagen-peer": "203.0.113.7" };
const store = () => storeDir(h.dataDir);
const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((name) => !name.startsWith(".")) : []);

async function download(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return h.app.handle(new Request(url, { headers }));
}

describe("a remote caller's result", () => {
  test("is kept in the daemon's output store, not in the output_dir it named; the answer carries download_url and the ledger records both", async () => {
    const asked = join(h.workDir, "remote-project");
    const { status, body } = await h.post("/api/media/image", { prompt: "a red fox", output_dir: asked }, REMOTE);
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, delivery: "download", download_url: `http://127.0.0.1:7070/api/generations/${body.id}/file` });
    expect(body.image).toStartWith(`${store()}/img_`);
    expect(existsSync(asked)).toBe(false);
    const row = (await h.ledger.get(body.id))!;
    expect(row.output_path).toBe(body.image);
    expect(row.params).toMatchObject({ output_dir: store(), delivery: "download", caller_output_dir: asked });

    const file = await download(body.download_url);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array(readFileSync(body.image)));
  });

  test("an output_dir that is no path here (another system's, relative) is recorded as asked, not refused", async () => {
    for (const asked of ["C:\\Users\\me\\project", "relative/folder"]) {
      const { status, body } = await h.post("/api/media/audio/speech", { input: "Hello.", output_dir: asked }, REMOTE);
      expect({ asked, status }).toEqual({ asked, status: 200 });
      expect((await h.ledger.get(body.id))!.params.caller_output_dir).toBe(asked);
      expect(body.audio).toStartWith(store());
    }
  });

  test("X-Mediagen-Delivery: download from a loopback caller, and a request a reverse proxy forwarded, are remote too", async () => {
    const cases: Record<string, string>[] = [{ "x-mediagen-delivery": "download" }, { "x-mediagen-peer": "127.0.0.1", "x-forwarded-for": "198.51.100.4" }, { "x-mediagen-peer": "::ffff:10.1.2.3" }];
    for (const headers of cases) {
      const { status, body } = await h.post("/api/media/audio/speech", { input: "Hi.", output_dir: h.workDir }, headers);
      expect({ headers, status, delivery: body.delivery }).toEqual({ headers, status: 200, delivery: "download" });
      expect(body.audio).toStartWith(store());
    }
  });

  test("an unknown X-Mediagen-Delivery value is a 400 naming the header", async () => {
    const { status, body } = await h.post("/api/media/audio/speech", { input: "Hi." }, { "x-mediagen-delivery": "carrier-pigeon" });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_type: "invalid_argument", field: "x-mediagen-delivery", allowed: ["download"] });
  });

  test("input files named by path on the daemon are refused with a 400 naming the field; data URLs are taken", async () => {
    const png = join(h.workDir, "input.png");
    writeFileSync(png, makePng(8, 8));
    const refused = [
      ["/api/media/image", { prompt: "edit", image: png }, "image"],
      ["/api/media/image", { prompt: "edit", images: [`data:image/png;base64,${Buffer.from(makePng(8, 8)).toString("base64")}`, "/etc/passwd"] }, "images[1]"],
      ["/api/media/video", { prompt: "clip", first_frame: png }, "first_frame"],
      ["/api/media/video", { prompt: "clip", reference_videos: ["/etc/hostname"] }, "reference_videos[0]"],
    ] as const;
    const before = fake.requests.length;
    for (const [path, request, field] of refused) {
      const { status, body } = await h.post(path, request, REMOTE);
      expect({ field, status, error_type: body.error_type, named: body.field }).toEqual({ field, status: 400, error_type: "invalid_argument", named: field });
      expect(body.error).toContain("data: URL or base64");
    }
    expect(fake.requests.length).toBe(before);

    const inline = `data:image/png;base64,${Buffer.from(makePng(8, 8)).toString("base64")}`;
    const { status, body } = await h.post("/api/media/image", { prompt: "edit", image: inline }, REMOTE);
    expect(status).toBe(200);
    expect(body.image).toStartWith(store());
  });

  test("an async job's status, its events and the legacy status carry the download_url", async () => {
    const submitted = await h.post("/api/media/audio/speech", { input: "Later.", async: true }, REMOTE);
    expect(submitted.status).toBe(202);
    const id = String(submitted.body.id);
    let job = (await h.get(`/api/media/jobs/${id}`, REMOTE)).body;
    for (let i = 0; i < 100 && job.status !== "succeeded"; i++) {
      await Bun.sleep(50);
      job = (await h.get(`/api/media/jobs/${id}`, REMOTE)).body;
    }
    expect(job.result).toMatchObject({ success: true, delivery: "download", download_url: `http://127.0.0.1:7070/api/generations/${id}/file` });
    const events = await (await h.call(`/api/media/jobs/${id}/events`, { headers: REMOTE })).text();
    expect(events).toContain(`"download_url":"http://127.0.0.1:7070/api/generations/${id}/file"`);
    const legacy = (await h.get(`/api/media/video/status?task_id=${id}`, REMOTE)).body;
    expect(legacy).toMatchObject({ status: "succeeded", download_url: job.result.download_url });
    // A local caller looking at the same job gets the URL but no delivery mark: the path is on its machine.
    const local = (await h.get(`/api/media/jobs/${id}`)).body;
    expect(local.result.download_url).toBe(job.result.download_url);
    expect(local.result.delivery).toBeUndefined();
  });
});

describe("a local caller's result", () => {
  test("is written into its output_dir as today, and the answer carries download_url too", async () => {
    const { status, body } = await h.post("/api/media/image", { prompt: "a blue fox", output_dir: h.workDir }, { "x-mediagen-peer": "127.0.0.1" });
    expect(status).toBe(200);
    expect(body.image).toStartWith(join(h.workDir, "assets", "generated"));
    expect(body.download_url).toBe(`http://127.0.0.1:7070/api/generations/${body.id}/file`);
    expect(body.delivery).toBeUndefined();
    expect((await h.ledger.get(body.id))!.params.delivery).toBeUndefined();
  });

  test("may still name input files by path", async () => {
    const png = join(h.workDir, "local-input.png");
    writeFileSync(png, makePng(8, 8));
    const { status, body } = await h.post("/api/media/image", { prompt: "edit", image: png, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.success).toBe(true);
  });
});

describe("download_url behind a reverse proxy", () => {
  test("is built on server.public_url when set, and works with ?access_token= when a token is required", async () => {
    const token = "proxy-test-token-0123";
    using proxied = createHarness({ config: { ...clackyConfig(fake.url, fake.key), server: { public_url: "https://media.example.com/", token } } });
    const auth = { authorization: `Bearer ${token}` };
    const { status, body } = await proxied.post("/api/media/audio/speech", { input: "Behind a proxy." }, { ...auth, "x-mediagen-peer": "127.0.0.1", "x-forwarded-for": "198.51.100.9" });
    expect(status).toBe(200);
    expect(body.download_url).toBe(`https://media.example.com/api/generations/${body.id}/file`);
    expect(body.audio).toStartWith(storeDir(proxied.dataDir));
    const path = new URL(body.download_url).pathname;
    expect((await proxied.call(path)).status).toBe(401);
    const file = await proxied.call(`${path}?access_token=${token}`);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array(readFileSync(body.audio)));
  });

  test("server.public_url must be an http(s) URL", () => {
    expect(ServerSettings.safeParse({ public_url: "https://media.example.com" }).success).toBe(true);
    for (const bad of ["media.example.com", "ftp://media.example.com"]) {
      const parsed = ServerSettings.safeParse({ public_url: bad });
      expect(parsed.error?.issues[0]).toMatchObject({ path: ["public_url"], message: "must be an http(s) URL, e.g. https://mediagen.example.com" });
    }
  });
});

describe("the other doors", () => {
  test("the OpenAI door keeps a remote caller's image in the store and adds download_url to each image", async () => {
    const { status, body } = await h.post("/v1/images/generations", { prompt: "a green fox", response_format: "b64_json" }, { authorization: "Bearer x", ...REMOTE });
    expect(status).toBe(200);
    const id = new URL(body.data[0].download_url).pathname.split("/")[3]!;
    expect((await h.ledger.get(id))!.output_path).toStartWith(store());
    expect((await h.ledger.get(id))!.params.delivery).toBe("download");
    expect(body.data[0].b64_json).toBe(readFileSync((await h.ledger.get(id))!.output_path!).toString("base64"));
  });

  test("OpenAI speech names its generation and download URL in headers", async () => {
    const response = await h.call("/v1/audio/speech", { method: "POST", headers: { "content-type": "application/json", ...REMOTE }, body: JSON.stringify({ model: "tts", input: "Hi there.", voice: "Kore" }) });
    expect(response.status).toBe(200);
    const id = response.headers.get("x-mediagen-generation-id")!;
    expect(response.headers.get("x-mediagen-download-url")).toBe(`http://127.0.0.1:7070/api/generations/${id}/file`);
    expect((await h.ledger.get(id))!.output_path).toStartWith(store());
  });

  test("the daemon's /mcp links a remote caller's file by its download URL, not a path on the daemon", async () => {
    const client = new Client({ name: "remote-agent", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL("http://127.0.0.1:7070/mcp"), {
      fetch: (url, init) => h.app.handle(new Request(url, init)),
      requestInit: { headers: REMOTE },
    });
    await client.connect(transport);
    try {
      const result = (await client.callTool({ name: "generate_speech", arguments: { input: "Over MCP.", output_dir: "/home/agent/project" } })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const record = result.structuredContent as { id: string; audio: string; download_url: string };
      expect(record.audio).toStartWith(store());
      expect(record.download_url).toBe(`http://127.0.0.1:7070/api/generations/${record.id}/file`);
      const link = result.content.find((c) => c.type === "resource_link") as { uri: string } | undefined;
      expect(link?.uri).toBe(record.download_url);
      expect((await h.ledger.get(record.id))!.params).toMatchObject({ delivery: "download", caller_output_dir: "/home/agent/project" });
    } finally {
      await client.close();
    }
  });
});
