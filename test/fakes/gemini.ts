// A fake Gemini API (generativelanguage.googleapis.com/v1beta) on an ephemeral loopback port, speaking Google's own wire
// format (see shared/docs/providers.md §1.2, §5, §6, §7):
//   POST /v1beta/models/{image model}:generateContent   native image output ("Nano Banana"), inlineData parts
//   POST /v1beta/models/{tts model}:generateContent     speech, base64 s16le 24 kHz PCM ("audio/L16;codec=pcm;rate=24000")
//   POST /v1beta/models/{veo model}:predictLongRunning   Veo, answers {name: "models/<m>/operations/<id>"}
//   GET  /v1beta/models/{veo model}/operations/{id}     pending (no `done` key) for `pendingPolls` polls, then done
//   GET  /v1beta/files/{id}:download?alt=media          needs the key; 302 to a second loopback server ("storage") serving MP4
//   GET  /v1beta/models/{model}                         model metadata (name, displayName, supportedGenerationMethods); 404 if unknown
// Auth: `x-goog-api-key` header or `?key=`. Bad key = 400 INVALID_ARGUMENT + API_KEY_INVALID; no key = 403 PERMISSION_DENIED.
// Requests are accepted in camelCase or snake_case (recorded per request in `keyStyle`); answers are camelCase (snake_case
// with the "snake_case" scenario, as some re-serialising proxies answer).
// Safety blocks are HTTP 200 (promptFeedback.blockReason, finishReason IMAGE_SAFETY / NO_IMAGE / SAFETY).
// A scenario is chosen per request: queued with `next()` (every API request takes one, polls and downloads included), or named
// in the prompt as `[[fake:<scenario>]]` (a Veo job remembers it, so its polls answer accordingly).
//
// Not confirmed against the live API (see the report): the wording of every 400 this fake invents for bad aspect ratios,
// image sizes, voices ("Request contains an invalid argument." is the generic Google text seen for bad TTS arguments), Veo
// parameters and Vertex-only Veo parameters; the 404 text for unknown operations; the 403 text for expired/unknown files;
// whether gemini-2.5-flash-image ignores or rejects `imageSize` (ignored here); pixel sizes of Gemini 3 / 3.1 images at 2K/4K/512
// (the 1K table scaled) and of the 3.1-only extended ratios; token counts for 3.1 Flash Image; that TTS voice names are
// case-sensitive; the Veo RAI reason text and the done-with-error code/message; the 404 text and the fields of GET models/{model}
// for an unknown or known model (only name, displayName and supportedGenerationMethods are served).
import { ASPECT_SIZES_1K, EXTENDED_ASPECT_SIZES_1K, fromBase64, json, randomId, type RecordedRequest, speechSeconds } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { b64, imageInfo, makeJpeg, makeMp4, makePcm, makePng, makeWav } from "./media.ts";

export type { RecordedPart } from "./common.ts";

/** What the fake can be told to do with one request. */
export type GeminiScenario =
  | "ok"
  | "400" // 400 INVALID_ARGUMENT "Request contains an invalid argument."
  | "api_key_invalid" // 400 INVALID_ARGUMENT with the API_KEY_INVALID ErrorInfo, as for a wrong key
  | "403" // 403 PERMISSION_DENIED (as for a missing key)
  | "404" // 404 NOT_FOUND (model not found)
  | "429" // 429 RESOURCE_EXHAUSTED with QuotaFailure + RetryInfo retryDelay `retryDelay` ("12s")
  | "500" // 500 INTERNAL
  | "503" // 503 UNAVAILABLE "The model is overloaded. Please try again later."
  | "504" // 504 DEADLINE_EXCEEDED
  | "blocked" // 200, promptFeedback.blockReason PROHIBITED_CONTENT, no candidates
  | "safety" // 200, candidate finishReason SAFETY, no content
  | "image_safety" // 200, finishReason IMAGE_SAFETY, a text part and no image
  | "no_image" // 200, finishReason NO_IMAGE, no content
  | "text_only" // 200, finishReason STOP, only a text part (the model answered instead of drawing)
  | "thoughts" // add thought parts (interim image + text, thought: true) even on gemini-2.5-flash-image
  | "jpeg" // the image comes back as image/jpeg
  | "wav_audio" // TTS answers mimeType audio/wav with a RIFF header instead of raw L16
  | "empty" // 200, candidate content without parts
  | "not_media" // 200, inlineData whose bytes are plain text
  | "malformed" // 200 with an HTML body
  | "rai_filtered" // Veo: done with raiMediaFilteredCount/Reasons and no samples
  | "operation_error" // Veo: done with error {code, message}
  | "snake_case" // answer a generateContent or an operation poll with snake_case keys (inline_data, usage_metadata, ...)
  | "slow" // answer ok after `slowMs`
  | "hang" // never answer
  | "reset"; // close the connection without answering

/** One request the fake received, with how its JSON keys were spelt. */
export interface GeminiRecordedRequest extends RecordedRequest {
  /** "camel" when only camelCase multi-word keys were seen, "snake" when only snake_case, "mixed", or "none". */
  keyStyle: "camel" | "snake" | "mixed" | "none";
  /** Every snake_case key seen in the body (e.g. `inline_data`, `mime_type`). */
  snakeKeys: string[];
}

