// Editing config.yml through the API (what the Models page does), the provider catalogue, deleting
// generations, budget status and token-carrying file URLs.
import { describe, expect, test } from "bun:test";
import { PROVIDER_IDS } from "../../../server/enums.ts";
import { existsSync, readFileSync } from "node:fs";
import { startFakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness } from "../../helpers.ts";

const SECRET = "sk-test-secret-0123456789abcdefXYZ";

function send(h: ReturnType<typeof createHarness>, method: string, path: string, body?: unknown) {
  return h.call(path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
}

describe("GET/POST/PUT/DELETE /api/config/models", () => {
  test("lists entries with the key masked and an ${ENV} reference shown as such", async () => {
    using h = createHarness({ config: { models: [{ name: "a", type: "image", provider: "openai", model: "gpt-image-2", api_key: SECRET }, { type: "audio", provider: "gemini", model: "gemini-2.5-flash-preview-tts", api_key: "${GEMINI_API_KEY}" }] } });
    const { status, body } = await h.get("/api/config/models");
    expect(status).toBe(200);
    expect(body.models[0]).toMatchObject({ index: 0, name: "a", type: "image", in_use: true, default: false, api_key: { set: true, masked: "sk-t****fXYZ" } });
    expect(body.models[1].api_key).toEqual({ set: true, masked: "${GEMINI_API_KEY}", env: "GEMINI_API_KEY" });
    expect(JSON.stringify(body)).not.toContain(SECRET);
  });

  test("adding keeps the file's comments and mode, and the new entry is in force at once", async () => {
    using h = createHarness();
    const added = await send(h, "POST", "/api/config/models", { name: "pic", type: "image", provider: "openai", model: "gpt-image-1.5", api_key: SECRET, default: true, options: { quality: "high" } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ index: 1, name: "pic", in_use: true, default: true, options: { quality: "high" } });
    const text = readFileSync(h.config.path, "utf8");
    expect(text).toContain("# Offline speech synthesis built into mediagen");
    expect(text).toContain(SECRET);
    expect((await h.get("/api/media/types")).body.image).toMatchObject({ configured: true, model: "gpt-image-1.5" });
  });

  test("editing with the masked key keeps the saved key; null removes it", async () => {
    using h = createHarness({ config: { models: [{ name: "a", type: "image", provider: "openai", model: "gpt-image-2", api_key: SECRET }] } });
    const masked = (await h.get("/api/config/models")).body.models[0].api_key.masked;
    const edited = await send(h, "PUT", "/api/config/models/0", { name: "a", type: "image", provider: "openai", model: "gpt-image-1.5", api_key: masked });
    expect(edited.status).toBe(200);
    expect(edited.body.model).toBe("gpt-image-1.5");
    expect(h.config.get().models[0]!.api_key).toBe(SECRET);
    await send(h, "PUT", "/api/config/models/0", { name: "a", type: "image", provider: "openai", model: "gpt-image-1.5", api_key: null });
    expect(h.config.get().models[0]!.api_key).toBeUndefined();
  });

  test.each([
    [{ type: "picture", provider: "openai", model: "m" }, "type"],
    [{ type: "image", provider: "openai", model: "" }, "model"],
    [{ type: "image", provider: "openai", model: "m", base_url: "ftp://x" }, "base_url"],
    [{ type: "image", provider: "openai", model: "m", options: { quality: "ultra" } }, "models[1].options.quality"],
    [{ name: "offline-speech", type: "image", provider: "openai", model: "m" }, "models[1].name"],
    [{ type: "image", provider: "openai-compatible", model: "m" }, "models[1].base_url"],
    [{ type: "image", provider: "openai", model: "m", fallbacks: ["nope"] }, "models[1].fallbacks[0]"],
    [{ type: "image", provider: "openai", model: "m", fallbacks: ["offline-speech"] }, "models[1].fallbacks[0]"],
  ])("an invalid entry %j is a 400 naming %s, and the file is unchanged", async (entry, field) => {
    using h = createHarness();
    const before = readFileSync(h.config.path, "utf8");
    const { status, body } = await send(h, "POST", "/api/config/models", entry);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_type: "invalid_argument", field });
    expect(readFileSync(h.config.path, "utf8")).toBe(before);
  });

  test("fallbacks round-trip: listed, kept on an edit that sends them, removed by one that does not", async () => {
    using h = createHarness();
    const entry = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: "image", provider: "openai", model: "gpt-image-2", api_key: SECRET, ...extra });
    await send(h, "POST", "/api/config/models", entry("b"));
    const added = await send(h, "POST", "/api/config/models", entry("a", { fallbacks: ["b"] }));
    expect(added.body).toMatchObject({ name: "a", fallbacks: ["b"] });
    expect(readFileSync(h.config.path, "utf8")).toContain("fallbacks:");
    const view = (await h.get("/api/config/models")).body.models[2];
    const edited = await send(h, "PUT", "/api/config/models/2", { ...entry("a"), api_key: view.api_key.masked, fallbacks: view.fallbacks });
    expect(edited.body.fallbacks).toEqual(["b"]);
    const cleared = await send(h, "PUT", "/api/config/models/2", { ...entry("a"), api_key: view.api_key.masked });
    expect(cleared.body.fallbacks).toBeUndefined();
    expect(h.config.get().models[2]!.fallbacks).toBeUndefined();
  });

  test("make default clears the other default of that type; delete removes; a bad index is a 404", async () => {
    using h = createHarness();
    await send(h, "POST", "/api/config/models", { name: "tts", type: "audio", provider: "openai", model: "tts-1", api_key: SECRET });
    const defaulted = await send(h, "POST", "/api/config/models/1/default");
    expect(defaulted.body.models.map((m: { default: boolean; in_use: boolean }) => [m.default, m.in_use])).toEqual([
      [false, false],
      [true, true],
    ]);
    const removed = await send(h, "DELETE", "/api/config/models/1");
    expect(removed.body.models).toHaveLength(1);
    expect((await send(h, "DELETE", "/api/config/models/7")).status).toBe(404);
    expect((await send(h, "DELETE", "/api/config/models/x")).body).toMatchObject({ error_type: "invalid_argument", field: "index" });
  });
});

