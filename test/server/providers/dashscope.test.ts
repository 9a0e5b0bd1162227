// The DashScope provider through the real app and the fake DashScope: what mediagen sends, how it reads every
// answer, what each result costs, and how DashScope's codes map into the catalogue.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { decodeWav } from "../../../server/formats/wav.ts";
import { dashscope } from "../../../server/providers/dashscope.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { billedCharacters, startFakeDashScope, type DashScopeScenario, type FakeDashScope } from "../../fakes/dashscope.ts";
import { b64, makePng } from "../../fakes/media.ts";
import { createHarness } from "../../helpers.ts";

let fake: FakeDashScope;
beforeAll(() => {
  fake = startFakeDashScope();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.pendingPolls = 2;
});

type MediaKind = "image" | "video" | "audio";
const ONE_ATTEMPT = { image: { max_attempts: 1 }, video: { max_attempts: 1 }, audio: { max_attempts: 1 } };

function harness(type: MediaKind, model: string, options?: Record<string, unknown>, extra: { apiKey?: string; baseUrl?: string } = {}) {
  const entry = { type, provider: "dashscope", model, api_key: extra.apiKey ?? fake.key, base_url: extra.baseUrl ?? fake.url, ...(options ? { options } : {}) };
  return createHarness({ config: { models: [entry], jobs: ONE_ATTEMPT } });
}

const since = (from: number) => fake.requests.slice(from);
const png = () => `data:image/png;base64,${b64(makePng(32, 24))}`;

function context(type: MediaKind, model: string, extra: Partial<CallContext> = {}): CallContext {
  const entry = { type, provider: "dashscope", model } as ModelEntry;
  return { entry, apiKey: fake.key, baseUrl: fake.url, signal: new AbortController().signal, pollIntervalMs: 5, ...extra };
}

