// A fake OpenAI API on an ephemeral loopback port, speaking OpenAI's own wire format (see shared/docs/providers.md §1.1, §2, §3):
// POST /v1/images/generations (JSON), POST /v1/images/edits (multipart, `image` or repeated `image[]` parts),
// POST /v1/audio/speech (JSON in, raw audio bytes out; optional SSE). Bearer auth; errors in {"error":{message,type,param,code}}.
// A scenario is chosen per request: queued with `next()`, or named in the prompt/input as `[[fake:<scenario>]]`.
//
// Not confirmed against the live API (behaviour follows providers.md or the closest evidence found; see the report):
// - the 404 for an unknown image model (providers.md gives it for models in general), the 400 for n>1 on dall-e-3,
//   the size/quality/output_format `invalid_value` wording, the gpt-image-2 size rules and error, transparent+jpeg,
//   the edits errors (unsupported mimetype, mask size, non-multipart body, dall-e-3 edits), the 503 wording;
// - the gpt-4o-mini-tts bad-voice body ("Invalid value: ... Supported values are: ...", seen only in a third-party test
//   fixture); the tts-1 pydantic body is confirmed from a real error quoted in openai/openai-node#1284 and #1140;
// - which voices gpt-4o-mini-tts accepts as `{id}` objects, the SSE-with-tts-1 error, the pydantic `extra_forbidden` entry;
// - opus/aac/flac bodies are sniffable headers only (no decodable audio); mp3 is silent but valid frames; wav/pcm are real.
import { json, randomId, type RecordedRequest, speechSeconds } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { b64, imageInfo, makeAac, makeFlac, makeJpeg, makeMp3, makeOggOpus, makePcm, makePng, makeWav, makeWebp } from "./media.ts";

export type { RecordedPart, RecordedRequest } from "./common.ts";

/** What the fake can be told to do with one request. */
export type OpenAIScenario =
  | "ok"
  | "400" // 400 invalid_request_error / invalid_value
  | "401" // 401 invalid_api_key
  | "403" // 403 organization must be verified
  | "404" // 404 model_not_found
  | "429" // 429 rate_limit_exceeded with retry-after
  | "insufficient_quota" // 429 insufficient_quota (not retryable), no retry-after
  | "moderation_blocked" // 400 image_generation_user_error / moderation_blocked, stage input
  | "moderation_output" // same, moderation_stage output
  | "500"
  | "503" // server_error "That model is currently overloaded ..."
  | "malformed" // 200 whose body is truncated JSON (speech: an HTML page)
  | "empty" // 200 with data: [] (speech: an empty body)
  | "not_media" // 200 whose image/audio bytes are plain text
  | "no_sse" // speech: plain audio bytes although stream_format sse was asked (some proxies and compatible servers)
  | "slow" // answer ok after `slowMs`
  | "hang" // never answer
  | "reset"; // close the connection without answering

/** A running fake OpenAI API. */
export interface FakeOpenAI {
  url: string;
  key: string | null;
  requests: RecordedRequest[];
  /** Queue scenarios for the next API requests, in order (downloads of dall-e `url` images do not take one). */
  next(...scenarios: OpenAIScenario[]): void;
  slowMs: number;
  /** Requests that took a scenario and are not answered yet, and the most ever at once. */
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

export const GPT_IMAGE_MODELS = ["gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2", "gpt-image-2-2026-04-21", "chatgpt-image-latest"];
export const DALLE_MODELS = ["dall-e-2", "dall-e-3"];
export const TTS_MODELS = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "gpt-4o-mini-tts-2025-03-20"];
/** Voices tts-1 / tts-1-hd accept, in the order the real 400 lists them. */
export const TTS1_VOICES = ["nova", "shimmer", "echo", "onyx", "fable", "alloy", "ash", "sage", "coral"];
/** Voices gpt-4o-mini-tts accepts, in the order its 400 lists them. */
export const GPT_TTS_VOICES = ["alloy", "echo", "fable", "onyx", "nova", "shimmer", "coral", "verse", "ballad", "ash", "sage", "marin", "cedar"];
export const SPEECH_CONTENT_TYPES: Record<string, string> = {
  mp3: "audio/mpeg",
  opus: "audio/opus",
  aac: "audio/aac",
  flac: "audio/flac",
  wav: "audio/wav",
  pcm: "audio/pcm",
};

