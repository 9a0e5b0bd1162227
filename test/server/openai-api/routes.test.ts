// The OpenAI door through app.handle (and the front door where the guard answers): what each endpoint refuses, in
// OpenAI's envelope, before anything is generated, and what it records.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { createFrontDoor, waitsLong } from "../../../server/http/front-door.ts";
import { createGuard } from "../../../server/http/guard.ts";
import { memoryLogger } from "../../../server/log.ts";
import { makePng } from "../../fakes/media.ts";
import { clackyConfig, withClackyHarness, type Harness } from "../../helpers.ts";
import type { FakeClacky } from "../../fakes/openclacky.ts";

let h: Harness;
let fake: FakeClacky;
withClackyHarness((made) => {
  ({ h, fake } = made);
  const config = clackyConfig(fake.url, fake.key);
  const once = { max_attempts: 1 };
  const models = [...config.models, { name: "offline", type: "audio", provider: "local", model: "flite" }];
  writeFileSync(join(h.dataDir, "config.yml"), stringify({ models, jobs: { image: once, video: once, audio: once } }));
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", "user-agent": "OpenAI/Python 2.9.0", ...headers },
  body: JSON.stringify(body),
});

async function envelope(response: Response) {
  const body = (await response.json()) as { error: { message: string; type: string; code: string | null; param: string | null } };
  return { status: response.status, ...body.error };
}

function form(fields: Record<string, string>, files: Record<string, Uint8Array[]> = {}): RequestInit {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  for (const [name, list] of Object.entries(files)) for (const [i, bytes] of list.entries()) data.append(name, new File([bytes as Uint8Array<ArrayBuffer>], `${name}-${i}.png`, { type: "image/png" }));
  return { method: "POST", body: data };
}

describe("requests refused before anything is generated", () => {
  test.each([
    ["/v1/images/generations", {}, "prompt"],
    ["/v1/images/generations", { prompt: "x", n: 11 }, "n"],
    ["/v1/images/generations", { prompt: "x", n: 0 }, "n"],
    ["/v1/images/generations", { prompt: "x", response_format: "png" }, "response_format"],
    ["/v1/images/generations", { prompt: "x", size: "wide" }, "size"],
    ["/v1/images/generations", { prompt: "x", model: "nope" }, "model"],
    ["/v1/images/generations", { prompt: "x", stream: true }, "stream"],
    ["/v1/audio/speech", { input: "" }, "input"],
    ["/v1/audio/speech", { input: "hi", response_format: "ogg" }, "response_format"],
    ["/v1/audio/speech", { input: "hi", model: "offline", response_format: "mp3" }, "response_format"],
    ["/v1/audio/speech", { input: "hi", speed: 9 }, "speed"],
    ["/v1/videos", { prompt: "x", seconds: "12" }, "seconds"],
    ["/v1/videos", { prompt: "x", size: "1024x1024", input_reference: { image_url: "https://example.com/a.png" } }, "input_reference"],
    ["/v1/videos", { prompt: "x", model: "tts" }, "model"],
  ])("%s %j: 400 naming %s, recorded once as refused by this door", async (path, body, param) => {
    const generated = async () => (await h.ledger.list({})).items.filter((g) => g.status !== "refused").length;
    // Repeats of the same caller, type and error fold into one row that counts them and keeps the latest message.
    const refusals = async () => (await h.ledger.list({ status: "refused", door: "openai" })).items;
    const counted = async () => (await refusals()).reduce((sum, row) => sum + (row.refusal_count ?? 1), 0);
    const before = await generated();
    const refusedBefore = await counted();
    const answer = await envelope(await h.call(path, json(body)));
    expect(answer).toMatchObject({ status: 400, type: "invalid_request_error", param });
    expect(await generated()).toBe(before);
    expect(await counted()).toBe(refusedBefore + 1);
    const newest = (await refusals()).sort((a, b) => (b.finished_at ?? "").localeCompare(a.finished_at ?? ""))[0]!;
    expect(newest).toMatchObject({ door: "openai", client: "OpenAI/Python 2.9.0", status: "refused", error: answer.message });
    expect(["invalid_argument", "unknown_model"]).toContain(newest.error_type!);
  });

  test("a body that is not JSON is recorded as refused by this door", async () => {
    const answer = await envelope(await h.call("/v1/images/generations", { method: "POST", headers: { "content-type": "application/json", "user-agent": "broken-json/1" }, body: "{not json" }));
    expect(answer.status).toBe(400);
    const rows = (await h.ledger.list({ status: "refused", door: "openai", client: "broken-json/1" })).items;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ error_type: "invalid_argument", error: answer.message });
  });

  test("an unknown model lists the configured names of its type", async () => {
    const answer = await envelope(await h.call("/v1/audio/speech", json({ input: "hi", model: "nope" })));
    expect(answer.message).toContain("tts, offline");
  });

  test("images/edits: multipart only, an image is required, a mask is refused", async () => {
    expect(await envelope(await h.call("/v1/images/edits", json({ prompt: "x" })))).toMatchObject({ status: 400, param: "body" });
    expect(await envelope(await h.call("/v1/images/edits", form({ prompt: "x" })))).toMatchObject({ status: 400, param: "image" });
    const masked = await envelope(await h.call("/v1/images/edits", form({ prompt: "x" }, { image: [makePng(8, 8)], mask: [makePng(8, 8)] })));
    expect(masked).toMatchObject({ status: 400, param: "mask" });
    expect(masked.message).toContain("mask is not supported");
  });

  test("a body that is not JSON is a 400 on body", async () => {
    const response = await h.call("/v1/images/generations", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(await envelope(response)).toMatchObject({ status: 400, param: "body", type: "invalid_request_error" });
  });
});