describe("images (multimodal-generation)", () => {
  test("qwen-image-plus: one user message, the aspect's W*H, watermark off; the signed URL downloaded without the key", async () => {
    using h = harness("image", "qwen-image-plus");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "a tea house poster", aspect_ratio: "portrait", output_dir: h.workDir });
    expect(status).toBe(200);
    const [sent, fetched, ...others] = since(before);
    expect(others).toHaveLength(0);
    expect(sent).toMatchObject({ method: "POST", path: "/api/v1/services/aigc/multimodal-generation/generation" });
    expect(sent!.headers.authorization).toBe(`Bearer ${fake.key}`);
    expect(sent!.body).toEqual({
      model: "qwen-image-plus",
      input: { messages: [{ role: "user", content: [{ text: "a tea house poster" }] }] },
      parameters: { size: "928*1664", n: 1, prompt_extend: true, watermark: false },
    });
    expect(fetched!.path).toMatch(/^\/results\/[a-z0-9]+\.png$/);
    expect(fetched!.headers.authorization).toBeUndefined();
    expect(body).toMatchObject({ success: true, provider: "dashscope", model: "qwen-image-plus" });
    expect(readFileSync(body.image).subarray(1, 4).toString()).toBe("PNG");
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", cost_source: "catalog", cost_usd: 0.029 });
    expect(row.usage).toEqual({ width: 928, height: 1664, image_count: 1 });
  });

  test.each([
    ["qwen-image-max", "landscape", "1664*928"],
    ["qwen-image-max", "square", "1328*1328"],
    ["qwen-image-2.0-pro", "landscape", "2688*1536"],
    ["qwen-image-2.0", "portrait", "1536*2688"],
    ["wan2.6-t2i", "landscape", "1792*1008"],
  ])("%s %s asks for %s", async (model, aspect, size) => {
    using h = harness("image", model);
    const before = fake.requests.length;
    const { status } = await h.post("/api/media/image", { prompt: "p", aspect_ratio: aspect, output_dir: h.workDir });
    expect(status).toBe(200);
    expect((since(before)[0]!.body.parameters as Record<string, unknown>).size).toBe(size);
  });

  test("options: size, negative_prompt, seed, prompt_extend, watermark are sent as configured", async () => {
    using h = harness("image", "qwen-image-2.0", { size: "1024x1536", negative_prompt: "blurry", seed: 42, prompt_extend: false, watermark: true });
    const before = fake.requests.length;
    expect((await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir })).status).toBe(200);
    expect(since(before)[0]!.body.parameters).toEqual({ size: "1024*1536", n: 1, negative_prompt: "blurry", prompt_extend: false, watermark: true, seed: 42 });
  });

  test("qwen-image-edit-plus: the input images as data URLs before the text, no size (the output follows the input)", async () => {
    using h = harness("image", "qwen-image-edit-plus");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "put the cat on the sofa", images: [png(), png()], output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before)[0]!;
    const content = ((sent.body.input as { messages: { content: Record<string, string>[] }[] }).messages[0]!).content;
    expect(content).toHaveLength(3);
    expect(content[0]!.image).toStartWith("data:image/png;base64,");
    expect(content[2]).toEqual({ text: "put the cat on the sofa" });
    expect(sent.body.parameters).toEqual({ n: 1, watermark: false });
    expect(body.success).toBe(true);
  });

  test("an edit model without images, or four images, is a 400 before any call", async () => {
    using h = harness("image", "qwen-image-edit-plus");
    const before = fake.requests.length;
    const none = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ error_type: "invalid_argument" });
    const four = await h.post("/api/media/image", { prompt: "p", images: [png(), png(), png(), png()], output_dir: h.workDir });
    expect(four.status).toBe(400);
    expect(since(before)).toHaveLength(0);
  });

  test("a text-to-image model given images is a 400 naming the edit models", async () => {
    using h = harness("image", "qwen-image-plus");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", images: [png()], output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body.error).toContain("qwen-image-edit");
  });

  test("Wan text-to-image before 2.6: an async text2image task polled to its result", async () => {
    using h = harness("image", "wan2.2-t2i-flash");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "a red fox", aspect_ratio: "square", output_dir: h.workDir });
    expect(status).toBe(200);
    const [created, ...rest] = since(before);
    expect(created).toMatchObject({ method: "POST", path: "/api/v1/services/aigc/text2image/image-synthesis" });
    expect(created!.headers["x-dashscope-async"]).toBe("enable");
    expect(created!.body).toEqual({ model: "wan2.2-t2i-flash", input: { prompt: "a red fox" }, parameters: { size: "1024*1024", n: 1, prompt_extend: true, watermark: false } });
    expect(rest.filter((r) => r.path.startsWith("/api/v1/tasks/"))).toHaveLength(3);
    expect(body.success).toBe(true);
    expect((await h.ledger.get(body.id))!.cost_source).toBe("unknown");
  });

  test("an answer without an image is empty_response with what the model said", async () => {
    using h = harness("image", "qwen-image-plus");
    const { body } = await h.post("/api/media/image", { prompt: "p [[fake:empty]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "empty_response" });
    expect(body.error).toContain("I cannot draw that.");
  });

  test("an expired result URL is a failure that says so, with the image's cost kept", async () => {
    using h = harness("image", "qwen-image-plus");
    const { body } = await h.post("/api/media/image", { prompt: "p [[fake:expired_url]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "api_error", upstream_status: 403 });
    expect(body.error).toContain("expires 24 hours");
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", cost_usd: 0.029 });
  });
});

describe("errors (top-level code and message)", () => {
  test.each([
    ["data_inspection", 422, "content_filtered"],
    ["throttling", 429, "rate_limited"],
    ["arrearage", 402, "insufficient_credits"],
    ["access_denied", 502, "auth_required"],
    ["unknown_model", 400, "unknown_model"],
    ["400", 502, "api_error"],
    ["500", 502, "api_error"],
    ["code_in_200", 502, "api_error"],
  ] as [DashScopeScenario, number, string][])("%s -> %i %s", async (scenario, status, errorType) => {
    using h = harness("image", "qwen-image-plus");
    const response = await h.post("/api/media/image", { prompt: `p [[fake:${scenario}]]`, output_dir: h.workDir });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, error_type: errorType });
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", error_type: errorType, cost_usd: null });
  });

  test("a wrong key is auth_required (502) naming the region hint; the key is never echoed", async () => {
    using h = harness("image", "qwen-image-plus", undefined, { apiKey: "sk-wrong-key-123456" });
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error_type: "auth_required" });
    expect(body.error).toContain("InvalidApiKey");
    expect(JSON.stringify(body)).not.toContain("sk-wrong-key-123456");
  });

  test("the code inside an HTTP 200 names it", async () => {
    using h = harness("audio", "qwen3-tts-flash");
    const { body } = await h.post("/api/media/audio/speech", { input: "hi [[fake:code_in_200]]", output_dir: h.workDir });
    expect(body.error).toContain("InternalError.Algo");
  });
});

