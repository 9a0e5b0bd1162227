// The Gemini provider through the real app and the fake Gemini API: what mediagen sends, and how it reads every answer.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { GEMINI_VOICES as PROVIDER_VOICES, gemini } from "../../../server/providers/gemini.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { decodeWav } from "../../../server/formats/wav.ts";
import {
  GEMINI_VOICES,
  geminiImageUsage,
  geminiSpeechSeconds,
  geminiSpeechUsage,
  startFakeGemini,
  type FakeGemini,
  type GeminiScenario,
} from "../../fakes/gemini.ts";
import { b64, imageInfo, makeJpeg, makePcm, makePng } from "../../fakes/media.ts";
import { createHarness, type HarnessOptions } from "../../helpers.ts";
import { skillUsage } from "../../../server/media/usage.ts";

let fake: FakeGemini;
beforeAll(() => {
  fake = startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.pendingPolls = 2;
  fake.fileTtlMs = 2 * 24 * 3600 * 1000;
  fake.retryDelay = "12s";
  fake.reportProgress = false;
});

type MediaKind = "image" | "video" | "audio";
const ENDPOINT: Record<MediaKind, string> = { image: "/api/media/image", video: "/api/media/video", audio: "/api/media/audio/speech" };

/** One attempt per job, so each upstream answer is seen as it is (the service's retries have their own tests). */
const ONE_ATTEMPT = { image: { max_attempts: 1 }, video: { max_attempts: 1 }, audio: { max_attempts: 1 } };

/** A harness whose only model of `type` is a Gemini `model` against the fake. */
function harness(type: MediaKind, model: string, options?: Record<string, unknown>, extra: Omit<HarnessOptions, "config"> & { apiKey?: string; baseUrl?: string } = {}) {
  const { apiKey, baseUrl, ...rest } = extra;
  const entry = { type, provider: "gemini", model, api_key: apiKey ?? fake.key, base_url: baseUrl ?? fake.url, ...(options ? { options } : {}) };
  return createHarness({ config: { models: [entry], jobs: ONE_ATTEMPT }, ...rest });
}

/** Requests the fake received since `from`. */
const since = (from: number) => fake.requests.slice(from);

/** A context for calling the provider directly (operations and connection tests, which have no endpoint). */
function context(model: string, extra: Partial<CallContext> = {}): CallContext {
  const entry = { type: "video", provider: "gemini", model } as ModelEntry;
  return { entry, apiKey: fake.key, baseUrl: fake.url, signal: new AbortController().signal, pollIntervalMs: 5, ...extra };
}

/** One priced line as the ledger stores it: `quantity` units at `usdPerMillion` per million tokens. */
const tokenLine = (unit: string, quantity: number, usdPerMillion: number) => ({
  unit,
  quantity,
  unit_price_usd: usdPerMillion / 1_000_000,
  usd: expect.closeTo((quantity * usdPerMillion) / 1_000_000, 12),
});
const byUnit = (lines: { unit: string }[]) => [...lines].sort((a, b) => a.unit.localeCompare(b.unit));