/** Usage figures the fake reports, so tests can compute expected costs by hand. */
export const OPENAI_REPORTS = {
  image: {
    /** output_tokens per size x quality (gpt-image-1 table, used for every GPT image model). */
    outputTokens: {
      "1024x1024": { low: 272, medium: 1056, high: 4160 },
      "1024x1536": { low: 408, medium: 1584, high: 6240 },
      "1536x1024": { low: 400, medium: 1568, high: 6208 },
    } as Record<string, Record<"low" | "medium" | "high", number>>,
    /** input_tokens_details.text_tokens of every GPT image request. */
    textTokens: 50,
    /** input_tokens_details.image_tokens per input image on /images/edits. */
    imageTokensPerInputImage: 194,
    /** What `quality: "auto"` (or none) resolves to, echoed as `quality`. */
    autoQuality: "medium" as const,
    /** What `size: "auto"` (or none) resolves to on generations. */
    autoSize: "1024x1024",
    /** Models whose usage carries output_tokens_details (the older ones omit it). */
    withOutputDetails: ["gpt-image-1.5", "gpt-image-2", "gpt-image-2-2026-04-21", "chatgpt-image-latest"],
  },
  speech: {
    /** Audio length: one second per this many input characters, clamped to [minSeconds, maxSeconds]. */
    charsPerSecond: 15,
    minSeconds: 0.5,
    maxSeconds: 20,
    /** SSE `speech.audio.done` usage: input_tokens = ceil(chars / 4), output_tokens = audio seconds x this. */
    outputTokensPerSecond: 20,
  },
};

/** The `usage` object the fake answers a GPT image request with. Sizes outside the table scale the 1024x1024 row by area. */
export function openaiImageUsage(model: string, size: string, quality: string, inputImages = 0, n = 1) {
  const q = (quality === "low" || quality === "high" ? quality : quality === "medium" ? "medium" : OPENAI_REPORTS.image.autoQuality) as "low" | "medium" | "high";
  const row = OPENAI_REPORTS.image.outputTokens[size];
  const [w, h] = size.split("x").map(Number) as [number, number];
  const perImage = row ? row[q] : Math.round((OPENAI_REPORTS.image.outputTokens["1024x1024"]![q] * w * h) / (1024 * 1024));
  const output = perImage * n;
  const text = OPENAI_REPORTS.image.textTokens;
  const image = OPENAI_REPORTS.image.imageTokensPerInputImage * inputImages;
  return {
    input_tokens: text + image,
    input_tokens_details: { text_tokens: text, image_tokens: image },
    output_tokens: output,
    ...(OPENAI_REPORTS.image.withOutputDetails.includes(model) ? { output_tokens_details: { image_tokens: output, text_tokens: 0 } } : {}),
    total_tokens: text + image + output,
  };
}

/** Seconds of audio the fake answers a speech request with. */
export function openaiSpeechSeconds(input: string): number {
  return speechSeconds(input, OPENAI_REPORTS.speech);
}

/** The usage of an SSE speech answer (`speech.audio.done`). */
export function openaiSpeechSseUsage(input: string) {
  const input_tokens = Math.ceil(input.length / 4);
  const output_tokens = Math.round(openaiSpeechSeconds(input) * OPENAI_REPORTS.speech.outputTokensPerSecond);
  return { input_tokens, output_tokens, total_tokens: input_tokens + output_tokens };
}

// ---------------------------------------------------------------------------------------------------------------

