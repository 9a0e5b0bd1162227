// The OpenAI door in front of mediagen's own openai provider (the fake OpenAI API): DALL-E 3's revised prompt is
// passed back, and a container speech models there never make is refused before anything is sent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeOpenAI, type FakeOpenAI } from "../../fakes/openai.ts";
import { createHarness } from "../../helpers.ts";

let fake: FakeOpenAI;
beforeAll(() => {
  fake = startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

function harness() {
  const entry = { provider: "openai", api_key: fake.key, base_url: `${fake.url}/v1` };
  return createHarness({
    config: {
      models: [
        { name: "dalle", type: "image", model: "dall-e-3", ...entry },
        { name: "voice", type: "audio", model: "tts-1", ...entry },
      ],
    },
  });
}

const post = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("the OpenAI door on the openai provider", () => {
  test("images: revised_prompt comes back from the ledger", async () => {
    using h = harness();
    const response = await h.call("/v1/images/generations", post({ prompt: "a fox", size: "1792x1024" }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { b64_json: string; revised_prompt?: string }[] };
    expect(body.data[0]!.revised_prompt).toBe("A detailed rendering of: a fox");
    expect(fake.requests.at(-1)!.body.size).toBe("1792x1024");
  });

  test("speech as mp3 from a model that makes WAV: 400 before any call; wav works", async () => {
    using h = harness();
    const before = fake.requests.length;
    const refused = await h.call("/v1/audio/speech", post({ input: "Hi.", voice: "alloy", response_format: "mp3" }));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string; message: string } }).error).toMatchObject({ param: "response_format" });
    expect(fake.requests.length).toBe(before);
    expect((await h.ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
    const wav = await h.call("/v1/audio/speech", post({ input: "Hi.", voice: "alloy", response_format: "wav" }));
    expect(wav.status).toBe(200);
    expect(wav.headers.get("content-type")).toBe("audio/wav");
  });
});