describe("images (generateContent with IMAGE output)", () => {
  test("sends the prompt with the key header and aspect ratio; answers the seed body with the measured size", async () => {
    using h = harness("image", "gemini-2.5-flash-image");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "a lighthouse at dusk", aspect_ratio: "landscape", output_dir: h.workDir });
    expect(status).toBe(200);
    const [sent, ...others] = since(before);
    expect(others).toHaveLength(0);
    expect(sent).toMatchObject({ method: "POST", path: "/v1beta/models/gemini-2.5-flash-image:generateContent", query: {}, keyStyle: "camel" });
    expect(sent!.headers["x-goog-api-key"]).toBe(fake.key);
    expect(sent!.headers["content-type"]).toBe("application/json");
    expect(sent!.body).toEqual({
      contents: [{ role: "user", parts: [{ text: "a lighthouse at dusk" }] }],
      generationConfig: { responseModalities: ["TEXT", "IMAGE"], imageConfig: { aspectRatio: "16:9" } },
    });
    expect(body).toMatchObject({
      success: true,
      model: "gemini-2.5-flash-image",
      provider: "gemini",
      prompt: "a lighthouse at dusk",
      aspect_ratio: "landscape",
      size: "1344x768",
      usage: skillUsage(geminiImageUsage("gemini-2.5-flash-image")),
    });
    expect(body.image).toEndWith(".png");
    expect(imageInfo(new Uint8Array(readFileSync(body.image)))).toEqual({ mime: "image/png", width: 1344, height: 768 });
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", provider: "gemini", width: 1344, height: 768, mime_type: "image/png", cost_source: "catalog" });
    expect(row.params.response_id).toEqual(expect.any(String));
  });

  test.each([
    ["square", "1:1", "1024x1024"],
    ["portrait", "9:16", "768x1344"],
    ["4:3", "16:9", "1344x768"],
  ])("aspect %s asks for %s and gets %s", async (aspect, ratio, size) => {
    using h = harness("image", "gemini-2.5-flash-image");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", aspect_ratio: aspect, output_dir: h.workDir });
    expect(status).toBe(200);
    expect((fake.requests.at(-1)!.body.generationConfig as any).imageConfig).toEqual({ aspectRatio: ratio });
    expect(body.size).toBe(size);
  });

  test("an edit sends one inlineData part per input image after the text", async () => {
    using h = harness("image", "gemini-2.5-flash-image");
    const png = makePng(64, 48);
    const jpeg = makeJpeg(40, 30);
    const file = join(h.root, "photo.png");
    writeFileSync(file, png);
    const { status, body } = await h.post("/api/media/image", { prompt: "combine them", images: [file, `data:image/jpeg;base64,${b64(jpeg)}`], output_dir: h.workDir });
    expect(status).toBe(200);
    expect(fake.requests.at(-1)!.body.contents).toEqual([
      {
        role: "user",
        parts: [{ text: "combine them" }, { inlineData: { mimeType: "image/png", data: b64(png) } }, { inlineData: { mimeType: "image/jpeg", data: b64(jpeg) } }],
      },
    ]);
    expect(body.usage).toEqual(skillUsage(geminiImageUsage("gemini-2.5-flash-image", { inputImages: 2 })));
    expect((await h.ledger.get(body.id))!.usage).toEqual(geminiImageUsage("gemini-2.5-flash-image", { inputImages: 2 }));
  });

  test("thinking model: imageSize is sent, thought parts (an interim 256x256 image) are skipped", async () => {
    using h = harness("image", "gemini-3-pro-image-preview", { image_size: "2K" });
    const { status, body } = await h.post("/api/media/image", { prompt: "a fox", aspect_ratio: "square", output_dir: h.workDir });
    expect(status).toBe(200);
    expect((fake.requests.at(-1)!.body.generationConfig as any).imageConfig).toEqual({ aspectRatio: "1:1", imageSize: "2K" });
    expect(body.size).toBe("2048x2048");
    expect((await h.ledger.get(body.id))!.usage!.thoughtsTokenCount).toBe(180);
  });

  test("thought parts are skipped on gemini-2.5-flash-image too", async () => {
    using h = harness("image", "gemini-2.5-flash-image");
    fake.next("thoughts");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.size).toBe("1344x768");
  });

  test("gemini-2.5-flash-image gets no imageSize even when options.image_size is set", async () => {
    using h = harness("image", "gemini-2.5-flash-image", { image_size: "2K" });
    const { status } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect((fake.requests.at(-1)!.body.generationConfig as any).imageConfig).toEqual({ aspectRatio: "16:9" });
  });

  test("image_size 512 on a model without it is a 400 before any call", async () => {
    using h = harness("image", "gemini-3-pro-image-preview", { image_size: "512" });
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body).toMatchObject({ success: false, image: null, error_type: "invalid_argument", field: "image_size", allowed: ["1K", "2K", "4K"] });
    expect(fake.requests.length).toBe(before);
    expect((await h.ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
  });

  test("a JPEG answer is saved as .jpg", async () => {
    using h = harness("image", "gemini-2.5-flash-image");
    fake.next("jpeg");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.image).toEndWith(".jpg");
    expect((await h.ledger.get(body.id))!.mime_type).toBe("image/jpeg");
  });

  test("a snake_case answer (inline_data, usage_metadata) reads the same", async () => {
    using h = harness("image", "gemini-3.1-flash-image-preview");
    fake.next("snake_case");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.size).toBe("1344x768");
    expect(body.usage).toEqual(skillUsage(geminiImageUsage("gemini-3.1-flash-image-preview")));
    expect((await h.ledger.get(body.id))!.cost_source).toBe("catalog");
  });
});

