// Contract tests of the ElevenLabs provider against the fake ElevenLabs API: the wire request (path, xi-api-key,
// output_format=pcm_24000, body), the PCM wrapped into a 24 kHz WAV, voice names resolved through /v1/voices (cached),
// the skill's Gemini voices mapped to the default voice, the failure mapping, costs per character and the Models page.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { decodeWav } from "../../../server/formats/wav.ts";
import { clearElevenLabsVoices, ELEVENLABS_DEFAULT_VOICE, elevenlabs } from "../../../server/providers/elevenlabs.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { elevenSeconds, startFakeElevenLabs, type FakeElevenLabs } from "../../fakes/elevenlabs.ts";
import { createHarness } from "../../helpers.ts";

let fake: FakeElevenLabs;

beforeAll(() => {
  fake = startFakeElevenLabs();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => clearElevenLabsVoices());

const ONE_ATTEMPT = { audio: { max_attempts: 1 } };

function harness(model = "eleven_multilingual_v2", extra: Record<string, unknown> = {}, prices?: unknown[]) {
  const models = [{ type: "audio", provider: "elevenlabs", model, api_key: fake.key, base_url: fake.url, ...extra }];
  return createHarness({ config: prices ? { models, prices, jobs: ONE_ATTEMPT } : { models, jobs: ONE_ATTEMPT } });
}

function context(model = "eleven_multilingual_v2", extra: Partial<CallContext> = {}): CallContext {
  const entry = { type: "audio", provider: "elevenlabs", model } as ModelEntry;
  return { entry, apiKey: fake.key, baseUrl: fake.url, signal: new AbortController().signal, pollIntervalMs: 5, ...extra };
}

const since = (from: number) => fake.requests.slice(from);

describe("text-to-speech", () => {
  test("the skill's Kore gets the default voice; pcm_24000 asked, wrapped into a 24 kHz WAV; priced per billed character", async () => {
    using h = harness();
    const input = "Hello and welcome to mediagen.";
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/audio/speech", { input, voice: "Kore", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: "POST", path: `/v1/text-to-speech/${ELEVENLABS_DEFAULT_VOICE}`, query: { output_format: "pcm_24000" } });
    expect(sent[0]!.headers["xi-api-key"]).toBe(fake.key);
    expect(sent[0]!.headers.authorization).toBeUndefined();
    expect(sent[0]!.body).toEqual({ text: input, model_id: "eleven_multilingual_v2" });
    expect(body).toMatchObject({ success: true, provider: "elevenlabs", mime_type: "audio/wav" });
    expect(body.audio).toEndWith(".wav");
    const wav = decodeWav(new Uint8Array(readFileSync(body.audio)));
    expect(wav.sampleRate).toBe(24_000);
    expect(wav.samples.length).toBe(Math.round(elevenSeconds(input) * 24_000));
    // 30 characters at $0.10 per 1,000 characters.
    expect(body.cost_usd).toBeCloseTo(input.length * 0.0001, 12);
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_source: "catalog", cost_quantity: input.length, cost_unit_price: 0.0001 });
  });

  test("a voice name is resolved through GET /v1/voices once, then from the cache; a voice id is sent as given", async () => {
    using h = harness("eleven_flash_v2_5");
    const before = fake.requests.length;
    expect((await h.post("/api/media/audio/speech", { input: "one", voice: "Rachel", output_dir: h.workDir })).status).toBe(200);
    expect((await h.post("/api/media/audio/speech", { input: "two", voice: "rachel", output_dir: h.workDir })).status).toBe(200);
    expect((await h.post("/api/media/audio/speech", { input: "three", voice: "AbCdEfGhIjKlMnOpQrSt", output_dir: h.workDir })).status).toBe(200);
    const paths = since(before).map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual([
      "GET /v1/voices",
      "POST /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM",
      "POST /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM",
      "POST /v1/text-to-speech/AbCdEfGhIjKlMnOpQrSt",
    ]);
    // Flash v2.5: $0.05 per 1,000 characters.
    const last = (await h.post("/api/media/audio/speech", { input: "abcdefghij", voice: "George", output_dir: h.workDir })).body;
    expect(last.cost_usd).toBeCloseTo(10 * 0.00005, 12);
    expect(last.voice).toBe("George");
  });

  test("a voice name the account does not have is invalid_argument on voice listing its voices", async () => {
    using h = harness();
    const { status, body } = await h.post("/api/media/audio/speech", { input: "x", voice: "Nobody", output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_type: "invalid_argument", field: "voice" });
    expect(body.allowed).toContain("George");
  });

  test("options: the configured voice and voice settings, language code and seed are sent", async () => {
    using h = harness("eleven_multilingual_v2", { options: { voice: "Rachel", stability: 0.4, similarity_boost: 0.8, speed: 1.1, language_code: "en", seed: 7 } });
    const before = fake.requests.length;
    expect((await h.post("/api/media/audio/speech", { input: "Configured.", output_dir: h.workDir })).status).toBe(200);
    const tts = since(before).at(-1)!;
    expect(tts.path).toBe("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM");
    expect(tts.body).toEqual({ text: "Configured.", model_id: "eleven_multilingual_v2", voice_settings: { stability: 0.4, similarity_boost: 0.8, speed: 1.1 }, language_code: "en", seed: 7 });
  });

  test("an unknown option is refused when the config loads", () => {
    expect(() => harness("eleven_multilingual_v2", { options: { output_format: "mp3_44100_128" } })).toThrow();
  });
});

