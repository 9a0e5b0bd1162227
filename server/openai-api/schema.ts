// OpenAI's request and response shapes as this door speaks them: validated here, typed from here.
import { z } from "zod";
import { MAX_NAME_CHARS, MAX_PROMPT_CHARS, MAX_SPEECH_INPUT_CHARS } from "../defaults.ts";

/** The most images one request may ask for (OpenAI's own limit). */
export const MAX_IMAGES_PER_REQUEST = 10;

/** A multipart field arrives as text: a whole number written as digits is read as that number. */
const count = (field: string, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    z
      .number({ error: `${field} must be a whole number from 1 to ${max}` })
      .int(`${field} must be a whole number from 1 to ${max}`)
      .min(1, `${field} must be from 1 to ${max}`)
      .max(max, `${field} must be from 1 to ${max}`),
  );

const text = (field: string, max = MAX_NAME_CHARS) => z.string({ error: `${field} must be a string` }).max(max, `${field} is longer than ${max} characters`);
const optionalText = (field: string) => text(field).nullish();
const prompt = text("prompt", MAX_PROMPT_CHARS).trim().min(1, "prompt is required: describe what to generate");
/** A configured model for this request: an entry's name, else a model id only one entry of the type has. */
const model = text("model").trim().min(1, "model must name a configured model").nullish();
const enumOf = <T extends readonly [string, ...string[]]>(field: string, values: T) =>
  z.enum(values, { error: `${field} must be one of ${values.join(", ")}` }).nullish();

/** How an image comes back: inline base64 (the default) or a URL of the daemon's file route. */
const IMAGE_RESPONSE_FORMATS = ["b64_json", "url"] as const;
export const ImageResponseFormat = z.enum(IMAGE_RESPONSE_FORMATS);
export type ImageResponseFormat = z.infer<typeof ImageResponseFormat>;

/** The fields generations and edits share. `quality`, `background`, `output_format` and `user` are accepted; the model's options in config.yml decide them. */
const imageFields = {
  prompt,
  model,
  n: count("n", MAX_IMAGES_PER_REQUEST).nullish(),
  size: optionalText("size"),
  quality: enumOf("quality", ["auto", "low", "medium", "high", "xhigh", "max", "standard", "hd"]),
  response_format: enumOf("response_format", IMAGE_RESPONSE_FORMATS),
  output_format: enumOf("output_format", ["png", "jpeg", "webp", "gif", "svg"]),
  background: enumOf("background", ["auto", "transparent", "opaque"]),
  user: optionalText("user"),
  stream: z.preprocess((value) => (value === "false" ? false : value), z.literal(false, { error: "stream is not supported: images are answered whole" })).nullish(),
};

/** Body of `POST /v1/images/generations`. Unknown fields are ignored, as OpenAI's newer fields may be sent. */
export const ImageGenerationRequest = z.object(imageFields);
export type ImageGenerationRequest = z.infer<typeof ImageGenerationRequest>;

/** The text fields of `POST /v1/images/edits` (its files are read apart). */
export const ImageEditRequest = z.object(imageFields);
export type ImageEditRequest = z.infer<typeof ImageEditRequest>;

/** One image of an answer. */
export const ImageData = z.object({
  b64_json: z.string().optional(),
  url: z.string().optional(),
  revised_prompt: z.string().optional(),
  /** mediagen's addition: where the saved file is served (token-guarded), whatever response_format was asked. */
  download_url: z.string().optional(),
});

/** Token counts of an images answer, summed over its images. */
export const ImagesUsage = z.object({ input_tokens: z.number(), output_tokens: z.number(), total_tokens: z.number() });

/** Body of an images answer. */
export const ImagesResponse = z.object({
  created: z.number(),
  data: z.array(ImageData),
  size: z.string().optional(),
  output_format: z.string().optional(),
  usage: ImagesUsage.optional(),
});
export type ImagesResponse = z.infer<typeof ImagesResponse>;

/** The audio containers OpenAI's speech endpoint names. */
const SPEECH_FORMATS = ["mp3", "opus", "aac", "flac", "wav", "pcm"] as const;
export const SpeechFormat = z.enum(SPEECH_FORMATS);
export type SpeechFormat = z.infer<typeof SpeechFormat>;

/** Body of `POST /v1/audio/speech`. `instructions` and `speed` are accepted; the model's options in config.yml decide them. */
export const SpeechRequest = z.object({
  input: text("input", MAX_SPEECH_INPUT_CHARS).trim().min(1, "input is required: the text to speak"),
  model,
  voice: z.union([text("voice"), z.object({ id: text("voice.id") })], { error: "voice must be a voice name" }).nullish(),
  response_format: enumOf("response_format", SPEECH_FORMATS),
  instructions: text("instructions", MAX_PROMPT_CHARS).nullish(),
  speed: z.preprocess((value) => (typeof value === "string" && value.trim() !== "" ? Number(value) : value), z.number({ error: "speed must be a number from 0.25 to 4" }).min(0.25, "speed must be from 0.25 to 4").max(4, "speed must be from 0.25 to 4")).nullish(),
  stream_format: enumOf("stream_format", ["audio"]),
});
export type SpeechRequest = z.infer<typeof SpeechRequest>;

/** The clip lengths a video may ask for, in seconds (mediagen's providers make 4 to 8). */
export const VideoSeconds = ["4", "5", "6", "7", "8"] as const;

/** The text fields of `POST /v1/videos` (JSON, or multipart with an `input_reference` file). */
export const VideoCreateRequest = z.object({
  prompt,
  model,
  seconds: z.preprocess((value) => (typeof value === "number" ? String(value) : value), z.enum(VideoSeconds, { error: "seconds must be one of 4, 5, 6, 7, 8" })).nullish(),
  size: optionalText("size"),
  input_reference: z.union([z.object({ image_url: text("input_reference.image_url", 30_000_000) }), z.string()], { error: "input_reference must be an image file or {image_url}" }).nullish(),
});
export type VideoCreateRequest = z.infer<typeof VideoCreateRequest>;

/** The query of `GET /v1/videos/{id}/content`. */
export const VideoContentQuery = z.object({ variant: enumOf("variant", ["video"]) });

/** A video job in OpenAI's shape. */
export const VideoObject = z.object({
  id: z.string(),
  object: z.literal("video"),
  model: z.string(),
  status: z.enum(["queued", "in_progress", "completed", "failed"]),
  progress: z.number(),
  created_at: z.number(),
  completed_at: z.number().nullable(),
  expires_at: z.number().nullable(),
  prompt: z.string().nullable(),
  seconds: z.string(),
  size: z.string(),
  remixed_from_video_id: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** mediagen's addition, once completed: where the saved file is served (token-guarded), like /content. */
  download_url: z.string().optional(),
});
export type VideoObject = z.infer<typeof VideoObject>;

/** One configured entry in `GET /v1/models`: id is its name (else its model id); `type` is mediagen's media type. */
export const ModelObject = z.object({
  id: z.string(),
  object: z.literal("model"),
  created: z.number(),
  owned_by: z.string(),
  type: z.enum(["image", "video", "audio"]),
  model: z.string(),
  default: z.boolean(),
});
export const ModelList = z.object({ object: z.literal("list"), data: z.array(ModelObject) });
export type ModelList = z.infer<typeof ModelList>;

/** OpenAI's error envelope. */
export const ErrorEnvelope = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string().nullable(), param: z.string().nullable() }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;