describe("video (Wan, asynchronous tasks)", () => {
  test("text-to-video: async header, size from the tier and aspect, task polled, video downloaded without the key", async () => {
    using h = harness("video", "wan2.5-t2v-preview", { resolution: "1080p" });
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/video", { prompt: "a fox detective", aspect_ratio: "portrait", duration_seconds: 5, output_dir: h.workDir });
    expect(status).toBe(200);
    const [created, ...rest] = since(before);
    expect(created).toMatchObject({ method: "POST", path: "/api/v1/services/aigc/video-generation/video-synthesis" });
    expect(created!.headers["x-dashscope-async"]).toBe("enable");
    expect(created!.body).toEqual({
      model: "wan2.5-t2v-preview",
      input: { prompt: "a fox detective" },
      parameters: { size: "1080*1920", duration: 5, prompt_extend: true, watermark: false },
    });
    const polls = rest.filter((r) => r.path.startsWith("/api/v1/tasks/"));
    expect(polls).toHaveLength(3);
    expect(polls.every((p) => p.headers.authorization === `Bearer ${fake.key}`)).toBe(true);
    const download = rest.find((r) => r.path.startsWith("/results/"))!;
    expect(download.headers.authorization).toBeUndefined();
    expect(body).toMatchObject({ success: true, provider: "dashscope", duration_seconds: 5 });
    expect(readFileSync(body.video).subarray(4, 8).toString()).toBe("ftyp");
    const row = (await h.ledger.get(body.id))!;
    expect(row.params.task_id).toBe(polls[0]!.path.split("/").pop());
    // 5 s at 1080P: CNY 1.00/s converted at 7.1 = $0.1408/s.
    expect(row.cost_usd).toBeCloseTo(5 * 0.1408, 10);
    expect(row.cost_source).toBe("catalog");
  });

  test("image-to-video: the first frame as img_url, the tier as resolution", async () => {
    using h = harness("video", "wanx2.1-i2v-turbo", { resolution: "480P" });
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/video", { prompt: "she turns", image: png(), duration_seconds: 5, output_dir: h.workDir });
    expect(status).toBe(200);
    const created = since(before)[0]!;
    expect((created.body.input as Record<string, string>).img_url).toStartWith("data:image/png;base64,");
    expect(created.body.parameters).toEqual({ resolution: "480P", duration: 5, prompt_extend: true, watermark: false });
    // $0.036 per second, 5 s (official image-to-video page).
    expect((await h.ledger.get(body.id))!.cost_usd).toBeCloseTo(0.18, 10);
  });

  test.each([
    ["wan2.5-t2v-preview", {}, 8, "duration_seconds"],
    ["wan2.2-t2v-plus", {}, 5, "resolution"],
    ["wanx2.1-t2v-plus", { resolution: "1080P" }, 5, "resolution"],
    ["wan2.6-i2v", {}, 5, "image"],
  ] as [string, Record<string, unknown>, number, string][])("%s %o %i s: a 400 on %s before any call", async (model, options, seconds, field) => {
    using h = harness("video", model, options);
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/video", { prompt: "p", duration_seconds: seconds, output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body.details?.field ?? body.field ?? body.error).toBeDefined();
    expect(JSON.stringify(body)).toContain(field);
    expect(since(before)).toHaveLength(0);
  });

  test.each([
    ["task_refused", "content_filtered"],
    ["task_failed", "api_error"],
    ["task_canceled", "api_error"],
  ] as [DashScopeScenario, string][])("a task ending %s is %s", async (scenario, errorType) => {
    using h = harness("video", "wan2.5-t2v-preview");
    const { body } = await h.post("/api/media/video", { prompt: `p [[fake:${scenario}]]`, duration_seconds: 5, output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: errorType });
  });

  test("throttling while polling is rate_limited", async () => {
    using h = harness("video", "wan2.5-t2v-preview");
    fake.next("ok", "throttling");
    const { body } = await h.post("/api/media/video", { prompt: "p", duration_seconds: 5, output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "rate_limited" });
  });

  test("resumeVideo finishes a task started earlier, billing the seconds the task reports", async () => {
    const ctx = context("video", "wan2.5-t2v-preview");
    const started = await fetch(`${fake.url}/api/v1/services/aigc/video-generation/video-synthesis`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.key}`, "content-type": "application/json", "x-dashscope-async": "enable" },
      body: JSON.stringify({ model: "wan2.5-t2v-preview", input: { prompt: "p" }, parameters: { size: "832*480", duration: 10 } }),
    });
    const taskId = ((await started.json()) as { output: { task_id: string } }).output.task_id;
    const seen: string[] = [];
    const result = await dashscope.resumeVideo!(taskId, { ...ctx, onOperation: (id) => seen.push(id) });
    expect(seen).toEqual([]); // already recorded by the run that started it
    expect(result.meter).toEqual({ seconds: 10, resolution: "480p" });
    expect(result.durationSeconds).toBe(10);
    expect(Buffer.from(result.bytes!).subarray(4, 8).toString()).toBe("ftyp");
  });

  test("an image task is resumed as an image (the runner resumes every recorded operation through resumeVideo)", async () => {
    const started = await fetch(`${fake.url}/api/v1/services/aigc/text2image/image-synthesis`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.key}`, "content-type": "application/json", "x-dashscope-async": "enable" },
      body: JSON.stringify({ model: "wan2.2-t2i-flash", input: { prompt: "p" }, parameters: { size: "1024*1024", n: 1 } }),
    });
    const taskId = ((await started.json()) as { output: { task_id: string } }).output.task_id;
    const result = await dashscope.resumeVideo!(taskId, context("image", "wan2.2-t2i-flash"));
    expect(result.meter).toEqual({ images: 1 });
    expect(Buffer.from(result.bytes!).subarray(1, 4).toString()).toBe("PNG");
  });

  test("resuming a task DashScope no longer knows is an api_error saying it expired", async () => {
    const error = await dashscope.resumeVideo!("no-such-task", context("video", "wan2.5-t2v-preview")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain("expired");
  });
});

