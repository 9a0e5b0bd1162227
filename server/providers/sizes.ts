// What providers ask for per aspect: W:H ratios, and the pixel sizes of GPT-style image APIs (also the budget's estimate).
import type { Aspect } from "../formats/aspect.ts";

/** The W:H ratio sent for each aspect. */
export const ASPECT_RATIOS: Record<Aspect, string> = { landscape: "16:9", square: "1:1", portrait: "9:16" };

/** Pixel sizes asked for per aspect by GPT image models, most OpenAI-compatible servers and the openclacky gateway. */
export const GPT_IMAGE_SIZES: Record<Aspect, string> = { landscape: "1536x1024", square: "1024x1024", portrait: "1024x1536" };

/** Pixel sizes DALL-E 3 takes per aspect. */
export const DALLE3_SIZES: Record<Aspect, string> = { landscape: "1792x1024", square: "1024x1024", portrait: "1024x1792" };

/**
 * Image output tokens GPT image models bill per image, by quality and size (OpenAI's image generation guide,
 * "Cost and latency", for gpt-image-1, 1.5 and 1-mini); the budget estimate prices these at the output_image rate.
 */
export const GPT_IMAGE_OUTPUT_TOKENS: Record<string, Record<string, number>> = {
  low: { "1024x1024": 272, "1024x1536": 408, "1536x1024": 400 },
  medium: { "1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568 },
  high: { "1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208 },
};

/**
 * The same for gpt-image-2 and its 2.5/2.6 snapshots, which tokenise differently: high is 7,024 tokens at 1024x1024
 * and 5,488 at 1536x1024 (OpenAI's billing calculator as quoted on community.openai.com); low and medium are the
 * calculator's per-image figures (third-party reproductions: ~$0.006/$0.053 square, ~$0.005/$0.041 otherwise) at $30/M.
 */
export const GPT_IMAGE_2_OUTPUT_TOKENS: Record<string, Record<string, number>> = {
  low: { "1024x1024": 200, "1024x1536": 167, "1536x1024": 167 },
  medium: { "1024x1024": 1767, "1024x1536": 1367, "1536x1024": 1367 },
  high: { "1024x1024": 7024, "1024x1536": 5488, "1536x1024": 5488 },
};