describe("speech (generateContent with AUDIO output)", () => {
  const text = "Say cheerfully: have a wonderful day!";

  test("sends the default voice Kore; wraps the 24 kHz PCM in a WAV", async () => {
    using h = harness("audio", "gemini-2.5-flash-preview-tts");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/audio/speech", { input: text, output_dir: h.workDir });
    expect(status).toBe(200);
    const [sent, ...others] = since(before);
    expect(others).toHaveLength(0);
    expect(sent).toMatchObject({ method: "POST", path: "/v1beta/models/gemini-2.5-flash-preview-tts:generateContent" });
    expect(sent!.headers["x-goog-api-key"]).toBe(fake.key);
    expect(sent!.body).toEqual({
      contents: [{ role: "user", parts: [{ text }] }],
      generationConfig: { responseModalities: ["AUDIO"], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Kore" } } } },
    });
    expect(body).toMatchObject({ success: true, provider: "gemini", model: "gemini-2.5-flash-preview-tts", input: text, voice: "Kore", mime_type: "audio/wav", usage: skillUsage(geminiSpeechUsage(text)) });
    expect(body.audio).toEndWith(".wav");
    const wav = decodeWav(new Uint8Array(readFileSync(body.audio)));
    expect(wav.sampleRate).toBe(24_000);
    expect(wav.samples.length).toBe(Math.round(geminiSpeechSeconds(text) * 24_000));
    expect((await h.ledger.get(body.id))!.duration_seconds).toBeCloseTo(geminiSpeechSeconds(text), 3);
  });

  test("a voice matches case-insensitively and is sent capitalised; language_code goes to speechConfig", async () => {
    using h = harness("audio", "gemini-2.5-pro-preview-tts", { language_code: "de-DE" });
    const { status, body } = await h.post("/api/media/audio/speech", { input: "Guten Tag", voice: "pUCK", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.voice).toBe("Puck");
    expect((fake.requests.at(-1)!.body.generationConfig as any).speechConfig).toEqual({
      voiceConfig: { prebuiltVoiceConfig: { voiceName: "Puck" } },
      languageCode: "de-DE",
    });
  });

  test("an unknown voice is a 400 listing the 30 voices, with no call and no ledger row", async () => {
    using h = harness("audio", "gemini-2.5-flash-preview-tts");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/audio/speech", { input: "hi", voice: "alloy", output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body).toMatchObject({ success: false, audio: null, error_type: "invalid_argument", field: "voice" });
    expect(body.allowed).toEqual(GEMINI_VOICES);
    expect(PROVIDER_VOICES).toEqual(GEMINI_VOICES as never);
    expect(fake.requests.length).toBe(before);
    expect((await h.ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
  });

  test("an audio/wav answer passes through as a 24 kHz WAV", async () => {
    using h = harness("audio", "gemini-3.8-flash-tts");
    fake.next("wav_audio");
    const { status, body } = await h.post("/api/media/audio/speech", { input: text, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.mime_type).toBe("audio/wav");
    expect(decodeWav(new Uint8Array(readFileSync(body.audio))).sampleRate).toBe(24_000);
  });

  test("a snake_case answer reads the same", async () => {
    using h = harness("audio", "gemini-3.1-flash-tts-preview");
    fake.next("snake_case");
    const { status, body } = await h.post("/api/media/audio/speech", { input: text, output_dir: h.workDir });
    expect(status).toBe(200);
    expect((await h.ledger.get(body.id))!.duration_seconds).toBeCloseTo(geminiSpeechSeconds(text), 3);
    expect((await h.ledger.get(body.id))!.cost_source).toBe("catalog");
  });

  test("PCM at another rate (from the mime type) is resampled to 24 kHz, keeping its length", async () => {
    const stub = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        Response.json({
          candidates: [{ content: { role: "model", parts: [{ inlineData: { mimeType: "audio/L16;codec=pcm;rate=16000", data: b64(makePcm(1.5, 16_000)) } }] }, finishReason: "STOP" }],
          usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 38 },
        }),
    });
    try {
      using h = harness("audio", "gemini-2.5-flash-preview-tts", undefined, { baseUrl: `http://127.0.0.1:${stub.port}` });
      const { status, body } = await h.post("/api/media/audio/speech", { input: "hello", output_dir: h.workDir });
      expect(status).toBe(200);
      const wav = decodeWav(new Uint8Array(readFileSync(body.audio)));
      expect(wav.sampleRate).toBe(24_000);
      expect(wav.samples.length).toBe(36_000);
      // Without modality details, promptTokenCount is text input and candidatesTokenCount audio output: 3 x $0.50/M + 38 x $10/M.
      expect(body.cost_usd).toBeCloseTo((3 * 0.5 + 38 * 10) / 1_000_000, 12);
    } finally {
      await stub.stop(true);
    }
  });
});

describe("video (Veo: predictLongRunning, polling, download)", () => {
  test("text-to-video: operation polled until done, then downloaded without sending the key to the storage host", async () => {
    using h = harness("video", "veo-3.1-generate-preview");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/video", { prompt: "a drone shot over a forest", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, provider: "gemini", model: "veo-3.1-generate-preview", aspect_ratio: "landscape", duration_seconds: 8 });
    expect(body.video).toEndWith(".mp4");
    expect(readFileSync(body.video).subarray(4, 8).toString()).toBe("ftyp");

    const [start, pending1, pending2, done, file, storage, ...others] = since(before);
    expect(others).toHaveLength(0);
    expect(start).toMatchObject({ method: "POST", path: "/v1beta/models/veo-3.1-generate-preview:predictLongRunning" });
    expect(start!.headers["x-goog-api-key"]).toBe(fake.key);
    expect(start!.body).toEqual({ instances: [{ prompt: "a drone shot over a forest" }], parameters: { aspectRatio: "16:9", durationSeconds: 8, personGeneration: "allow_all" } });
    const operation = (await h.ledger.get(body.id))!.params.operation as string;
    expect(operation).toMatch(/^models\/veo-3\.1-generate-preview\/operations\/[a-z0-9]+$/);
    for (const poll of [pending1, pending2, done]) {
      expect(poll).toMatchObject({ method: "GET", path: `/v1beta/${operation}` });
      expect(poll!.headers["x-goog-api-key"]).toBe(fake.key);
    }
    expect(file).toMatchObject({ method: "GET", query: { alt: "media" } });
    expect(file!.path).toMatch(/^\/v1beta\/files\/[a-z0-9]+:download$/);
    expect(file!.headers["x-goog-api-key"]).toBe(fake.key);
    expect(storage!.path).toMatch(/^\/generated-videos\/[a-z0-9]+\.mp4$/);
    expect(storage!.headers["x-goog-api-key"]).toBeUndefined();
    expect(storage!.query.key).toBeUndefined();
    expect(JSON.stringify(storage)).not.toContain(fake.key);
  });

  test("first frame, portrait, resolution, negative prompt and person generation reach the request", async () => {
    using h = harness("video", "veo-3.1-fast-generate-preview", { resolution: "1080p", negative_prompt: "cartoon, low quality", person_generation: "allow_adult" });
    const frame = makePng(32, 18);
    const { status, body } = await h.post("/api/media/video", { prompt: "she turns around", aspect_ratio: "portrait", image: `data:image/png;base64,${b64(frame)}`, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.aspect_ratio).toBe("portrait");
    const start = fake.requests.find((r) => r.path.endsWith(":predictLongRunning") && (r.body.instances as any)?.[0]?.prompt === "she turns around")!;
    expect(start.body).toEqual({
      instances: [{ prompt: "she turns around", image: { bytesBase64Encoded: b64(frame), mimeType: "image/png" } }],
      parameters: { aspectRatio: "9:16", durationSeconds: 8, resolution: "1080p", negativePrompt: "cartoon, low quality", personGeneration: "allow_adult" },
    });
  });

  test.each([
    // model, configured person_generation, image-to-video?, what is sent (undefined: nothing)
    ["veo-3.1-generate-preview", undefined, false, "allow_all"],
    ["veo-3.1-generate-preview", undefined, true, "allow_adult"],
    ["veo-3.1-generate-preview", "allow_adult", false, "allow_all"],
    ["veo-3.1-generate-preview", "allow_all", true, "allow_adult"],
    ["veo-2.0-generate-001", undefined, false, undefined],
    ["veo-2.0-generate-001", "dont_allow", false, "dont_allow"],
    ["veo-2.0-generate-001", "allow_all", true, "allow_adult"],
  ] as const)("%s, person_generation %s, image-to-video %s: sends %s", async (model, person, withImage, sent) => {
    using h = harness("video", model, { ...(person ? { person_generation: person } : {}), ...(model.startsWith("veo-2") ? { resolution: "720p" } : {}) });
    const prompt = `person ${model} ${person} ${withImage}`;
    const image = withImage ? { image: `data:image/png;base64,${b64(makePng(32, 18))}` } : {};
    const { status } = await h.post("/api/media/video", { prompt, duration_seconds: 8, output_dir: h.workDir, ...image });
    expect(status).toBe(200);
    const start = fake.requests.find((r) => r.path.endsWith(":predictLongRunning") && (r.body.instances as any)?.[0]?.prompt === prompt)!;
    const parameters = start.body.parameters as Record<string, unknown>;
    expect(parameters.personGeneration).toBe(sent);
    // Veo 2 takes no resolution parameter, even when one is configured.
    if (model.startsWith("veo-2")) expect(parameters.resolution).toBeUndefined();
  });

  test("an operation answered in snake_case reads the same", async () => {
    using h = harness("video", "veo-3.1-lite-generate-preview");
    fake.pendingPolls = 0;
    fake.next("ok", "snake_case");
    const { status, body } = await h.post("/api/media/video", { prompt: "p", duration_seconds: 4, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.duration_seconds).toBe(4);
  });

  test.each<[string, GeminiScenario, number, string, RegExp]>([
    ["done with an error", "operation_error", 502, "api_error", /^Veo operation failed \(code 13\): Video generation failed due to an internal error/],
    ["RAI-filtered with no samples", "rai_filtered", 422, "content_filtered", /We encountered an issue with the audio for your prompt/],
  ])("operation %s -> %s", async (_name, scenario, status, errorType, message) => {
    using h = harness("video", "veo-3.1-generate-preview");
    const response = await h.post("/api/media/video", { prompt: `p [[fake:${scenario}]]`, output_dir: h.workDir });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, video: null, error_type: errorType });
    expect(response.body.error).toMatch(message);
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", error_type: errorType, cost_usd: null });
  });

  test("an expired video download is an api_error that says why", async () => {
    using h = harness("video", "veo-3.1-generate-preview");
    fake.fileTtlMs = 0;
    const { status, body } = await h.post("/api/media/video", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error_type: "api_error", upstream_status: 403 });
    expect(body.error).toContain("2 days");
  });

  test.each<[string, string, Record<string, unknown> | undefined, number, string, unknown[]]>([
    ["veo-3.1 at 5 s", "veo-3.1-generate-preview", undefined, 5, "duration_seconds", [4, 6, 8]],
    ["veo-3.1 1080p at 4 s", "veo-3.1-generate-preview", { resolution: "1080p" }, 4, "duration_seconds", [8]],
    ["veo-3.1 4k at 6 s", "veo-3.1-fast-generate-001", { resolution: "4k" }, 6, "duration_seconds", [8]],
    ["veo-3.1-lite at 4k", "veo-3.1-lite-generate-preview", { resolution: "4k" }, 8, "resolution", ["720p", "1080p"]],
    ["veo-3.0 1080p at 6 s", "veo-3.0-generate-001", { resolution: "1080p" }, 6, "duration_seconds", [8]],
    ["veo-2 at 4 s", "veo-2.0-generate-001", undefined, 4, "duration_seconds", [5, 6, 8]],
    ["veo-2 at 7 s", "veo-2.0-generate-001", undefined, 7, "duration_seconds", [5, 6, 8]],
    ["veo-3.1 with dont_allow (Veo 2 only)", "veo-3.1-generate-preview", { person_generation: "dont_allow" }, 8, "person_generation", ["allow_all", "allow_adult"]],
  ])("%s is a 400 before any call", async (_name, model, options, seconds, field, allowed) => {
    using h = harness("video", model, options);
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/video", { prompt: "p", duration_seconds: seconds, output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body).toMatchObject({ success: false, video: null, error_type: "invalid_argument", field, allowed });
    expect(fake.requests.length).toBe(before);
    expect((await h.ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
  });

  test("the generation timeout stops the polling", async () => {
    using h = harness("video", "veo-3.1-generate-preview", undefined, { timeoutsSeconds: { image: 1, video: 0.3, audio: 1 }, pollIntervalSeconds: 0.05 });
    fake.pendingPolls = 1_000_000;
    const started = performance.now();
    const { status, body } = await h.post("/api/media/video", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(504);
    expect(body.error_type).toBe("timeout");
    // Without the deadline it would poll a million times; the bound is loose because machines are shared.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  test("reports the operation name at once and any progressPercent while pending", async () => {
    fake.pendingPolls = 2;
    fake.reportProgress = true;
    const seen: string[] = [];
    const progress: number[] = [];
    const before = fake.requests.length;
    const result = await gemini.video!(
      { prompt: "p", aspect: "landscape", durationSeconds: 8 },
      context("veo-3.1-generate-preview", {
        // At once: before any poll of the operation (other tests' late requests on the shared fake do not count).
        onOperation: (name) => seen.push(`${name} after ${fake.requests.slice(before).filter((r) => r.path.includes(name)).length} poll(s)`),
        onProgress: (percent) => progress.push(percent),
      }),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^models\/veo-3\.1-generate-preview\/operations\/[a-z0-9]+ after 0 poll\(s\)$/);
    expect(progress).toEqual([0, 50]);
    expect(result).toMatchObject({ mimeType: "video/mp4", durationSeconds: 8, meter: { seconds: 8, resolution: "720p" } });
    const name = seen[0]!.split(" ")[0]!;
    expect(fake.requests.slice(before).filter((r) => r.path.includes(name)).length).toBeGreaterThanOrEqual(2);
  });

  test("a cancel during the wait between polls ends the call promptly with its reason", async () => {
    fake.pendingPolls = 1_000_000;
    const controller = new AbortController();
    const call = gemini.video!({ prompt: "p", aspect: "landscape", durationSeconds: 8 }, context("veo-3.1-generate-preview", { signal: controller.signal, pollIntervalMs: 60_000 }));
    await Bun.sleep(50);
    const started = performance.now();
    controller.abort(new AppError("interrupted", "stopping"));
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).type).toBe("interrupted");
    expect(performance.now() - started).toBeLessThan(500);
  });

  test("resumeVideo finishes an operation started earlier (after a restart), keeping the key off the storage host", async () => {
    const start = await fetch(`${fake.url}/v1beta/models/veo-3.1-generate-preview:predictLongRunning`, {
      method: "POST",
      headers: { "x-goog-api-key": fake.key, "content-type": "application/json" },
      body: JSON.stringify({ instances: [{ prompt: "resumed" }], parameters: { durationSeconds: 6 } }),
    });
    const { name } = (await start.json()) as { name: string };
    const before = fake.requests.length;
    const result = await gemini.resumeVideo!(name, context("veo-3.1-generate-preview"));
    expect(Buffer.from(result.bytes!.subarray(4, 8)).toString()).toBe("ftyp");
    expect(result.extra).toEqual({ operation: name });
    const requests = since(before);
    expect(requests.map((r) => r.path.replace(/[a-z0-9]{12,}/g, "<id>"))).toEqual([
      "/v1beta/models/veo-3.1-generate-preview/operations/<id>",
      "/v1beta/models/veo-3.1-generate-preview/operations/<id>",
      "/v1beta/models/veo-3.1-generate-preview/operations/<id>",
      "/v1beta/files/<id>:download",
      "/generated-videos/<id>.mp4",
    ]);
    expect(requests.at(-1)!.headers["x-goog-api-key"]).toBeUndefined();
  });
});

describe("safety answers with HTTP 200 -> 422 content_filtered", () => {
  test.each<[GeminiScenario, MediaKind, string, RegExp]>([
    ["blocked", "image", "gemini-2.5-flash-image", /blockReason PROHIBITED_CONTENT/],
    ["safety", "image", "gemini-3-pro-image-preview", /finishReason SAFETY/],
    ["image_safety", "image", "gemini-2.5-flash-image", /finishReason IMAGE_SAFETY\); the model said: "I'm unable to create that image/],
    ["blocked", "audio", "gemini-2.5-flash-preview-tts", /blockReason PROHIBITED_CONTENT/],
    ["safety", "audio", "gemini-3.8-flash-lite-tts", /finishReason SAFETY/],
  ])("%s on %s", async (scenario, type, model, message) => {
    using h = harness(type, model);
    fake.next(scenario);
    const { status, body } = await h.post(ENDPOINT[type], type === "audio" ? { input: "p", output_dir: h.workDir } : { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(422);
    expect(body).toMatchObject({ success: false, [type]: null, error_type: "content_filtered" });
    expect(body.error).toMatch(message);
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", error_type: "content_filtered" });
  });
});

describe("Imagen", () => {
  test("an imagen-* id on the Gemini API is refused before any call, saying Google ended it there", async () => {
    using h = harness("image", "imagen-4.0-generate-001");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(422);
    expect(body).toMatchObject({ success: false, image: null, error_type: "not_implemented" });
    expect(body.error).toContain("Imagen remains on Vertex AI only");
    expect(fake.requests.length).toBe(before);
    const tested = await gemini.testConnection!(context("imagen-4.0-generate-001")).catch((e: unknown) => e);
    expect(tested).toMatchObject({ type: "not_implemented" });
  });
});

describe("finishReason NO_IMAGE is not a safety block", () => {
  test("NO_IMAGE -> empty_response, not content_filtered", async () => {
    using h = harness("image", "gemini-3.1-flash-image-preview");
    fake.next("no_image");
    const { status, body } = await h.post(ENDPOINT.image, { prompt: "p", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, image: null, error_type: "empty_response" });
    expect(status).toBe(502);
    expect(body.error).toMatch(/finishReason NO_IMAGE/);
  });
});

describe("upstream errors", () => {
  test.each<[string, GeminiScenario, MediaKind, number, string, Record<string, unknown>, RegExp]>([
    ["403 PERMISSION_DENIED", "403", "image", 502, "auth_required", { upstream_status: 403 }, /^Gemini rejected the API key \(Upstream 403: .*api_key in config\.yml$/],
    ["400 API_KEY_INVALID", "api_key_invalid", "audio", 502, "auth_required", { upstream_status: 400 }, /API key not valid/],
    ["429 RESOURCE_EXHAUSTED", "429", "image", 429, "rate_limited", { upstream_status: 429, retry_after_seconds: 12 }, /^Upstream 429: RESOURCE_EXHAUSTED: You exceeded your current quota/],
    ["503 UNAVAILABLE", "503", "audio", 503, "overloaded", { upstream_status: 503 }, /^Upstream 503: UNAVAILABLE: The model is overloaded/],
    ["500 INTERNAL", "500", "image", 502, "api_error", { upstream_status: 500 }, /^Upstream 500: INTERNAL: An internal error has occurred/],
    ["504 DEADLINE_EXCEEDED", "504", "image", 502, "api_error", { upstream_status: 504 }, /^Upstream 504: DEADLINE_EXCEEDED: Deadline expired/],
    // The word INVALID_ARGUMENT stays: the skill tells agents to drop aspect_ratio and retry once on it.
    ["400 INVALID_ARGUMENT", "400", "audio", 502, "api_error", { upstream_status: 400 }, /^Upstream 400: INVALID_ARGUMENT: Request contains an invalid argument\.$/],
    // The skill's "unknown image model" (400): the user fixes the name in the settings page.
    ["404 NOT_FOUND", "404", "image", 400, "unknown_model", { upstream_status: 404 }, /^unknown image model "gemini-2\.5-flash-image": gemini does not recognise it \(Upstream 404: NOT_FOUND: .*is not found for API version v1beta.*settings page/],
    ["an HTML body with 200", "malformed", "image", 502, "invalid_response", {}, /^Invalid JSON response from upstream: <html>/],
    ["bytes that are not an image", "not_media", "image", 502, "invalid_response", {}, /where an image was expected/],
    ["PCM of an odd byte count", "not_media", "audio", 502, "invalid_response", {}, /odd count/],
    ["text instead of an image", "text_only", "image", 502, "empty_response", {}, /^Gemini returned no image \(finishReason STOP\); the model said: "Sure! Picture a calm lake/],
    ["a candidate without parts", "empty", "audio", 502, "empty_response", {}, /^Gemini returned no audio \(finishReason STOP\)$/],
    ["a reset connection", "reset", "image", 502, "network_error", {}, /^HTTP request failed/],
    ["a 429 while polling", "429", "video", 429, "rate_limited", { retry_after_seconds: 12 }, /quota/],
  ])("%s", async (_name, scenario, type, status, errorType, extra, message) => {
    const model = { image: "gemini-2.5-flash-image", audio: "gemini-2.5-flash-preview-tts", video: "veo-3.1-generate-preview" }[type];
    using h = harness(type, model);
    if (type === "video") fake.next("ok", "ok", scenario);
    else fake.next(scenario);
    const response = await h.post(ENDPOINT[type], type === "audio" ? { input: "p", output_dir: h.workDir } : { prompt: "p", output_dir: h.workDir });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, [type]: null, error_type: errorType, ...extra });
    expect(response.body.error).toMatch(message);
    expect(JSON.stringify(response.body)).not.toContain(fake.key);
    if (errorType === "rate_limited") expect(response.headers.get("retry-after")).toBe("12");
    // A generated answer whose bytes are unusable was still billed: its metered cost stays on the failed row.
    const billed = scenario === "not_media";
    const row = (await h.ledger.list({})).items[0]!;
    expect(row).toMatchObject({ status: "failed", error_type: errorType, cost_source: billed ? "catalog" : "unknown" });
    if (billed) expect(row.cost_usd).toBeGreaterThan(0);
    else expect(row.cost_usd).toBeNull();
  });

  test("a wrong key is a 502 auth_required pointing at the api_key, never quoting the key", async () => {
    const wrong = "AIzaSyWRONG-0123456789abcdefghijklmnop";
    using h = harness("image", "gemini-2.5-flash-image", undefined, { apiKey: wrong });
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error_type: "auth_required", upstream_status: 400 });
    expect(body.error).toBe(
      "Gemini rejected the API key (Upstream 400: INVALID_ARGUMENT: API key not valid. Please pass a valid API key.); check the model's api_key in config.yml",
    );
    expect(JSON.stringify(body)).not.toContain(wrong);
  });

  test("a fractional RetryInfo delay is rounded up", async () => {
    using h = harness("image", "gemini-2.5-flash-image");
    fake.retryDelay = "34.4s";
    fake.next("429");
    const { status, body, headers } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(429);
    expect(body.retry_after_seconds).toBe(35);
    expect(headers.get("retry-after")).toBe("35");
  });

  test("without RetryInfo the Retry-After header is used; an expired key is auth_required", async () => {
    const answers = [
      Response.json({ error: { code: 429, message: "Resource has been exhausted (e.g. check quota).", status: "RESOURCE_EXHAUSTED" } }, { status: 429, headers: { "retry-after": "7" } }),
      Response.json({ error: { code: 400, message: "API key expired. Please renew the API key.", status: "INVALID_ARGUMENT" } }, { status: 400 }),
    ];
    const stub = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => answers.shift()! });
    try {
      using h = harness("image", "gemini-2.5-flash-image", undefined, { baseUrl: `http://127.0.0.1:${stub.port}` });
      const limited = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ error_type: "rate_limited", retry_after_seconds: 7 });
      const expired = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
      expect(expired.status).toBe(502);
      expect(expired.body).toMatchObject({ error_type: "auth_required", upstream_status: 400 });
      expect(expired.body.error).toContain("API key expired");
    } finally {
      await stub.stop(true);
    }
  });

  test("a provider that never answers is a 504 timeout", async () => {
    using h = harness("image", "gemini-2.5-flash-image", undefined, { timeoutsSeconds: { image: 0.3, video: 1, audio: 1 } });
    fake.next("hang");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(504);
    expect(body.error_type).toBe("timeout");
  });
});

