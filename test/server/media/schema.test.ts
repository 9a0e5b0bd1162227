// Every string field of a media request and of the list queries is bounded, with a 400 naming the field and the limit.
import { describe, expect, test } from "bun:test";
import { MAX_NAME_CHARS, MAX_PATH_CHARS, MAX_PROMPT_CHARS, MAX_QUERY_TEXT_CHARS } from "../../../server/defaults.ts";
import type { FakeClacky } from "../../fakes/openclacky.ts";
import { type Harness, withClackyHarness } from "../../helpers.ts";

let fake: FakeClacky;
let h: Harness;

withClackyHarness((made) => ({ fake, h } = made));

const long = (n: number) => "x".repeat(n);

describe("media request fields", () => {
  const cases: [string, string, Record<string, unknown>, string, number][] = [
    ["a 30 MB session_id", "/api/media/image", { prompt: "a cat", session_id: long(30_000_000) }, "session_id", MAX_NAME_CHARS],
    ["a session_id one past the limit", "/api/media/audio/speech", { input: "hi", session_id: long(MAX_NAME_CHARS + 1) }, "session_id", MAX_NAME_CHARS],
    ["a long voice", "/api/media/audio/speech", { input: "hi", voice: long(MAX_NAME_CHARS + 1) }, "voice", MAX_NAME_CHARS],
    ["a long output_dir", "/api/media/video", { prompt: "waves", output_dir: `/${long(MAX_PATH_CHARS)}` }, "output_dir", MAX_PATH_CHARS],
    ["a long image path", "/api/media/image", { prompt: "a cat", images: [`/${long(MAX_PATH_CHARS)}`] }, "images[0]", MAX_PATH_CHARS],
    ["a long mime_type", "/api/media/video", { prompt: "waves", image: { b64_json: "iVBORw0KGgo=", mime_type: long(MAX_NAME_CHARS + 1) } }, "image.mime_type", MAX_NAME_CHARS],
  ];
  test.each(cases)("%s is a 400 naming the field and its limit, with nothing stored or sent", async (_name, path, body, field, limit) => {
    const before = fake.requests.length;
    const response = await h.post(path, body);
    expect(response.status).toBe(400);
    expect(response.body.error_type).toBe("invalid_argument");
    expect(response.body.field).toBe(field);
    expect(response.body.error).toContain(String(limit));
    expect(JSON.stringify(response.body).length).toBeLessThan(2000);
    expect(fake.requests.length).toBe(before);
    expect((await h.ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
  });

  test.each([
    ["prompt", "/api/media/image", { prompt: long(1_000_000) }],
    ["input", "/api/media/audio/speech", { input: long(1_000_000) }],
    ["aspect_ratio", "/api/media/image", { prompt: "a cat", aspect_ratio: long(1_000_000) }],
  ])("a 1 MB %s is a 400 whose answer does not echo it back", async (field, path, body) => {
    const response = await h.post(path, body);
    expect(response.status).toBe(400);
    expect(response.body.field).toBe(field);
    expect(JSON.stringify(response.body).length).toBeLessThan(MAX_PROMPT_CHARS + 2000);
  });

  test("a long User-Agent is recorded as the client cut to its limit", async () => {
    const response = await h.post("/api/media/audio/speech", { input: "hi" }, { "user-agent": long(10_000) });
    expect(response.status).toBe(200);
    expect((await h.ledger.get(response.body.id))!.client).toHaveLength(MAX_NAME_CHARS);
    await h.ledger.remove(response.body.id);
  });

  test("an output_dir with a NUL byte is a 400 before any call", async () => {
    const before = fake.requests.length;
    const response = await h.post("/api/media/image", { prompt: "a cat", output_dir: "/tmp/a\u0000b" });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe("output_dir");
    expect(fake.requests.length).toBe(before);
  });

  test("fields at their limit are accepted", async () => {
    const response = await h.post("/api/media/audio/speech", { input: "hi", session_id: long(MAX_NAME_CHARS) });
    expect(response.status).toBe(200);
    expect((await h.ledger.list({})).items[0]!.session_id).toHaveLength(MAX_NAME_CHARS);
  });
});

describe("list queries", () => {
  const cases: [string, string, string, number][] = [
    ["q", `/api/generations?q=${long(MAX_QUERY_TEXT_CHARS + 1)}`, "q", MAX_QUERY_TEXT_CHARS],
    ["model", `/api/generations?model=${long(MAX_NAME_CHARS + 1)}`, "model", MAX_NAME_CHARS],
    ["cursor", `/api/generations?cursor=${"9".repeat(40)}`, "cursor", 19],
  ];
  test.each(cases)("a long %s is a 400 naming it", async (_name, path, field, limit) => {
    const response = await h.get(path);
    expect(response.status).toBe(400);
    expect(response.body.field).toBe(field);
    expect(response.body.error).toContain(String(limit));
  });
});

describe("config request fields", () => {
  test("testing a model by a 100 KB name is a 400 naming the limit, not an echo of the name", async () => {
    const response = await h.post("/api/config/models/test", { name: long(100_000) });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe("name");
    expect(response.body.error).toContain(String(MAX_NAME_CHARS));
    expect(JSON.stringify(response.body).length).toBeLessThan(1000);
  });

  test("adding a model with a 30 MB key is a 400 naming api_key, and config.yml keeps no trace of it", async () => {
    const response = await h.post("/api/config/models", { type: "image", provider: "openclacky", model: "m", base_url: "http://127.0.0.1:9/", api_key: long(30_000_000) });
    expect(response.status).toBe(400);
    expect(response.body.field).toEndWith("api_key");
    expect(JSON.stringify(response.body).length).toBeLessThan(1000);
    expect(h.config.get().models).toHaveLength(3);
  });
});
