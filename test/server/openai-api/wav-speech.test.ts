// The OpenAI door in front of providers whose speech is always WAV (ElevenLabs' pcm_24000 wrapped, DashScope's
// Qwen-TTS and CosyVoice WAV): mp3, the openai SDK's and many apps' default, is refused before any character is sent
// and billed; wav and pcm are served.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeDashScope, type FakeDashScope } from "../../fakes/dashscope.ts";
import { startFakeElevenLabs, type FakeElevenLabs } from "../../fakes/elevenlabs.ts";
import { createHarness } from "../../helpers.ts";

let eleven: FakeElevenLabs;
let dashscope: FakeDashScope;
beforeAll(() => {
  eleven = startFakeElevenLabs();
  dashscope = startFakeDashScope();
});
afterAll(async () => {
  await Promise.all([eleven.close(), dashscope.close()]);
});

const CASES = [
  {
    provider: "elevenlabs",
    voice: "Rachel",
    entry: () => ({ name: "speech", type: "audio", provider: "elevenlabs", model: "eleven_multilingual_v2", api_key: eleven.key, base_url: eleven.url }),
    calls: () => eleven.requests.length,
  },
  {
    provider: "dashscope",
    voice: "Cherry",
    entry: () => ({ name: "speech", type: "audio", provider: "dashscope", model: "qwen3-tts-flash", api_key: dashscope.key, base_url: dashscope.url }),
    calls: () => dashscope.requests.length,
  },
];

const post = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe.each(CASES)("the OpenAI door on the $provider provider", ({ voice, entry, calls }) => {
  test("speech as mp3: 400 naming response_format before any call, recorded only as a refusal; wav and pcm are served", async () => {
    using h = createHarness({ config: { models: [entry()] } });
    const before = calls();
    const refused = await h.call("/v1/audio/speech", post({ model: "speech", input: "Hi there.", voice, response_format: "mp3" }));
    expect(refused.status).toBe(400);
    const error = ((await refused.json()) as { error: { param: string; message: string } }).error;
    expect(error).toMatchObject({ param: "response_format" });
    expect(error.message).toContain("use wav or pcm");
    expect(calls()).toBe(before);
    expect((await h.ledger.list({})).items.map((row) => [row.status, row.door, row.error_type])).toEqual([["refused", "openai", "invalid_argument"]]);

    const wav = await h.call("/v1/audio/speech", post({ model: "speech", input: "Hi there.", voice, response_format: "wav" }));
    expect(wav.status).toBe(200);
    expect(wav.headers.get("content-type")).toBe("audio/wav");
    const pcm = await h.call("/v1/audio/speech", post({ model: "speech", input: "Hi there.", voice, response_format: "pcm" }));
    expect(pcm.headers.get("content-type")).toBe("audio/pcm");
    expect((await pcm.arrayBuffer()).byteLength).toBe((await wav.arrayBuffer()).byteLength - 44);
    expect((await h.ledger.list({ status: "succeeded" })).items).toHaveLength(2);
  });
});
