// The OpenAI-compatible door driven with the official `openai` npm package against a real daemon (from source, or the
// executable named by MEDIAGEN_BINARY) whose models are the fake openclacky gateway: images, edits with two files,
// speech, videos, models, the SDK's error classes, and every request found in the ledger with door `openai`.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError, RateLimitError, toFile } from "openai";
import { makePng } from "../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../fakes/openclacky.ts";
import { clackyConfig } from "../helpers.ts";
import { cleanEnv, daemonFixture, formatOf, pngSize, poll, speechWav, writeConfig, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;
const fixture = daemonFixture(startFakeClacky, "mediagen-e2e-openai-");

/** The fake gateway's models for every type, plus a second image model named `square-art`. */
function configFor(fake: FakeClacky, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base = clackyConfig(fake.url, fake.key);
  const models = [...base.models, { name: "square-art", type: "image", provider: "openclacky", model: "or-gemini-3-1-flash-image", api_key: fake.key, base_url: fake.url }];
  const once = { max_attempts: 1 };
  return { models, jobs: { image: once, video: once, audio: once }, ...extra };
}

let daemon: Daemon | undefined;
let dataDir = "";
let outputDir = "";

/** The daemon, started once for this file with its default output folder inside the test's temp folder. */
async function started(): Promise<Daemon> {
  if (daemon) return daemon;
  const root = fixture.folder();
  dataDir = join(root, "data");
  outputDir = join(root, "out");
  writeConfig(dataDir, { output_dir: outputDir, ...configFor(fixture.fake) });
  daemon = await fixture.launch({ dataDir, env: cleanEnv({ HOME: root }) });
  return daemon;
}

/** An SDK client on the daemon, with any key (no token is configured) and no retries. */
async function client(apiKey = "sk-anything"): Promise<OpenAI> {
  const { url } = await started();
  return new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
}

/** The error `run` rejects with. */
async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the SDK call to fail");
}

