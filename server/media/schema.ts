// Request and response shapes of the seed's /api/media endpoints.
import { z } from "zod";
import { MAX_INPUT_IMAGE_MIB, MAX_NAME_CHARS, MAX_PATH_CHARS, MAX_PROMPT_CHARS, MAX_SPEECH_INPUT_CHARS } from "../defaults.ts";
import { MediaType } from "../config/schema.ts";
import { Attempt, Door, GenerationStatus, Usage } from "../ledger/schema.ts";

const required = (field: string, what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${field} is required: ${what}` : `${field} must be a string`) })
    .trim()
    .min(1, `${field} is required: ${what}`);

const prompt = required("prompt", "describe what to generate").max(MAX_PROMPT_CHARS, `prompt is longer than ${MAX_PROMPT_CHARS} characters`);
/** Base64 of the largest input image, plus room for a data: URL's header. */
const MAX_IMAGE_REF_CHARS = Math.ceil((MAX_INPUT_IMAGE_MIB * 1048576 * 4) / 3) + 1024;

const limited = (field: string, max: number) => `${field} is longer than ${max} characters`;
const outputDir = z
  .string({ error: "output_dir must be a string (an absolute path)" })
  .max(MAX_PATH_CHARS, limited("output_dir", MAX_PATH_CHARS))
  .trim()
  .min(1)
  .refine((dir) => !dir.includes("\0"), "output_dir contains a NUL byte")
  .optional();
const sessionId = z.string({ error: "session_id must be a string" }).max(MAX_NAME_CHARS, limited("session_id", MAX_NAME_CHARS)).optional();
/** A configured model for this one request (its name, or a model id only one entry has); absent: the type's default. */
const model = z.string({ error: "model must be a string: the name of a configured model" }).max(MAX_NAME_CHARS, limited("model", MAX_NAME_CHARS)).trim().min(1, "model must name a configured model").optional();
const aspectRatio = z
  .unknown()
  .refine((value) => typeof value !== "string" || value.length <= MAX_NAME_CHARS, limited("aspect_ratio", MAX_NAME_CHARS))
  .optional();
// A path is at most PATH_MAX; inline data at most the base64 of the largest image.
const imageRef = z
  .string({ error: "must be a string: an absolute file path, base64 data or a data: URL" })
  .max(MAX_IMAGE_REF_CHARS, `is longer than base64 of a ${MAX_INPUT_IMAGE_MIB} MiB image`)
  .refine((ref) => ref.length <= MAX_PATH_CHARS || !ref.trimStart().startsWith("/") || /^\/9j\//.test(ref.trimStart()), `is a path longer than ${MAX_PATH_CHARS} characters`);

/** Body of `POST /api/media/image`. `images` wins over `image`. Unknown fields are ignored. */
export const ImageRequest = z.object({
  prompt,
  aspect_ratio: aspectRatio,
  output_dir: outputDir,
  image: imageRef.optional(),
  images: z.array(imageRef, { error: "images must be an array of file paths, base64 data or data: URLs" }).max(16, "at most 16 images").optional(),
  session_id: sessionId,
  model,
});
export type ImageRequest = z.infer<typeof ImageRequest>;

/** First frame of a video as the skill sends it. */
export const InlineImage = z.object({
  b64_json: z
    .string({ error: "image.b64_json is required: the base64 bytes of the first frame" })
    .min(1)
    .max(MAX_IMAGE_REF_CHARS, `image.b64_json is longer than base64 of a ${MAX_INPUT_IMAGE_MIB} MiB image`),
  mime_type: z.string().max(MAX_NAME_CHARS, limited("image.mime_type", MAX_NAME_CHARS)).optional(),
});

/** The widest duration any video provider takes (Seedance 2.0: up to 15 s); each provider narrows it (the skill's 4 to 8 by default). */
export const MAX_VIDEO_SECONDS = 15;

/** A Seedance media reference: a public URL, a file path, base64, a data: URL, or {b64_json, mime_type}. */
const mediaRef = (field: string) =>
  z.union([z.string({ error: `${field} must be a string` }).trim().min(1, `${field} is empty`), z.object({ b64_json: z.string().min(1, `${field}.b64_json is empty`), mime_type: z.string().max(MAX_NAME_CHARS).optional() })], {
    error: `${field} must be a URL, an absolute file path, base64 data, a data: URL or {b64_json, mime_type}`,
  });
const mediaRefs = (field: string, max: number) => z.array(mediaRef(field), { error: `${field} must be an array` }).max(max, `${field} takes at most ${max} items`).optional();
const flag = (field: string) => z.boolean({ error: `${field} must be true or false` }).optional();

/** Body of `POST /api/media/video`. The Seedance fields (first_frame ... seed) are refused for a model that cannot use them. */
export const VideoRequest = z.object({
  prompt,
  aspect_ratio: aspectRatio,
  duration_seconds: z
    .union([z.number(), z.string().regex(/^\s*\d+\s*$/).transform(Number)], {
      error: "duration_seconds must be a whole number of seconds from 4 to 8",
    })
    .pipe(
      z
        .number()
        .int("duration_seconds must be a whole number of seconds from 4 to 8")
        .min(1, "duration_seconds must be from 4 to 8 (Seedance: 2 to 15)")
        .max(MAX_VIDEO_SECONDS, "duration_seconds must be from 4 to 8 (Seedance: 2 to 15)"),
    )
    .default(8),
  first_frame: mediaRef("first_frame").optional(),
  last_frame: mediaRef("last_frame").optional(),
  reference_images: mediaRefs("reference_images", 9),
  reference_videos: mediaRefs("reference_videos", 3),
  reference_audios: mediaRefs("reference_audios", 3),
  resolution: z
    .string({ error: "resolution must be a string: 480p, 720p or 1080p" })
    .trim()
    .toLowerCase()
    .refine((r) => ["480p", "720p", "1080p"].includes(r), "resolution must be 480p, 720p or 1080p")
    .optional(),
  generate_audio: flag("generate_audio"),
  watermark: flag("watermark"),
  seed: z.number({ error: "seed must be a whole number" }).int("seed must be a whole number").min(-1, "seed must be -1 (random) or more").max(4294967295, "seed must be at most 4294967295").optional(),
  image: z.union([InlineImage, imageRef], { error: "image must be {b64_json, mime_type}, a file path, base64 data or a data: URL" }).optional(),
  output_dir: outputDir,
  session_id: sessionId,
  model,
});
export type VideoRequest = z.infer<typeof VideoRequest>;

/** Body of `POST /api/media/audio/speech`. */
export const SpeechRequest = z.object({
  input: required("input", "the text to speak").max(MAX_SPEECH_INPUT_CHARS, `input is longer than ${MAX_SPEECH_INPUT_CHARS} characters; split it into paragraphs`),
  voice: z.string({ error: "voice must be a string" }).max(MAX_NAME_CHARS, limited("voice", MAX_NAME_CHARS)).trim().optional(),
  output_dir: outputDir,
  session_id: sessionId,
  model,
});
export type SpeechRequest = z.infer<typeof SpeechRequest>;

/** One entry of `GET /api/media/types`. */
export const MediaTypeStatus = z.object({
  configured: z.boolean(),
  model: z.string().optional(),
  provider: z.string().optional(),
  name: z.string().optional(),
});
export const MediaTypes = z.record(MediaType, MediaTypeStatus);
export type MediaTypes = z.infer<typeof MediaTypes>;

/** A job as `GET /api/media/jobs/:id` and its events report it. */
export const JobView = z.object({
  id: z.string(),
  task_id: z.string(),
  type: MediaType,
  status: GenerationStatus,
  model: z.string(),
  provider: z.string(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  attempts: z.array(Attempt),
  /** The entries tried before the one named by model/provider, in order, each with the error that moved the job on. */
  fallback_from: z.array(z.object({ model: z.string(), provider: z.string(), name: z.string().optional(), error_type: z.string() })).optional(),
  /** The prompt (or the text to speak). */
  prompt: z.string(),
  /** Input images and frames as the request named them; `generation_id` when one is an earlier generation's file (its thumbnail). */
  inputs: z.array(z.object({ source: z.string(), generation_id: z.string().optional() })),
  /** Who asked: the front door, the client (User-Agent, MCP client name) and the session. */
  door: Door,
  client: z.string().nullable(),
  session_id: z.string().nullable(),
  /** Whether DELETE /api/media/jobs/:id can cancel it now: only while queued (no provider can stop a running job's charge). */
  cancellable: z.boolean(),
  /** 1-based place in its type's queue, while queued. */
  position: z.number().optional(),
  /** Seconds since it started, while running. */
  elapsed_seconds: z.number().optional(),
  progress: z.number().optional(),
  /** The body the blocking call answered (or would have), once finished. */
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
  error_type: z.string().optional(),
});
export type JobView = z.infer<typeof JobView>;

/** Body of `GET /api/media/jobs`: the live queue. */
export const JobList = z.object({ items: z.array(JobView) });
export type JobList = z.infer<typeof JobList>;

/** The 202 answer of an async submission. */
export const JobAccepted = z.object({
  success: z.literal(true),
  status: GenerationStatus,
  task_id: z.string(),
  id: z.string(),
  type: MediaType,
  model: z.string(),
  provider: z.string(),
  /** 1-based place in its type's queue, while queued. */
  position: z.number().optional(),
  status_url: z.string(),
  events_url: z.string(),
});
export type JobAccepted = z.infer<typeof JobAccepted>;


/** Token counts in the skill's shape, whatever the provider called them (its own usage stays in the ledger). */
export const SkillUsage = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  cache_read_tokens: z.number(),
  cache_write_tokens: z.number(),
  total_tokens: z.number(),
});
export type SkillUsage = z.infer<typeof SkillUsage>;

/** A seed-shaped media response body (success or failure); its path field is `image`, `video` or `audio`. */
export const MediaResponse = z
  .object({
    success: z.boolean(),
    id: z.string().optional(),
    model: z.string(),
    provider: z.string(),
    prompt: z.string().optional(),
    input: z.string().optional(),
    aspect_ratio: z.string().optional(),
    size: z.string().optional(),
    duration_seconds: z.number().optional(),
    voice: z.string().optional(),
    mime_type: z.string().optional(),
    usage: SkillUsage.optional(),
    cost_usd: z.number().optional(),
    error: z.string().optional(),
    error_type: z.string().optional(),
    /** Set when the result could not be saved where the request asked and went to the default output folder. */
    warning: z.string().optional(),
    saved_to_default_dir: z.boolean().optional(),
    /** Where the file is served (GET, token-guarded): on every success answer, absolute. */
    download_url: z.string().optional(),
    /** `download`: the caller is on another machine; the path field names the daemon's copy, fetch download_url. */
    delivery: z.literal("download").optional(),
  })
  .catchall(z.unknown());
export type MediaResponse = z.infer<typeof MediaResponse>;
