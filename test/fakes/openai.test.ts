// Self-test of the fake OpenAI API: plain fetch against it, checking the success and error shapes it promises.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { imageInfo, makeJpeg, makePng } from "./media.ts";
import { OPENAI_REPORTS, openaiImageUsage, openaiSpeechSeconds, openaiSpeechSseUsage, startFakeOpenAI, type FakeOpenAI } from "./openai.ts";

let fake: FakeOpenAI;
beforeAll(() => {
  fake = startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

const post = (path: string, body: unknown, key = fake.key) =>
  fetch(`${fake.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const errorOf = async (response: Response) => ((await response.json()) as { error: Record<string, unknown> }).error;
const decode = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));

describe("images/generations", () => {
  test("gpt-image answers b64_json at the requested size and format, with usage and echoed fields", async () => {
    const response = await post("/v1/images/generations", {
      model: "gpt-image-1.5",
      prompt: "a lighthouse",
      size: "1536x1024",
      quality: "high",
      output_format: "webp",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    const body = (await response.json()) as Record<string, any>;
    expect(body.size).toBe("1536x1024");
    expect(body.quality).toBe("high");
    expect(body.output_format).toBe("webp");
    expect(body.background).toBe("opaque");
    expect(typeof body.created).toBe("number");
    expect(imageInfo(decode(body.data[0].b64_json))).toEqual({ mime: "image/webp", width: 1536, height: 1024 });
    expect(body.usage).toEqual({
      input_tokens: 50,
      input_tokens_details: { text_tokens: 50, image_tokens: 0 },
      output_tokens: 6208,
      output_tokens_details: { image_tokens: 6208, text_tokens: 0 },
      total_tokens: 6258,
    });
    expect(body.usage).toEqual(openaiImageUsage("gpt-image-1.5", "1536x1024", "high"));
  });

  test("defaults: png, size auto -> 1024x1024, quality auto -> medium; gpt-image-1 has no output_tokens_details", async () => {
    const body = (await (await post("/v1/images/generations", { model: "gpt-image-1", prompt: "x" })).json()) as Record<string, any>;
    expect(body.size).toBe("1024x1024");
    expect(body.quality).toBe(OPENAI_REPORTS.image.autoQuality);
    const bytes = decode(body.data[0].b64_json);
    expect(Buffer.from(bytes.subarray(0, 4)).toString("base64")).toBe("iVBORw==");
    expect(imageInfo(bytes)).toEqual({ mime: "image/png", width: 1024, height: 1024 });
    expect(body.usage.output_tokens).toBe(1056);
    expect(body.usage.output_tokens_details).toBeUndefined();
  });

  test("jpeg output and n=2", async () => {
    const body = (await (await post("/v1/images/generations", { model: "gpt-image-1-mini", prompt: "x", output_format: "jpeg", n: 2, size: "1024x1536", quality: "low" })).json()) as Record<string, any>;
    expect(body.data).toHaveLength(2);
    expect(imageInfo(decode(body.data[1].b64_json))).toEqual({ mime: "image/jpeg", width: 1024, height: 1536 });
    expect(body.usage.output_tokens).toBe(408 * 2);
  });

  test("gpt-image-2 takes arbitrary sizes and rejects bad ones", async () => {
    const ok = (await (await post("/v1/images/generations", { model: "gpt-image-2", prompt: "x", size: "1920x1088" })).json()) as Record<string, any>;
    expect(imageInfo(decode(ok.data[0].b64_json))).toMatchObject({ width: 1920, height: 1088 });
    const bad = await post("/v1/images/generations", { model: "gpt-image-2", prompt: "x", size: "1000x1000" });
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatchObject({ type: "image_generation_user_error", param: "size" });
  });

  test("dall-e-3 url mode points at a download that needs no auth; revised_prompt present; no usage", async () => {
    const body = (await (await post("/v1/images/generations", { model: "dall-e-3", prompt: "x", size: "1792x1024" })).json()) as Record<string, any>;
    expect(body.usage).toBeUndefined();
    expect(body.data[0].revised_prompt).toContain("x");
    const download = await fetch(body.data[0].url);
    expect(download.status).toBe(200);
    expect(imageInfo(new Uint8Array(await download.arrayBuffer()))).toEqual({ mime: "image/png", width: 1792, height: 1024 });
  });

  test("request validation errors in OpenAI's shape", async () => {
    const cases: [unknown, number, Record<string, unknown>][] = [
      [{ model: "gpt-image-1", prompt: "x", response_format: "b64_json" }, 400, { message: "Unknown parameter: 'response_format'.", type: "invalid_request_error", param: "response_format", code: "unknown_parameter" }],
      [{ model: "dall-e-3", prompt: "x", n: 2 }, 400, { param: "n" }],
      [{ model: "gpt-image-1", prompt: "x", size: "1792x1024" }, 400, { param: "size", code: "invalid_value" }],
      [{ model: "gpt-image-1" }, 400, { param: "prompt", code: "missing_required_parameter" }],
      [{ model: "gpt-image-9", prompt: "x" }, 404, { code: "model_not_found" }],
      ["{not json", 400, { type: "invalid_request_error", param: null, code: null }],
    ];
    for (const [body, status, shape] of cases) {
      const response = await post("/v1/images/generations", body);
      expect(response.status).toBe(status);
      const error = await errorOf(response);
      expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
      expect(error).toMatchObject(shape);
    }
  });

  test("scenario errors: 401, 429 with retry-after, moderation_blocked, 500, 503", async () => {
    const bad = await post("/v1/images/generations", { model: "gpt-image-1", prompt: "x" }, "sk-wrong-key-123456789");
    expect(bad.status).toBe(401);
    const badError = await errorOf(bad);
    expect(badError).toMatchObject({ type: "invalid_request_error", param: null, code: "invalid_api_key" });
    expect(String(badError.message)).not.toContain("sk-wrong-key-123456789");

    fake.next("429", "moderation_blocked", "500", "503");
    const limited = await post("/v1/images/generations", { model: "gpt-image-1", prompt: "x" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("12");
    expect(await errorOf(limited)).toMatchObject({ code: "rate_limit_exceeded" });

    const refused = await post("/v1/images/generations", { model: "gpt-image-1", prompt: "x" });
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({
      type: "image_generation_user_error",
      param: null,
      code: "moderation_blocked",
      moderation_details: { moderation_stage: "input", categories: ["other"] },
    });
    expect((await post("/v1/images/generations", { model: "gpt-image-1", prompt: "x" })).status).toBe(500);
    const overloaded = await post("/v1/images/generations", { model: "gpt-image-1", prompt: "x" });
    expect(overloaded.status).toBe(503);
    expect(await errorOf(overloaded)).toMatchObject({ type: "server_error" });
  });

  test("prompt directives: empty data, malformed body", async () => {
    const empty = (await (await post("/v1/images/generations", { model: "gpt-image-1", prompt: "x [[fake:empty]]" })).json()) as Record<string, any>;
    expect(empty.data).toEqual([]);
    const malformed = await post("/v1/images/generations", { model: "gpt-image-1", prompt: "x [[fake:malformed]]" });
    expect(malformed.status).toBe(200);
    const text = await malformed.text();
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe("images/edits (multipart)", () => {
  test("several image[] parts are parsed and recorded; auto size follows the first image", async () => {
    const form = new FormData();
    form.append("model", "gpt-image-1.5");
    form.append("prompt", "put them on a beach");
    form.append("image[]", new File([makePng(1536, 1024) as Uint8Array<ArrayBuffer>], "lotion.png", { type: "image/png" }));
    form.append("image[]", new File([makeJpeg(800, 600) as Uint8Array<ArrayBuffer>], "bomb.jpg", { type: "image/jpeg" }));
    form.append("n", "1");
    form.append("quality", "low");
    const response = await fetch(`${fake.url}/v1/images/edits`, { method: "POST", headers: { authorization: `Bearer ${fake.key}` }, body: form });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.size).toBe("1536x1024");
    expect(imageInfo(decode(body.data[0].b64_json))).toEqual({ mime: "image/png", width: 1536, height: 1024 });
    expect(body.usage.input_tokens_details).toEqual({ text_tokens: 50, image_tokens: 2 * OPENAI_REPORTS.image.imageTokensPerInputImage });

    const recorded = fake.requests.at(-1)!;
    expect(recorded.path).toBe("/v1/images/edits");
    expect(recorded.body).toMatchObject({ model: "gpt-image-1.5", prompt: "put them on a beach", n: "1", quality: "low" });
    const files = recorded.parts!.filter((p) => p.filename !== undefined);
    expect(files.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ["image[]", "lotion.png", "image/png"],
      ["image[]", "bomb.jpg", "image/jpeg"],
    ]);
    expect(files[0]!.size).toBe(makePng(1536, 1024).length);
    expect(files[1]!.size).toBe(makeJpeg(800, 600).length);
  });

  test("a single `image` part works; a part without an image type is rejected", async () => {
    const one = new FormData();
    one.append("prompt", "x");
    one.append("image", new File([makePng(64, 64) as Uint8Array<ArrayBuffer>], "a.png", { type: "image/png" }));
    const ok = await fetch(`${fake.url}/v1/images/edits`, { method: "POST", headers: { authorization: `Bearer ${fake.key}` }, body: one });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Record<string, any>).size).toBe("1024x1024");

    const untyped = new FormData();
    untyped.append("prompt", "x");
    untyped.append("image[]", new Blob([makePng(64, 64) as Uint8Array<ArrayBuffer>]), "a.png");
    const bad = await fetch(`${fake.url}/v1/images/edits`, { method: "POST", headers: { authorization: `Bearer ${fake.key}` }, body: untyped });
    expect(bad.status).toBe(400);
    expect(String((await errorOf(bad)).message)).toContain("unsupported mimetype");
  });
});

describe("audio/speech", () => {
  test("wav is a 24 kHz mono WAV with audio/wav", async () => {
    const input = "The quick brown fox jumped over the lazy dog.";
    const response = await post("/v1/audio/speech", { model: "gpt-4o-mini-tts", input, voice: "coral", response_format: "wav", instructions: "cheerful" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("audio/wav");
    const bytes = new Uint8Array(await response.arrayBuffer());
    const view = new DataView(bytes.buffer);
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe("RIFF");
    expect(view.getUint16(22, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(24_000);
    expect(view.getUint32(40, true)).toBe(Math.round(openaiSpeechSeconds(input) * 24_000) * 2);
  });

  test("mp3 by default, pcm raw; tts-1 ignores instructions", async () => {
    const mp3 = await post("/v1/audio/speech", { model: "tts-1", input: "hello there", voice: "alloy", instructions: "ignored" });
    expect(mp3.headers.get("content-type")).toBe("audio/mpeg");
    const mp3Bytes = new Uint8Array(await mp3.arrayBuffer());
    expect([mp3Bytes[0], mp3Bytes[1]! & 0xe0]).toEqual([0xff, 0xe0]);
    const pcm = await post("/v1/audio/speech", { model: "tts-1-hd", input: "hello there", voice: "nova", response_format: "pcm" });
    expect(pcm.headers.get("content-type")).toBe("audio/pcm");
    expect((await pcm.arrayBuffer()).byteLength).toBe(Math.round(openaiSpeechSeconds("hello there") * 24_000) * 2);
  });

  test("bad voice: tts-1 answers the pydantic enum list, gpt-4o-mini-tts an invalid_value", async () => {
    const legacy = await post("/v1/audio/speech", { model: "tts-1", input: "hi", voice: "ballad" });
    expect(legacy.status).toBe(400);
    expect(await errorOf(legacy)).toEqual({
      message: `[{'type': 'enum', 'loc': ('body', 'voice'), 'msg': "Input should be 'nova', 'shimmer', 'echo', 'onyx', 'fable', 'alloy', 'ash', 'sage' or 'coral'", 'input': 'ballad', 'ctx': {'expected': "'nova', 'shimmer', 'echo', 'onyx', 'fable', 'alloy', 'ash', 'sage' or 'coral'"}}]`,
      type: "invalid_request_error",
      param: null,
      code: null,
    });
    const modern = await post("/v1/audio/speech", { model: "gpt-4o-mini-tts", input: "hi", voice: "Kore" });
    expect(modern.status).toBe(400);
    expect(await errorOf(modern)).toMatchObject({ param: "voice", code: "invalid_value", type: "invalid_request_error" });
  });

  test("missing input and voice give the pydantic list; unknown model 404", async () => {
    const response = await post("/v1/audio/speech", { model: "tts-1" });
    const error = await errorOf(response);
    expect(String(error.message)).toStartWith("[{'type': 'string_too_short', 'loc': ('body', 'input')");
    expect(String(error.message)).toContain("'loc': ('body', 'voice')");
    expect((await post("/v1/audio/speech", { model: "gpt-5-tts", input: "x", voice: "alloy" })).status).toBe(404);
  });

  test("sse stream carries base64 deltas then usage", async () => {
    const input = "streaming speech";
    const response = await post("/v1/audio/speech", { model: "gpt-4o-mini-tts", input, voice: "marin", response_format: "pcm", stream_format: "sse" });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = (await response.text())
      .split("\n\n")
      .filter(Boolean)
      .map((e) => JSON.parse(e.replace(/^data: /, "")) as Record<string, any>);
    expect(events.at(-1)).toEqual({ type: "speech.audio.done", usage: openaiSpeechSseUsage(input) });
    const audio = events.slice(0, -1).reduce((n, e) => n + decode(e.audio).length, 0);
    expect(audio).toBe(Math.round(openaiSpeechSeconds(input) * 24_000) * 2);
  });
});

describe("transport scenarios", () => {
  test("unknown path answers Invalid URL", async () => {
    const unknown = await post("/v1/images/variations2", {});
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toEqual({ message: "Invalid URL (POST /v1/images/variations2)", type: "invalid_request_error", param: null, code: null });
  });

  test("hang never answers, reset drops the connection, slow answers after slowMs", async () => {
    const request = (signal?: AbortSignal) =>
      fetch(`${fake.url}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${fake.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-image-1", prompt: "x" }),
        signal,
      });
    fake.next("hang");
    expect(await request(AbortSignal.timeout(300)).then(() => "answered", (e: Error) => e.name)).toBe("TimeoutError");
    fake.next("reset"); // Bun drops the idle connection after a few seconds
    expect(await request().then(() => "answered", () => "dropped")).toBe("dropped");
    fake.slowMs = 200;
    fake.next("slow");
    const started = Date.now();
    expect((await request()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  }, 10_000);
});