describe("costs", () => {
  test("the billed count comes from x-character-count; without it, the input's length", async () => {
    using h = harness();
    fake.next("no_count");
    const { body } = await h.post("/api/media/audio/speech", { input: "twelve chars", output_dir: h.workDir });
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_source: "catalog", cost_quantity: 12 });
  });

  test("a prices: override sets the plan's rate", async () => {
    using h = harness("eleven_multilingual_v2", {}, [{ provider: "elevenlabs", model: "eleven_multilingual_v2", characters: 0.0003 }]);
    const { body } = await h.post("/api/media/audio/speech", { input: "abcdefghij", output_dir: h.workDir });
    expect(body.cost_usd).toBeCloseTo(10 * 0.0003, 12);
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_source: "override" });
  });

  test("a model without a price is cost unknown, never $0", async () => {
    using h = harness("eleven_turbo_v2");
    const { body } = await h.post("/api/media/audio/speech", { input: "abc", output_dir: h.workDir });
    expect(body.success).toBe(true);
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_usd: null, cost_source: "unknown" });
  });
});

describe("failure mapping", () => {
  const cases: [string, string, Record<string, unknown>?][] = [
    ["401", "auth_required"],
    ["quota", "insufficient_credits"],
    ["voice_not_found", "invalid_argument", { field: "voice" }],
    ["too_long", "invalid_argument", { field: "input" }],
    ["concurrent", "rate_limited"],
    ["busy", "overloaded"],
    ["model_not_found", "unknown_model"],
    ["422", "api_error"],
    ["500", "api_error"],
    ["empty", "empty_response"],
    ["odd", "invalid_response"],
    ["html", "invalid_response"],
  ];
  for (const [scenario, type, more] of cases) {
    test(`${scenario} -> ${type}`, async () => {
      fake.next(scenario as never);
      const failure = (await elevenlabs.speech!({ input: "hello" }, context()).catch((e: unknown) => e)) as AppError;
      expect(failure).toBeInstanceOf(AppError);
      expect(failure.type).toBe(type as never);
      if (more) expect(failure.details).toMatchObject(more);
    });
  }

  test("system_busy keeps Retry-After; messages quote ElevenLabs' status word", async () => {
    fake.next("busy");
    const failure = (await elevenlabs.speech!({ input: "hello" }, context()).catch((e: unknown) => e)) as AppError;
    expect(failure.details).toMatchObject({ upstream_status: 429, retry_after_seconds: 2 });
    expect(failure.message).toContain("system_busy");
  });

  test("a 503 with ElevenLabs' envelope is overloaded, a 402 insufficient_credits (the default mapping)", async () => {
    const { mapError } = await import("../../../server/providers/elevenlabs.ts");
    const body = JSON.stringify({ detail: { status: "service_unavailable", message: "down" } });
    expect(mapError(503, body, new Headers())).toBeUndefined();
    expect(mapError(402, body, new Headers())).toBeUndefined();
    expect(mapError(400, JSON.stringify({ detail: { status: "invalid_uid", message: "bad" } }), new Headers())).toMatchObject({ type: "api_error", message: "Upstream 400: invalid_uid: bad" });
  });

  test("through the API, quota_exceeded answers insufficient_credits", async () => {
    using h = harness();
    fake.next("quota");
    const { body } = await h.post("/api/media/audio/speech", { input: "x", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "insufficient_credits" });
  });
});

describe("connection test and the Models page", () => {
  test("testConnection lists the voices with the key; a bad key is auth_required", async () => {
    const message = await elevenlabs.testConnection!(context());
    expect(message).toContain("3 voices");
    expect(elevenlabs.voices!("eleven_multilingual_v2")).toContain("Rachel");
    const error = await elevenlabs.testConnection!(context("eleven_multilingual_v2", { apiKey: "bad" })).catch((e: unknown) => e);
    expect((error as AppError).type).toBe("auth_required");
  });

  test("the Models page's Test connection (POST /api/config/models/test) answers ok, and says why for a bad key", async () => {
    using h = createHarness();
    const good = await h.post("/api/config/models/test", { type: "audio", provider: "elevenlabs", model: "eleven_flash_v2_5", api_key: fake.key, base_url: fake.url });
    expect(good.body).toMatchObject({ ok: true, provider: "elevenlabs" });
    expect(String(good.body.message)).toContain("3 voices");
    const bad = await h.post("/api/config/models/test", { type: "audio", provider: "elevenlabs", model: "eleven_flash_v2_5", api_key: "wrong", base_url: fake.url });
    expect(bad.body).toMatchObject({ ok: false, error_type: "auth_required" });
    expect(String(bad.body.message)).toContain("invalid_api_key");
    expect(String(bad.body.message)).not.toContain("wrong");
  });

  test("the catalogue offers elevenlabs for audio with its known models and key variable", async () => {
    using h = createHarness();
    const { body } = await h.get("/api/config/catalog");
    const provider = (body.providers as { id: string; types: string[]; key_env?: string; default_base_url: string; models: Record<string, string[]> }[]).find((p) => p.id === "elevenlabs")!;
    expect(provider).toMatchObject({ types: ["audio"], key_env: "ELEVENLABS_API_KEY", default_base_url: "https://api.elevenlabs.io" });
    expect(provider.models.audio).toEqual(expect.arrayContaining(["eleven_multilingual_v2", "eleven_v3", "eleven_flash_v2_5", "eleven_turbo_v2_5"]));
  });
});
