// A request may name the configured model that serves it (all doors); the ledger records the door it came through.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { createHarness, type Harness } from "../../helpers.ts";

let fake: FakeClacky;
let h: Harness;
beforeAll(() => {
  fake = startFakeClacky();
  const at = (name: string | undefined, model: string, extra: Record<string, unknown> = {}) => ({ ...(name ? { name } : {}), type: "image", provider: "openclacky", model, api_key: fake.key, base_url: fake.url, ...extra });
  h = createHarness({
    config: {
      models: [
        at("fast", "or-gemini-3-1-flash-image", { default: true }),
        at("best", "or-gpt-image-2"),
        at(undefined, "or-gemini-3-pro-image"),
        at("twin-a", "or-twin"),
        at("twin-b", "or-twin"),
        { name: "voice", type: "audio", provider: "local", model: "flite" },
      ],
    },
  });
});
afterAll(async () => {
  h[Symbol.dispose]();
  await fake.close();
});

const sentModel = () => fake.requests.at(-1)!.body.model;

describe("model per request", () => {
  test("absent: the type's default, as before", async () => {
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.model).toBe("or-gemini-3-1-flash-image");
    expect(sentModel()).toBe("or-gemini-3-1-flash-image");
  });

  test("by name, else by a model id only one entry has; the answer is otherwise the seed's", async () => {
    const named = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir, model: "best" });
    expect(named.status).toBe(200);
    expect(named.body).toMatchObject({ success: true, model: "or-gpt-image-2", provider: "openclacky" });
    expect(sentModel()).toBe("or-gpt-image-2");
    expect(await h.ledger.get(named.body.id)).toMatchObject({ model: "or-gpt-image-2", model_name: "best" });
    const byId = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir, model: "or-gemini-3-pro-image" });
    expect(byId.status).toBe(200);
    expect(sentModel()).toBe("or-gemini-3-pro-image");
  });

  test("an unknown name is a 400 naming model and listing the configured names of that type; nothing is sent or recorded", async () => {
    const before = fake.requests.length;
    const rows = (await h.ledger.list({ limit: 100 })).items.filter((g) => g.status !== "refused").length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir, model: "voice" });
    expect(status).toBe(400);
    expect(body).toMatchObject({ success: false, image: null, error_type: "invalid_argument", field: "model", allowed: ["fast", "best", "or-gemini-3-pro-image", "twin-a", "twin-b"] });
    expect(body.error).toBe('No image model "voice" is configured; choose one of: fast, best, or-gemini-3-pro-image, twin-a, twin-b');
    expect(fake.requests.length).toBe(before);
    expect((await h.ledger.list({ limit: 100 })).items.filter((g) => g.status !== "refused").length).toBe(rows);
  });

  test("an id two entries share must be asked for by name", async () => {
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir, model: "or-twin" });
    expect(status).toBe(400);
    expect(body).toMatchObject({ field: "model", allowed: ["twin-a", "twin-b"] });
  });

  test("model must be a non-empty string", async () => {
    for (const model of [42, "", "   "]) {
      const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir, model });
      expect(status).toBe(400);
      expect(body).toMatchObject({ error_type: "invalid_argument", field: "model" });
    }
  });

  test("speech and video take it too", async () => {
    const { status, body } = await h.post("/api/media/audio/speech", { input: "Hello.", output_dir: h.workDir, model: "voice" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model: "flite", provider: "local" });
    const video = await h.post("/api/media/video", { prompt: "p", output_dir: h.workDir, model: "nope" });
    expect(video.status).toBe(400);
    expect(video.body).toMatchObject({ field: "model", allowed: [] });
  });
});

describe("the door a request came through", () => {
  test("the seed API by default; the web UI, mcp and the CLI label themselves; anything else is the seed API", async () => {
    const doors: [Record<string, string>, string][] = [[{}, "api"], [{ "x-mediagen-door": "ui" }, "ui"], [{ "x-mediagen-door": "MCP" }, "mcp"], [{ "x-mediagen-door": "cli" }, "cli"], [{ "x-mediagen-door": "openai" }, "api"]];
    for (const [headers, door] of doors) {
      const { body } = await h.post("/api/media/image", { prompt: `door ${door}`, output_dir: h.workDir }, headers);
      expect(await h.ledger.get(body.id)).toMatchObject({ door });
    }
    expect((await h.ledger.list({ door: "mcp" })).items.map((g) => g.prompt)).toEqual(["door mcp"]);
    const listed = await h.get("/api/generations?door=cli");
    expect(listed.body.items.map((g: { door: string }) => g.door)).toEqual(["cli"]);
    expect((await h.get("/api/generations?door=fax")).body).toMatchObject({ error_type: "invalid_argument" });
  });
});
