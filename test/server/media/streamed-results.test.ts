// Results downloaded from a URL are streamed to a temp file and renamed into place: the saved file equals the source,
// caps cancel a download (declared or streamed), a broken download keeps the job's cost and leaves no temp file, and
// the default folder still takes a paid result when the job's folder breaks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeMp4, makePng } from "../../fakes/media.ts";
import { clackyConfig, createHarness, tempDir } from "../../helpers.ts";
import type { AppError } from "../../../server/errors.ts";
import { openSpool } from "../../../server/media/output-files.ts";
import { readMedia } from "../../../server/providers/http.ts";
import type { CallContext } from "../../../server/providers/types.ts";

const KEY = "stream-test-key-0123456789";
const VIDEO = makeMp4(3 * 1048576 + 17);
const COST = 2.688;

/** What the fake does with the next download. */
let mode: "declared" | "chunked" | "gzip" | "cut" | "dribble" = "declared";
/** How the fake answers an image request: a URL to an endless PNG, or b64_json decoding to 67.5 MiB. */
let imageMode: "endless_url" | "huge_b64" = "endless_url";
/** How long the fake waits before answering a generation, in ms. */
let delayMs = 0;
let answering = 0;

let server: ReturnType<typeof Bun.serve>;
let base = "";

/** A body of `bytes` in pieces of 64 KiB, without a Content-Length (chunked). */
const chunked = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 65536) controller.enqueue(bytes.subarray(at, at + 65536));
      controller.close();
    },
  });

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request): Promise<Response> {
      const path = new URL(request.url).pathname;
      if (path === "/files/video.mp4") {
        if (mode === "chunked") return new Response(chunked(VIDEO), { headers: { "content-type": "video/mp4" } });
        if (mode === "gzip") return new Response(Bun.gzipSync(VIDEO as Uint8Array<ArrayBuffer>), { headers: { "content-type": "video/mp4", "content-encoding": "gzip" } });
        if (mode === "dribble") {
          // 64 KiB every 100 ms of a declared 3 MiB: the job's deadline comes first.
          let sent = 0;
          const stream = new ReadableStream<Uint8Array>({
            async pull(controller) {
              await Bun.sleep(100);
              controller.enqueue(VIDEO.subarray(sent, sent + 65536));
              sent += 65536;
            },
          });
          return new Response(stream, { headers: { "content-length": String(VIDEO.length) } });
        }
        if (mode === "cut") {
          let sent = 0;
          const stream = new ReadableStream<Uint8Array>({
            pull(controller) {
              if (sent >= 1048576) return controller.error(new Error("connection cut"));
              controller.enqueue(VIDEO.subarray(sent, sent + 262144));
              sent += 262144;
            },
          });
          return new Response(stream, { headers: { "content-length": String(VIDEO.length) } });
        }
        return new Response(VIDEO as Uint8Array<ArrayBuffer>, { headers: { "content-type": "video/mp4" } });
      }
      if (path === "/files/image.png") {
        // A PNG header, then zeros without end: past the image cap without ever declaring a length.
        const head = makePng(16, 16);
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(sent === 0 ? head : new Uint8Array(1048576));
            sent += 1;
          },
        });
        return new Response(stream);
      }
      answering += 1;
      try {
        if (delayMs) await Bun.sleep(delayMs);
        if (path.endsWith("/videos/generations")) return Response.json({ data: [{ url: `${base}/files/video.mp4` }], duration_seconds: 8, cost_usd: COST });
        if (path.endsWith("/images/generations") && imageMode === "huge_b64") {
          return new Response(`{"data":[{"b64_json":"${"A".repeat(90 * 1048576)}"}],"cost_usd":0.04}`, { headers: { "content-type": "application/json" } });
        }
        if (path.endsWith("/images/generations")) return Response.json({ data: [{ url: `${base}/files/image.png` }], cost_usd: 0.04 });
        return Response.json({ error: { message: "unknown" } }, { status: 404 });
      } finally {
        answering -= 1;
      }
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

const harness = () => createHarness({ config: clackyConfig(base, KEY) });

/** Every temp file left in a folder tree. */
function partials(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((name) => name.split("/").at(-1)!.startsWith(".mediagen-"));
}

