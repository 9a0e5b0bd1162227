// Per-provider `options:` of a model entry in config.yml, checked when the config loads.
import { z } from "zod";
import type { ProviderId } from "../enums.ts";

/** OpenAI and OpenAI-compatible images and speech. */
export const OpenAIOptions = z
  .object({
    quality: z.enum(["auto", "low", "medium", "high"]).optional(),
    output_format: z.enum(["png", "jpeg", "webp"]).optional(),
    background: z.enum(["auto", "opaque", "transparent"]).optional(),
    moderation: z.enum(["auto", "low"]).optional(),
    output_compression: z.number().int().min(0).max(100).optional(),
    instructions: z.string().max(4096).optional(),
    speed: z.number().min(0.25).max(4).optional(),
  })
  .strict()
  .refine((o) => !(o.background === "transparent" && o.output_format === "jpeg"), {
    message: "background: transparent needs output_format png or webp",
    path: ["background"],
  });
export type OpenAIOptions = z.infer<typeof OpenAIOptions>;

/** Gemini images, speech and Veo video. */
export const GeminiOptions = z
  .object({
    image_size: z.enum(["512", "1K", "2K", "4K"]).optional(),
    resolution: z.enum(["720p", "1080p", "4k"]).optional(),
    negative_prompt: z.string().optional(),
    person_generation: z.enum(["allow_all", "allow_adult", "dont_allow"]).optional(),
    language_code: z.string().optional(),
  })
  .strict();
export type GeminiOptions = z.infer<typeof GeminiOptions>;

/** OpenRouter images and video. */
export const OpenRouterOptions = z
  .object({
    image_size: z.enum(["0.5K", "1K", "2K", "4K"]).optional(),
    modalities: z.array(z.enum(["image", "text"])).min(1).optional(),
    resolution: z.string().regex(/^\d{3,4}p$|^[248]k$/i, "must be a resolution such as 720p, 1080p or 4k").optional(),
  })
  .strict();
export type OpenRouterOptions = z.infer<typeof OpenRouterOptions>;

const None = z.object({}).strict();

/** The options schema of each provider. */
export const PROVIDER_OPTIONS: Record<ProviderId, z.ZodType> = {
  openclacky: None,
  local: None,
  openai: OpenAIOptions,
  "openai-compatible": OpenAIOptions,
  gemini: GeminiOptions,
  openrouter: OpenRouterOptions,
};
