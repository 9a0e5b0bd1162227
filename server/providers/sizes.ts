// What providers ask for per aspect: W:H ratios, and the pixel sizes of GPT-style image APIs (also the budget's estimate).
import type { Aspect } from "../formats/aspect.ts";

/** The W:H ratio sent for each aspect. */
export const ASPECT_RATIOS: Record<Aspect, string> = { landscape: "16:9", square: "1:1", portrait: "9:16" };

/** Pixel sizes asked for per aspect by GPT image models, most OpenAI-compatible servers and the openclacky gateway. */
export const GPT_IMAGE_SIZES: Record<Aspect, string> = { landscape: "1536x1024", square: "1024x1024", portrait: "1024x1536" };

/** Pixel sizes DALL-E 3 takes per aspect. */
export const DALLE3_SIZES: Record<Aspect, string> = { landscape: "1792x1024", square: "1024x1024", portrait: "1024x1792" };
