// POST /api/config/models/test: the cheapest provider call, answered with a message a person can act on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../../fakes/openai.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";

let clacky: FakeClacky;
let openai: FakeOpenAI;
let h: Harness;

beforeAll(() => {
  clacky = startFakeClacky();
  openai = startFakeOpenAI();
  h = createHarness({ config: clackyConfig(clacky.url, clacky.key) });
});
afterAll(async () => {
  h[Symbol.dispose]();
  await clacky.close();
  await openai.close();
});

const test_ = (body: unknown) => h.post("/api/config/models/test", body);

describe("POST /api/config/models/test", () => {
  test.each([
    ["openclacky, listed model", () => ({ type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: clacky.key, base_url: clacky.url }), true, /model 'or-gpt-image-2' is available/],
    ["openclacky, unknown model", () => ({ type: "image", provider: "openclacky", model: "or-gpt-5.4-image-2", api_key: clacky.key, base_url: clacky.url }), false, /not offered/],
    ["openclacky, bad key", () => ({ type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: "wrong-key-0123456789", base_url: clacky.url }), false, /Upstream 401/],
    ["openclacky, wrong base URL", () => ({ type: "image", provider: "openclacky", model: "m", api_key: clacky.key, base_url: `${clacky.url}/nope/x` }), false, /Endpoint not found/],
    ["openai, known model", () => ({ type: "image", provider: "openai", model: "gpt-image-2", api_key: openai.key, base_url: `${openai.url}/v1` }), true, /available/],
    ["openai, unknown model", () => ({ type: "image", provider: "openai", model: "gpt-image-9", api_key: openai.key, base_url: `${openai.url}/v1` }), false, /not available with this key/],
    ["openai, bad key", () => ({ type: "image", provider: "openai", model: "gpt-image-2", api_key: "sk-wrong-0123456789", base_url: `${openai.url}/v1` }), false, /Incorrect API key/],
    ["no key at all", () => ({ type: "image", provider: "openai", model: "gpt-image-2", base_url: `${openai.url}/v1` }), false, /api_key not configured/],
    ["local speech", () => ({ type: "audio", provider: "local", model: "flite" }), true, /Offline speech works/],
  ])("%s", async (_name, body, ok, message) => {
    const { status, body: answer } = await test_(body());
    expect(status).toBe(200);
    expect(answer.ok).toBe(ok);
    expect(answer.message).toMatch(message);
    expect(JSON.stringify(answer)).not.toContain(clacky.key);
    expect(JSON.stringify(answer)).not.toContain(openai.key!);
  });

  test("a configured entry is tested by name, with its saved key", async () => {
    const { body } = await test_({ name: "img" });
    expect(body).toMatchObject({ ok: true, provider: "openclacky", model: "or-gpt-image-2" });
  });

  test("a masked key is replaced by the saved key of the entry with the same name", async () => {
    const { body } = await test_({ name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: "clac****cdef", base_url: clacky.url });
    expect(body.ok).toBe(true);
  });

  test("an unreachable provider is a network error answer, not a 500", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const { status, body } = await test_({ type: "image", provider: "openclacky", model: "m", api_key: "k", base_url: url });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: false, error_type: "network_error" });
  });

  test.each([
    [{ name: "missing" }, "name"],
    [{ type: "image", provider: "nope", model: "m" }, "provider"],
    [{}, "name"],
  ])("bad body %j is a 400", async (body, field) => {
    const { status, body: answer } = await test_(body);
    expect(status).toBe(400);
    expect(answer.error_type).toBe("invalid_argument");
    expect(answer.field).toBe(field);
  });
});
