// The openai and openai-compatible providers through the seed endpoints, against the fake OpenAI API.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeWav } from "../../../server/formats/wav.ts";
import { makeJpeg, makePng } from "../../fakes/media.ts";
import { openaiSpeechSseUsage, startFakeOpenAI, type FakeOpenAI } from "../../fakes/openai.ts";
import { createHarness } from "../../helpers.ts";
import { skillUsage } from "../../../server/media/usage.ts";

let fake: FakeOpenAI;
let keyless: FakeOpenAI;

beforeAll(() => {
  fake = startFakeOpenAI();
  keyless = startFakeOpenAI(null);
});
afterAll(async () => {
  await fake.close();
  await keyless.close();
});

/** A harness whose only model of `type` is the OpenAI `model`. */
function openaiHarness(type: "image" | "audio", model: string, { prices, ...extra }: Record<string, unknown> = {}) {
  const models = [{ type, provider: "openai", model, api_key: fake.key, base_url: `${fake.url}/v1`, ...extra }];
  return createHarness({ config: prices ? { models, prices } : { models } });
}

const M = 1_000_000;

describe("openai images", () => {
  test("generates with the mapped size and no response_format; cost from the token usage", async () => {
    using h = openaiHarness("image", "gpt-image-2");
    const { status, body } = await h.post("/api/media/image", { prompt: "a lighthouse", aspect_ratio: "landscape", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1/images/generations");
    expect(sent.headers.authorization).toBe(`Bearer ${fake.key}`);
    expect(sent.body).toEqual({ model: "gpt-image-2", prompt: "a lighthouse", n: 1, size: "1536x1024" });
    expect(body).toMatchObject({ success: true, provider: "openai", model: "gpt-image-2", size: "1536x1024" });
    // quality auto answers as medium: 1,568 output image tokens at $30/M plus 50 input text tokens at $5/M.
    const expected = (1568 * 30) / M + (50 * 5) / M;
    expect(body.cost_usd).toBeCloseTo(expected, 12);
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ cost_source: "catalog", cost_unit: "output_image_token", cost_quantity: 1568, cost_unit_price: 30 / M });
    expect(row.cost_breakdown).toEqual([
      { unit: "input_text_token", quantity: 50, unit_price_usd: 5 / M, usd: 0.00025 },
      { unit: "output_image_token", quantity: 1568, unit_price_usd: 30 / M, usd: 0.04704 },
    ]);
  });

  test("per-model options: quality, output_format and background are sent; the file is the real format", async () => {
    using h = openaiHarness("image", "gpt-image-1.5", { options: { quality: "high", output_format: "webp", background: "transparent" } });
    const { status, body } = await h.post("/api/media/image", { prompt: "a logo", aspect_ratio: "square", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(fake.requests.at(-1)!.body).toMatchObject({ size: "1024x1024", quality: "high", output_format: "webp", background: "transparent" });
    expect(body.image).toEndWith(".webp");
    expect(body.size).toBe("1024x1024");
    // gpt-image-1.5 high 1024x1024: 4,160 output image tokens at $32/M + 50 text tokens at $5/M.
    expect(body.cost_usd).toBeCloseTo((4160 * 32) / M + (50 * 5) / M, 12);
  });

  test("moderation is sent with generations, never with edits (the published edits spec has no such field)", async () => {
    using h = openaiHarness("image", "gpt-image-1.5", { options: { moderation: "low" } });
    await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(fake.requests.at(-1)!.body).toMatchObject({ moderation: "low" });
    const a = join(h.root, "a.png");
    writeFileSync(a, makePng(32, 32));
    const { status } = await h.post("/api/media/image", { prompt: "edit", images: [a], output_dir: h.workDir });
    expect(status).toBe(200);
    expect(fake.requests.at(-1)!.path).toBe("/v1/images/edits");
    expect(fake.requests.at(-1)!.body.moderation).toBeUndefined();
  });

  test("edits send multipart with one image[] part per input", async () => {
    using h = openaiHarness("image", "gpt-image-1.5");
    const a = join(h.root, "a.png");
    writeFileSync(a, makePng(32, 32));
    const { status, body } = await h.post("/api/media/image", { prompt: "combine", images: [a, `data:image/jpeg;base64,${Buffer.from(makeJpeg(40, 30)).toString("base64")}`], output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1/images/edits");
    expect(sent.headers["content-type"]).toStartWith("multipart/form-data; boundary=");
    const images = sent.parts!.filter((p) => p.name === "image[]");
    expect(images.map((p) => [p.filename, p.contentType])).toEqual([
      ["image-1.png", "image/png"],
      ["image-2.jpg", "image/jpeg"],
    ]);
    expect(sent.body).toMatchObject({ model: "gpt-image-1.5", prompt: "combine", n: "1", size: "1536x1024" });
    // 2 input images x 194 image tokens at $8/M, 50 text tokens at $5/M, 1,568 output image tokens at $32/M.
    expect(body.cost_usd).toBeCloseTo((2 * 194 * 8) / M + (50 * 5) / M + (1568 * 32) / M, 12);
  });

  test.each([
    // model, expected cost of a landscape auto-quality image: 50 text tokens in, 1,568 image tokens out.
    ["gpt-image-1", (50 * 5) / M + (1568 * 40) / M],
    ["gpt-image-1-mini", (50 * 2) / M + (1568 * 8) / M],
    ["gpt-image-2-2026-04-21", (50 * 5) / M + (1568 * 30) / M],
  ])("%s is priced from its catalogue token rates", async (model, expected) => {
    using h = openaiHarness("image", model);
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.cost_usd).toBeCloseTo(expected, 12);
    expect((await h.ledger.get(body.id))!.cost_source).toBe("catalog");
  });

  test("dall-e-3 asks for b64_json, and its cost is unknown (null), never $0", async () => {
    using h = openaiHarness("image", "dall-e-3");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", aspect_ratio: "portrait", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(fake.requests.at(-1)!.body).toMatchObject({ size: "1024x1792", response_format: "b64_json" });
    expect(body.cost_usd).toBeUndefined();
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_usd: null, cost_source: "unknown" });
  });

  test("a price override in config wins and is recorded as such", async () => {
    using h = openaiHarness("image", "gpt-image-2", { prices: [{ provider: "openai", model: "gpt-image-2", images: [{ usd: 0.25 }] }] });
    const { body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(body.cost_usd).toBe(0.25);
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_source: "override", cost_unit: "image", cost_quantity: 1, cost_unit_price: 0.25 });
  });
});