describe("testConnection", () => {
  test("GET models/{model} with the key proves key and model", async () => {
    const before = fake.requests.length;
    expect(await gemini.testConnection!(context("gemini-2.5-flash-image"))).toBe("Connected; model 'gemini-2.5-flash-image' is available.");
    const [sent] = since(before);
    expect(sent).toMatchObject({ method: "GET", path: "/v1beta/models/gemini-2.5-flash-image" });
    expect(sent!.headers["x-goog-api-key"]).toBe(fake.key);
    expect(await gemini.testConnection!(context("veo-3.1-generate-preview", { baseUrl: `${fake.url}/v1beta/` }))).toBe(
      "Connected; model 'veo-3.1-generate-preview' is available.",
    );
  });

  test("an unknown model is not_found; a wrong key auth_required (502)", async () => {
    const missing = await gemini.testConnection!(context("gemini-9-image")).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AppError);
    expect(missing).toMatchObject({ type: "not_found", status: 404 });
    expect((missing as AppError).message).toContain("gemini-9-image");
    const wrongKey = await gemini.testConnection!(context("gemini-2.5-flash-image", { apiKey: "AIzaSyWRONG-0123456789" })).catch((e: unknown) => e);
    expect(wrongKey).toMatchObject({ type: "auth_required", status: 502 });
  });
});

