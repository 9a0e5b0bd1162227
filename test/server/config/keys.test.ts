// Where keys may travel: a saved key only to the base URL it was saved with, a typed key as typed (never read
// from the daemon's environment), through the connection test and through the config editing API.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { createHarness } from "../../helpers.ts";

/** Obviously fake keys; the env variable's value is what must never be read from the daemon's environment. */
const SAVED_KEY = "sk-test-leak-saved-key-not-real";
const ENV_NAME = "MEDIAGEN_TEST_KEYS_ENV";
const ENV_VALUE = "env-test-leak-value-not-real";

/** A loopback listener that records each request's headers and body, answering 200 with an empty model list. */
function startRecorder() {
  const seen: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      seen.push(`${request.method} ${request.url}\n${JSON.stringify(Object.fromEntries(request.headers))}\n${await request.text()}`);
      return Response.json({ object: "list", data: [] });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, close: () => server.stop(true) };
}

let clacky: FakeClacky;
let recorder: ReturnType<typeof startRecorder>;

beforeAll(() => {
  clacky = startFakeClacky(SAVED_KEY);
  recorder = startRecorder();
  process.env[ENV_NAME] = ENV_VALUE;
});
afterAll(async () => {
  delete process.env[ENV_NAME];
  await clacky.close();
  await recorder.close();
});

const savedEntries = () => ({
  models: [
    { name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: SAVED_KEY, base_url: clacky.url },
    { name: "pic", type: "image", provider: "openai", model: "gpt-image-2", api_key: SAVED_KEY },
    { name: "env", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: `\${${ENV_NAME}}`, base_url: clacky.url },
  ],
});

function send(h: ReturnType<typeof createHarness>, method: string, path: string, body?: unknown) {
  return h
    .call(path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) })
    .then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
}

const leaked = () => recorder.seen.filter((text) => text.includes(SAVED_KEY) || text.includes(ENV_VALUE));

