// Per-provider `options:` of a model entry in config.yml, checked when the config loads.
import { z } from "zod";
import type { ProviderId } from "../enums.ts";
import { Automatic1111Options } from "./automatic1111-options.ts";

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
/** Video resolutions OpenRouter's video API takes. */
export const OPENROUTER_RESOLUTIONS = ["480p", "720p", "768p", "1080p", "1K", "2K", "4K"] as const;

export const OpenRouterOptions = z
  .object({
    image_size: z.enum(["0.5K", "1K", "2K", "4K"]).optional(),
    modalities: z.array(z.enum(["image", "text"])).min(1).optional(),
    // OpenRouter's enum (openapi.yaml, video request); `4k` or `1080P` written by hand are read as `4K`, `1080p`.
    resolution: z
      .preprocess((v) => (typeof v === "string" ? v.trim().replace(/^(\d+)k$/i, "$1K").replace(/^(\d+)P$/, "$1p") : v), z.enum(OPENROUTER_RESOLUTIONS))
      .optional(),
  })
  .strict();
export type OpenRouterOptions = z.infer<typeof OpenRouterOptions>;

/** DashScope (Alibaba Cloud Model Studio) images, Wan video and speech. */
export const DashScopeOptions = z
  .object({
    // A `W*H` size replacing the one chosen from the aspect (images only); `1328x1328` written by hand is read as `1328*1328`.
    size: z
      .preprocess((v) => (typeof v === "string" ? v.trim().replace(/^(\d+)\s*[x×]\s*(\d+)$/i, "$1*$2") : v), z.string().regex(/^\d+\*\d+$/, "must be W*H, e.g. 1328*1328"))
      .optional(),
    // Wan video tier; `720p` written by hand is read as `720P`.
    resolution: z.preprocess((v) => (typeof v === "string" ? v.trim().toUpperCase() : v), z.enum(["480P", "720P", "1080P"])).optional(),
    negative_prompt: z.string().max(500).optional(),
    prompt_extend: z.boolean().optional(),
    watermark: z.boolean().optional(),
    seed: z.number().int().min(0).max(2147483647).optional(),
    language_type: z.string().optional(),
    instructions: z.string().optional(),
  })
  .strict();
export type DashScopeOptions = z.infer<typeof DashScopeOptions>;

/** Volcengine Ark (BytePlus ModelArk): Seedance video and Seedream images. */
export const VolcengineOptions = z
  .object({
    /** Seedance resolution when the request names none (Ark's own default differs per model; the original sent 720p). */
    resolution: z.preprocess((v) => (typeof v === "string" ? v.trim().toLowerCase() : v), z.enum(["480p", "720p", "1080p"])).optional(),
    /** Seedream size: 1K, 2K, 4K, or WxH (lower-case x). */
    size: z.string().regex(/^([124]K|\d{3,5}x\d{3,5})$/, "size must be 1K, 2K, 4K or WxH such as 2048x2048").optional(),
    watermark: z.boolean().optional(),
    camera_fixed: z.boolean().optional(),
    service_tier: z.enum(["default", "flex"]).optional(),
  })
  .strict();
export type VolcengineOptions = z.infer<typeof VolcengineOptions>;

/** ElevenLabs text-to-speech: the default voice (id or name) and the voice settings sent with each request. */
export const ElevenLabsOptions = z
  .object({
    voice: z.string().min(1).optional(),
    stability: z.number().min(0).max(1).optional(),
    similarity_boost: z.number().min(0).max(1).optional(),
    style: z.number().min(0).max(1).optional(),
    use_speaker_boost: z.boolean().optional(),
    speed: z.number().min(0.7).max(1.2).optional(),
    language_code: z.string().optional(),
    seed: z.number().int().min(0).max(4294967295).optional(),
  })
  .strict();
export type ElevenLabsOptions = z.infer<typeof ElevenLabsOptions>;

/** fal: any model on its queue API. */
export const FalOptions = z
  .object({
    /** fal's `image_size`: a preset (square_hd, landscape_16_9, ...) or {width, height}, replacing the aspect's preset. */
    image_size: z.union([z.string().min(1), z.object({ width: z.number().int().min(64), height: z.number().int().min(64) }).strict()]).optional(),
    /** The video resolution billed (720p, 1080p), for models priced per second by resolution. */
    resolution: z.preprocess((v) => (typeof v === "string" ? v.trim().toLowerCase() : v), z.string().regex(/^\d+p$|^4k$/, "must be like 720p or 1080p")).optional(),
    /** Queue priority (`x-fal-queue-priority`). */
    priority: z.enum(["normal", "low"]).optional(),
    /** Fields sent in the model's input as given, over the ones mediagen fills in (the model's own schema on fal.ai). */
    input: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type FalOptions = z.infer<typeof FalOptions>;

/** Replicate predictions: extra model input fields, the input field for images, and how long to wait on creation. */
export const ReplicateOptions = z
  .object({
    input: z.record(z.string(), z.unknown()).optional(),
    image_field: z.string().min(1).optional(),
    /** The input field the video's seconds go in (default `duration`); null leaves them out, for models without one. */
    duration_field: z.string().min(1).nullable().optional(),
    wait_seconds: z.number().int().min(1).max(60).optional(),
  })
  .strict();
export type ReplicateOptions = z.infer<typeof ReplicateOptions>;

/** ComfyUI: the workflow to run and the values of its placeholders (server/providers/comfyui.ts). */
export const ComfyUIOptions = z
  .object({
    /** A shipped example (text-to-image, image-edit) or an absolute path to a workflow in API format; absent: the model id. */
    workflow: z.string().min(1).optional(),
    checkpoint: z.string().min(1).optional(),
    negative_prompt: z.string().optional(),
    seed: z.number().int().min(0).max(2 ** 53 - 1).optional(),
    /** WxH for every aspect, replacing the defaults (1024x576, 768x768, 576x1024). */
    size: z.string().regex(/^\d{2,5}x\d{2,5}$/, "size must be WxH such as 1024x1024").optional(),
    fps: z.number().int().min(1).max(120).optional(),
    /** Price of one second of GPU time (execution_start to execution_success), in USD; absent: free. */
    gpu_usd_per_second: z.number().min(0).optional(),
  })
  .strict();
export type ComfyUIOptions = z.infer<typeof ComfyUIOptions>;

const None = z.object({}).strict();

/** The options schema of each provider. */
export const PROVIDER_OPTIONS: Record<ProviderId, z.ZodType> = {
  openclacky: None,
  local: None,
  openai: OpenAIOptions,
  "openai-compatible": OpenAIOptions,
  gemini: GeminiOptions,
  openrouter: OpenRouterOptions,
  dashscope: DashScopeOptions,
  volcengine: VolcengineOptions,
  automatic1111: Automatic1111Options,
  elevenlabs: ElevenLabsOptions,
  fal: FalOptions,
  replicate: ReplicateOptions,
  comfyui: ComfyUIOptions,
};