const FIXED_SIZES: Record<string, string[]> = {
  gpt: ["1024x1024", "1024x1536", "1536x1024", "auto"],
  "dall-e-3": ["1024x1024", "1792x1024", "1024x1792"],
  "dall-e-2": ["256x256", "512x512", "1024x1024"],
};
const QUALITIES: Record<string, string[]> = {
  gpt: ["low", "medium", "high", "auto"],
  "dall-e-3": ["standard", "hd", "auto"],
  "dall-e-2": ["standard", "auto"],
};
const OUTPUT_FORMATS = ["png", "jpeg", "webp"];
const EDIT_MIME = ["image/png", "image/jpeg", "image/webp"];
const SPEECH_KEYS = ["model", "input", "voice", "instructions", "response_format", "speed", "stream_format"];
const PARSE_ERROR =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

class OpenAIError {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Python's repr of a JSON value (the speech endpoint quotes pydantic errors this way). */
function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    return quote + value.replace(/\\/g, "\\\\").replace(new RegExp(quote, "g"), `\\${quote}`).replace(/\n/g, "\\n") + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
    .join(", ")}}`;
}

/** One pydantic validation entry, rendered as Python would. */
function pydantic(type: string, field: string, msg: string, input: unknown, ctx?: Record<string, unknown>): string {
  return `{'type': ${pyRepr(type)}, 'loc': ('body', ${pyRepr(field)}), 'msg': ${pyRepr(msg)}, 'input': ${pyRepr(input)}${ctx ? `, 'ctx': ${pyRepr(ctx)}` : ""}}`;
}

/** `'a', 'b' or 'c'` (pydantic's enum listing). */
const orList = (values: string[]) => `${values.slice(0, -1).map((v) => `'${v}'`).join(", ")} or '${values.at(-1)}'`;
/** `'a', 'b', and 'c'` (OpenAI's invalid_value listing). */
const andList = (values: string[]) => `${values.slice(0, -1).map((v) => `'${v}'`).join(", ")}, and '${values.at(-1)}'`;

const invalidValue = (param: string, value: unknown, allowed: string[]) =>
  new OpenAIError(400, `Invalid value: '${String(value)}'. Supported values are: ${andList(allowed)}.`, "invalid_request_error", param, "invalid_value");

const modelNotFound = (model: string) =>
  new OpenAIError(404, `The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", null, "model_not_found");

function maskKey(key: string): string {
  if (key.length <= 8) return "*".repeat(key.length);
  return `${key.slice(0, 3)}${"*".repeat(key.length - 7)}${key.slice(-4)}`;
}