describe("GET /api/config/catalog", () => {
  test("offers each provider's media types, known models and voices", async () => {
    using h = createHarness();
    const { body } = await h.get("/api/config/catalog");
    const byId = Object.fromEntries(body.providers.map((p: { id: string }) => [p.id, p]));
    expect(Object.keys(byId).sort()).toEqual(expect.arrayContaining(["gemini", "local", "openai", "openai-compatible", "openclacky", "openrouter"]));
    expect(Object.keys(byId).sort()).toEqual([...PROVIDER_IDS].sort());
    expect(byId.gemini.types).toEqual(["image", "video", "audio"]);
    expect(byId.gemini.models.video).toContain("veo-3.1-generate-preview");
    expect(byId.gemini.voices["gemini-2.5-flash-preview-tts"]).toContain("Kore");
    expect(byId.openai.voices["tts-1"]).toContain("alloy");
    expect(byId.openclacky.models.image).toContain("or-gemini-3-1-flash-image");
    expect(byId.local).toMatchObject({ key_required: false, types: ["audio"] });
    expect(byId["openai-compatible"].key_required).toBe(false);
    // The key's usual environment variable, offered by the Models page as ${NAME}.
    expect([byId.dashscope.key_env, byId.openai.key_env, byId.gemini.key_env, byId["openai-compatible"].key_env]).toEqual(["DASHSCOPE_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", undefined]);
    expect(byId.volcengine).toMatchObject({ key_required: true, key_env: "ARK_API_KEY", default_base_url: "https://ark.cn-beijing.volces.com/api/v3", types: ["image", "video"] });
    expect(byId.volcengine.models.video).toContain("doubao-seedance-1-0-pro-250528");
    expect(byId.volcengine.models.video).toContain("seedance-1-0-pro-250528");
    expect(byId.volcengine.models.image).toContain("doubao-seedream-4-0-250828");
  });
});

describe("DELETE /api/generations/:id", () => {
  test("deletes the record only, or the record and its file", async () => {
    const fake = startFakeClacky();
    try {
      using h = createHarness({ config: clackyConfig(fake.url, fake.key) });
      const a = (await h.post("/api/media/image", { prompt: "a", output_dir: h.workDir })).body;
      const b = (await h.post("/api/media/image", { prompt: "b", output_dir: h.workDir })).body;
      const keep = await send(h, "DELETE", `/api/generations/${a.id}`);
      expect(keep.body).toMatchObject({ success: true, file_removed: false });
      expect(existsSync(a.image)).toBe(true);
      const both = await send(h, "DELETE", `/api/generations/${b.id}?file=true`);
      expect(both.body.file_removed).toBe(true);
      expect(existsSync(b.image)).toBe(false);
      expect((await h.get("/api/generations")).body.items).toHaveLength(0);
      expect((await send(h, "DELETE", `/api/generations/${a.id}`)).status).toBe(404);
    } finally {
      await fake.close();
    }
  });
});

describe("GET /api/costs/budget", () => {
  test("reports the limits and the spend so far today and this month", async () => {
    const fake = startFakeClacky();
    try {
      using h = createHarness({ config: { ...clackyConfig(fake.url, fake.key), budget: { daily_usd: 5, per_type: { video: { monthly_usd: 20 } } } } });
      await h.post("/api/media/video", { prompt: "clip", duration_seconds: 4, output_dir: h.workDir });
      const { body } = await h.get("/api/costs/budget");
      expect(body.budget).toEqual({ daily_usd: 5, per_type: { video: { monthly_usd: 20 } } });
      expect(body.spent.day).toMatchObject({ overall: 1.344, video: 1.344, image: 0, audio: 0 });
      expect(body.spent.month.video).toBe(1.344);
    } finally {
      await fake.close();
    }
  });
});

describe("generated files behind a token", () => {
  test("the file URL accepts ?access_token= (for <img>/<video>), other routes do not", async () => {
    const fake = startFakeClacky();
    const token = "token-for-file-urls-0123456789";
    try {
      using h = createHarness({ config: { ...clackyConfig(fake.url, fake.key), server: { token } } });
      const auth = { authorization: `Bearer ${token}` };
      const { body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir }, auth);
      expect((await h.call(`/api/generations/${body.id}/file`)).status).toBe(401);
      expect((await h.call(`/api/generations/${body.id}/file?access_token=${token}`)).status).toBe(200);
      expect((await h.call(`/api/generations?access_token=${token}`)).status).toBe(401);
    } finally {
      await fake.close();
    }
  });
});