/** One row of the cost table: what to generate, and the cost worked out by hand from the fake's reported usage. */
interface CostCase {
  model: string;
  type: MediaKind;
  options?: Record<string, unknown>;
  request: Record<string, unknown>;
  /** The usage the fake reports for this request (ties the hand figures below to it). */
  usage?: unknown;
  /** The ledger's cost_breakdown; the largest line is its cost_unit. */
  lines: { unit: string; quantity: number; unit_price_usd: number; usd: unknown }[];
  usd: number;
}

// 60 characters -> the fake speaks 60 / 15 = 4.0 s -> 4.0 x 25 = 100 audio tokens; ceil(60 / 4) = 15 text tokens.
const TTS_TEXT = "Welcome to mediagen. This sentence is sixty characters long.";
const ttsUsage = { promptTokenCount: 15, candidatesTokenCount: 100 };
const secondLine = (resolution: string, seconds: number, usdPerSecond: number) => ({
  unit: `second_${resolution}`,
  quantity: seconds,
  unit_price_usd: usdPerSecond,
  usd: expect.closeTo(seconds * usdPerSecond, 12),
});

/** A Gemini TTS model speaking TTS_TEXT: 15 text tokens in and 100 audio tokens out at these prices per million. */
const LAUNCH_PRICES = Date.now() < Date.parse("2027-01-01T00:00:00Z");
const ttsCase = (model: string, usdPerMIn: number, usdPerMOut: number): CostCase => ({
  model,
  type: "audio",
  request: { input: TTS_TEXT },
  usage: ttsUsage,
  lines: [tokenLine("input_text_token", 15, usdPerMIn), tokenLine("output_audio_token", 100, usdPerMOut)],
  usd: (15 * usdPerMIn + 100 * usdPerMOut) / 1_000_000,
});
/** A Veo model making `seconds` of video at `resolution` (the option when given, else the default 720p). */
const veoCase = (model: string, seconds: number, usdPerSecond: number, resolution?: string): CostCase => ({
  model,
  type: "video",
  ...(resolution ? { options: { resolution } } : {}),
  request: { prompt: "p", duration_seconds: seconds },
  lines: [secondLine(resolution ?? "720p", seconds, usdPerSecond)],
  usd: seconds * usdPerSecond,
});

