// Playground request bodies, first frames from data URLs, voices of the configured speech model, and job times.
import { describe, expect, test } from "bun:test";
import type { Generation } from "../../../web/src/lib/api.ts";
import { elapsedSeconds, formatClock, shortId } from "../../../web/src/lib/job-display.ts";
import { estimateQueryOf, estimateTotal, imageBody, inlineImage, MAX_INPUT_IMAGES, prefillFrom, readDataUrl, speechBody, toggleChoice, videoBody, voicesFor } from "../../../web/src/lib/playground-requests.ts";
import { PROVIDERS } from "../catalog-fixture.ts";

const png = { name: "a.png", dataUrl: "data:image/png;base64,iVBORw0KGgo=" };

test("image body: trimmed prompt, aspect, input images as data URLs (at most 16), none when empty", () => {
  expect(imageBody({ prompt: " cat ", aspect: "square", images: [] })).toEqual({ prompt: "cat", aspect_ratio: "square" });
  const many = Array.from({ length: 20 }, () => png);
  expect(imageBody({ prompt: "x", aspect: "landscape", images: many }).images).toHaveLength(MAX_INPUT_IMAGES);
});

test("video body: duration and the first frame as {b64_json, mime_type}", () => {
  expect(videoBody({ prompt: "waves", aspect: "portrait", seconds: 6, firstFrame: { name: "f.jpg", dataUrl: "data:image/jpeg;base64,/9j/4AA=" } })).toEqual({
    prompt: "waves",
    aspect_ratio: "portrait",
    duration_seconds: 6,
    image: { b64_json: "/9j/4AA=", mime_type: "image/jpeg" },
  });
  expect(inlineImage("data:image/webp;base64,UklGR")).toEqual({ b64_json: "UklGR", mime_type: "image/webp" });
});

test("speech body: an empty voice is left to the model", () => {
  expect(speechBody({ text: "hello", voice: "" })).toEqual({ input: "hello" });
  expect(speechBody({ text: "hello", voice: "alloy" })).toEqual({ input: "hello", voice: "alloy" });
});

test("voices come from the catalogue for the configured speech provider and model", () => {
  const types = (provider: string, model: string) => ({ image: { configured: false }, video: { configured: false }, audio: { configured: true, provider, model } });
  expect(voicesFor(types("openai", "tts-1"), PROVIDERS)).toEqual(["alloy"]);
  expect(voicesFor(types("openai-compatible", "kokoro"), PROVIDERS)).toEqual([]);
  expect(voicesFor({ image: { configured: false }, video: { configured: false }, audio: { configured: false } }, PROVIDERS)).toEqual([]);
  expect(voicesFor(types("openai", "tts-1"), undefined)).toEqual([]);
});

test("files are read as data URLs", async () => {
  const dataUrl = await readDataUrl(new File([new Uint8Array([1, 2, 3])], "x.png", { type: "image/png" }));
  expect(dataUrl).toBe("data:image/png;base64,AQID");
});

test("elapsed time ticks locally from the server's last figure; only while running", () => {
  const running = { status: "running" as const, elapsed_seconds: 10, started_at: "2026-11-23T10:00:00.000Z" };
  expect(elapsedSeconds(running, 1_000, 4_000)).toBe(13);
  expect(elapsedSeconds({ ...running, elapsed_seconds: undefined }, 0, Date.parse("2026-11-23T10:00:05.000Z"))).toBe(5);
  expect(elapsedSeconds({ ...running, status: "queued" }, 0, 0)).toBeUndefined();
  expect([formatClock(7.9), formatClock(125), formatClock(3723)]).toEqual(["0:07", "2:05", "1:02:03"]);
});

test("a short id is the tail of a time-ordered id, where ids differ", () => {
  expect(shortId("01a20add-1313-700e-a920-7259d474a252")).toBe("d474a252");
  expect(shortId("abc")).toBe("abc");
});

test("input images from History go by their path; a blank output folder is left out, a given one trimmed", () => {
  const fromHistory = { name: "cat.png", path: "/work/project/cat.png" };
  expect(imageBody({ prompt: "x", aspect: "square", images: [png, fromHistory], outputDir: "  " })).toEqual({ prompt: "x", aspect_ratio: "square", images: [png.dataUrl, "/work/project/cat.png"] });
  expect(videoBody({ prompt: "x", aspect: "landscape", seconds: 4, firstFrame: fromHistory, outputDir: " /work/out " })).toEqual({
    prompt: "x",
    aspect_ratio: "landscape",
    duration_seconds: 4,
    image: "/work/project/cat.png",
    output_dir: "/work/out",
  });
  expect(speechBody({ text: "hi", voice: "", outputDir: "/w" })).toEqual({ input: "hi", output_dir: "/w" });
});