/** A running fake Gemini API. */
export interface FakeGemini {
  url: string;
  /**
   * Base URL of the second server the file downloads redirect to (another origin, like a signed storage URL). Its hits are
   * recorded in `requests` too (path `/generated-videos/<id>.mp4`), so tests can check the key was not forwarded there:
   * note that Bun's fetch keeps custom headers such as `x-goog-api-key` across a cross-origin redirect (it drops only
   * `authorization`), so a client that follows the 302 with the key in a header leaks it to the storage host.
   */
  storageUrl: string;
  key: string;
  requests: GeminiRecordedRequest[];
  /** Queue scenarios for the next API requests, in order. */
  next(...scenarios: GeminiScenario[]): void;
  slowMs: number;
  /** API requests not answered yet, and the most ever at once (one video job polls one request at a time). */
  inFlight: number;
  maxInFlight: number;
  /** How many polls of a Veo operation answer "pending" (no `done` key) before it is done. */
  pendingPolls: number;
  /** How long a generated video stays downloadable (the real API keeps them 2 days). */
  fileTtlMs: number;
  /** The RetryInfo delay of "429" answers (a google.protobuf.Duration such as "12s" or "34.4s"). */
  retryDelay: string;
  /** Whether pending Veo polls carry `metadata.progressPercent` (some proxies add it; Google does not). */
  reportProgress: boolean;
  close(): Promise<void>;
}

export const GEMINI_IMAGE_MODELS = ["gemini-2.5-flash-image", "gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"];
export const GEMINI_TTS_MODELS = [
  "gemini-2.5-flash-preview-tts",
  "gemini-2.5-pro-preview-tts",
  "gemini-3.1-flash-tts-preview",
  "gemini-3.8-flash-tts",
  "gemini-3.8-flash-lite-tts",
];
/** The 30 prebuilt voices (case-sensitive). */
export const GEMINI_VOICES = [
  "Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe", "Autonoe",
  "Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib", "Rasalgethi", "Laomedeia", "Achernar",
  "Alnilam", "Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat",
];

interface VeoCaps {
  resolutions: string[];
  durations: number[];
  maxSamples: number;
  referenceImages: boolean;
  /** Resolutions that only allow 8-second clips. */
  eightOnly: string[];
}
const VEO_31: VeoCaps = { resolutions: ["720p", "1080p", "4k"], durations: [4, 6, 8], maxSamples: 1, referenceImages: true, eightOnly: ["1080p", "4k"] };
export const VEO_MODELS: Record<string, VeoCaps> = {
  "veo-3.1-generate-preview": VEO_31,
  "veo-3.1-fast-generate-preview": VEO_31,
  "veo-3.1-generate-001": VEO_31,
  "veo-3.1-fast-generate-001": VEO_31,
  "veo-3.1-lite-generate-preview": { resolutions: ["720p", "1080p"], durations: [4, 6, 8], maxSamples: 1, referenceImages: false, eightOnly: ["1080p"] },
  "veo-3.0-generate-001": { resolutions: ["720p", "1080p"], durations: [4, 6, 8], maxSamples: 1, referenceImages: false, eightOnly: ["1080p"] },
  "veo-3.0-fast-generate-001": { resolutions: ["720p", "1080p"], durations: [4, 6, 8], maxSamples: 1, referenceImages: false, eightOnly: ["1080p"] },
  "veo-2.0-generate-001": { resolutions: ["720p"], durations: [5, 6, 7, 8], maxSamples: 2, referenceImages: false, eightOnly: [] },
};

/** Output pixel sizes per aspect ratio at 1K (gemini-2.5-flash-image's table; Gemini 3 models scale it by imageSize). */
export const GEMINI_ASPECT_SIZES = ASPECT_SIZES_1K;
/** Ratios only gemini-3.1-flash-image-preview accepts. */
export const GEMINI_EXTENDED_ASPECT_SIZES = EXTENDED_ASPECT_SIZES_1K;
const SIZE_SCALE: Record<string, number> = { "512": 0.5, "1K": 1, "2K": 2, "4K": 4 };

/** Usage figures the fake reports, so tests can compute expected costs by hand. */
export const GEMINI_REPORTS = {
  image: {
    /** promptTokensDetails TEXT count of every image request, whatever the prompt. */
    promptTextTokens: 12,
    /** promptTokensDetails IMAGE count per input image. */
    inputImageTokens: { "gemini-2.5-flash-image": 258, "gemini-3-pro-image-preview": 560, "gemini-3.1-flash-image-preview": 258 } as Record<string, number>,
    /** candidatesTokensDetails IMAGE count per output image, by model and imageSize. */
    outputImageTokens: {
      "gemini-2.5-flash-image": { "1K": 1290 },
      "gemini-3-pro-image-preview": { "1K": 1120, "2K": 1120, "4K": 2000 },
      "gemini-3.1-flash-image-preview": { "512": 747, "1K": 1120, "2K": 1680, "4K": 2520 },
    } as Record<string, Record<string, number>>,
    /** candidatesTokensDetails TEXT count when the answer has a text part. */
    textTokens: 9,
    /** thoughtsTokenCount on thinking models (Gemini 3) or with the "thoughts" scenario. */
    thoughtsTokens: 180,
    thinkingModels: ["gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"],
  },
  speech: {
    /** Audio length: one second per this many input characters, clamped to [minSeconds, maxSeconds]. */
    charsPerSecond: 15,
    minSeconds: 0.5,
    maxSeconds: 20,
    /** candidatesTokenCount (AUDIO) = round(seconds x this); promptTokenCount (TEXT) = ceil(chars / 4). */
    audioTokensPerSecond: 25,
    sampleRate: 24_000,
  },
};