const COST_CASES: CostCase[] = [
  {
    model: "gemini-2.5-flash-image",
    type: "image",
    request: { prompt: "p" },
    usage: geminiImageUsage("gemini-2.5-flash-image"),
    // 12 text tokens in at $0.30/M, 9 text tokens out at $2.50/M, 1,290 image tokens out at $30/M.
    lines: [tokenLine("input_text_token", 12, 0.3), tokenLine("output_text_token", 9, 2.5), tokenLine("output_image_token", 1290, 30)],
    usd: (12 * 0.3 + 9 * 2.5 + 1290 * 30) / 1_000_000, // = 0.0387261
  },
  {
    model: "gemini-2.5-flash-image",
    type: "image",
    request: { prompt: "p", images: [b64(makePng(16, 16))] },
    usage: geminiImageUsage("gemini-2.5-flash-image", { inputImages: 1 }),
    // An edit adds 258 image tokens in at $0.30/M.
    lines: [
      tokenLine("input_text_token", 12, 0.3),
      tokenLine("input_image_token", 258, 0.3),
      tokenLine("output_text_token", 9, 2.5),
      tokenLine("output_image_token", 1290, 30),
    ],
    usd: (12 * 0.3 + 258 * 0.3 + 9 * 2.5 + 1290 * 30) / 1_000_000, // = 0.0388035
  },
  {
    model: "gemini-3-pro-image-preview",
    type: "image",
    request: { prompt: "p" },
    usage: geminiImageUsage("gemini-3-pro-image-preview"),
    // 12 text in at $2/M; 9 text + 180 thinking tokens out at $12/M; 1,120 image tokens (1K) out at $120/M.
    lines: [tokenLine("input_text_token", 12, 2), tokenLine("output_text_token", 9 + 180, 12), tokenLine("output_image_token", 1120, 120)],
    usd: (12 * 2 + (9 + 180) * 12 + 1120 * 120) / 1_000_000, // = 0.136692
  },
  {
    model: "gemini-3-pro-image-preview",
    type: "image",
    options: { image_size: "4K" },
    request: { prompt: "p", images: [b64(makePng(16, 16))] },
    usage: geminiImageUsage("gemini-3-pro-image-preview", { inputImages: 1, imageSize: "4K" }),
    // 4K: 2,000 image tokens out at $120/M; the input image is 560 tokens at $2/M.
    lines: [
      tokenLine("input_text_token", 12, 2),
      tokenLine("input_image_token", 560, 2),
      tokenLine("output_text_token", 9 + 180, 12),
      tokenLine("output_image_token", 2000, 120),
    ],
    usd: (12 * 2 + 560 * 2 + (9 + 180) * 12 + 2000 * 120) / 1_000_000, // = 0.243412
  },
  {
    model: "gemini-3.1-flash-image-preview",
    type: "image",
    options: { image_size: "512" },
    request: { prompt: "p" },
    usage: geminiImageUsage("gemini-3.1-flash-image-preview", { imageSize: "512" }),
    // 12 text in at $0.50/M; 9 text + 180 thinking out at $3/M; 747 image tokens (512) out at $60/M.
    lines: [tokenLine("input_text_token", 12, 0.5), tokenLine("output_text_token", 9 + 180, 3), tokenLine("output_image_token", 747, 60)],
    usd: (12 * 0.5 + (9 + 180) * 3 + 747 * 60) / 1_000_000, // = 0.045393
  },
  {
    model: "gemini-3.1-flash-image-preview",
    type: "image",
    options: { image_size: "4K" },
    request: { prompt: "p" },
    usage: geminiImageUsage("gemini-3.1-flash-image-preview", { imageSize: "4K" }),
    lines: [tokenLine("input_text_token", 12, 0.5), tokenLine("output_text_token", 9 + 180, 3), tokenLine("output_image_token", 2520, 60)],
    usd: (12 * 0.5 + (9 + 180) * 3 + 2520 * 60) / 1_000_000, // = 0.151773
  },
  ttsCase("gemini-2.5-flash-preview-tts", 0.5, 10), // = 0.0010075
  ttsCase("gemini-2.5-pro-preview-tts", 1, 20), // = 0.002015
  ttsCase("gemini-3.1-flash-tts-preview", 1, 20), // = 0.002015
  // Launch prices until 2027-01-01, then double (prices.yml dates them; a generation is priced at the rate in force).
  ttsCase("gemini-3.8-flash-tts", 0.5, LAUNCH_PRICES ? 9 : 18), // = 0.0009075 at launch
  ttsCase("gemini-3.8-flash-lite-tts", 0.5, LAUNCH_PRICES ? 6 : 12), // = 0.0006075 at launch
  veoCase("veo-3.1-generate-preview", 8, 0.4),
  veoCase("veo-3.1-generate-001", 8, 0.6, "4k"),
  veoCase("veo-3.1-fast-generate-preview", 8, 0.12, "1080p"),
  veoCase("veo-3.1-fast-generate-001", 6, 0.1),
  veoCase("veo-3.1-lite-generate-preview", 4, 0.05),
  veoCase("veo-3.1-lite-generate-preview", 8, 0.08, "1080p"),
  veoCase("veo-3.0-generate-001", 8, 0.4, "1080p"),
  veoCase("veo-3.0-fast-generate-001", 6, 0.15),
];