test("voices follow the picked speech model when one is picked", () => {
  const types = { image: { configured: false }, video: { configured: false }, audio: { configured: true, provider: "openai", model: "tts-1" } };
  expect(voicesFor(types, PROVIDERS, { provider: "openclacky", model: "or-tts-gemini-2-5-flash" })).toEqual(["Kore", "Puck"]);
  expect(voicesFor(types, PROVIDERS, undefined)).toEqual(["alloy"]);
});

describe("prefillFrom: a recorded generation as a Playground form", () => {
  const row = (fields: Partial<Generation>) =>
    ({ type: "image", prompt: "p", params: {}, model: "gpt-image-2", model_name: null, ...fields }) as Pick<Generation, "type" | "prompt" | "params" | "model" | "model_name">;

  test("image: prompt, model by entry name, aspect, output folder, path inputs kept and inline ones reported", () => {
    const prefill = prefillFrom(row({ model_name: "pics", params: { aspect_ratio: "portrait", output_dir: "/w/assets/generated", inputs: ["/w/a.png", "data-url", "/w/b.jpg"] } }));
    expect(prefill).toEqual({
      type: "image",
      model: "pics",
      droppedInputs: true,
      form: { prompt: "p", aspect: "portrait", outputDir: "/w/assets/generated", images: [{ name: "a.png", path: "/w/a.png" }, { name: "b.jpg", path: "/w/b.jpg" }] },
    });
  });

  test("video: duration, first frame by path; an unknown aspect or duration falls back to the defaults", () => {
    expect(prefillFrom(row({ type: "video", model: "veo", params: { aspect_ratio: "portrait", duration_seconds: 5, first_frame: "/w/f.png" } }))).toEqual({
      type: "video",
      model: "veo",
      droppedInputs: false,
      form: { prompt: "p", aspect: "portrait", seconds: 5, firstFrame: [{ name: "f.png", path: "/w/f.png" }], outputDir: "" },
    });
    const odd = prefillFrom(row({ type: "video", params: { aspect_ratio: "21:9", duration_seconds: 12, first_frame: "base64" } }));
    expect(odd.form).toMatchObject({ aspect: "landscape", seconds: 8, firstFrame: [] });
    expect(odd.droppedInputs).toBe(true);
  });

  test("speech: text and voice", () => {
    expect(prefillFrom(row({ type: "audio", prompt: "Hello", model: "flite", params: { voice: "slt", output_dir: "/w" } }))).toEqual({
      type: "audio",
      model: "flite",
      droppedInputs: false,
      form: { text: "Hello", voice: "slt", outputDir: "/w" },
    });
  });
});

test("the estimate query carries only what decides the price, and the models unless it is the default", () => {
  expect(estimateQueryOf({ type: "image", body: { prompt: "x", aspect_ratio: "square", images: ["data:..."] } }, [""])).toEqual({ type: "image", aspect_ratio: "square" });
  expect(estimateQueryOf({ type: "video", body: { prompt: "x", aspect_ratio: "portrait", duration_seconds: 5 } }, ["a", "b"])).toEqual({ type: "video", aspect_ratio: "portrait", duration_seconds: 5, models: ["a", "b"] });
  expect(estimateQueryOf({ type: "audio", body: { input: "Hello" } }, ["voice"])).toEqual({ type: "audio", characters: 5, models: ["voice"] });
});

test("choosing models to compare: toggled, never past the maximum; the total says when it is partial", () => {
  expect(toggleChoice(["a"], "b", 2)).toEqual(["a", "b"]);
  expect(toggleChoice(["a", "b"], "c", 2)).toEqual(["a", "b"]);
  expect(toggleChoice(["a", "b"], "a", 2)).toEqual(["b"]);
  expect(estimateTotal([{ estimated_cost_usd: 0.05 }, { estimated_cost_usd: 0.02 }])).toEqual({ usd: 0.07, partial: false });
  expect(estimateTotal([{ estimated_cost_usd: 0.05 }, { estimated_cost_usd: null }])).toEqual({ usd: 0.05, partial: true });
});