function scenarioError(scenario: OpenAIScenario, model: string, requestId: string): OpenAIError | undefined {
  switch (scenario) {
    case "400":
      return new OpenAIError(400, "Invalid value: 'banana'. Supported values are: 'low', 'medium', 'high', and 'auto'.", "invalid_request_error", "quality", "invalid_value");
    case "403":
      return new OpenAIError(
        403,
        `Your organization must be verified to use the model \`${model}\`. Please go to: https://platform.openai.com/settings/organization/general and click on Verify Organization. If you just verified, it can take up to 15 minutes for access to propagate.`,
        "invalid_request_error",
        null,
        null,
      );
    case "404":
      return modelNotFound(model);
    case "429":
      return new OpenAIError(
        429,
        `Rate limit reached for ${model} in organization org-fake on images per minute (IPM): Limit 5, Used 5, Requested 1. Please try again in 12s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        "requests",
        null,
        "rate_limit_exceeded",
        {},
        { "retry-after": "12", "x-ratelimit-limit-requests": "5", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "12s" },
      );
    case "insufficient_quota":
      return new OpenAIError(
        429,
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        "insufficient_quota",
        null,
        "insufficient_quota",
      );
    case "moderation_blocked":
    case "moderation_output":
      return new OpenAIError(
        400,
        `Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID ${requestId}.`,
        "image_generation_user_error",
        null,
        "moderation_blocked",
        { moderation_details: { moderation_stage: scenario === "moderation_output" ? "output" : "input", categories: ["other"] } },
      );
    case "500":
      return new OpenAIError(500, "The server had an error while processing your request. Sorry about that!", "server_error");
    case "503":
      return new OpenAIError(
        503,
        `That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID ${requestId} in your message.)`,
        "server_error",
      );
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------

type Family = "gpt" | "dall-e-2" | "dall-e-3";
const familyOf = (model: string): Family => (model === "dall-e-2" || model === "dall-e-3" ? model : "gpt");
const isGptImage2 = (model: string) => model.startsWith("gpt-image-2");

function toInt(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  return Number.isInteger(n) ? n : NaN;
}

/** The resolved output size, or an error. `firstInput` lets "auto" follow the input image on edits. */
function resolveSize(model: string, size: unknown, firstInput?: { width: number; height: number }): string | OpenAIError {
  const family = familyOf(model);
  if (size === undefined || size === "auto") {
    if (family !== "gpt") {
      if (size === "auto") return invalidValue("size", size, FIXED_SIZES[family]!);
      return "1024x1024";
    }
    if (!firstInput) return OPENAI_REPORTS.image.autoSize;
    const ratio = firstInput.width / firstInput.height;
    return ratio > 1.2 ? "1536x1024" : ratio < 1 / 1.2 ? "1024x1536" : "1024x1024";
  }
  if (typeof size !== "string") return invalidValue("size", size, FIXED_SIZES[family]!);
  if (family === "gpt" && isGptImage2(model)) {
    const match = /^(\d+)x(\d+)$/.exec(size);
    const w = Number(match?.[1]);
    const h = Number(match?.[2]);
    const ok =
      match && w % 16 === 0 && h % 16 === 0 && w > 0 && h > 0 && Math.max(w, h) / Math.min(w, h) <= 3 && Math.max(w, h) <= 3840 && Math.min(w, h) <= 2160;
    if (!ok)
      return new OpenAIError(
        400,
        `Invalid size '${size}'. Expected WIDTHxHEIGHT with both dimensions multiples of 16, an aspect ratio between 1:3 and 3:1, and at most 3840x2160.`,
        "image_generation_user_error",
        "size",
        "invalid_value",
      );
    return size;
  }
  return FIXED_SIZES[family]!.includes(size) ? size : invalidValue("size", size, FIXED_SIZES[family]!);
}

function encodeImage(format: string, width: number, height: number, index: number): Uint8Array {
  const palette: [number, number, number][] = [
    [40, 90, 200],
    [200, 90, 40],
    [40, 160, 90],
    [160, 40, 160],
  ];
  if (format === "jpeg") return makeJpeg(width, height);
  if (format === "webp") return makeWebp(width, height);
  return makePng(width, height, palette[index % palette.length]);
}

interface ImageJob {
  model: string;
  n: number;
  size: string;
  quality: string;
  outputFormat: string;
  background: string;
  responseFormat: string;
  inputImages: number;
}

/** Validates an images request (generations or edits) the way the real endpoint does; returns the job or the error. */
function validateImages(kind: "generations" | "edits", rec: RecordedRequest): ImageJob | OpenAIError {
  const b = rec.body;
  if (kind === "generations" && rec.rawText !== undefined) return new OpenAIError(400, PARSE_ERROR, "invalid_request_error");
  if (kind === "edits" && !rec.parts) {
    const type = rec.headers["content-type"] ?? "none";
    return new OpenAIError(
      400,
      `Invalid Content-Type header (${type}), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')`,
      "invalid_request_error",
    );
  }
  const gptOnly = ["output_format", "output_compression", "background", "moderation", "partial_images", "input_fidelity"].some((k) => b[k] !== undefined);
  const model = typeof b.model === "string" && b.model !== "" ? b.model : kind === "edits" ? "gpt-image-1.5" : gptOnly ? "gpt-image-1" : "dall-e-2";
  if (![...GPT_IMAGE_MODELS, ...DALLE_MODELS].includes(model)) return modelNotFound(model);
  if (kind === "edits" && model === "dall-e-3") return invalidValue("model", model, [...GPT_IMAGE_MODELS, "dall-e-2"]);
  const family = familyOf(model);

  const prompt = b.prompt;
  if (typeof prompt !== "string" || prompt === "")
    return new OpenAIError(400, "Missing required parameter: 'prompt'.", "invalid_request_error", "prompt", "missing_required_parameter");
  const maxPrompt = family === "gpt" ? 32_000 : family === "dall-e-3" ? 4_000 : 1_000;
  if (prompt.length > maxPrompt)
    return new OpenAIError(
      400,
      `Invalid 'prompt': string too long. Expected a string with maximum length ${maxPrompt}, but got a string with length ${prompt.length} instead.`,
      "invalid_request_error",
      "prompt",
      "string_above_max_length",
    );
  if (family === "gpt" && b.response_format !== undefined)
    return new OpenAIError(400, "Unknown parameter: 'response_format'.", "invalid_request_error", "response_format", "unknown_parameter");

  const n = toInt(b.n) ?? 1;
  if (Number.isNaN(n)) return new OpenAIError(400, `Invalid type for 'n': expected an integer, but got a string instead.`, "invalid_request_error", "n", "invalid_type");
  if (n < 1)
    return new OpenAIError(400, `Invalid 'n': integer below minimum value. Expected a value >= 1, but got ${n} instead.`, "invalid_request_error", "n", "integer_below_min_value");
  if (n > 10)
    return new OpenAIError(400, `Invalid 'n': integer above maximum value. Expected a value <= 10, but got ${n} instead.`, "invalid_request_error", "n", "integer_above_max_value");
  if (family === "dall-e-3" && n !== 1) return new OpenAIError(400, "You must provide n=1 for this model.", "invalid_request_error", "n", null);

  const quality = b.quality === undefined ? "auto" : String(b.quality);
  const qualities = kind === "edits" && family === "gpt" ? [...QUALITIES.gpt!, "standard"] : QUALITIES[family]!;
  if (!qualities.includes(quality)) return invalidValue("quality", quality, qualities);

  const outputFormat = b.output_format === undefined ? "png" : String(b.output_format);
  if (!OUTPUT_FORMATS.includes(outputFormat)) return invalidValue("output_format", outputFormat, OUTPUT_FORMATS);
  const background = b.background === undefined ? "auto" : String(b.background);
  if (!["transparent", "opaque", "auto"].includes(background)) return invalidValue("background", background, ["transparent", "opaque", "auto"]);
  if (background === "transparent" && outputFormat === "jpeg")
    return new OpenAIError(400, "Transparent background is not supported for the jpeg output format. Use png or webp.", "invalid_request_error", "background", "invalid_value");
  const compression = toInt(b.output_compression);
  if (compression !== undefined && (Number.isNaN(compression) || compression < 0 || compression > 100))
    return new OpenAIError(400, `Invalid 'output_compression': expected an integer between 0 and 100.`, "invalid_request_error", "output_compression", "invalid_value");
  const responseFormat = b.response_format === undefined ? "url" : String(b.response_format);
  if (family !== "gpt" && !["url", "b64_json"].includes(responseFormat)) return invalidValue("response_format", responseFormat, ["url", "b64_json"]);

  let inputImages = 0;
  let first: { width: number; height: number } | undefined;
  if (kind === "edits") {
    const images = (rec.parts ?? []).filter((p) => p.name === "image" || p.name === "image[]");
    if (images.length === 0)
      return new OpenAIError(400, "Missing required parameter: 'image'.", "invalid_request_error", "image", "missing_required_parameter");
    const max = family === "gpt" ? 16 : 1;
    if (images.length > max)
      return new OpenAIError(400, `Invalid 'image': array too long. Expected an array with maximum length ${max}, but got an array with length ${images.length} instead.`, "invalid_request_error", "image", "array_above_max_length");
    for (const part of images) {
      const declared = (part.contentType ?? "application/octet-stream").split(";")[0]!.trim().toLowerCase();
      const info = imageInfo(part.bytes);
      if (!EDIT_MIME.includes(declared) || !info)
        return new OpenAIError(
          400,
          `Invalid file '${part.name}': unsupported mimetype ('${declared}'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.`,
          "invalid_request_error",
          part.name,
          "unsupported_file_mimetype",
        );
      if (family === "dall-e-2" && (info.mime !== "image/png" || part.size >= 4 * 1024 * 1024 || info.width !== info.height))
        return new OpenAIError(400, "Uploaded image must be a square PNG and less than 4 MB.", "invalid_request_error", part.name, "invalid_image");
      first ??= info;
    }
    const mask = (rec.parts ?? []).find((p) => p.name === "mask");
    if (mask) {
      const info = imageInfo(mask.bytes);
      if (!info || info.mime !== "image/png" || info.width !== first!.width || info.height !== first!.height)
        return new OpenAIError(400, "Invalid mask image: the mask must be a PNG with the same dimensions as the (first) image.", "invalid_request_error", "mask", "invalid_image");
    }
    inputImages = images.length;
  }
  const size = resolveSize(model, b.size, first);
  if (size instanceof OpenAIError) return size;
  return { model, n, size, quality, outputFormat, background, responseFormat, inputImages };
}