/** The usageMetadata of a successful image answer. */
export function geminiImageUsage(model: string, opts: { inputImages?: number; imageSize?: string; withText?: boolean; thoughts?: boolean } = {}) {
  const r = GEMINI_REPORTS.image;
  const prompt = r.promptTextTokens;
  const images = (opts.inputImages ?? 0) * (r.inputImageTokens[model] ?? 258);
  const table = r.outputImageTokens[model] ?? { "1K": 1290 };
  const out = table[opts.imageSize ?? "1K"] ?? table["1K"]!;
  const text = opts.withText === false ? 0 : r.textTokens;
  const thoughts = (opts.thoughts ?? r.thinkingModels.includes(model)) ? r.thoughtsTokens : 0;
  return {
    promptTokenCount: prompt + images,
    candidatesTokenCount: out + text,
    totalTokenCount: prompt + images + out + text + thoughts,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }, ...(images ? [{ modality: "IMAGE", tokenCount: images }] : [])],
    candidatesTokensDetails: [...(text ? [{ modality: "TEXT", tokenCount: text }] : []), { modality: "IMAGE", tokenCount: out }],
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
  };
}

/** Seconds of audio the fake answers a TTS request with (`text` = the request's text parts joined with "\n"). */
export function geminiSpeechSeconds(text: string): number {
  return speechSeconds(text, GEMINI_REPORTS.speech);
}

/** The usageMetadata of a successful TTS answer. */
export function geminiSpeechUsage(text: string) {
  const prompt = Math.ceil(text.length / 4);
  const audio = Math.round(geminiSpeechSeconds(text) * GEMINI_REPORTS.speech.audioTokensPerSecond);
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: audio,
    totalTokenCount: prompt + audio,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
    candidatesTokensDetails: [{ modality: "AUDIO", tokenCount: audio }],
  };
}

// ---------------------------------------------------------------------------------------------------------------

class GoogleError {
  constructor(
    readonly code: number,
    readonly status: string,
    readonly message: string,
    readonly details?: unknown[],
  ) {}
}
const invalid = (message = "Request contains an invalid argument.", details?: unknown[]) => new GoogleError(400, "INVALID_ARGUMENT", message, details);
const unknownName = (name: string, at: string) => {
  const message = at ? `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.` : `Invalid JSON payload received. Unknown name "${name}": Cannot find field.`;
  return invalid(message, [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: at, description: message }] }]);
};

const API_KEY_INVALID = invalid("API key not valid. Please pass a valid API key.", [
  { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com", metadata: { service: "generativelanguage.googleapis.com" } },
  { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message: "API key not valid. Please pass a valid API key." },
]);
const NO_KEY = new GoogleError(
  403,
  "PERMISSION_DENIED",
  "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
);
const modelNotFound = (model: string, method: string) =>
  new GoogleError(404, "NOT_FOUND", `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`);

function scenarioError(scenario: GeminiScenario, model: string, method: string, retryDelay: string): GoogleError | undefined {
  switch (scenario) {
    case "400":
      return invalid();
    case "api_key_invalid":
      return API_KEY_INVALID;
    case "403":
      return NO_KEY;
    case "404":
      return modelNotFound(model, method);
    case "429":
      return new GoogleError(
        429,
        "RESOURCE_EXHAUSTED",
        `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/rate-limit. \n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_paid_tier_requests, limit: 10, model: ${model}\nPlease retry in ${retryDelay}.`,
        [
          {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            violations: [
              {
                quotaMetric: "generativelanguage.googleapis.com/generate_content_paid_tier_requests",
                quotaId: "GenerateRequestsPerMinutePerProjectPerModel",
                quotaDimensions: { location: "global", model },
                quotaValue: "10",
              },
            ],
          },
          { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }] },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
        ],
      );
    case "500":
      return new GoogleError(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
    case "503":
      return new GoogleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
    case "504":
      return new GoogleError(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.");
    default:
      return undefined;
  }
}

const errorResponse = (e: GoogleError) => json(e.code, { error: { code: e.code, message: e.message, status: e.status, ...(e.details ? { details: e.details } : {}) } });

/** Deep copy with snake_case keys turned camelCase; collects the spellings seen. */
function normalise(value: unknown, snake: Set<string>, camel: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, snake, camel));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key.includes("_")) snake.add(key);
    else if (/[a-z][A-Z]/.test(key)) camel.add(key);
    out[key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = normalise(v, snake, camel);
  }
  return out;
}

const asObject = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const snakeOf = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Deep copy with camelCase keys spelt snake_case ("@type" and the like untouched). */
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  const object = asObject(value);
  if (!object) return value;
  return Object.fromEntries(Object.entries(object).map(([key, v]) => [snakeOf(key), snakeKeys(v)]));
}