describe("POST /api/config/models/test: a saved key goes only to its own base URL", () => {
  test.each([
    ["the key left out", { name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-2" }],
    ["the key masked", { name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: "sk-t****real" }],
    ["a saved ${VAR} sent back as shown", { name: "env", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: `\${${ENV_NAME}}` }],
    ["an entry saved without base_url (provider default)", { name: "pic", type: "image", provider: "openai", model: "gpt-image-2" }],
  ])("%s, with another base_url, is a 400 naming api_key and no call", async (_name, entry) => {
    using h = createHarness({ config: savedEntries() });
    const before = recorder.seen.length;
    const { status, body: answer } = await h.post("/api/config/models/test", { ...entry, base_url: `${recorder.url}/v1` });
    expect(status).toBe(400);
    expect(answer).toMatchObject({ error_type: "invalid_argument", field: "api_key" });
    expect(answer.error).toMatch(/type the key to test against another URL/);
    expect(JSON.stringify(answer)).not.toContain(SAVED_KEY);
    expect(recorder.seen.length).toBe(before);
  });

  test("the saved URL written differently (trailing slash) is the same URL: the saved key is used", async () => {
    using h = createHarness({ config: savedEntries() });
    const { status, body } = await h.post("/api/config/models/test", { name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-2", base_url: `${clacky.url}/` });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true });
  });

  test("an entry saved with ${VAR} is still tested with the variable's value at its own URL", async () => {
    const fake = startFakeClacky(ENV_VALUE);
    try {
      using h = createHarness({ config: { models: [{ name: "env", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: `\${${ENV_NAME}}`, base_url: fake.url }] } });
      const shown = { name: "env", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: `\${${ENV_NAME}}`, base_url: fake.url };
      expect((await h.post("/api/config/models/test", shown)).body).toMatchObject({ ok: true });
      expect((await h.post("/api/config/models/test", { name: "env" })).body).toMatchObject({ ok: true });
    } finally {
      await fake.close();
    }
  });

  test("a typed key goes to any URL as typed; ${VAR} is sent literally, never read from the environment", async () => {
    using h = createHarness({ config: savedEntries() });
    const before = recorder.seen.length;
    const typed = `\${${ENV_NAME}}`;
    const { status, body } = await h.post("/api/config/models/test", { name: "img", type: "image", provider: "openclacky", model: "m", api_key: typed, base_url: recorder.url });
    expect(status).toBe(200);
    expect(body.message).not.toContain(ENV_VALUE);
    const received = recorder.seen.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0]).toContain(`"authorization":"Bearer ${typed}"`);
    expect(leaked()).toEqual([]);
  });
});

describe("config editing API: a saved key never follows a new base URL", () => {
  test.each([
    ["the key left out", {}],
    ["the key masked", { api_key: "sk-t****real" }],
  ])("PUT changing base_url with %s is a 400 naming api_key, and the file is unchanged", async (_name, key) => {
    using h = createHarness({ config: savedEntries() });
    const before = readFileSync(h.config.path, "utf8");
    const { status, body } = await send(h, "PUT", "/api/config/models/0", { name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-2", base_url: recorder.url, ...key });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_type: "invalid_argument", field: "api_key" });
    expect(body.error).toMatch(/re-enter the key when changing base_url/);
    expect(readFileSync(h.config.path, "utf8")).toBe(before);
  });

  test("PUT giving an entry saved without base_url one, or another provider, keeping the key, is a 400", async () => {
    using h = createHarness({ config: savedEntries() });
    const withUrl = await send(h, "PUT", "/api/config/models/1", { name: "pic", type: "image", provider: "openai", model: "gpt-image-2", base_url: `${recorder.url}/v1` });
    expect(withUrl).toMatchObject({ status: 400, body: { field: "api_key" } });
    const otherProvider = await send(h, "PUT", "/api/config/models/1", { name: "pic", type: "image", provider: "openrouter", model: "openai/gpt-image-1" });
    expect(otherProvider).toMatchObject({ status: 400, body: { field: "api_key" } });
  });

  test("PUT of a saved ${VAR} entry sent back as shown keeps it; with a new base_url it is a 400", async () => {
    using h = createHarness({ config: savedEntries() });
    const shown = (await h.get("/api/config/models")).body.models[2];
    const same = await send(h, "PUT", "/api/config/models/2", { name: "env", type: "image", provider: "openclacky", model: "or-gpt-image-1", api_key: shown.api_key.masked, base_url: `${clacky.url}/` });
    expect(same.status).toBe(200);
    expect(h.config.get().models[2]!.api_key).toBe(`\${${ENV_NAME}}`);
    const moved = await send(h, "PUT", "/api/config/models/2", { name: "env", type: "image", provider: "openclacky", model: "or-gpt-image-1", api_key: shown.api_key.masked, base_url: recorder.url });
    expect(moved).toMatchObject({ status: 400, body: { field: "api_key" } });
  });

  test("PUT with the same base_url keeps the key; with a new key typed, the base_url may change", async () => {
    using h = createHarness({ config: savedEntries() });
    expect((await send(h, "PUT", "/api/config/models/0", { name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-1", base_url: clacky.url })).status).toBe(200);
    expect(h.config.get().models[0]!.api_key).toBe(SAVED_KEY);
    const retyped = await send(h, "PUT", "/api/config/models/0", { name: "img", type: "image", provider: "openclacky", model: "or-gpt-image-1", base_url: recorder.url, api_key: "typed-test-key-0123456789" });
    expect(retyped.status).toBe(200);
    expect(h.config.get().models[0]).toMatchObject({ base_url: recorder.url, api_key: "typed-test-key-0123456789" });
  });

  test.each([
    ["POST", "/api/config/models"],
    ["PUT", "/api/config/models/0"],
  ])("%s with a typed ${VAR} key is a 400 naming api_key: the daemon's environment is never read for it", async (method, path) => {
    using h = createHarness({ config: savedEntries() });
    const before = readFileSync(h.config.path, "utf8");
    const { status, body } = await send(h, method, path, { name: method === "POST" ? "new" : "img", type: "image", provider: "openclacky", model: "m", api_key: ` \${${ENV_NAME}} `, base_url: recorder.url });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_type: "invalid_argument", field: "api_key" });
    expect(readFileSync(h.config.path, "utf8")).toBe(before);
  });

  test("after all the refusals above, the listener saw no saved key and no environment value", () => {
    expect(leaked()).toEqual([]);
  });
});