/** Validates a speech request like the real endpoint (pydantic list for most fields, invalid_value for gpt-4o-mini-tts voices). */
function validateSpeech(rec: RecordedRequest): OpenAIError | undefined {
  if (rec.rawText !== undefined) return new OpenAIError(400, PARSE_ERROR, "invalid_request_error");
  const b = rec.body;
  if (typeof b.model !== "string" || b.model === "") return new OpenAIError(400, "you must provide a model parameter", "invalid_request_error");
  if (!TTS_MODELS.includes(b.model)) return modelNotFound(b.model);
  const legacy = b.model === "tts-1" || b.model === "tts-1-hd";
  const errors: string[] = [];
  for (const key of Object.keys(b)) if (!SPEECH_KEYS.includes(key)) errors.push(pydantic("extra_forbidden", key, "Extra inputs are not permitted", b[key]));
  const input = b.input ?? "";
  if (typeof input !== "string") errors.push(pydantic("string_type", "input", "Input should be a valid string", input));
  else if (input.length === 0) errors.push(pydantic("string_too_short", "input", "String should have at least 1 character", input, { min_length: 1 }));
  else if (input.length > 4096) errors.push(pydantic("string_too_long", "input", "String should have at most 4096 characters", input, { max_length: 4096 }));
  const voice = b.voice ?? "";
  const customVoice = typeof voice === "object" && voice !== null && typeof (voice as Record<string, unknown>).id === "string";
  if (legacy && (typeof voice !== "string" || !TTS1_VOICES.includes(voice)))
    errors.push(pydantic("enum", "voice", `Input should be ${orList(TTS1_VOICES)}`, voice, { expected: orList(TTS1_VOICES) }));
  const formats = Object.keys(SPEECH_CONTENT_TYPES);
  if (b.response_format !== undefined && !formats.includes(String(b.response_format)))
    errors.push(pydantic("enum", "response_format", `Input should be ${orList(formats)}`, b.response_format, { expected: orList(formats) }));
  if (b.speed !== undefined) {
    const speed = b.speed;
    if (typeof speed !== "number") errors.push(pydantic("float_type", "speed", "Input should be a valid number", speed));
    else if (speed > 4) errors.push(pydantic("less_than_equal", "speed", "Input should be less than or equal to 4", speed, { le: 4.0 }));
    else if (speed < 0.25) errors.push(pydantic("greater_than_equal", "speed", "Input should be greater than or equal to 0.25", speed, { ge: 0.25 }));
  }
  if (b.stream_format !== undefined && !["audio", "sse"].includes(String(b.stream_format)))
    errors.push(pydantic("enum", "stream_format", "Input should be 'sse' or 'audio'", b.stream_format, { expected: "'sse' or 'audio'" }));
  if (typeof b.instructions === "string" && b.instructions.length > 4096)
    errors.push(pydantic("string_too_long", "instructions", "String should have at most 4096 characters", b.instructions, { max_length: 4096 }));
  if (errors.length > 0) return new OpenAIError(400, `[${errors.join(", ")}]`, "invalid_request_error");
  if (!legacy && !customVoice && (typeof voice !== "string" || !GPT_TTS_VOICES.includes(voice))) return invalidValue("voice", voice, GPT_TTS_VOICES);
  if (legacy && b.stream_format === "sse")
    return new OpenAIError(400, `Streaming format 'sse' is not supported for model ${b.model}.`, "invalid_request_error", "stream_format", "unsupported_value");
  return undefined;
}

