// What a request is expected to use before it is sent, as each provider tunes it from the entry's options.
import { describe, expect, test } from "bun:test";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { estimateMeter } from "../../../server/providers/registry.ts";

const typical = { input_text: 30, output_image: 1290 };

describe("estimateMeter", () => {
  test.each([
    // name, entry, facts, expected meter
    ["an image at the GPT size for its aspect, medium quality", { type: "image", provider: "gemini", model: "m" }, { aspect: "portrait" }, { images: 1, imageSize: "1024x1536", quality: "medium", tokens: typical }],
    ["no aspect counts as landscape", { type: "image", provider: "openclacky", model: "m" }, {}, { images: 1, imageSize: "1536x1024", quality: "medium", tokens: typical }],
    ["OpenAI's configured quality", { type: "image", provider: "openai", model: "gpt-image-1", options: { quality: "high" } }, { aspect: "square" }, { images: 1, imageSize: "1024x1024", quality: "high", tokens: { ...typical, output_image: 4160 } }],
    ["OpenAI's auto quality counts as medium", { type: "image", provider: "openai-compatible", model: "m", options: { quality: "auto" } }, { aspect: "square" }, { images: 1, imageSize: "1024x1024", quality: "medium", tokens: typical }],
    ["Veo's configured resolution", { type: "video", provider: "gemini", model: "veo-3.1", options: { resolution: "4k" } }, { seconds: 8 }, { seconds: 8, resolution: "4k" }],
    ["OpenRouter's configured resolution", { type: "video", provider: "openrouter", model: "m", options: { resolution: "1080p" } }, { seconds: 5 }, { seconds: 5, resolution: "1080p" }],
    ["video without a resolution is 720p", { type: "video", provider: "openclacky", model: "m" }, { seconds: 4 }, { seconds: 4, resolution: "720p" }],
    ["speech from its characters", { type: "audio", provider: "local", model: "flite" }, { characters: 1000 }, { characters: 1000, tokens: { input_text: 250, output_audio: 1667 } }],
  ] as const)("%s", (_name, entry, facts, expected) => {
    expect(estimateMeter(entry.type, entry as ModelEntry, facts, typical)).toEqual(expected as never);
  });
});
