// The built executable, started from an empty folder, driven with the real curl against the fake OpenAI, Gemini,
// OpenRouter, DashScope, ComfyUI, AUTOMATIC1111, fal, Replicate and ElevenLabs APIs: each provider's seed flows (files
// checked byte for byte, costs checked against hand-computed figures from the fakes' reported usage, what reached the
// provider checked on the wire) and one mapped failure each. openclacky is covered by binary.test.ts; every door through
// the local-GPU and aggregator providers by doors-providers.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeAutomatic1111, type FakeAutomatic1111 } from "../fakes/automatic1111.ts";
import { startFakeComfyUI, type FakeComfyUI } from "../fakes/comfyui.ts";
import { startFakeDashScope, type FakeDashScope } from "../fakes/dashscope.ts";
import { ELEVEN_VOICES, elevenSeconds, startFakeElevenLabs, type FakeElevenLabs } from "../fakes/elevenlabs.ts";
import { startFakeFal, type FakeFal } from "../fakes/fal.ts";
import { makePng } from "../fakes/media.ts";
import { startFakeGemini, type FakeGemini } from "../fakes/gemini.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai.ts";
import { startFakeOpenRouter, type FakeOpenRouter } from "../fakes/openrouter.ts";
import { startFakeReplicate, type FakeReplicate } from "../fakes/replicate.ts";
import { tempDir } from "../helpers.ts";
import {
  BUILD_TIMEOUT_MS,
  cleanEnv,
  curl,
  formatOf,
  getJson,
  poll,
  pngSize,
  postAnswer,
  postJson,
  prepareExecutable,
  savedBytes,
  savedName,
  speechWav,
  startDaemon,
  writeConfig,
  type Daemon,
} from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;
const M = 1_000_000;
const IMAGE_NAME = savedName("img", "png|jpg|webp");
const VIDEO_NAME = savedName("vid", "mp4");
const SPEECH_NAME = savedName("tts", "wav");

const root = tempDir("mediagen-e2e-providers-");
const dataDir = join(root.path, "data");
const workspace = join(root.path, "workspace");
const home = join(root.path, "home");
const generatedDir = join(workspace, "assets", "generated");
let runDir = "";
let openai: FakeOpenAI;
let gemini: FakeGemini;
let openrouter: FakeOpenRouter;
let dashscope: FakeDashScope;
let comfy: FakeComfyUI;
let a1111: FakeAutomatic1111;
let fal: FakeFal;
let replicate: FakeReplicate;
let eleven: FakeElevenLabs;
let daemon: Daemon;

type Entry = { type: "image" | "video" | "audio"; provider: string; model: string; api_key?: string; base_url: string; options?: Record<string, unknown> };
let models: Record<string, Entry> = {};

/** config.yml with every fake model, the named ones the default of their type; one attempt per job so failures map directly. */
function configWith(defaults: string[]): Record<string, unknown> {
  const once = { max_attempts: 1 };
  return {
    models: Object.entries(models).map(([name, entry]) => ({ name, ...entry, ...(defaults.includes(name) ? { default: true } : {}) })),
    jobs: { image: once, video: once, audio: once },
  };
}

/** Makes the named models the ones in use and waits until the daemon reports them (config reloads on the next request). */
async function use(...names: string[]): Promise<void> {
  writeConfig(dataDir, configWith(names));
  await poll(
    async () => {
      const types = (await getJson(`${daemon.url}/api/media/types`)).json();
      return names.every((name) => types[models[name]!.type]?.name === name) ? true : undefined;
    },
    15_000,
    `the daemon to use ${names.join(", ")}`,
    100,
  );
}

/** The ledger record of a generation, as the API serves it. */
async function ledgerRow(id: string): Promise<Record<string, any>> {
  const response = await getJson(`${daemon.url}/api/generations/${id}`);
  expect(response.status).toBe(200);
  return response.json();
}

/** The saved file's bytes, after checking it is where the answer says, named as the daemon names files, and recorded with its size. */
function savedFile(path: string, folder: string, name: RegExp, row: Record<string, any>): Uint8Array {
  const bytes = savedBytes(path, folder, name);
  expect(row).toMatchObject({ status: "succeeded", output_path: path, bytes: bytes.length });
  return bytes;
}

/** The ledger row of a speech answer, after checking its file: saved as the daemon saves files, a PCM WAV whose data runs to its end, about `seconds` long. */
async function savedSpeech(body: Record<string, any>, seconds: number): Promise<Record<string, any>> {
  const row = await ledgerRow(body.id);
  const bytes = savedFile(String(body.audio), generatedDir, SPEECH_NAME, row);
  expect(formatOf(bytes)).toBe("wav");
  const wav = speechWav(bytes);
  expect(wav.dataOffset + wav.dataBytes).toBe(bytes.length);
  expect(wav.durationSeconds).toBeCloseTo(seconds, 2);
  return row;
}

/** A test of this file that first makes the named models the ones in use. */
function withModels(...names: string[]) {
  return (title: string, run: () => Promise<void>) =>
    test(
      title,
      async () => {
        await use(...names);
        await run();
      },
      TEST_TIMEOUT_MS,
    );
}