function speechBytes(format: string, seconds: number): Uint8Array {
  switch (format) {
    case "wav":
      return makeWav(seconds, 24_000, 1);
    case "pcm":
      return makePcm(seconds, 24_000);
    case "opus":
      return makeOggOpus();
    case "aac":
      return makeAac(seconds);
    case "flac":
      return makeFlac(seconds);
    default:
      return makeMp3(seconds);
  }
}

/** Starts the fake on 127.0.0.1 with a random port. `key` is the only API key it accepts. */
export function startFakeOpenAI(key: string | null = "sk-test-openai-0123456789abcdef"): FakeOpenAI {
  const files = new Map<string, Uint8Array>();

  const answer = (requestId: string, response: Response) => {
    response.headers.set("x-request-id", requestId);
    response.headers.set("openai-processing-ms", "42");
    return response;
  };
  const fail = (requestId: string, e: OpenAIError) =>
    answer(requestId, json(e.status, { error: { message: e.message, type: e.type, param: e.param, code: e.code, ...e.extra } }, e.headers));

  const images = (kind: "generations" | "edits", rec: RecordedRequest, scenario: OpenAIScenario, requestId: string): Response => {
    const job = validateImages(kind, rec);
    if (job instanceof OpenAIError) return fail(requestId, job);
    const created = Math.floor(Date.now() / 1000);
    if (scenario === "empty") return answer(requestId, json(200, { created, data: [] }));
    if (scenario === "malformed")
      return answer(requestId, new Response(`{"created":${created},"data":[{"b64_json":"iVBORw0KGgoAAAANSUhEUgAA`, { headers: { "content-type": "application/json" } }));
    const [w, h] = job.size.split("x").map(Number) as [number, number];
    const gpt = familyOf(job.model) === "gpt";
    const data = Array.from({ length: job.n }, (_, i) => {
      const bytes = scenario === "not_media" ? new TextEncoder().encode("this is plain text, not an image") : encodeImage(gpt ? job.outputFormat : "png", w, h, i);
      const entry: Record<string, unknown> = {};
      if (!gpt && job.responseFormat === "url") {
        const path = `/files/img-${randomId(16)}.png`;
        files.set(path, bytes);
        entry.url = `${fake.url}${path}`;
      } else entry.b64_json = b64(bytes);
      if (job.model === "dall-e-3") entry.revised_prompt = `A detailed rendering of: ${String(rec.body.prompt)}`;
      return entry;
    });
    if (!gpt) return answer(requestId, json(200, { created, data }));
    const quality = job.quality === "auto" || job.quality === "standard" ? OPENAI_REPORTS.image.autoQuality : job.quality;
    return answer(
      requestId,
      json(200, {
        created,
        background: job.background === "transparent" ? "transparent" : "opaque",
        output_format: job.outputFormat,
        quality,
        size: job.size,
        data,
        usage: openaiImageUsage(job.model, job.size, quality, job.inputImages, job.n),
      }),
    );
  };

  const speech = (rec: RecordedRequest, scenario: OpenAIScenario, requestId: string): Response => {
    const error = validateSpeech(rec);
    if (error) return fail(requestId, error);
    const b = rec.body;
    const format = typeof b.response_format === "string" ? b.response_format : "mp3";
    const contentType = SPEECH_CONTENT_TYPES[format]!;
    const input = String(b.input);
    if (scenario === "malformed")
      return answer(requestId, new Response("<html><body><h1>502 Bad Gateway</h1></body></html>", { headers: { "content-type": "text/html" } }));
    if (scenario === "empty") return answer(requestId, new Response(new Uint8Array(), { headers: { "content-type": contentType } }));
    const bytes = scenario === "not_media" ? new TextEncoder().encode('{"detail":"this is not audio"}') : speechBytes(format, openaiSpeechSeconds(input));
    if (b.stream_format === "sse" && scenario !== "no_sse") {
      const chunks: string[] = [];
      for (let at = 0; at < bytes.length; at += 8192) {
        chunks.push(`data: ${JSON.stringify({ type: "speech.audio.delta", audio: b64(bytes.subarray(at, at + 8192)) })}\n\n`);
      }
      chunks.push(`data: ${JSON.stringify({ type: "speech.audio.done", usage: openaiSpeechSseUsage(input) })}\n\n`);
      return answer(requestId, new Response(chunks.join(""), { headers: { "content-type": "text/event-stream" } }));
    }
    return answer(requestId, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": contentType } }));
  };

  /** The 401 for a missing or wrong key; none when the fake was started without a key (a keyless compatible server). */
  const authError = (request: Request, scenario: OpenAIScenario, requestId: string): Response | undefined => {
    if (key === null && scenario !== "401") return undefined;
    const auth = request.headers.get("authorization");
    if (!auth)
      return fail(
        requestId,
        new OpenAIError(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          "invalid_request_error",
        ),
      );
    if (auth !== `Bearer ${key}` || scenario === "401") {
      const sent = auth.replace(/^Bearer\s+/i, "");
      return fail(
        requestId,
        new OpenAIError(
          401,
          `Incorrect API key provided: ${maskKey(sent)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          "invalid_request_error",
          null,
          "invalid_api_key",
        ),
      );
    }
    return undefined;
  };

  const handle = async ({ request, rec, scenario: take, transport }: FakeCall<OpenAIScenario>): Promise<Response> => {
    const requestId = `req_${randomId(24)}`;
    if (request.method === "GET" && rec.path.startsWith("/files/")) {
      const file = files.get(rec.path);
      return file
        ? new Response(file as Uint8Array<ArrayBuffer>, { headers: { "content-type": "image/png" } })
        : new Response("<?xml version=\"1.0\"?><Error><Code>BlobNotFound</Code></Error>", { status: 404, headers: { "content-type": "application/xml" } });
    }
    const modelPath = /^\/v1\/models\/(.+)$/.exec(rec.path);
    if (request.method === "GET" && modelPath) {
      const refusedModel = authError(request, take(), requestId);
      if (refusedModel) return refusedModel;
      const id = decodeURIComponent(modelPath[1]!);
      if (![...GPT_IMAGE_MODELS, ...DALLE_MODELS, ...TTS_MODELS].includes(id))
        return fail(requestId, new OpenAIError(404, `The model '${id}' does not exist or you do not have access to it.`, "invalid_request_error", null, "model_not_found"));
      return answer(requestId, json(200, { id, object: "model", created: 1745000000, owned_by: "system" }));
    }
    const route = rec.path === "/v1/images/generations" ? "generations" : rec.path === "/v1/images/edits" ? "edits" : rec.path === "/v1/audio/speech" ? "speech" : undefined;
    if (request.method !== "POST" || !route)
      return fail(requestId, new OpenAIError(404, `Invalid URL (${request.method} ${rec.path})`, "invalid_request_error"));
    const scenario = take(String(rec.body.prompt ?? rec.body.input ?? ""));
    const refused = authError(request, scenario, requestId);
    if (refused) return refused;
    const model = typeof rec.body.model === "string" ? rec.body.model : route === "speech" ? "tts-1" : "gpt-image-1";
    const forced = scenarioError(scenario, model, requestId);
    if (forced) return fail(requestId, forced);
    await transport(scenario);
    return route === "speech" ? speech(rec, scenario, requestId) : images(route, rec, scenario, requestId);
  };

  const fake: FakeOpenAI = Object.assign(startFakeServer<OpenAIScenario>(handle), { key });
  return fake;
}