describe("speech (Qwen-TTS and CosyVoice)", () => {
  test("qwen3-tts-flash: text and voice on multimodal-generation; the skill's Kore becomes Cherry; priced per billed character", async () => {
    using h = harness("audio", "qwen3-tts-flash", { language_type: "English" });
    const before = fake.requests.length;
    const text = "Hello there, 你好";
    const { status, body } = await h.post("/api/media/audio/speech", { input: text, voice: "Kore", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before)[0]!;
    expect(sent).toMatchObject({ path: "/api/v1/services/aigc/multimodal-generation/generation" });
    expect(sent.body).toEqual({ model: "qwen3-tts-flash", input: { text, voice: "Cherry", language_type: "English" } });
    expect(body).toMatchObject({ success: true, voice: "Cherry" });
    const wav = decodeWav(new Uint8Array(readFileSync(body.audio)));
    expect(wav.sampleRate).toBe(24_000);
    const row = (await h.ledger.get(body.id))!;
    // 13 Latin characters + 2 CJK counted twice = 17 billed characters at $0.10 per 10,000.
    expect(billedCharacters(text)).toBe(17);
    expect(row.cost_usd).toBeCloseTo(17 * 0.00001, 12);
  });

  test("a Qwen voice is sent as DashScope spells it", async () => {
    using h = harness("audio", "qwen3-tts-flash");
    const before = fake.requests.length;
    await h.post("/api/media/audio/speech", { input: "hi", voice: "ethan", output_dir: h.workDir });
    expect((since(before)[0]!.body.input as Record<string, string>).voice).toBe("Ethan");
  });

  test("CosyVoice: SpeechSynthesizer asked for WAV at 24 kHz with longanyang by default", async () => {
    using h = harness("audio", "cosyvoice-v3-flash");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/audio/speech", { input: "There is a garden behind my house.", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before)[0]!;
    expect(sent).toMatchObject({ path: "/api/v1/services/audio/tts/SpeechSynthesizer" });
    expect(sent.body).toEqual({ model: "cosyvoice-v3-flash", input: { text: "There is a garden behind my house.", voice: "longanyang", format: "wav", sample_rate: 24000 } });
    expect(decodeWav(new Uint8Array(readFileSync(body.audio))).sampleRate).toBe(24_000);
    // 34 characters at $0.14335 per 10,000.
    expect((await h.ledger.get(body.id))!.cost_usd).toBeCloseTo(34 * 0.000014335, 12);
  });

  test("CosyVoice answering MP3 anyway is kept as the MP3 it is (the bytes decide, as for every provider)", async () => {
    using h = harness("audio", "cosyvoice-v3-flash");
    const { body } = await h.post("/api/media/audio/speech", { input: "hi [[fake:mp3]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: true, mime_type: "audio/mpeg" });
    expect(body.audio).toEndWith(".mp3");
  });

  test("a WAV at another rate is resampled to the skill's 24 kHz mono", async () => {
    using h = harness("audio", "cosyvoice-v3-flash");
    const { body } = await h.post("/api/media/audio/speech", { input: "a longer sentence to speak [[fake:rate_22050]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: true, mime_type: "audio/wav" });
    const wav = decodeWav(new Uint8Array(readFileSync(body.audio)));
    expect(wav.sampleRate).toBe(24_000);
  });

  test("no audio URL is empty_response", async () => {
    using h = harness("audio", "qwen3-tts-flash");
    const { body } = await h.post("/api/media/audio/speech", { input: "hi [[fake:empty]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "empty_response" });
  });
});

describe("connection test, catalogue and base URLs", () => {
  test("testConnection proves the key with a free task lookup", async () => {
    const message = await dashscope.testConnection!(context("image", "qwen-image-plus"));
    expect(message).toContain("accepted the key");
    const error = await dashscope.testConnection!(context("image", "qwen-image-plus", { apiKey: "sk-bad" })).catch((e: unknown) => e);
    expect((error as AppError).type).toBe("auth_required");
  });

  test("a base URL given with /api/v1 is not doubled", async () => {
    using h = harness("image", "qwen-image-plus", undefined, { baseUrl: `${fake.url}/api/v1/` });
    const before = fake.requests.length;
    expect((await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir })).status).toBe(200);
    expect(since(before)[0]!.path).toBe("/api/v1/services/aigc/multimodal-generation/generation");
  });

  test("the Models page lists the provider with its models and Qwen voices", async () => {
    using h = createHarness();
    const { body } = await h.get("/api/config/catalog");
    const provider = (body.providers as { id: string; types: string[]; models: Record<string, string[]>; voices: Record<string, string[]> }[]).find((p) => p.id === "dashscope")!;
    expect(provider.types).toEqual(["image", "video", "audio"]);
    expect(provider.models.image).toContain("qwen-image-plus");
    expect(provider.models.video).toContain("wan2.5-t2v-preview");
    expect(provider.voices["qwen3-tts-flash"]).toContain("Cherry");
  });

  test("estimates price video at the configured tier", () => {
    const entry = { type: "video", provider: "dashscope", model: "wan2.5-t2v-preview", options: { resolution: "1080P" } } as ModelEntry;
    expect(dashscope.estimateTuning!(entry, {})).toEqual({ resolution: "1080p" });
  });
});
