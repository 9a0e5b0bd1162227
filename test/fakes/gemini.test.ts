// Self-test of the fake Gemini API: plain fetch against it, checking image/TTS answers, Google error shapes and the Veo flow.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GEMINI_REPORTS, geminiImageUsage, geminiSpeechSeconds, geminiSpeechUsage, startFakeGemini, type FakeGemini } from "./gemini.ts";
import { b64, imageInfo, makePng } from "./media.ts";

let fake: FakeGemini;
beforeAll(() => {
  fake = startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});

const call = (model: string, method: string, body: unknown, headers: Record<string, string> = { "x-goog-api-key": fake.key }, query = "") =>
  fetch(`${fake.url}/v1beta/models/${model}:${method}${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const json = async (response: Response) => (await response.json()) as Record<string, any>;
const decode = (data: string) => new Uint8Array(Buffer.from(data, "base64"));
const imageRequest = (prompt: string, extra: Record<string, unknown> = {}) => ({
  contents: [{ role: "user", parts: [{ text: prompt }] }],
  generationConfig: { responseModalities: ["TEXT", "IMAGE"], ...extra },
});

describe("image models", () => {
  test("text part + inlineData image at the aspect ratio's size, usage by modality", async () => {
    const response = await call("gemini-2.5-flash-image", "generateContent", imageRequest("a cat", { imageConfig: { aspectRatio: "16:9" } }));
    expect(response.status).toBe(200);
    const body = await json(response);
    const parts = body.candidates[0].content.parts as Record<string, any>[];
    expect(body.candidates[0].finishReason).toBe("STOP");
    expect(parts.map((p) => Object.keys(p)[0])).toEqual(["text", "inlineData"]);
    expect(parts[1]!.inlineData.mimeType).toBe("image/png");
    expect(imageInfo(decode(parts[1]!.inlineData.data))).toEqual({ mime: "image/png", width: 1344, height: 768 });
    expect(body.usageMetadata).toEqual({
      promptTokenCount: 12,
      candidatesTokenCount: 1299,
      totalTokenCount: 1311,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 12 }],
      candidatesTokensDetails: [
        { modality: "TEXT", tokenCount: 9 },
        { modality: "IMAGE", tokenCount: 1290 },
      ],
    });
    expect(body.modelVersion).toBe("gemini-2.5-flash-image");
  });

  test("thinking models add thought parts (an interim image among them) that must be skipped", async () => {
    const body = await json(await call("gemini-3-pro-image-preview", "generateContent", imageRequest("a cat", { imageConfig: { aspectRatio: "1:1", imageSize: "2K" } })));
    const parts = body.candidates[0].content.parts as Record<string, any>[];
    const thoughts = parts.filter((p) => p.thought === true);
    expect(thoughts.length).toBe(2);
    expect(thoughts.some((p) => p.inlineData)).toBe(true);
    const final = parts.filter((p) => p.inlineData && !p.thought);
    expect(final).toHaveLength(1);
    expect(typeof final[0]!.thoughtSignature).toBe("string");
    expect(imageInfo(decode(final[0]!.inlineData.data))).toMatchObject({ width: 2048, height: 2048 });
    expect(body.usageMetadata).toEqual(geminiImageUsage("gemini-3-pro-image-preview", { imageSize: "2K" }));
    expect(body.usageMetadata.thoughtsTokenCount).toBe(GEMINI_REPORTS.image.thoughtsTokens);
  });

  test("snake_case input (inline_data / mime_type) and ?key= are accepted and recorded", async () => {
    const response = await call(
      "gemini-2.5-flash-image",
      "generateContent",
      {
        contents: [{ parts: [{ text: "edit this" }, { inline_data: { mime_type: "image/png", data: b64(makePng(32, 32)) } }] }],
        generation_config: { response_modalities: ["IMAGE"], image_config: { aspect_ratio: "9:16" } },
      },
      {},
      `?key=${fake.key}`,
    );
    expect(response.status).toBe(200);
    const body = await json(response);
    const parts = body.candidates[0].content.parts as Record<string, any>[];
    expect(parts).toHaveLength(1);
    expect(imageInfo(decode(parts[0]!.inlineData.data))).toMatchObject({ width: 768, height: 1344 });
    expect(body.usageMetadata.promptTokensDetails).toEqual([
      { modality: "TEXT", tokenCount: 12 },
      { modality: "IMAGE", tokenCount: 258 },
    ]);
    const recorded = fake.requests.at(-1)!;
    expect(recorded.keyStyle).toBe("snake");
    expect(recorded.snakeKeys).toEqual(expect.arrayContaining(["inline_data", "mime_type", "generation_config", "aspect_ratio"]));
    expect(recorded.query.key).toBe(fake.key);
  });

  test("a data: URL in inlineData.data fails base64 decoding like the real API", async () => {
    const response = await call("gemini-2.5-flash-image", "generateContent", {
      contents: [{ parts: [{ text: "x" }, { inlineData: { mimeType: "image/png", data: `data:image/png;base64,${b64(makePng(8, 8))}` } }] }],
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error.status).toBe("INVALID_ARGUMENT");
    expect(body.error.message).toContain("Base64 decoding failed");
  });

  test("200 safety shapes: promptFeedback.blockReason, IMAGE_SAFETY, NO_IMAGE", async () => {
    const blocked = await json(await call("gemini-2.5-flash-image", "generateContent", imageRequest("x [[fake:blocked]]")));
    expect(blocked.candidates).toBeUndefined();
    expect(blocked.promptFeedback.blockReason).toBe("PROHIBITED_CONTENT");
    fake.next("image_safety", "no_image");
    const imageSafety = await json(await call("gemini-2.5-flash-image", "generateContent", imageRequest("x")));
    expect(imageSafety.candidates[0].finishReason).toBe("IMAGE_SAFETY");
    expect(imageSafety.candidates[0].content.parts.some((p: Record<string, unknown>) => p.inlineData)).toBe(false);
    const noImage = await json(await call("gemini-2.5-flash-image", "generateContent", imageRequest("x")));
    expect(noImage.candidates[0]).toEqual({ finishReason: "NO_IMAGE", index: 0 });
  });

  test("bad aspect ratio is a 400 INVALID_ARGUMENT; unknown model a 404 NOT_FOUND", async () => {
    const bad = await call("gemini-2.5-flash-image", "generateContent", imageRequest("x", { imageConfig: { aspectRatio: "1:4" } }));
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
    const ok = await call("gemini-3.1-flash-image-preview", "generateContent", imageRequest("x", { imageConfig: { aspectRatio: "1:4", imageSize: "512" } }));
    expect(ok.status).toBe(200);
    const missing = await call("gemini-9-image", "generateContent", imageRequest("x"));
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.status).toBe("NOT_FOUND");
  });
});

describe("errors in Google's shape", () => {
  test("bad key is 400 API_KEY_INVALID, missing key 403", async () => {
    const bad = await call("gemini-2.5-flash-image", "generateContent", imageRequest("x"), { "x-goog-api-key": "AIza-wrong" });
    expect(bad.status).toBe(400);
    const error = (await json(bad)).error;
    expect(error).toMatchObject({ code: 400, message: "API key not valid. Please pass a valid API key.", status: "INVALID_ARGUMENT" });
    expect(error.details[0]).toMatchObject({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" });
    const none = await call("gemini-2.5-flash-image", "generateContent", imageRequest("x"), {});
    expect(none.status).toBe(403);
    expect((await json(none)).error.status).toBe("PERMISSION_DENIED");
  });

  test("429 carries RetryInfo 12s; 500 INTERNAL; 503 UNAVAILABLE overloaded", async () => {
    fake.next("429", "500", "503");
    const limited = await call("gemini-2.5-flash-image", "generateContent", imageRequest("x"));
    expect(limited.status).toBe(429);
    const error = (await json(limited)).error;
    expect(error.status).toBe("RESOURCE_EXHAUSTED");
    expect(error.details).toContainEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "12s" });
    const internal = await call("gemini-2.5-flash-image", "generateContent", imageRequest("x"));
    expect(internal.status).toBe(500);
    expect((await json(internal)).error.status).toBe("INTERNAL");
    const overloaded = await call("gemini-2.5-flash-image", "generateContent", imageRequest("x"));
    expect(overloaded.status).toBe(503);
    expect((await json(overloaded)).error).toEqual({ code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" });
  });
});

describe("TTS models", () => {
  const ttsRequest = (text: string, voiceName = "Kore") => ({
    contents: [{ parts: [{ text }] }],
    generationConfig: { responseModalities: ["AUDIO"], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName } } } },
  });

  test("base64 s16le 24 kHz PCM with the L16 mime type and AUDIO usage", async () => {
    const text = "Say cheerfully: Have a wonderful day!";
    const body = await json(await call("gemini-2.5-flash-preview-tts", "generateContent", ttsRequest(text)));
    const part = body.candidates[0].content.parts[0];
    expect(part.inlineData.mimeType).toBe("audio/L16;codec=pcm;rate=24000");
    expect(decode(part.inlineData.data).length).toBe(Math.round(geminiSpeechSeconds(text) * 24_000) * 2);
    expect(body.usageMetadata).toEqual(geminiSpeechUsage(text));
    expect(body.usageMetadata.candidatesTokensDetails).toEqual([{ modality: "AUDIO", tokenCount: body.usageMetadata.candidatesTokenCount }]);
  });

  test("unknown voice and non-AUDIO modalities are 400 INVALID_ARGUMENT", async () => {
    const voice = await call("gemini-2.5-flash-preview-tts", "generateContent", ttsRequest("hi", "alloy"));
    expect(voice.status).toBe(400);
    expect((await json(voice)).error.status).toBe("INVALID_ARGUMENT");
    const modality = await call("gemini-2.5-flash-preview-tts", "generateContent", { contents: [{ parts: [{ text: "hi" }] }] });
    expect(modality.status).toBe(400);
  });

  test("snake_case speech config works", async () => {
    const response = await call("gemini-2.5-pro-preview-tts", "generateContent", {
      contents: [{ parts: [{ text: "hello" }] }],
      generation_config: { response_modalities: ["AUDIO"], speech_config: { voice_config: { prebuilt_voice_config: { voice_name: "Puck" } } } },
    });
    expect(response.status).toBe(200);
  });
});

describe("Veo", () => {
  const veo = (model: string, instance: Record<string, unknown>, parameters: Record<string, unknown> = {}) =>
    call(model, "predictLongRunning", { instances: [instance], parameters });
  const get = (url: string, headers: Record<string, string> = { "x-goog-api-key": fake.key }, redirect: RequestRedirect = "follow") =>
    fetch(url, { headers, redirect });

  test("operation pending without `done`, then done with a key-protected download that redirects to MP4 bytes", async () => {
    fake.pendingPolls = 2;
    const start = await veo(
      "veo-3.1-generate-preview",
      { prompt: "a drone shot over a forest", image: { bytesBase64Encoded: b64(makePng(1280, 720)), mimeType: "image/png" } },
      { aspectRatio: "16:9", durationSeconds: 8, resolution: "1080p", personGeneration: "allow_adult" },
    );
    expect(start.status).toBe(200);
    const { name } = await json(start);
    expect(name).toMatch(/^models\/veo-3\.1-generate-preview\/operations\/[a-z0-9]+$/);

    for (let i = 0; i < 2; i++) {
      const pending = await json(await get(`${fake.url}/v1beta/${name}`));
      expect(pending).toEqual({ name });
    }
    const done = await json(await get(`${fake.url}/v1beta/${name}`));
    expect(done.done).toBe(true);
    expect(done.response["@type"]).toBe("type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse");
    const uri = done.response.generateVideoResponse.generatedSamples[0].video.uri as string;
    expect(uri).toStartWith(`${fake.url}/v1beta/files/`);
    expect(uri).toEndWith(":download?alt=media");

    expect((await get(uri, {})).status).toBe(403);
    const redirect = await get(uri, { "x-goog-api-key": fake.key }, "manual");
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get("location")!;
    expect(location).toStartWith(fake.storageUrl);

    const video = await get(`${uri}&key=${fake.key}`, {});
    expect(video.status).toBe(200);
    expect(video.headers.get("content-type")).toBe("video/mp4");
    const bytes = new Uint8Array(await video.arrayBuffer());
    expect(Buffer.from(bytes.subarray(4, 8)).toString()).toBe("ftyp");
    const storageHit = fake.requests.at(-1)!;
    expect(storageHit.path).toStartWith("/generated-videos/");
    expect(storageHit.query.key).toBeUndefined();
  });

  test("done with error, and RAI-filtered with no samples", async () => {
    fake.pendingPolls = 0;
    const failed = await json(await veo("veo-3.1-fast-generate-preview", { prompt: "x [[fake:operation_error]]" }));
    const failedOp = await json(await get(`${fake.url}/v1beta/${failed.name}`));
    expect(failedOp.done).toBe(true);
    expect(failedOp.error).toMatchObject({ code: 13 });
    expect(typeof failedOp.error.message).toBe("string");
    expect(failedOp.response).toBeUndefined();

    fake.next("rai_filtered");
    const filtered = await json(await veo("veo-3.1-fast-generate-preview", { prompt: "x" }));
    const filteredOp = await json(await get(`${fake.url}/v1beta/${filtered.name}`));
    const response = filteredOp.response.generateVideoResponse;
    expect(response.raiMediaFilteredCount).toBe(1);
    expect(response.raiMediaFilteredReasons).toHaveLength(1);
    expect(response.generatedSamples).toBeUndefined();
    fake.pendingPolls = 2;
  });

  test("per-model validation of durations, resolutions and aspect ratios", async () => {
    const bad: [string, Record<string, unknown>][] = [
      ["veo-3.1-generate-preview", { durationSeconds: 5 }],
      ["veo-3.1-generate-preview", { durationSeconds: 4, resolution: "1080p" }],
      ["veo-3.1-lite-generate-preview", { resolution: "4k" }],
      ["veo-3.1-generate-preview", { aspectRatio: "1:1" }],
      ["veo-3.1-generate-preview", { generateAudio: true }],
      ["veo-2.0-generate-001", { durationSeconds: 4 }],
    ];
    for (const [model, parameters] of bad) {
      const response = await veo(model, { prompt: "x" }, parameters);
      expect(response.status).toBe(400);
      expect((await json(response)).error.status).toBe("INVALID_ARGUMENT");
    }
    expect((await veo("veo-3.1-generate-preview", { prompt: "x" }, { durationSeconds: "6", aspectRatio: "9:16" })).status).toBe(200);
    expect((await veo("veo-2.0-generate-001", { prompt: "x" }, { durationSeconds: 5 })).status).toBe(200);
    expect((await veo("veo-9", { prompt: "x" })).status).toBe(404);
  });

  test("unknown operation is 404; expired video download is refused", async () => {
    expect((await get(`${fake.url}/v1beta/models/veo-3.1-generate-preview/operations/nope`)).status).toBe(404);
    fake.pendingPolls = 0;
    const { name } = await json(await veo("veo-3.1-generate-preview", { prompt: "x" }));
    const uri = (await json(await get(`${fake.url}/v1beta/${name}`))).response.generateVideoResponse.generatedSamples[0].video.uri as string;
    fake.fileTtlMs = 0;
    await Bun.sleep(5);
    expect((await get(uri)).status).toBe(403);
    fake.fileTtlMs = 2 * 24 * 3600 * 1000;
    fake.pendingPolls = 2;
  });
});
