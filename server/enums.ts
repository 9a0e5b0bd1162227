// Enumerations shared by the config, the ledger, the price catalogue and the API.
import { z } from "zod";

/** The media types a model entry can serve. */
export const MediaType = z.enum(["image", "video", "audio"]);
export type MediaType = z.infer<typeof MediaType>;
export const MEDIA_TYPES = MediaType.options;

/** Provider ids a model entry can name. */
export const ProviderId = z.enum([
  "openclacky",
  "openai",
  "gemini",
  "openrouter",
  "openai-compatible",
  "local",
  "dashscope",
  "volcengine",
  "automatic1111",
  "elevenlabs",
  "fal",
  "replicate",
  "comfyui",
]);
export type ProviderId = z.infer<typeof ProviderId>;
export const PROVIDER_IDS = ProviderId.options;