describe("answers", () => {
  test("image edit with image[] files: one job, door openai, client the User-Agent, in the default output folder", async () => {
    const response = await h.call("/v1/images/edits", {
      ...form({ prompt: "make it blue", size: "1536x1024" }, { "image[]": [makePng(16, 16), makePng(24, 24)] }),
      headers: { "user-agent": "OpenAI/Python 2.9.0" },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { created: number; data: { b64_json: string }[]; size: string };
    expect(body.data).toHaveLength(1);
    expect(body.size).toBe("1536x1024");
    const row = (await h.ledger.list({ door: "openai" })).items[0]!;
    expect(row).toMatchObject({ type: "image", door: "openai", client: "OpenAI/Python 2.9.0", status: "succeeded" });
    expect((row.params.inputs as string[]).length).toBe(2);
    expect(row.output_path!.startsWith(h.config.defaultOutputDir())).toBe(true);
  });

  test("n images where one fails: the one made is answered, both are recorded; all failing is the provider's error", async () => {
    fake.next("500");
    const some = await h.call("/v1/images/generations", json({ prompt: "two cats", n: 2 }));
    expect(some.status).toBe(200);
    expect(((await some.json()) as { data: unknown[] }).data).toHaveLength(1);
    const rows = (await h.ledger.list({ door: "openai", q: "two cats" })).items;
    expect(rows.map((row) => row.status).sort()).toEqual(["failed", "succeeded"]);
    fake.next("500", "500");
    const none = await envelope(await h.call("/v1/images/generations", json({ prompt: "two dogs", n: 2 })));
    expect(none).toMatchObject({ status: 502, type: "server_error", code: "api_error" });
  });

  test("speech from a model that gave WAV, asked as mp3, is a 400 naming the saved generation and what it can give", async () => {
    const response = await h.call("/v1/audio/speech", json({ input: "Hello.", model: "tts", response_format: "mp3" }));
    const answer = await envelope(response);
    expect(answer).toMatchObject({ status: 400, param: "response_format" });
    expect(answer.message).toContain("wav, pcm");
    const id = /generation (\S+)\)/.exec(answer.message)![1]!;
    expect(await h.ledger.get(id)).toMatchObject({ status: "succeeded", door: "openai" });
  });

  test("speech without response_format answers the model's own format", async () => {
    const response = await h.call("/v1/audio/speech", json({ input: "Hello.", voice: { id: "Kore" } }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("audio/wav");
    expect(new TextDecoder().decode((await response.arrayBuffer()).slice(0, 4))).toBe("RIFF");
  });

  test("a video in JSON with a data: URL first frame, then its content once completed", async () => {
    const frame = `data:image/png;base64,${Buffer.from(makePng(32, 18)).toString("base64")}`;
    const response = await h.call("/v1/videos", json({ prompt: "a boat", seconds: 6, input_reference: { image_url: frame } }));
    expect(response.status).toBe(200);
    const video = (await response.json()) as { id: string; seconds: string; size: string };
    expect(video).toMatchObject({ seconds: "6", size: "1280x720" });
    let status = "";
    for (let i = 0; i < 200 && status !== "completed"; i++) {
      status = ((await (await h.call(`/v1/videos/${video.id}`)).json()) as { status: string }).status;
      if (status !== "completed") await Bun.sleep(10);
    }
    expect(status).toBe("completed");
    const content = await h.call(`/v1/videos/${video.id}/content`);
    expect(content.headers.get("content-type")).toBe("video/mp4");
    expect(await envelope(await h.call(`/v1/videos/${video.id}/content?variant=thumbnail`))).toMatchObject({ status: 400, param: "variant" });
  });

  test("an image generation is not a video: 404", async () => {
    const image = (await h.ledger.list({ type: "image" })).items[0]!;
    expect(await envelope(await h.call(`/v1/videos/${image.id}`))).toMatchObject({ status: 404, code: "not_found" });
  });

  test("unknown /v1 paths and methods are OpenAI's 404", async () => {
    for (const [method, path] of [["GET", "/v1"], ["GET", "/v1/chat/completions"], ["POST", "/v1/embeddings"], ["GET", "/v1/images/generations"]]) {
      const answer = await envelope(await h.call(path!, { method }));
      expect(answer).toMatchObject({ status: 404, type: "invalid_request_error", code: "not_found", param: null });
    }
  });

  test("/v1/models/{id}: one entry, or 404", async () => {
    expect(await (await h.call("/v1/models/offline")).json()).toMatchObject({ id: "offline", type: "audio", owned_by: "local", model: "flite" });
    expect(await envelope(await h.call("/v1/models/nope"))).toMatchObject({ status: 404 });
  });
});

describe("through the front door", () => {
  test.each([
    ["POST", "/v1/images/generations", true],
    ["POST", "/v1/images/edits", true],
    ["POST", "/v1/audio/speech", true],
    ["POST", "/v1/videos", false],
    ["GET", "/v1/videos/abc", false],
    ["GET", "/v1/models", false],
  ])("the idle timeout is lifted for %s %s: %p (blocking generations only)", (method, path, expected) => {
    expect(waitsLong(method, path)).toBe(expected);
  });

  function frontDoor(token?: string, bindHost = "127.0.0.1") {
    const guard = createGuard({ bindHost, allowedHosts: () => [], token: () => token });
    const door = createFrontDoor({ handle: (request) => h.app.handle(request), uiGuard: guard, apiGuard: guard, maxBodyBytes: () => 1024, log: memoryLogger() });
    return (path: string, init: RequestInit = {}) => door.fetch(new Request(`http://127.0.0.1:7070${path}`, init), { timeout() {} });
  }

  test("no token configured: any Bearer is accepted on loopback", async () => {
    const fetch = frontDoor();
    const response = await fetch("/v1/models", { headers: { authorization: "Bearer sk-whatever" } });
    expect(response.status).toBe(200);
  });

  test("a token configured: another Bearer, or none, is a 401 in OpenAI's envelope; the token passes", async () => {
    const fetch = frontDoor("secret-token");
    for (const headers of [{ authorization: "Bearer sk-whatever" }, {}] as Record<string, string>[]) {
      expect(await envelope(await fetch("/v1/models", { headers }))).toMatchObject({ status: 401, type: "authentication_error", code: "invalid_api_key" });
    }
    expect((await fetch("/v1/models", { headers: { authorization: "Bearer secret-token" } })).status).toBe(200);
  });

  test("a foreign Host is a 403 and a body past the limit a 413, both in OpenAI's envelope", async () => {
    const fetch = frontDoor();
    expect(await envelope(await fetch("/v1/models", { headers: { host: "evil.example" } }))).toMatchObject({ status: 403, type: "permission_error" });
    const big = await fetch("/v1/images/generations", json({ prompt: "x".repeat(2000) }));
    expect(await envelope(big)).toMatchObject({ status: 413, param: "body" });
  });
});