describe("streamed downloads", () => {
  test.each([["declared"], ["chunked"], ["gzip"]] as const)("a %s video download is saved byte for byte, with no temp file left", async (how) => {
    using h = harness();
    mode = how;
    const { status, body } = await h.post("/api/media/video", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.success).toBe(true);
    expect(Buffer.compare(readFileSync(body.video), VIDEO)).toBe(0);
    expect(await h.ledger.get(body.id)).toMatchObject({ status: "succeeded", bytes: VIDEO.length, cost_usd: COST });
    expect(partials(h.workDir)).toEqual([]);
  });

  test("a declared length past the video cap is refused before reading, naming the limit and the type; no spool is opened", async () => {
    using dir = tempDir();
    let opened = 0;
    const ctx = {
      entry: { type: "video", provider: "openclacky", model: "m" },
      baseUrl: base,
      signal: new AbortController().signal,
      pollIntervalMs: 10,
      openSpool: async () => {
        opened += 1;
        return openSpool(dir.path);
      },
    } as CallContext;
    const response = new Response("never read", { headers: { "content-length": String(3 * 1024 * 1048576) } });
    const error = (await readMedia(response, ctx).catch((e: unknown) => e)) as AppError;
    expect(error).toMatchObject({ type: "invalid_response" });
    expect(error.message).toContain("3072.0 MiB");
    expect(error.message).toContain("2048 MiB limit for video");
    expect(opened).toBe(0);
  });

  test("an image streamed past its cap without a length is cancelled at the cap; no file is left", async () => {
    using h = harness();
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ success: false, error_type: "invalid_response" });
    expect(body.error).toContain("64 MiB limit for image");
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", cost_usd: 0.04 });
    expect(partials(h.workDir)).toEqual([]);
    expect(existsSync(join(h.workDir, "assets", "generated")) ? readdirSync(join(h.workDir, "assets", "generated")) : []).toEqual([]);
  });

  test("base64 decoding past the image cap is refused before decoding, naming the limit; the reported cost is kept", async () => {
    using h = harness();
    imageMode = "huge_b64";
    try {
      const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
      expect(status).toBe(502);
      expect(body).toMatchObject({ success: false, error_type: "invalid_response" });
      expect(body.error).toContain("67.5 MiB, over mediagen's 64 MiB limit for image results");
      expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", cost_usd: 0.04 });
      expect(existsSync(join(h.workDir, "assets"))).toBe(false);
    } finally {
      imageMode = "endless_url";
    }
  });

  test("a download that breaks off mid-way fails, keeps the job's cost and leaves no temp file", async () => {
    using h = harness();
    mode = "cut";
    const { status, body } = await h.post("/api/media/video", { prompt: "p", output_dir: h.workDir });
    expect(body.success).toBe(false);
    expect(status).toBeGreaterThanOrEqual(500);
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", cost_usd: COST });
    expect(partials(h.workDir)).toEqual([]);
    expect(partials(h.dataDir)).toEqual([]);
  });

  test("a download still running at the job's deadline is a timeout that keeps the job's cost and leaves no temp file", async () => {
    using h = createHarness({ config: clackyConfig(base, KEY), timeoutsSeconds: { image: 60, video: 1, audio: 60 } });
    mode = "dribble";
    const { status, body } = await h.post("/api/media/video", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(504);
    expect(body).toMatchObject({ success: false, error_type: "timeout" });
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", cost_usd: COST });
    expect(partials(h.workDir)).toEqual([]);
  });

  test("a folder replaced by a file while the provider works: the streamed video goes to the default folder, whole", async () => {
    using h = harness();
    mode = "declared";
    const target = join(h.workDir, "project");
    mkdirSync(target, { recursive: true });
    delayMs = 400;
    try {
      const pending = h.post("/api/media/video", { prompt: "p", output_dir: target });
      for (let i = 0; i < 200 && answering === 0; i++) await Bun.sleep(10);
      rmSync(target, { recursive: true });
      writeFileSync(target, "the user replaced the folder with a file");
      const { status, body } = await pending;
      expect(status).toBe(200);
      expect(body.saved_to_default_dir).toBe(true);
      expect(body.video).toStartWith(join(h.dataDir, "output", "assets", "generated"));
      expect(Buffer.compare(readFileSync(body.video), VIDEO)).toBe(0);
      expect(partials(h.dataDir)).toEqual([]);
    } finally {
      delayMs = 0;
    }
  });
});