describe("openai speech", () => {
  test("tts-1: wav requested, default voice alloy for the skill's Kore, priced per character", async () => {
    using h = openaiHarness("audio", "tts-1");
    const input = "Hello and welcome to mediagen.";
    const { status, body } = await h.post("/api/media/audio/speech", { input, voice: "Kore", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(fake.requests.at(-1)!.body).toEqual({ model: "tts-1", input, voice: "alloy", response_format: "wav" });
    expect(body).toMatchObject({ voice: "alloy", mime_type: "audio/wav", provider: "openai" });
    expect(decodeWav(new Uint8Array(await Bun.file(body.audio).arrayBuffer())).sampleRate).toBe(24_000);
    // 30 characters at $15 per million characters.
    expect(body.cost_usd).toBeCloseTo((input.length * 15) / M, 12);
  });

  test("tts-1-hd is priced at $30 per million characters", async () => {
    using h = openaiHarness("audio", "tts-1-hd");
    const { body } = await h.post("/api/media/audio/speech", { input: "abcdefghij", voice: "nova", output_dir: h.workDir });
    expect(body.cost_usd).toBeCloseTo((10 * 30) / M, 12);
  });

  test("gpt-4o-mini-tts streams SSE to learn its token usage; instructions from options are sent", async () => {
    using h = openaiHarness("audio", "gpt-4o-mini-tts", { options: { instructions: "Speak calmly." } });
    const input = "A calm sentence for testing the speech cost.";
    const { status, body } = await h.post("/api/media/audio/speech", { input, voice: "marin", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(fake.requests.at(-1)!.body).toEqual({ model: "gpt-4o-mini-tts", input, voice: "marin", response_format: "wav", instructions: "Speak calmly.", stream_format: "sse" });
    const usage = openaiSpeechSseUsage(input);
    expect(body.usage).toEqual(skillUsage(usage));
    expect((await h.ledger.get(body.id))!.usage).toEqual(usage);
    // input text tokens at $0.60/M plus audio output tokens at $12/M.
    expect(body.cost_usd).toBeCloseTo((usage.input_tokens * 0.6) / M + (usage.output_tokens * 12) / M, 12);
    expect(decodeWav(new Uint8Array(await Bun.file(body.audio).arrayBuffer())).sampleRate).toBe(24_000);
  });

  test("an SSE request answered with plain audio (a proxy) is saved, priced per character where the catalogue can", async () => {
    using h = openaiHarness("audio", "gpt-4o-mini-tts");
    fake.next("no_sse");
    const { status, body } = await h.post("/api/media/audio/speech", { input: "Plain audio from a proxy.", voice: "marin", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(fake.requests.at(-1)!.body).toMatchObject({ stream_format: "sse" });
    expect(decodeWav(new Uint8Array(await Bun.file(body.audio).arrayBuffer())).sampleRate).toBe(24_000);
    // gpt-4o-mini-tts has token rates only: without usage its cost is unknown, never $0.
    expect(await h.ledger.get(body.id)).toMatchObject({ status: "succeeded", cost_usd: null, cost_source: "unknown" });
  });

  test("a voice the model does not have is a 400 listing its voices, before any call", async () => {
    using h = openaiHarness("audio", "tts-1");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/audio/speech", { input: "x", voice: "marin", output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_type: "invalid_argument", field: "voice" });
    expect(body.allowed).toContain("alloy");
    expect(body.allowed).not.toContain("marin");
    expect(fake.requests.length).toBe(before);
  });
});

describe("openai errors", () => {
  test.each([
    ["moderation_blocked", 422, "content_filtered", /safety grounds \(moderation_blocked; stage input/],
    ["401", 502, "auth_required", /^Upstream 401: Incorrect API key provided/],
    ["403", 502, "auth_required", /verified/],
    ["429", 429, "rate_limited", /Upstream 429/],
    ["insufficient_quota", 402, "insufficient_credits", /quota/],
    ["503", 503, "overloaded", /overloaded/],
    ["500", 502, "api_error", /Upstream 500/],
    ["malformed", 502, "invalid_response", /Invalid JSON/],
    ["empty", 502, "empty_response", /no image data/],
    ["not_media", 502, "invalid_response", /where an image was expected/],
  ] as const)("%s -> %d %s", async (scenario, status, errorType, message) => {
    using h = openaiHarness("image", "gpt-image-2");
    fake.next(scenario);
    const response = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, image: null, error_type: errorType, provider: "openai" });
    expect(response.body.error).toMatch(message);
    expect(JSON.stringify(response.body)).not.toContain(fake.key!);
    if (scenario === "429") expect(response.headers.get("retry-after")).toBe("12");
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", error_type: errorType });
  });
});

describe("openai-compatible", () => {
  test("works without a key and sends no Authorization header", async () => {
    using h = createHarness({ config: { models: [{ type: "image", provider: "openai-compatible", model: "gpt-image-1", base_url: `${keyless.url}/v1` }] } });
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.provider).toBe("openai-compatible");
    expect(keyless.requests.at(-1)!.headers.authorization).toBeUndefined();
    // Not in the catalogue under this provider: unknown, not $0.
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_source: "unknown", cost_usd: null });
  });

  test("requires base_url in config", async () => {
    using h = createHarness();
    await Bun.write(h.config.path, "models:\n  - type: image\n    provider: openai-compatible\n    model: sdxl\n");
    const status = h.config.status();
    expect(status.ok).toBe(false);
    expect(status.error).toContain("models[0].base_url");
  });
});