describe("cost of every catalogued Gemini model, worked out by hand from the fake's usage", () => {
  test("the TTS text gives the usage the hand figures assume", () => {
    expect(TTS_TEXT.length).toBe(60);
    expect(geminiSpeechUsage(TTS_TEXT)).toMatchObject(ttsUsage);
  });

  test.each(COST_CASES.map((c) => [`${c.model}${c.options ? ` ${JSON.stringify(c.options)}` : ""}${c.request.images ? " edit" : ""}`, c] as const))(
    "%s",
    async (_name, c) => {
      using h = harness(c.type, c.model, c.options);
      const { status, body } = await h.post(ENDPOINT[c.type], { ...c.request, output_dir: h.workDir });
      expect(status).toBe(200);
      if (c.usage) expect((await h.ledger.get(body.id))!.usage).toMatchObject(c.usage as Record<string, unknown>);
      expect(body.cost_usd).toBeCloseTo(c.usd, 12);
      const row = (await h.ledger.get(body.id))!;
      const main = [...c.lines].sort((a, b) => b.quantity * b.unit_price_usd - a.quantity * a.unit_price_usd)[0]!;
      expect(row).toMatchObject({ cost_source: "catalog", cost_unit: main.unit, cost_quantity: main.quantity, cost_unit_price: main.unit_price_usd });
      expect(row.cost_usd).toBeCloseTo(c.usd, 12);
      expect(byUnit(row.cost_breakdown!)).toEqual(byUnit(c.lines) as never);
    },
  );

  test("veo-2.0-generate-001 is not in the catalogue: the cost is unknown, never a made-up figure", async () => {
    using h = harness("video", "veo-2.0-generate-001");
    const { status, body } = await h.post("/api/media/video", { prompt: "p", duration_seconds: 5, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.cost_usd).toBeUndefined();
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_usd: null, cost_source: "unknown" });
  });
});
