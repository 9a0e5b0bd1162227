// Playground request bodies, first frames from data URLs, voices of the configured speech model, and job times.
import { expect, test } from "bun:test";
import { elapsedSeconds, formatClock, shortId } from "../../../web/src/lib/job-display.ts";
import { imageBody, inlineImage, MAX_INPUT_IMAGES, readDataUrl, speechBody, videoBody, voicesFor } from "../../../web/src/lib/playground-requests.ts";
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
