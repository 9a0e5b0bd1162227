// The skill's usage shape from each provider's own usage object.
import { describe, expect, test } from "bun:test";
import { skillUsage } from "../../../server/media/usage.ts";

describe("skillUsage", () => {
  test.each([
    ["OpenAI Images", { input_tokens: 50, output_tokens: 1568, total_tokens: 1618, input_tokens_details: { text_tokens: 50, image_tokens: 0, cached_tokens: 10 } }, [50, 1568, 10, 0, 1618]],
    ["OpenAI speech (SSE)", { input_tokens: 12, output_tokens: 300, total_tokens: 312 }, [12, 300, 0, 0, 312]],
    ["chat completions (OpenRouter)", { prompt_tokens: 20, completion_tokens: 1300, total_tokens: 1320, prompt_tokens_details: { cached_tokens: 4, cache_write_tokens: 2 }, cost: 0.04 }, [20, 1300, 4, 2, 1320]],
    ["Gemini (thinking counted as completion)", { promptTokenCount: 30, candidatesTokenCount: 1120, thoughtsTokenCount: 180, cachedContentTokenCount: 5, totalTokenCount: 1330 }, [30, 1300, 5, 0, 1330]],
    ["the skill's own shape (openclacky)", { prompt_tokens: 50, completion_tokens: 4500, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 4550 }, [50, 4500, 0, 0, 4550]],
    ["no total: the sum", { input_tokens: 7, output_tokens: 8 }, [7, 8, 0, 0, 15]],
  ] as const)("%s", (_name, raw, [prompt, completion, cacheRead, cacheWrite, total]) => {
    expect(skillUsage(raw)).toEqual({ prompt_tokens: prompt, completion_tokens: completion, cache_read_tokens: cacheRead, cache_write_tokens: cacheWrite, total_tokens: total });
  });

  test("a usage without any token count (a video's cost only) gives none", () => {
    expect(skillUsage({ cost: 1.2, is_byok: false })).toBeUndefined();
    expect(skillUsage(undefined)).toBeUndefined();
  });
});