beforeAll(async () => {
  const started = performance.now();
  const prepared = await prepareExecutable(root.path);
  runDir = prepared.runDir;
  console.log(`e2e providers: executable ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const dir of [workspace, home]) mkdirSync(dir, { recursive: true });
  openai = startFakeOpenAI();
  gemini = startFakeGemini();
  openrouter = startFakeOpenRouter();
  dashscope = startFakeDashScope();
  comfy = startFakeComfyUI();
  a1111 = startFakeAutomatic1111();
  fal = startFakeFal();
  replicate = startFakeReplicate();
  eleven = startFakeElevenLabs();
  const onDashScope = { api_key: dashscope.key, base_url: dashscope.url };
  const on = { openai: { api_key: openai.key!, base_url: `${openai.url}/v1` }, gemini: { api_key: gemini.key, base_url: gemini.url }, openrouter: { api_key: openrouter.key, base_url: `${openrouter.url}/api/v1` } };
  models = {
    "openai-image": { type: "image", provider: "openai", model: "gpt-image-2", ...on.openai },
    "openai-speech": { type: "audio", provider: "openai", model: "gpt-4o-mini-tts", ...on.openai },
    "gemini-image": { type: "image", provider: "gemini", model: "gemini-2.5-flash-image", ...on.gemini },
    "gemini-speech": { type: "audio", provider: "gemini", model: "gemini-2.5-flash-preview-tts", ...on.gemini },
    "gemini-video": { type: "video", provider: "gemini", model: "veo-3.1-fast-generate-preview", ...on.gemini },
    "openrouter-image": { type: "image", provider: "openrouter", model: "google/gemini-2.5-flash-image", ...on.openrouter },
    "openrouter-video": { type: "video", provider: "openrouter", model: "google/veo-3.1", ...on.openrouter },
    "dashscope-image": { type: "image", provider: "dashscope", model: "qwen-image-plus", ...onDashScope },
    "dashscope-speech": { type: "audio", provider: "dashscope", model: "qwen3-tts-flash", ...onDashScope },
    "dashscope-video": { type: "video", provider: "dashscope", model: "wan2.5-t2v-preview", ...onDashScope },
    "comfyui-image": { type: "image", provider: "comfyui", model: "text-to-image", base_url: comfy.url, options: { seed: 42 } },
    "comfyui-edit": { type: "image", provider: "comfyui", model: "image-edit", base_url: comfy.url, options: { gpu_usd_per_second: 0.0004 } },
    "a1111-image": { type: "image", provider: "automatic1111", model: "sd_xl_base_1.0", base_url: a1111.url, options: { steps: 12, sampler: "Euler a" } },
    "fal-image": { type: "image", provider: "fal", model: "fal-ai/flux/dev", api_key: fal.key, base_url: fal.url },
    "replicate-image": { type: "image", provider: "replicate", model: "black-forest-labs/flux-schnell", api_key: replicate.key, base_url: replicate.url },
    "eleven-speech": { type: "audio", provider: "elevenlabs", model: "eleven_multilingual_v2", api_key: eleven.key, base_url: eleven.url },
  };
  writeConfig(dataDir, configWith([]));
  daemon = await startDaemon({
    cmd: [prepared.binary],
    cwd: runDir,
    dataDir,
    env: cleanEnv({ HOME: home, MEDIAGEN_POLL_INTERVAL_SECONDS: "0.05" }),
  });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await daemon?.stop("SIGTERM").catch(() => daemon.dispose());
  await Promise.all([openai?.close(), gemini?.close(), openrouter?.close(), dashscope?.close(), comfy?.close(), a1111?.close(), fal?.close(), replicate?.close(), eleven?.close()]);
  root[Symbol.dispose]();
});

describe("openai", () => {
  const it = withModels("openai-image", "openai-speech");

  it("generates an image: a 1536x1024 PNG, priced from the reported token usage by the catalogue", async () => {
    const prompt = "A clean, modern hero illustration for a tech startup landing page. Soft gradient background, minimal style.";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "landscape", output_dir: workspace }, 200);
    // The fake reports 50 input text tokens and, for medium (auto) quality at 1536x1024, 1,568 output image tokens;
    // gpt-image-2 costs $5/M text in and $30/M image out: 0.00025 + 0.04704.
    const cost = (50 * 5) / M + (1568 * 30) / M;
    expect(cost).toBeCloseTo(0.04729, 10);
    expect(body).toMatchObject({ success: true, provider: "openai", model: "gpt-image-2", prompt, aspect_ratio: "landscape", size: "1536x1024" });
    // The answer's usage is in the skill's shape; the provider's own stays in the ledger.
    expect(body.usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 1568 });
    expect(body.cost_usd).toBeCloseTo(cost, 10);

    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.image), generatedDir, IMAGE_NAME, row);
    expect(formatOf(bytes)).toBe("png");
    expect(String(body.image)).toEndWith(".png");
    expect(pngSize(bytes)).toEqual({ width: 1536, height: 1024 });
    expect(row).toMatchObject({ provider: "openai", model: "gpt-image-2", model_name: "openai-image", mime_type: "image/png", width: 1536, height: 1024, cost_source: "catalog" });
    expect(row.cost_usd).toBeCloseTo(cost, 10);

    const sent = openai.requests.at(-1)!;
    expect(sent.path).toBe("/v1/images/generations");
    expect(sent.headers.authorization).toBe(`Bearer ${openai.key}`);
    expect(sent.body).toEqual({ model: "gpt-image-2", prompt, n: 1, size: "1536x1024" });
  });

  it("edits a local image given by path: multipart upload, result beside the input, the input untouched", async () => {
    const inputDir = join(workspace, "photos");
    mkdirSync(inputDir, { recursive: true });
    const input = join(inputDir, "cat.png");
    const original = makePng(96, 64, [200, 30, 30]);
    writeFileSync(input, original);
    const before = statSync(input);

    const prompt = "change the background to a starry night sky, keep the cat unchanged";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, image: input }, 200);
    // One input image adds 194 image tokens at $8/M to the generation's 50 text tokens ($5/M) and 1,568 image tokens ($30/M).
    const cost = (50 * 5) / M + (194 * 8) / M + (1568 * 30) / M;
    expect(cost).toBeCloseTo(0.048842, 10);
    expect(body).toMatchObject({ success: true, provider: "openai", model: "gpt-image-2", prompt, size: "1536x1024" });
    expect(body.cost_usd).toBeCloseTo(cost, 10);

    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.image), join(inputDir, "assets", "generated"), IMAGE_NAME, row);
    expect(formatOf(bytes)).toBe("png");
    expect(row.cost_source).toBe("catalog");
    expect(row.cost_usd).toBeCloseTo(cost, 10);

    expect(Buffer.from(readFileSync(input)).equals(Buffer.from(original))).toBe(true);
    expect(statSync(input).mtimeMs).toBe(before.mtimeMs);
    expect(readdirSync(inputDir).sort()).toEqual(["assets", "cat.png"]);

    const sent = openai.requests.at(-1)!;
    expect(sent.path).toBe("/v1/images/edits");
    expect(sent.headers["content-type"]).toStartWith("multipart/form-data; boundary=");
    const parts = sent.parts!.filter((part) => part.name === "image[]");
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ filename: "image-1.png", contentType: "image/png" });
    expect(Buffer.from(parts[0]!.bytes).equals(Buffer.from(original))).toBe(true);
    expect(sent.body).toMatchObject({ model: "gpt-image-2", prompt, n: "1", size: "1536x1024" });
  });

  it("synthesises speech as a 24 kHz mono 16-bit WAV, priced from the SSE usage", async () => {
    // 60 characters: the fake speaks 15 characters a second (4.0 s) and reports ceil(60 / 4) = 15 input tokens
    // and 4.0 x 20 = 80 output audio tokens; gpt-4o-mini-tts costs $0.60/M text in and $12/M audio out.
    const input = "Hello and welcome to mediagen. Today we explore three APIs..";
    expect(input.length).toBe(60);
    const cost = (15 * 0.6) / M + (80 * 12) / M;
    const { body } = await postAnswer(`${daemon.url}/api/media/audio/speech`, { input, voice: "Kore", output_dir: workspace }, 200);
    // The skill's Gemini voice name becomes the model's default voice.
    expect(body).toMatchObject({ success: true, provider: "openai", model: "gpt-4o-mini-tts", input, voice: "coral", mime_type: "audio/wav" });
    expect(body.usage).toEqual({ prompt_tokens: 15, completion_tokens: 80, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 95 });
    expect(body.cost_usd).toBeCloseTo(cost, 12);

    const row = await savedSpeech(body, 4);
    expect(row).toMatchObject({ mime_type: "audio/wav", cost_source: "catalog" });
    expect(row.duration_seconds).toBeCloseTo(4, 2);
    expect(row.cost_usd).toBeCloseTo(cost, 12);
    expect(openai.requests.at(-1)!.body).toEqual({ model: "gpt-4o-mini-tts", input, voice: "coral", response_format: "wav", stream_format: "sse" });
  });

  it("a moderation_blocked refusal is a 422 content_filtered, with nothing saved and no cost", async () => {
    const before = readdirSync(generatedDir).length;
    const prompt = "Something the safety system refuses [[fake:moderation_blocked]]";
    const { body, text } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 422);
    expect(body).toMatchObject({ success: false, image: null, error_type: "content_filtered", upstream_status: 400, provider: "openai", model: "gpt-image-2", prompt });
    expect(String(body.error)).toContain("moderation_blocked");
    expect(text).not.toContain(openai.key!);
    const row = await ledgerRow(body.id);
    expect(row).toMatchObject({ status: "failed", error_type: "content_filtered", upstream_status: 400, output_path: null, cost_usd: null, cost_source: "unknown" });
    expect(readdirSync(generatedDir)).toHaveLength(before);
  });

  test(
    "POST /api/config/models/test checks a configured model by name, and reports a rejected key",
    async () => {
      const good = await postJson(`${daemon.url}/api/config/models/test`, { name: "openai-image" });
      expect(good.status).toBe(200);
      expect(good.json()).toMatchObject({ ok: true, provider: "openai", model: "gpt-image-2" });
      expect(String(good.json().message)).toContain("gpt-image-2");
      const asked = openai.requests.at(-1)!;
      expect(asked).toMatchObject({ method: "GET", path: "/v1/models/gpt-image-2" });

      const wrongKey = "sk-wrong-0123456789abcdefghij";
      const bad = await postJson(`${daemon.url}/api/config/models/test`, { ...models["openai-image"], api_key: wrongKey });
      expect(bad.status).toBe(200);
      expect(bad.json()).toMatchObject({ ok: false, error_type: "auth_required", provider: "openai", model: "gpt-image-2" });
      expect(bad.body).not.toContain(wrongKey);

      const unknown = await postJson(`${daemon.url}/api/config/models/test`, { ...models["openai-image"], model: "gpt-image-9" });
      expect(unknown.json()).toMatchObject({ ok: false, error_type: "not_found", model: "gpt-image-9" });
    },
    TEST_TIMEOUT_MS,
  );
});

describe("gemini", () => {
  const it = withModels("gemini-image", "gemini-speech", "gemini-video");

  it("generates an image: a 16:9 PNG, priced from usageMetadata by the catalogue", async () => {
    const prompt = "A lighthouse on a cliff at golden hour, watercolour";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "landscape", output_dir: workspace }, 200);
    // usageMetadata: 12 prompt text tokens ($0.30/M), 9 text + 1,290 image candidate tokens ($2.50/M, $30/M).
    const cost = (12 * 0.3) / M + (9 * 2.5) / M + (1290 * 30) / M;
    expect(cost).toBeCloseTo(0.0387261, 10);
    expect(body).toMatchObject({ success: true, provider: "gemini", model: "gemini-2.5-flash-image", prompt, size: "1344x768" });
    expect(body.cost_usd).toBeCloseTo(cost, 10);

    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.image), generatedDir, IMAGE_NAME, row);
    expect(formatOf(bytes)).toBe("png");
    expect(pngSize(bytes)).toEqual({ width: 1344, height: 768 });
    expect(row).toMatchObject({ cost_source: "catalog", width: 1344, height: 768 });
    expect(row.cost_usd).toBeCloseTo(cost, 10);

    const sent = gemini.requests.at(-1)!;
    expect(sent.path).toBe("/v1beta/models/gemini-2.5-flash-image:generateContent");
    expect(sent.headers["x-goog-api-key"]).toBe(gemini.key);
    expect(sent.body).toMatchObject({ generationConfig: { responseModalities: ["TEXT", "IMAGE"], imageConfig: { aspectRatio: "16:9" } } });
  });

  it("synthesises speech: the raw L16 PCM becomes a 24 kHz mono 16-bit WAV, priced from usageMetadata", async () => {
    // 45 characters: 3.0 s of audio at 15 characters a second; ceil(45 / 4) = 12 prompt tokens ($0.50/M) and
    // 3.0 x 25 = 75 audio tokens ($10/M).
    const input = "Hello and welcome. This is the Gemini voice..";
    expect(input.length).toBe(45);
    const cost = (12 * 0.5) / M + (75 * 10) / M;
    const { body } = await postAnswer(`${daemon.url}/api/media/audio/speech`, { input, voice: "Puck", output_dir: workspace }, 200);
    expect(body).toMatchObject({ success: true, provider: "gemini", model: "gemini-2.5-flash-preview-tts", input, voice: "Puck", mime_type: "audio/wav" });
    expect(body.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 75 });
    expect(body.cost_usd).toBeCloseTo(cost, 12);

    const row = await savedSpeech(body, 3);
    expect(row.cost_source).toBe("catalog");
    expect(row.cost_usd).toBeCloseTo(cost, 12);
    expect(gemini.requests.at(-1)!.body).toMatchObject({
      generationConfig: { responseModalities: ["AUDIO"], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: "Puck" } } } },
    });
  });

  it("generates a Veo video: the operation is polled until done, the file fetched through the 302 without leaking the key", async () => {
    gemini.pendingPolls = 3;
    const seen = gemini.requests.length;
    const prompt = "A cinematic drone shot flying over a misty mountain range at sunrise, golden light, 4K.";
    const { body } = await postAnswer(`${daemon.url}/api/media/video`, { prompt, aspect_ratio: "landscape", duration_seconds: 8, output_dir: workspace }, 200, ["--max-time", "50"]);
    // veo-3.1-fast at 720p: $0.10 per second, 8 seconds.
    const cost = 0.1 * 8;
    expect(body).toMatchObject({ success: true, provider: "gemini", model: "veo-3.1-fast-generate-preview", prompt, aspect_ratio: "landscape", duration_seconds: 8 });
    expect(body.cost_usd).toBeCloseTo(cost, 10);

    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.video), generatedDir, VIDEO_NAME, row);
    expect(formatOf(bytes)).toBe("mp4");
    expect(bytes.length).toBe(4096);
    expect(row).toMatchObject({ mime_type: "video/mp4", duration_seconds: 8, cost_source: "catalog", cost_quantity: 8, cost_unit_price: 0.1 });
    expect(row.cost_usd).toBeCloseTo(cost, 10);
    expect(String(row.operation_id)).toMatch(/^models\/veo-3\.1-fast-generate-preview\/operations\/[a-z0-9]+$/);

    const traffic = gemini.requests.slice(seen);
    const submits = traffic.filter((r) => r.path.endsWith(":predictLongRunning"));
    expect(submits).toHaveLength(1);
    expect(submits[0]!.body).toMatchObject({ instances: [{ prompt }], parameters: { aspectRatio: "16:9", durationSeconds: 8 } });
    // Three pending answers, then done: four polls.
    expect(traffic.filter((r) => r.path === `/v1beta/${row.operation_id}`)).toHaveLength(4);
    const download = traffic.find((r) => r.path.endsWith(":download"))!;
    expect(download.headers["x-goog-api-key"]).toBe(gemini.key);
    const storage = traffic.find((r) => r.path.startsWith("/generated-videos/"))!;
    expect(storage).toBeDefined();
    expect(storage.headers["x-goog-api-key"]).toBeUndefined();
    expect(JSON.stringify(storage)).not.toContain(gemini.key);

    // The original server's status endpoint answers for the finished job too.
    const status = await getJson(`${daemon.url}/api/media/video/status?task_id=${body.id}`);
    expect(status.json()).toMatchObject({ success: true, status: "succeeded", task_id: body.id, video: body.video, provider: "gemini" });
  });

  it("a rejected key (400 API_KEY_INVALID) is a 502 auth_required that never quotes the key", async () => {
    const prompt = "A fox in the snow [[fake:api_key_invalid]]";
    const { body, text } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 502);
    expect(body).toMatchObject({ success: false, image: null, error_type: "auth_required", upstream_status: 400, provider: "gemini", prompt });
    expect(String(body.error)).toContain("API key not valid");
    expect(text).not.toContain(gemini.key);
    expect(await ledgerRow(body.id)).toMatchObject({ status: "failed", error_type: "auth_required", cost_usd: null, cost_source: "unknown" });
  });
});

describe("openrouter", () => {
  const it = withModels("openrouter-image", "openrouter-video");

  it("generates an image (a JPEG, saved as .jpg from its bytes) with OpenRouter's own cost recorded as upstream", async () => {
    const prompt = "A bowl of ramen, studio lighting [[fake:jpeg]]";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "landscape", output_dir: workspace }, 200);
    // usage.cost as the fake reports it: 6 prompt tokens at $0.3/M, 9 text and 1,290 image completion tokens at $2.5/M and $30/M.
    const cost = 0.0387243;
    expect(body).toMatchObject({ success: true, provider: "openrouter", model: "google/gemini-2.5-flash-image", prompt, size: "1344x768" });
    expect(body.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 1299 });
    expect(body.cost_usd).toBe(cost);

    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.image), generatedDir, IMAGE_NAME, row);
    expect(formatOf(bytes)).toBe("jpeg");
    expect(String(body.image)).toEndWith(".jpg");
    expect(row).toMatchObject({ mime_type: "image/jpeg", width: 1344, height: 768, cost_usd: cost, cost_source: "upstream" });

    const sent = openrouter.requests.at(-1)!;
    expect(sent.path).toBe("/api/v1/chat/completions");
    expect(sent.headers.authorization).toBe(`Bearer ${openrouter.key}`);
    expect(sent.body).toMatchObject({ model: "google/gemini-2.5-flash-image", modalities: ["image", "text"], image_config: { aspect_ratio: "16:9" } });
  });

  it("generates a video as an async job: 202, SSE events to the end, the legacy status, the upstream cost", async () => {
    openrouter.pendingPolls = 3;
    const seen = openrouter.requests.length;
    const prompt = "Waves rolling onto a black sand beach, slow motion";
    const headers = join(root.path, "video.headers");
    const submitted = await postJson(`${daemon.url}/api/media/video`, { prompt, aspect_ratio: "portrait", duration_seconds: 6, output_dir: workspace, async: true }, ["-D", headers]);
    expect(submitted.status).toBe(202);
    const accepted = submitted.json();
    const id = String(accepted.task_id);
    expect(accepted).toMatchObject({ success: true, task_id: id, id, type: "video", provider: "openrouter", model: "google/veo-3.1", status_url: `/api/media/jobs/${id}` });
    expect(readFileSync(headers, "utf8").toLowerCase()).toContain(`location: /api/media/jobs/${id}`);

    // The event stream ends by itself with the job's final state.
    const events = await curl(["-s", "-N", "--max-time", "50", `${daemon.url}${accepted.events_url}`]);
    expect(events.status).toBe(200);
    const names = [...events.body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names.at(-1)).toBe("succeeded");
    const last = JSON.parse(events.body.trim().split("\n").at(-1)!.replace(/^data: /, ""));
    expect(last).toMatchObject({ id, status: "succeeded", result: { success: true, provider: "openrouter", duration_seconds: 6 } });

    const job = (await getJson(`${daemon.url}/api/media/jobs/${id}`)).json();
    expect(job).toMatchObject({ id, task_id: id, status: "succeeded", type: "video" });
    const path = String(job.result.video);
    // google/veo-3.1 at 720p: $0.40 per second, 6 seconds, reported by OpenRouter as usage.cost.
    const cost = 2.4;
    expect(job.result.cost_usd).toBeCloseTo(cost, 10);
    const status = (await getJson(`${daemon.url}/api/media/video/status?task_id=${id}`)).json();
    expect(status).toMatchObject({ success: true, status: "succeeded", task_id: id, video: path });

    const row = await ledgerRow(id);
    const bytes = savedFile(path, generatedDir, VIDEO_NAME, row);
    expect(formatOf(bytes)).toBe("mp4");
    expect(row).toMatchObject({ mime_type: "video/mp4", duration_seconds: 6, cost_source: "upstream" });
    expect(row.cost_usd).toBeCloseTo(cost, 10);
    expect(row.operation_id).toMatch(/^job-/);

    const traffic = openrouter.requests.slice(seen);
    const submits = traffic.filter((r) => r.method === "POST" && r.path === "/api/v1/videos");
    expect(submits).toHaveLength(1);
    expect(submits[0]!.body).toMatchObject({ model: "google/veo-3.1", prompt, aspect_ratio: "9:16", duration: 6 });
    expect(traffic.filter((r) => r.path === `/api/v1/videos/${row.operation_id}`)).toHaveLength(4);
    const content = traffic.find((r) => r.path === `/api/v1/videos/${row.operation_id}/content`)!;
    expect(content.headers.authorization).toBe(`Bearer ${openrouter.key}`);
  });

  it("a 402 is a 402 insufficient_credits", async () => {
    const prompt = "A castle in the clouds [[fake:402]]";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 402);
    expect(body).toMatchObject({ success: false, image: null, error_type: "insufficient_credits", upstream_status: 402, provider: "openrouter", prompt });
    expect(String(body.error)).toContain("Insufficient credits");
    expect(await ledgerRow(body.id)).toMatchObject({ status: "failed", error_type: "insufficient_credits", cost_usd: null });
  });
});

describe("dashscope", () => {
  const it = withModels("dashscope-image", "dashscope-speech", "dashscope-video");

  it("generates a Qwen-Image picture: the signed result URL fetched without the key, priced per image", async () => {
    const seen = dashscope.requests.length;
    const prompt = "A hand-drawn poster of a tea house";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "landscape", output_dir: workspace }, 200);
    expect(body).toMatchObject({ success: true, provider: "dashscope", model: "qwen-image-plus", prompt, size: "64x36" });
    expect(body.cost_usd).toBeCloseTo(0.029, 10);
    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.image), generatedDir, IMAGE_NAME, row);
    expect(formatOf(bytes)).toBe("png");
    expect(row).toMatchObject({ cost_source: "catalog", cost_quantity: 1, cost_unit_price: 0.029 });
    const [sent, fetched] = dashscope.requests.slice(seen);
    expect(sent!.headers.authorization).toBe(`Bearer ${dashscope.key}`);
    expect(sent!.body).toMatchObject({ model: "qwen-image-plus", parameters: { size: "1664*928", watermark: false } });
    expect(fetched!.path).toMatch(/^\/results\//);
    expect(JSON.stringify(fetched)).not.toContain(dashscope.key);
  });

  it("synthesises Qwen-TTS speech: the skill's Kore becomes Cherry, a 24 kHz WAV, priced per billed character", async () => {
    // 45 characters: 3.0 s of audio in the fake; usage.characters 45 at $0.10 per 10,000.
    const input = "Hello and welcome. This is the Qwen voice....";
    expect(input.length).toBe(45);
    const { body } = await postAnswer(`${daemon.url}/api/media/audio/speech`, { input, voice: "Kore", output_dir: workspace }, 200);
    expect(body).toMatchObject({ success: true, provider: "dashscope", model: "qwen3-tts-flash", voice: "Cherry", mime_type: "audio/wav" });
    expect(body.cost_usd).toBeCloseTo(45 * 0.00001, 12);
    const row = await savedSpeech(body, 3);
    expect(row).toMatchObject({ cost_source: "catalog", cost_quantity: 45 });
  });

  it("generates a Wan video: the async task is polled, the video fetched, priced per second at 720P", async () => {
    dashscope.pendingPolls = 3;
    const seen = dashscope.requests.length;
    const prompt = "A fox detective walking through a rainy neon street";
    const { body } = await postAnswer(`${daemon.url}/api/media/video`, { prompt, aspect_ratio: "landscape", duration_seconds: 5, output_dir: workspace }, 200, ["--max-time", "50"]);
    // wan2.5-t2v-preview at 720P: CNY 0.60/s converted at 7.1 = $0.0845 a second, 5 seconds.
    const cost = 0.0845 * 5;
    expect(body).toMatchObject({ success: true, provider: "dashscope", model: "wan2.5-t2v-preview", duration_seconds: 5 });
    expect(body.cost_usd).toBeCloseTo(cost, 10);
    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.video), generatedDir, VIDEO_NAME, row);
    expect(formatOf(bytes)).toBe("mp4");
    expect(row).toMatchObject({ cost_source: "catalog", cost_quantity: 5, cost_unit_price: 0.0845 });
    const traffic = dashscope.requests.slice(seen);
    const submit = traffic.find((r) => r.method === "POST")!;
    expect(submit.headers["x-dashscope-async"]).toBe("enable");
    expect(submit.body).toMatchObject({ model: "wan2.5-t2v-preview", parameters: { size: "1280*720", duration: 5 } });
    // Three pending answers, then SUCCEEDED: four polls.
    expect(traffic.filter((r) => r.path === `/api/v1/tasks/${row.operation_id}`)).toHaveLength(4);
    dashscope.pendingPolls = 2;
  });

  it("a DataInspectionFailed refusal is a 422 content_filtered, unpriced", async () => {
    const prompt = "Something the inspector refuses [[fake:data_inspection]]";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 422);
    expect(body).toMatchObject({ success: false, image: null, error_type: "content_filtered", upstream_status: 400, provider: "dashscope" });
    expect(String(body.error)).toContain("DataInspectionFailed");
    expect(await ledgerRow(body.id)).toMatchObject({ status: "failed", error_type: "content_filtered", cost_usd: null });
  });
});

describe("comfyui", () => {
  const it = withModels("comfyui-image");

  it("runs the shipped text-to-image workflow: placeholders filled, the websocket's client id on /prompt, the output fetched from /view, $0", async () => {
    const seen = comfy.requests.length;
    const prompt = "A paper lantern festival over a river, ink wash";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "portrait", output_dir: workspace }, 200);
    expect(body).toMatchObject({ success: true, provider: "comfyui", model: "text-to-image", prompt, aspect_ratio: "portrait", cost_usd: 0 });

    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.image), generatedDir, IMAGE_NAME, row);
    expect(formatOf(bytes)).toBe("png");
    // Local and unpriced: ComfyUI's own figure is $0; the GPU seconds the history reports are kept.
    expect(row).toMatchObject({ mime_type: "image/png", cost_usd: 0, cost_source: "upstream", params: { seed: 42, gpu_seconds: 2.5, prompt_id: row.operation_id } });

    const traffic = comfy.requests.slice(seen);
    const socket = traffic.find((r) => r.path === "/ws")!;
    const queued = traffic.find((r) => r.method === "POST" && r.path === "/prompt")!;
    expect(queued.body.client_id).toBe(socket.query.clientId);
    // The portrait default 576x1024, the seed from options, the prompt and the default checkpoint in their nodes.
    expect(queued.body.prompt).toMatchObject({
      "3": { inputs: { seed: 42 } },
      "4": { inputs: { ckpt_name: "v1-5-pruned-emaonly-fp16.safetensors" } },
      "5": { inputs: { width: 576, height: 1024 } },
      "6": { inputs: { text: prompt } },
    });
    expect(traffic.some((r) => r.path === `/history/${row.operation_id}`)).toBe(true);
    const view = traffic.find((r) => r.path === "/view")!;
    expect(view.query).toMatchObject({ type: "output", subfolder: "" });
    expect(view.query.filename).toMatch(/^mediagen_\d{5}_\.png$/);
    // Every step event the fake sent went to this job's socket.
    expect(comfy.events.filter((e) => e.type === "progress" && (e.data as { prompt_id?: string }).prompt_id === row.operation_id)).toHaveLength(comfy.steps);
  });

  test(
    "edits a local image with the shipped image-edit workflow: uploaded through /upload/image, the GPU seconds priced",
    async () => {
      await use("comfyui-edit");
      const inputDir = join(workspace, "comfy");
      mkdirSync(inputDir, { recursive: true });
      const input = join(inputDir, "room.png");
      const original = makePng(48, 32, [30, 120, 200]);
      writeFileSync(input, original);
      const seen = comfy.requests.length;
      const prompt = "the same room in autumn light";
      const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, image: input }, 200);
      // 2.5 GPU seconds (execution_start to execution_success in the history) at $0.0004 a second.
      expect(body).toMatchObject({ success: true, provider: "comfyui", model: "image-edit" });
      expect(body.cost_usd).toBeCloseTo(0.001, 10);
      const row = await ledgerRow(body.id);
      const bytes = savedFile(String(body.image), join(inputDir, "assets", "generated"), IMAGE_NAME, row);
      expect(formatOf(bytes)).toBe("png");
      expect(row).toMatchObject({ cost_source: "upstream", cost_breakdown: [{ unit: "gpu_second", quantity: 2.5, unit_price_usd: 0.0004, usd: 0.001 }], params: { gpu_seconds: 2.5 } });

      const traffic = comfy.requests.slice(seen);
      const upload = traffic.find((r) => r.path === "/upload/image")!;
      const part = upload.parts!.find((p) => p.name === "image")!;
      expect(part.filename).toMatch(/^mediagen-[0-9a-f-]{36}-1\.png$/);
      expect(Buffer.from(part.bytes!).equals(Buffer.from(original))).toBe(true);
      const queued = traffic.find((r) => r.method === "POST" && r.path === "/prompt")!;
      expect(queued.body.prompt).toMatchObject({ "10": { class_type: "LoadImage", inputs: { image: part.filename } }, "6": { inputs: { text: prompt } } });
      expect(Buffer.from(readFileSync(input)).equals(Buffer.from(original))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it("an out-of-memory execution_error is a 502 api_error naming the node and ComfyUI's message", async () => {
    const prompt = "Too big for this GPU [[fake:exec_error]]";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 502);
    expect(body).toMatchObject({ success: false, image: null, error_type: "api_error", provider: "comfyui", prompt });
    expect(String(body.error)).toContain("node 3 (KSampler) failed: torch.OutOfMemoryError: CUDA out of memory");
    expect(await ledgerRow(body.id)).toMatchObject({ status: "failed", error_type: "api_error", output_path: null });
  });
});

describe("automatic1111", () => {
  const it = withModels("a1111-image");

  it("txt2img with the entry's checkpoint, sampler and steps; progress read from /sdapi/v1/progress; $0", async () => {
    a1111.stepMs = 25;
    try {
      const seen = a1111.requests.length;
      const prompt = "A cosy reading nook, volumetric light";
      const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "landscape", output_dir: workspace }, 200);
      expect(body).toMatchObject({ success: true, provider: "automatic1111", model: "sd_xl_base_1.0", prompt, size: "1024x576", cost_usd: 0 });
      const row = await ledgerRow(body.id);
      const bytes = savedFile(String(body.image), generatedDir, IMAGE_NAME, row);
      expect(formatOf(bytes)).toBe("png");
      expect(pngSize(bytes)).toEqual({ width: 1024, height: 576 });
      expect(row).toMatchObject({ width: 1024, height: 576, cost_usd: 0, cost_source: "upstream", params: { seed: 1234567, sd_model_name: "sd_xl_base_1.0", sampler: "Euler a", endpoint: "txt2img" } });

      const traffic = a1111.requests.slice(seen);
      const sent = traffic.find((r) => r.path === "/sdapi/v1/txt2img")!;
      expect(sent.body).toMatchObject({ prompt, width: 1024, height: 576, steps: 12, sampler_name: "Euler a", seed: -1, send_images: true, save_images: false, override_settings: { sd_model_checkpoint: "sd_xl_base_1.0" } });
      // 12 steps of 25 ms, the progress route polled every 50 ms meanwhile.
      expect(traffic.filter((r) => r.path === "/sdapi/v1/progress").length).toBeGreaterThanOrEqual(2);
    } finally {
      a1111.stepMs = 0;
    }
  });

  it("CUDA out of memory (the web UI's 500) is a 503 overloaded", async () => {
    const prompt = "A huge mural [[fake:oom]]";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 503);
    expect(body).toMatchObject({ success: false, image: null, error_type: "overloaded", provider: "automatic1111", prompt });
    expect(String(body.error)).toContain("CUDA out of memory");
    expect(await ledgerRow(body.id)).toMatchObject({ status: "failed", error_type: "overloaded", cost_usd: null });
  });
});

describe("fal", () => {
  const it = withModels("fal-image");

  it("queues a Flux request, polls its status, downloads the CDN file without the key, priced per megapixel", async () => {
    const seen = fal.requests.length;
    const prompt = "A glass greenhouse in a snowy forest";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "landscape", output_dir: workspace }, 200);
    // fal-ai/flux/dev: $0.025 per megapixel rounded up; 1024x576 is one.
    expect(body).toMatchObject({ success: true, provider: "fal", model: "fal-ai/flux/dev", prompt });
    expect(body.cost_usd).toBeCloseTo(0.025, 10);
    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.image), generatedDir, IMAGE_NAME, row);
    expect(formatOf(bytes)).toBe("png");
    expect(row).toMatchObject({ cost_source: "catalog", cost_quantity: 1, cost_unit_price: 0.025 });
    expect(row.operation_id).toMatch(/^[0-9a-f-]{36}$/);

    const traffic = fal.requests.slice(seen);
    const submit = traffic.find((r) => r.method === "POST")!;
    expect(submit.path).toBe("/fal-ai/flux/dev");
    expect(submit.headers.authorization).toBe(`Key ${fal.key}`);
    expect(submit.body).toMatchObject({ prompt, image_size: "landscape_16_9", num_images: 1 });
    // Status and result under {owner}/{app}, without the model's subpath.
    expect(traffic.filter((r) => r.path === `/fal-ai/flux/requests/${row.operation_id}/status`).length).toBe(fal.pendingPolls + 1);
    expect(traffic.some((r) => r.path === `/fal-ai/flux/requests/${row.operation_id}`)).toBe(true);
    const file = traffic.find((r) => r.path.startsWith("/files/"))!;
    expect(file.headers.authorization).toBeUndefined();
  });

  it("a content_policy_violation result is a 422 content_filtered", async () => {
    const prompt = "Something fal's checker flags [[fake:content_policy]]";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 422);
    expect(body).toMatchObject({ success: false, image: null, error_type: "content_filtered", provider: "fal", prompt });
    expect(await ledgerRow(body.id)).toMatchObject({ status: "failed", error_type: "content_filtered", output_path: null });
  });
});

describe("replicate", () => {
  const it = withModels("replicate-image");

  it("creates a prediction on the official model's route with Prefer: wait, downloads the output at once, priced per image", async () => {
    const seen = replicate.requests.length;
    const prompt = "A hummingbird made of stained glass";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "square", output_dir: workspace }, 200);
    expect(body).toMatchObject({ success: true, provider: "replicate", model: "black-forest-labs/flux-schnell", prompt });
    expect(body.cost_usd).toBeCloseTo(0.003, 10);
    const row = await ledgerRow(body.id);
    const bytes = savedFile(String(body.image), generatedDir, IMAGE_NAME, row);
    // The delivery URL says .webp; the bytes are a PNG, and the file is named from its bytes.
    expect(formatOf(bytes)).toBe("png");
    expect(String(body.image)).toEndWith(".png");
    expect(row).toMatchObject({ cost_source: "catalog", cost_quantity: 1, cost_unit_price: 0.003, params: { prediction_id: row.operation_id, predict_time: 1.2 } });

    const traffic = replicate.requests.slice(seen);
    const create = traffic.find((r) => r.method === "POST")!;
    expect(create.path).toBe("/v1/models/black-forest-labs/flux-schnell/predictions");
    expect(create.headers).toMatchObject({ authorization: `Bearer ${replicate.key}`, prefer: "wait=60" });
    expect(create.body).toEqual({ input: { prompt, aspect_ratio: "1:1" } });
    const download = traffic.find((r) => r.path.startsWith("/xezq/"))!;
    expect(download.headers.authorization).toBeUndefined();
  });

  it("a 402 is a 402 insufficient_credits", async () => {
    const prompt = "A bill unpaid [[fake:402]]";
    const { body } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 402);
    expect(body).toMatchObject({ success: false, image: null, error_type: "insufficient_credits", upstream_status: 402, provider: "replicate", prompt });
    expect(await ledgerRow(body.id)).toMatchObject({ status: "failed", error_type: "insufficient_credits", cost_usd: null });
  });
});

describe("elevenlabs", () => {
  const it = withModels("eleven-speech");

  it("speaks with a voice named in the account's list: pcm_24000 wrapped as a 24 kHz WAV, priced per billed character", async () => {
    const seen = eleven.requests.length;
    const input = "Good evening, and welcome to the show tonight.";
    const { body } = await postAnswer(`${daemon.url}/api/media/audio/speech`, { input, voice: "Rachel", output_dir: workspace }, 200);
    // eleven_multilingual_v2: $0.10 per 1,000 characters; the fake bills the text's length (x-character-count).
    const cost = input.length * 0.0001;
    expect(body).toMatchObject({ success: true, provider: "elevenlabs", model: "eleven_multilingual_v2", input, mime_type: "audio/wav" });
    expect(body.cost_usd).toBeCloseTo(cost, 12);
    const row = await savedSpeech(body, elevenSeconds(input));
    expect(row).toMatchObject({ cost_source: "catalog", cost_quantity: input.length });
    expect(row.cost_usd).toBeCloseTo(cost, 12);

    const traffic = eleven.requests.slice(seen);
    const rachel = ELEVEN_VOICES.find((v) => v.name === "Rachel")!.voice_id;
    const spoken = traffic.find((r) => r.method === "POST")!;
    expect(spoken.path).toBe(`/v1/text-to-speech/${rachel}`);
    expect(spoken.query).toMatchObject({ output_format: "pcm_24000" });
    expect(spoken.headers["xi-api-key"]).toBe(eleven.key);
    expect(spoken.body).toMatchObject({ text: input, model_id: "eleven_multilingual_v2" });
  });

  it("quota_exceeded is a 402 insufficient_credits", async () => {
    const input = "One sentence too many [[fake:quota]]";
    const { body, text } = await postAnswer(`${daemon.url}/api/media/audio/speech`, { input, output_dir: workspace }, 402);
    expect(body).toMatchObject({ success: false, audio: null, error_type: "insufficient_credits", provider: "elevenlabs" });
    expect(text).not.toContain(eleven.key);
    expect(await ledgerRow(body.id)).toMatchObject({ status: "failed", error_type: "insufficient_credits", cost_usd: null });
  });
});

describe("after all providers", () => {
  test("one ledger row per generation, no keys anywhere in the output, nothing written beside the executable", async () => {
    const page = (await getJson(`${daemon.url}/api/generations?limit=200`)).json<{ items: { provider: string; status: string }[] }>();
    const count = (provider: string, status: string) => page.items.filter((item) => item.provider === provider && item.status === status).length;
    expect([count("openai", "succeeded"), count("openai", "failed")]).toEqual([3, 1]);
    expect([count("gemini", "succeeded"), count("gemini", "failed")]).toEqual([3, 1]);
    expect([count("openrouter", "succeeded"), count("openrouter", "failed")]).toEqual([2, 1]);
    expect([count("dashscope", "succeeded"), count("dashscope", "failed")]).toEqual([3, 1]);
    expect([count("comfyui", "succeeded"), count("comfyui", "failed")]).toEqual([2, 1]);
    for (const provider of ["automatic1111", "fal", "replicate", "elevenlabs"]) expect([count(provider, "succeeded"), count(provider, "failed")]).toEqual([1, 1]);
    const output = daemon.stdout() + daemon.stderr();
    for (const key of [openai.key!, gemini.key, openrouter.key, dashscope.key, fal.key, replicate.key, eleven.key]) expect(output).not.toContain(key);
    expect(readdirSync(runDir)).toEqual(["mediagen"]);
  });
});