const REQUEST_FIELDS = ["contents", "tools", "toolConfig", "safetySettings", "systemInstruction", "generationConfig", "cachedContent", "model"];
const GENERATION_FIELDS = [
  "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "responseModalities", "candidateCount", "maxOutputTokens",
  "temperature", "topP", "topK", "seed", "presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs",
  "enableEnhancedCivicAnswers", "speechConfig", "thinkingConfig", "imageConfig", "mediaResolution",
];
const IMAGE_CONFIG_FIELDS = ["aspectRatio", "imageSize"];
const MODALITIES = ["TEXT", "IMAGE", "AUDIO"];

interface ContentInput {
  texts: string[];
  images: { mimeType: string; bytes: Uint8Array }[];
}

/** Checks the common generateContent envelope; returns the texts and decoded inline images, or an error. */
function readContents(body: Record<string, unknown>): ContentInput | GoogleError {
  for (const key of Object.keys(body)) if (!REQUEST_FIELDS.includes(key)) return unknownName(snakeOf(key), "");
  const generation = asObject(body.generationConfig);
  if (generation) {
    for (const key of Object.keys(generation)) if (!GENERATION_FIELDS.includes(key)) return unknownName(snakeOf(key), "generation_config");
    const image = asObject(generation.imageConfig);
    if (image) for (const key of Object.keys(image)) if (!IMAGE_CONFIG_FIELDS.includes(key)) return unknownName(snakeOf(key), "generation_config.image_config");
    const modalities = generation.responseModalities;
    if (modalities !== undefined) {
      const list = Array.isArray(modalities) ? modalities : [modalities];
      // The enum is read case-insensitively (Google's own JS samples sent ["Text", "Image"]).
      const bad = list.findIndex((m) => typeof m !== "string" || !MODALITIES.includes(m.toUpperCase()));
      if (bad !== -1)
        return invalid(
          `Invalid value at 'generation_config.response_modalities[${bad}]' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.Modality), "${String(list[bad])}"`,
        );
    }
  }
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0) return invalid("* GenerateContentRequest.contents: contents is not specified\n");
  const input: ContentInput = { texts: [], images: [] };
  for (const [ci, content] of contents.entries()) {
    const parts = asObject(content)?.parts;
    if (!Array.isArray(parts) || parts.length === 0) return invalid(`* GenerateContentRequest.contents[${ci}].parts: contents.parts must not be empty.\n`);
    for (const [pi, part] of parts.entries()) {
      const p = asObject(part) ?? {};
      if (typeof p.text === "string") input.texts.push(p.text);
      const inline = asObject(p.inlineData);
      if (inline) {
        const bytes = fromBase64(inline.data);
        if (!bytes) {
          const shown = String(inline.data ?? "").slice(0, 40);
          return invalid(`Invalid value at 'contents[${ci}].parts[${pi}].inline_data.data' (TYPE_BYTES), Base64 decoding failed for "${shown}"`, [
            { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: `contents[${ci}].parts[${pi}].inline_data.data`, description: `Base64 decoding failed for "${shown}"` }] },
          ]);
        }
        input.images.push({ mimeType: String(inline.mimeType ?? ""), bytes });
      }
    }
  }
  return input;
}

const SAFETY_RATINGS = [
  { category: "HARM_CATEGORY_SEXUALLY_EXPLICIT", probability: "NEGLIGIBLE" },
  { category: "HARM_CATEGORY_HATE_SPEECH", probability: "NEGLIGIBLE" },
  { category: "HARM_CATEGORY_HARASSMENT", probability: "NEGLIGIBLE" },
  { category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "MEDIUM" },
];

/** 200 answers that carry a safety block or no media, shared by image and TTS models (undefined: not such a scenario). */
function blockedAnswer(scenario: GeminiScenario, model: string, promptTokens: number): Record<string, unknown> | undefined {
  const base = { modelVersion: model, responseId: randomId(23) };
  const usage = { promptTokenCount: promptTokens, totalTokenCount: promptTokens, promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokens }] };
  const refusal = "I'm unable to create that image because it may go against our content policies. Please try a different request.";
  switch (scenario) {
    case "blocked":
      return {
        promptFeedback: { blockReason: "PROHIBITED_CONTENT", safetyRatings: [{ category: "HARM_CATEGORY_SEXUALLY_EXPLICIT", probability: "HIGH", blocked: true }] },
        usageMetadata: usage,
        ...base,
      };
    case "safety":
      return { candidates: [{ finishReason: "SAFETY", index: 0, safetyRatings: [{ ...SAFETY_RATINGS[3], probability: "HIGH", blocked: true }] }], usageMetadata: usage, ...base };
    case "image_safety":
      return {
        candidates: [{ content: { role: "model", parts: [{ text: refusal }] }, finishReason: "IMAGE_SAFETY", index: 0, safetyRatings: SAFETY_RATINGS }],
        usageMetadata: { ...usage, candidatesTokenCount: 24, totalTokenCount: promptTokens + 24, candidatesTokensDetails: [{ modality: "TEXT", tokenCount: 24 }] },
        ...base,
      };
    case "no_image":
      return { candidates: [{ finishReason: "NO_IMAGE", index: 0 }], usageMetadata: usage, ...base };
    case "empty":
      return { candidates: [{ content: { role: "model" }, finishReason: "STOP", index: 0 }], usageMetadata: usage, ...base };
    default:
      return undefined;
  }
}

