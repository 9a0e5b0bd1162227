// The OpenAI door in front of the elevenlabs provider (the fake ElevenLabs API): its speech is always WAV (pcm_24000
// wrapped), so mp3 (the openai SDK's and many apps' default) is refused before any character is sent and billed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeElevenLabs, type FakeElevenLabs } from "../../fakes/elevenlabs.ts";
import { createHarness } from "../../helpers.ts";

let fake: FakeElevenLabs;
beforeAll(() => {
  fake = startFakeElevenLabs();
});
afterAll(async () => {
  await fake.close();
});

function harness() {
  return createHarness({ config: { models: [{ name: "eleven", type: "audio", provider: "elevenlabs", model: "eleven_multilingual_v2", api_key: fake.key, base_url: fake.url }] } });
}

const post = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("the OpenAI door on the elevenlabs provider", () => {
  test("speech as mp3: 400 naming response_format before any call, nothing recorded; wav and pcm are served", async () => {
    using h = harness();
    const before = fake.requests.length;
    const refused = await h.call("/v1/audio/speech", post({ model: "eleven", input: "Hi there.", voice: "Rachel", response_format: "mp3" }));
    expect(refused.status).toBe(400);
    const error = ((await refused.json()) as { error: { param: string; message: string } }).error;
    expect(error).toMatchObject({ param: "response_format" });
    expect(error.message).toContain("use wav or pcm");
    expect(fake.requests.length).toBe(before);
    expect(h.ledger.list({}).items).toHaveLength(0);

    const wav = await h.call("/v1/audio/speech", post({ model: "eleven", input: "Hi there.", voice: "Rachel", response_format: "wav" }));
    expect(wav.status).toBe(200);
    expect(wav.headers.get("content-type")).toBe("audio/wav");
    const pcm = await h.call("/v1/audio/speech", post({ model: "eleven", input: "Hi there.", voice: "Rachel", response_format: "pcm" }));
    expect(pcm.headers.get("content-type")).toBe("audio/pcm");
    expect((await pcm.arrayBuffer()).byteLength).toBe((await wav.arrayBuffer()).byteLength - 44);
    expect(h.ledger.list({}).items).toHaveLength(2);
  });
});