describe("the openai SDK against the daemon", () => {
  test("models.list: the configured entries, id = name, with their type", async () => {
    const openai = await client();
    const page = await openai.models.list();
    const models = page.data as unknown as { id: string; type: string; owned_by: string; default: boolean }[];
    expect(models.map((m) => [m.id, m.type])).toEqual([
      ["img", "image"],
      ["vid", "video"],
      ["tts", "audio"],
      ["square-art", "image"],
    ]);
    expect(models.find((m) => m.id === "img")).toMatchObject({ owned_by: "openclacky", default: true });
    expect((await openai.models.retrieve("square-art")).id).toBe("square-art");
  }, TEST_TIMEOUT_MS);

  test("images.generate: n images, size mapped to the nearest aspect, b64_json with usage", async () => {
    const openai = await client();
    const answer = await openai.images.generate({ prompt: "a lighthouse at dawn", size: "1024x1536", n: 2 });
    expect(answer.data).toHaveLength(2);
    for (const image of answer.data!) {
      const bytes = Buffer.from(image.b64_json!, "base64");
      expect(formatOf(bytes)).toBe("png");
      expect(pngSize(bytes)).toEqual({ width: 1024, height: 1536 });
    }
    expect(answer.size).toBe("1024x1536");
    expect(answer.output_format).toBe("png");
    expect(answer.usage).toMatchObject({ input_tokens: 100, output_tokens: 9000, total_tokens: 9100 });
    const sent = fixture.fake.requests.filter((r) => r.path.endsWith("/images/generations")).slice(-2);
    expect(sent.map((r) => r.body.size)).toEqual(["1024x1536", "1024x1536"]);
  }, TEST_TIMEOUT_MS);

  test("images.generate with response_format url and a model by name: the url is the daemon's file route", async () => {
    const openai = await client();
    const answer = await openai.images.generate({ prompt: "a red square", model: "square-art", size: "1024x1024", response_format: "url" });
    const url = answer.data![0]!.url!;
    expect(url).toMatch(new RegExp(`^${daemon!.url}/api/generations/[^/]+/file$`));
    const file = await fetch(url);
    expect(file.headers.get("content-type")).toBe("image/png");
    expect(formatOf(new Uint8Array(await file.arrayBuffer()))).toBe("png");
    const id = url.split("/").at(-2)!;
    const record = (await (await fetch(`${daemon!.url}/api/generations/${id}`)).json()) as Record<string, unknown>;
    expect(record).toMatchObject({ model: "or-gemini-3-1-flash-image", model_name: "square-art", door: "openai" });
    expect(String(record.output_path).startsWith(join(outputDir, ""))).toBe(true);
  }, TEST_TIMEOUT_MS);

  test("images.edit with two files: both reach the provider", async () => {
    const openai = await client();
    const first = await toFile(makePng(64, 64, [200, 0, 0]), "a.png", { type: "image/png" });
    const second = await toFile(makePng(32, 32, [0, 200, 0]), "b.png", { type: "image/png" });
    const answer = await openai.images.edit({ image: [first, second], prompt: "put the green one on the red one" });
    expect(answer.data).toHaveLength(1);
    expect(formatOf(Buffer.from(answer.data![0]!.b64_json!, "base64"))).toBe("png");
    const sent = fixture.fake.requests.filter((r) => r.path.endsWith("/images/generations")).at(-1)!;
    expect(sent.body.prompt).toBe("put the green one on the red one");
    expect(JSON.stringify(sent.body)).toContain(Buffer.from(makePng(32, 32, [0, 200, 0])).toString("base64"));
    expect(JSON.stringify(sent.body)).toContain(Buffer.from(makePng(64, 64, [200, 0, 0])).toString("base64"));
  }, TEST_TIMEOUT_MS);

  test("audio.speech.create: WAV bytes as audio/wav, and pcm as the WAV's samples", async () => {
    const openai = await client();
    const wavResponse = await openai.audio.speech.create({ model: "tts", voice: "Kore", input: "Hello from the OpenAI door.", response_format: "wav" });
    expect(wavResponse.headers.get("content-type")).toBe("audio/wav");
    const wav = new Uint8Array(await wavResponse.arrayBuffer());
    speechWav(wav);
    const pcmResponse = await openai.audio.speech.create({ model: "tts", voice: "Kore", input: "Hello again.", response_format: "pcm" });
    expect(pcmResponse.headers.get("content-type")).toBe("audio/pcm");
    const pcm = new Uint8Array(await pcmResponse.arrayBuffer());
    expect(pcm.length).toBe(wav.length - 44);
  }, TEST_TIMEOUT_MS);

  test("videos: create answers a queued job, retrieve follows it to completed, downloadContent is the MP4", async () => {
    const openai = await client();
    const created = await openai.videos.create({ prompt: "waves on a beach", seconds: "4" as never, size: "720x1280" });
    expect(created).toMatchObject({ object: "video", model: "vid", prompt: "waves on a beach", seconds: "4", size: "720x1280" });
    expect(["queued", "in_progress", "completed"]).toContain(created.status);
    const done = await poll(async () => {
      const video = await openai.videos.retrieve(created.id);
      return video.status === "completed" || video.status === "failed" ? video : undefined;
    }, 30_000, "the video to finish");
    expect(done).toMatchObject({ status: "completed", progress: 100, error: null });
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    const content = await openai.videos.downloadContent(created.id);
    expect(content.headers.get("content-type")).toBe("video/mp4");
    expect(formatOf(new Uint8Array(await content.arrayBuffer()))).toBe("mp4");
    const sent = fixture.fake.requests.filter((r) => r.path.endsWith("/videos/generations")).at(-1)!;
    expect(sent.body).toMatchObject({ prompt: "waves on a beach" });
  }, TEST_TIMEOUT_MS);

  test("every request through the door is in the ledger with door openai and the SDK as its client", async () => {
    await client();
    const page = (await (await fetch(`${daemon!.url}/api/generations?door=openai&limit=100`)).json()) as { items: Record<string, unknown>[] };
    expect(page.items.map((item) => item.type).sort()).toEqual(["audio", "audio", "image", "image", "image", "image", "video"]);
    for (const item of page.items) {
      expect(item).toMatchObject({ door: "openai", status: "succeeded" });
      expect(String(item.client)).toMatch(/^OpenAI\/JS /);
    }
    const summary = (await (await fetch(`${daemon!.url}/api/costs/summary?group_by=type`)).json()) as { total: { count: number } };
    expect(summary.total.count).toBeGreaterThanOrEqual(7);
  }, TEST_TIMEOUT_MS);

  test("errors are the SDK's classes: BadRequestError (unknown model, listing the names), NotFoundError", async () => {
    const openai = await client();
    const unknown = await failure(() => openai.images.generate({ prompt: "x", model: "nope" }));
    expect(unknown).toBeInstanceOf(BadRequestError);
    expect((unknown as BadRequestError).param).toBe("model");
    expect((unknown as BadRequestError).message).toContain("img, square-art");
    const size = await failure(() => openai.images.generate({ prompt: "x", size: "huge" as never }));
    expect(size).toBeInstanceOf(BadRequestError);
    expect((size as BadRequestError).param).toBe("size");
    const missing = await failure(() => openai.videos.retrieve("no-such-video"));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).type).toBe("invalid_request_error");
  }, TEST_TIMEOUT_MS);

  test("a spending limit is the SDK's RateLimitError (insufficient_quota), not retried", async () => {
    await started();
    writeConfig(dataDir, { output_dir: outputDir, ...configFor(fixture.fake, { budget: { daily_usd: 0.01 } }) });
    const openai = new OpenAI({ baseURL: `${daemon!.url}/v1`, apiKey: "sk-anything", maxRetries: 2 });
    const before = fixture.fake.requests.length;
    const error = await failure(() => openai.images.generate({ prompt: "over budget" }));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).code).toBe("budget_exceeded");
    expect((error as RateLimitError).type).toBe("insufficient_quota");
    expect((error as RateLimitError).headers?.get("x-should-retry")).toBe("false");
    expect(fixture.fake.requests.length).toBe(before);
    writeConfig(dataDir, { output_dir: outputDir, ...configFor(fixture.fake) });
  }, TEST_TIMEOUT_MS);

  test("with server.token set the Bearer must be the token: another key is the SDK's AuthenticationError", async () => {
    await started();
    writeConfig(dataDir, { output_dir: outputDir, ...configFor(fixture.fake, { server: { token: "tok-0123456789abcdef" } }) });
    const wrong = await failure(async () => (await client("sk-anything")).models.list());
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect((wrong as AuthenticationError).type).toBe("authentication_error");
    const right = await (await client("tok-0123456789abcdef")).models.list();
    expect(right.data.length).toBe(4);
    writeConfig(dataDir, { output_dir: outputDir, ...configFor(fixture.fake) });
  }, TEST_TIMEOUT_MS);
});