const modalitiesOf = (generation: Record<string, unknown>) => {
  const value = generation.responseModalities;
  return value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map((m) => String(m).toUpperCase());
};

function imageAnswer(model: string, body: Record<string, unknown>, input: ContentInput, scenario: GeminiScenario): Record<string, unknown> | GoogleError {
  const generation = asObject(body.generationConfig) ?? {};
  const imageConfig = asObject(generation.imageConfig) ?? {};
  const modalities = modalitiesOf(generation) ?? ["TEXT", "IMAGE"];
  if (modalities.includes("AUDIO")) return invalid("Multi-modal output is not supported.");
  for (const image of input.images) {
    const info = imageInfo(image.bytes);
    if (!image.mimeType.startsWith("image/") || !info)
      return invalid("Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
  }
  const extended = model === "gemini-3.1-flash-image-preview";
  const aspect = imageConfig.aspectRatio === undefined ? "1:1" : String(imageConfig.aspectRatio);
  const dims = GEMINI_ASPECT_SIZES[aspect] ?? (extended ? GEMINI_EXTENDED_ASPECT_SIZES[aspect] : undefined);
  if (!dims) {
    const allowed = [...Object.keys(GEMINI_ASPECT_SIZES), ...(extended ? Object.keys(GEMINI_EXTENDED_ASPECT_SIZES) : [])];
    return invalid(`Unsupported aspect ratio "${aspect}". Supported aspect ratios are: ${allowed.join(", ")}.`);
  }
  let imageSize = "1K";
  if (model !== "gemini-2.5-flash-image" && imageConfig.imageSize !== undefined) {
    imageSize = String(imageConfig.imageSize);
    const allowed = extended ? ["512", "1K", "2K", "4K"] : ["1K", "2K", "4K"];
    if (!allowed.includes(imageSize)) return invalid(`Unsupported image size "${imageSize}". Supported image sizes are: ${allowed.join(", ")}.`);
  }
  const blocked = blockedAnswer(scenario, model, GEMINI_REPORTS.image.promptTextTokens);
  if (blocked) return blocked;
  const scale = SIZE_SCALE[imageSize] ?? 1;
  const [w, h] = [Math.round(dims[0] * scale), Math.round(dims[1] * scale)];
  const withText = modalities.includes("TEXT");
  const thoughts = scenario === "thoughts" || GEMINI_REPORTS.image.thinkingModels.includes(model);
  const parts: Record<string, unknown>[] = [];
  if (thoughts) {
    parts.push({ text: "**Composing the scene**\n\nI'm placing the subject and working out the lighting before rendering.", thought: true });
    parts.push({ inlineData: { mimeType: "image/png", data: b64(makePng(256, 256, [220, 30, 30])) }, thought: true });
  }
  if (scenario === "text_only" || !modalities.includes("IMAGE")) {
    parts.push({ text: "Sure! Picture a calm lake at dawn, mist drifting over the water." });
    const usage = geminiImageUsage(model, { inputImages: input.images.length, thoughts });
    return {
      candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
      usageMetadata: {
        ...usage,
        candidatesTokenCount: GEMINI_REPORTS.image.textTokens,
        totalTokenCount: usage.promptTokenCount + GEMINI_REPORTS.image.textTokens + (usage.thoughtsTokenCount ?? 0),
        candidatesTokensDetails: [{ modality: "TEXT", tokenCount: GEMINI_REPORTS.image.textTokens }],
      },
      modelVersion: model,
      responseId: randomId(23),
    };
  }
  if (withText) parts.push({ text: "Here is your image: " });
  const bytes =
    scenario === "not_media" ? new TextEncoder().encode("this is plain text, not an image") : scenario === "jpeg" ? makeJpeg(w, h) : makePng(w, h);
  const finalImage: Record<string, unknown> = { inlineData: { mimeType: scenario === "jpeg" ? "image/jpeg" : "image/png", data: b64(bytes) } };
  if (thoughts) finalImage.thoughtSignature = b64(new TextEncoder().encode(`sig-${randomId(16)}`));
  parts.push(finalImage);
  return {
    candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
    usageMetadata: geminiImageUsage(model, { inputImages: input.images.length, imageSize, withText, thoughts }),
    modelVersion: model,
    responseId: randomId(23),
  };
}

function voiceOf(config: Record<string, unknown> | undefined): string | undefined {
  const name = asObject(config?.prebuiltVoiceConfig)?.voiceName;
  return typeof name === "string" ? name : undefined;
}

function speechAnswer(model: string, body: Record<string, unknown>, input: ContentInput, scenario: GeminiScenario): Record<string, unknown> | GoogleError {
  const generation = asObject(body.generationConfig) ?? {};
  const modalities = modalitiesOf(generation);
  if (!modalities || modalities.length !== 1 || modalities[0] !== "AUDIO")
    return invalid(
      `The requested combination of response modalities (${(modalities ?? ["TEXT"]).join(", ")}) is not supported by the model. models/${model} accepts the following combination of response modalities:\n* AUDIO\n`,
    );
  if (input.images.length > 0) return invalid();
  const speech = asObject(generation.speechConfig);
  if (!speech && !model.startsWith("gemini-2.5")) return invalid();
  if (speech) {
    const single = asObject(speech.voiceConfig);
    const multi = asObject(speech.multiSpeakerVoiceConfig);
    if (single && multi) return invalid();
    if (single && !GEMINI_VOICES.includes(voiceOf(single) ?? "")) return invalid();
    if (multi) {
      const speakers = multi.speakerVoiceConfigs;
      if (!Array.isArray(speakers) || speakers.length !== 2) return invalid();
      for (const s of speakers) {
        const entry = asObject(s);
        if (typeof entry?.speaker !== "string" || !GEMINI_VOICES.includes(voiceOf(asObject(entry.voiceConfig)) ?? "")) return invalid();
      }
    }
  }
  const text = input.texts.join("\n");
  if (text.trim() === "") return invalid();
  const usage = geminiSpeechUsage(text);
  const blocked = blockedAnswer(scenario, model, usage.promptTokenCount);
  if (blocked) return blocked;
  const seconds = geminiSpeechSeconds(text);
  const wav = scenario === "wav_audio";
  const bytes = scenario === "not_media" ? new TextEncoder().encode("this is plain text, not audio") : wav ? makeWav(seconds) : makePcm(seconds);
  return {
    candidates: [
      {
        content: { role: "model", parts: [{ inlineData: { mimeType: wav ? "audio/wav" : "audio/L16;codec=pcm;rate=24000", data: b64(bytes) } }] },
        finishReason: "STOP",
        index: 0,
      },
    ],
    usageMetadata: usage,
    modelVersion: model,
    responseId: randomId(23),
  };
}

// ---------------------------------------------------------------------------------------------------------------

interface Operation {
  name: string;
  model: string;
  polls: number;
  outcome: "ok" | "rai_filtered" | "operation_error";
  fileIds: string[];
}
interface StoredFile {
  bytes: Uint8Array;
  createdAt: number;
  signature: string;
}

const VERTEX_ONLY_VEO = ["seed", "fps", "generateAudio", "outputGcsUri", "storageUri", "pubsubTopic", "compressionQuality", "mask", "resizeMode", "labels"];

/** Checks a Veo image object ({bytesBase64Encoded, mimeType}); returns an error or undefined. */
function checkVeoImage(value: unknown, field: string): GoogleError | undefined {
  const image = asObject(value);
  if (!image) return invalid(`\`${field}\` must be an object with bytesBase64Encoded and mimeType.`);
  if (image.gcsUri !== undefined) return invalid(`\`${field}.gcsUri\` isn't supported by this model. Please remove it or refer to the Gemini API documentation for supported usage.`);
  const bytes = fromBase64(image.bytesBase64Encoded);
  if (!bytes || typeof image.mimeType !== "string") return invalid(`\`${field}\` must be an object with bytesBase64Encoded and mimeType.`);
  if (!image.mimeType.startsWith("image/") || !imageInfo(bytes))
    return invalid("Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
  return undefined;
}

/** Validates a predictLongRunning body; returns the sample count or an error. */
function validateVeo(model: string, body: Record<string, unknown>): number | GoogleError {
  const caps = VEO_MODELS[model]!;
  const instances = body.instances;
  if (!Array.isArray(instances) || instances.length !== 1 || !asObject(instances[0])) return invalid("`instances` must contain exactly one instance.");
  const instance = asObject(instances[0])!;
  const hasImage = instance.image !== undefined;
  const hasVideo = instance.video !== undefined;
  const hasRefs = instance.referenceImages !== undefined;
  if ((typeof instance.prompt !== "string" || instance.prompt.trim() === "") && !hasImage && !hasVideo) return invalid("`prompt` is required for text-to-video.");
  if (hasImage) {
    const e = checkVeoImage(instance.image, "image");
    if (e) return e;
  }
  if (instance.lastFrame !== undefined) {
    if (!hasImage) return invalid("`lastFrame` requires `image` (the first frame).");
    const e = checkVeoImage(instance.lastFrame, "lastFrame");
    if (e) return e;
  }
  if (hasRefs) {
    if (!caps.referenceImages) return invalid(`\`referenceImages\` isn't supported by this model. Please remove it or refer to the Gemini API documentation for supported usage.`);
    if (hasImage || hasVideo || instance.lastFrame !== undefined) return invalid("`referenceImages` cannot be combined with `image`, `lastFrame` or `video`.");
    const refs = instance.referenceImages;
    if (!Array.isArray(refs) || refs.length === 0 || refs.length > 3) return invalid("`referenceImages` must contain between 1 and 3 images.");
    for (const [i, ref] of refs.entries()) {
      const e = checkVeoImage(asObject(ref)?.image, `referenceImages[${i}].image`);
      if (e) return e;
    }
  }
  const params = asObject(body.parameters) ?? {};
  for (const key of Object.keys(params))
    if (VERTEX_ONLY_VEO.includes(key)) return invalid(`\`${key}\` isn't supported by this model. Please remove it or refer to the Gemini API documentation for supported usage.`);
  const aspect = params.aspectRatio ?? "16:9";
  if (aspect !== "16:9" && aspect !== "9:16") return invalid(`Aspect ratio ${String(aspect)} is not supported. Supported aspect ratios are 16:9 and 9:16.`);
  const resolution = String(params.resolution ?? "720p");
  if (!caps.resolutions.includes(resolution)) return invalid(`Resolution ${resolution} is not supported by ${model}. Supported resolutions are: ${caps.resolutions.join(", ")}.`);
  const rawDuration = params.durationSeconds ?? 8;
  const duration = typeof rawDuration === "string" && rawDuration.trim() !== "" ? Number(rawDuration) : rawDuration;
  if (typeof duration !== "number" || !caps.durations.includes(duration))
    return invalid(`The value for \`durationSeconds\` is not supported: ${String(rawDuration)}. Supported values are ${caps.durations.join(", ")}.`);
  if (duration !== 8 && (caps.eightOnly.includes(resolution) || hasRefs || hasVideo))
    return invalid(`\`durationSeconds\` must be 8 for ${hasRefs ? "reference images" : hasVideo ? "video extension" : `${resolution} resolution`}.`);
  const samples = params.sampleCount ?? 1;
  if (typeof samples !== "number" || !Number.isInteger(samples) || samples < 1 || samples > caps.maxSamples)
    return invalid(`\`sampleCount\` must be between 1 and ${caps.maxSamples} for ${model}.`);
  if (params.personGeneration !== undefined) {
    const value = String(params.personGeneration);
    const allowed = model.startsWith("veo-2") ? ["allow_all", "allow_adult", "dont_allow"] : hasImage || hasRefs ? ["allow_adult"] : ["allow_all"];
    if (!allowed.includes(value)) return invalid(`\`personGeneration\` value ${value} is not supported for this request. Supported values: ${allowed.join(", ")}.`);
  }
  return samples;
}

/** Starts the fake on 127.0.0.1 with a random port. `key` is the only API key it accepts. */
export function startFakeGemini(key = "AIzaSyFAKE-gemini-0123456789abcdefghij"): FakeGemini {
  const operations = new Map<string, Operation>();
  const files = new Map<string, StoredFile>();

  const storage = ({ rec }: FakeCall<GeminiScenario, GeminiRecordedRequest>): Response => {
    const id = /^\/generated-videos\/([a-z0-9]+)\.mp4$/.exec(rec.path)?.[1];
    const file = id ? files.get(id) : undefined;
    if (!file || rec.query["X-Goog-Signature"] !== file.signature)
      return new Response("<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>", {
        status: 403,
        headers: { "content-type": "application/xml; charset=UTF-8" },
      });
    return new Response(file.bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": "video/mp4" } });
  };

  const poll = (op: Operation): Record<string, unknown> => {
    op.polls++;
    if (op.polls <= fake.pendingPolls)
      return fake.reportProgress ? { name: op.name, metadata: { progressPercent: Math.round((100 * (op.polls - 1)) / fake.pendingPolls) } } : { name: op.name };
    if (op.outcome === "operation_error")
      return { name: op.name, done: true, error: { code: 13, message: "Video generation failed due to an internal error. You have not been charged. Please try again." } };
    const generateVideoResponse =
      op.outcome === "rai_filtered"
        ? {
            raiMediaFilteredCount: 1,
            raiMediaFilteredReasons: [
              "We encountered an issue with the audio for your prompt. You have not been charged for this request. Please try changing your prompt and try again.",
            ],
          }
        : { generatedSamples: op.fileIds.map((id) => ({ video: { uri: `${fake.url}/v1beta/files/${id}:download?alt=media` } })) };
    return {
      name: op.name,
      done: true,
      response: { "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse", generateVideoResponse },
    };
  };

  const handle = async ({ request, rec, scenario: take, transport }: FakeCall<GeminiScenario, GeminiRecordedRequest>): Promise<Response> => {
    const call = /^\/v1beta\/models\/([^/:]+):(generateContent|predictLongRunning|streamGenerateContent)$/.exec(rec.path);
    const opMatch = /^\/v1beta\/(models\/([^/:]+)\/operations\/([a-z0-9]+))$/.exec(rec.path);
    const fileMatch = /^\/v1beta\/files\/([a-z0-9]+)(:download)?$/.exec(rec.path);
    const modelMatch = /^\/v1beta\/models\/([^/:]+)$/.exec(rec.path);
    if (!(call && request.method === "POST") && !((opMatch || fileMatch || modelMatch) && request.method === "GET"))
      return json(404, { error: { code: 404, message: `Method not found.`, status: "NOT_FOUND" } });
    const model = call?.[1] ?? opMatch?.[2] ?? modelMatch?.[1] ?? "";
    const method = call?.[2] ?? "get";

    const scenario = take(call ? promptOf(rec.body) : "");
    const op = opMatch ? operations.get(opMatch[1]!) : undefined;

    const sent = request.headers.get("x-goog-api-key") ?? rec.query.key;
    if (sent === undefined || sent === null || sent === "") return errorResponse(NO_KEY);
    if (sent !== key) return errorResponse(API_KEY_INVALID);
    const forced = scenarioError(scenario, model, method, fake.retryDelay);
    if (forced) return errorResponse(forced);
    await transport(scenario);
    if (scenario === "malformed")
      return new Response("<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>", { status: 200, headers: { "content-type": "text/html" } });

    if (fileMatch) {
      const id = fileMatch[1]!;
      const file = files.get(id);
      if (!file || Date.now() - file.createdAt > fake.fileTtlMs)
        return errorResponse(new GoogleError(403, "PERMISSION_DENIED", `You do not have permission to access the File ${id} or it may not exist.`));
      if (!fileMatch[2] || rec.query.alt !== "media")
        return json(200, {
          name: `files/${id}`,
          mimeType: "video/mp4",
          sizeBytes: String(file.bytes.length),
          createTime: new Date(file.createdAt).toISOString(),
          expirationTime: new Date(file.createdAt + fake.fileTtlMs).toISOString(),
          uri: `${fake.url}/v1beta/files/${id}`,
          downloadUri: `${fake.url}/v1beta/files/${id}:download?alt=media`,
          state: "ACTIVE",
          source: "GENERATED",
        });
      return new Response(null, { status: 302, headers: { location: `${fake.storageUrl}/generated-videos/${id}.mp4?X-Goog-Signature=${file.signature}&X-Goog-Expires=600` } });
    }
    const answer = (body: Record<string, unknown>) => json(200, scenario === "snake_case" ? snakeKeys(body) : body);
    if (opMatch) {
      if (!op) return errorResponse(new GoogleError(404, "NOT_FOUND", `Operation ${opMatch[1]} not found.`));
      return answer(poll(op));
    }
    if (modelMatch) {
      const methods = GEMINI_IMAGE_MODELS.includes(model) || GEMINI_TTS_MODELS.includes(model) ? ["generateContent", "countTokens"] : VEO_MODELS[model] ? ["predictLongRunning"] : undefined;
      if (!methods) return errorResponse(new GoogleError(404, "NOT_FOUND", `Model is not found: models/${model} for api version v1beta`));
      return answer({ name: `models/${model}`, displayName: model, supportedGenerationMethods: methods });
    }

    const body = rec.body;
    if (rec.rawText !== undefined) return errorResponse(invalid(`Invalid JSON payload received. Unexpected token.\n${rec.rawText.slice(0, 40)}\n^`));
    if (method === "predictLongRunning") {
      if (!VEO_MODELS[model]) return errorResponse(modelNotFound(model, method));
      const samples = validateVeo(model, body);
      if (samples instanceof GoogleError) return errorResponse(samples);
      const id = randomId(12);
      const fileIds = Array.from({ length: samples }, () => {
        const fileId = randomId(12);
        files.set(fileId, { bytes: makeMp4(4096), createdAt: Date.now(), signature: randomId(32) });
        return fileId;
      });
      const outcome = scenario === "rai_filtered" || scenario === "operation_error" ? scenario : "ok";
      const name = `models/${model}/operations/${id}`;
      operations.set(name, { name, model, polls: 0, outcome, fileIds });
      return json(200, { name });
    }
    if (method === "streamGenerateContent") return errorResponse(invalid("This fake does not implement streamGenerateContent."));
    const isImage = GEMINI_IMAGE_MODELS.includes(model);
    if (!isImage && !GEMINI_TTS_MODELS.includes(model)) return errorResponse(modelNotFound(model, method));
    const input = readContents(body);
    if (input instanceof GoogleError) return errorResponse(input);
    const content = isImage ? imageAnswer(model, body, input, scenario) : speechAnswer(model, body, input, scenario);
    return content instanceof GoogleError ? errorResponse(content) : answer(content);
  };

  const server = startFakeServer<GeminiScenario, GeminiRecordedRequest>(handle, { record });
  const fake: FakeGemini = Object.assign(server, {
    storageUrl: server.addOrigin(storage),
    key,
    pendingPolls: 2,
    fileTtlMs: 2 * 24 * 3600 * 1000,
    retryDelay: "12s",
    reportProgress: false,
  });
  return fake;
}

/** Records a request with its JSON keys normalised to camelCase and how they were spelt. */
function record(rec: RecordedRequest): GeminiRecordedRequest {
  const snake = new Set<string>();
  const camel = new Set<string>();
  const body = normalise(rec.body, snake, camel) as Record<string, unknown>;
  const keyStyle = snake.size && camel.size ? "mixed" : snake.size ? "snake" : camel.size ? "camel" : "none";
  return { ...rec, body, keyStyle, snakeKeys: [...snake] };
}

/** The text parts of a generateContent body and the prompt of a Veo instance, joined with "\n" (where a scenario marker may stand). */
function promptOf(body: Record<string, unknown>): string {
  const contents = Array.isArray(body.contents) ? body.contents : [];
  const texts = contents.flatMap((c) => (Array.isArray(asObject(c)?.parts) ? (asObject(c)!.parts as unknown[]) : [])).map((p) => asObject(p)?.text);
  const instance = Array.isArray(body.instances) ? asObject(body.instances[0]) : undefined;
  return [...texts, instance?.prompt].filter((t) => typeof t === "string").join("\n");
}
