// Google's Gemini API, natively: image output and TTS through generateContent, Veo through predictLongRunning and polling.
import type { ModelEntry } from "../config/schema.ts";
import { afterBilling, AppError, invalidArgument } from "../errors.ts";
import type { Meter, TokenKind } from "../costs/price-schema.ts";
import type { Usage } from "../ledger/schema.ts";
import { encodeWav } from "../formats/wav.ts";
import { clip, errorForStatus, joinUrl, pause, readBytes, readJsonObject, readText, redact, request, retryAfterSeconds, transportError, upstreamMessage } from "./http.ts";
import { asNumber, asObject, asObjects, asString, fromBase64, type Json, toBase64 } from "./json.ts";
import { ASPECT_RATIOS } from "./sizes.ts";
import { GeminiOptions } from "./options.ts";
import type { CallContext, ImageJob, Provider, ProviderResult, SpeechJob, VideoJob } from "./types.ts";

/** The 30 prebuilt TTS voices, spelt as the API expects them. */
export const GEMINI_VOICES = [
  "Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe", "Autonoe",
  "Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib", "Rasalgethi", "Laomedeia", "Achernar",
  "Alnilam", "Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat",
] as const;
const DEFAULT_VOICE = "Kore";
/** Sample rate of TTS PCM whose mime type does not name one, in Hz. */
const DEFAULT_PCM_RATE_HZ = 24_000;
/** Redirects followed when downloading a generated video (the Files API answers one 302 to signed storage). */
const MAX_REDIRECTS = 5;

/** imageSize values per image model family; models not listed get whatever is configured, unchecked. */
const IMAGE_SIZES: [RegExp, readonly string[]][] = [
  [/^gemini-3\.1-flash-image/, ["512", "1K", "2K", "4K"]],
  [/^gemini-3-pro-image/, ["1K", "2K", "4K"]],
];

/** Finish reasons that mean the answer was withheld rather than merely empty. */
const WITHHELD_FINISH_REASONS = new Set([
  "SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_RECITATION", "IMAGE_OTHER", "NO_IMAGE",
]);
const SAFETY_WORDS = /safety|responsible ai|\brai\b|prohibited|sensitive|content polic/i;

/** Durations (seconds) and resolutions each Veo family accepts; `eightSecondsOnly` resolutions need 8-second clips. */
interface VeoLimits {
  durations: readonly number[];
  resolutions: readonly string[];
  eightSecondsOnly: readonly string[];
}
const VEO_LIMITS: [RegExp, VeoLimits][] = [
  [/^veo-3\.1-lite/, { durations: [4, 6, 8], resolutions: ["720p", "1080p"], eightSecondsOnly: ["1080p"] }],
  [/^veo-3\.1/, { durations: [4, 6, 8], resolutions: ["720p", "1080p", "4k"], eightSecondsOnly: ["1080p", "4k"] }],
  [/^veo-3\.0/, { durations: [4, 6, 8], resolutions: ["720p", "1080p"], eightSecondsOnly: ["1080p"] }],
  [/^veo-2/, { durations: [5, 6, 7, 8], resolutions: ["720p"], eightSecondsOnly: [] }],
];

/** A deep copy with snake_case keys spelt camelCase, so answers from proxies that re-serialise them read the same. */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  const object = asObject(value);
  if (!object) return value;
  return Object.fromEntries(Object.entries(object).map(([key, v]) => [key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camelKeys(v)]));
}

function options(entry: ModelEntry): GeminiOptions {
  return GeminiOptions.parse(entry.options ?? {});
}

const modelId = (entry: ModelEntry) => entry.model.replace(/^models\//, "");

/** A v1beta URL; a base URL already ending in /v1beta is not doubled. */
function apiUrl(ctx: CallContext, path: string): string {
  return joinUrl(ctx.baseUrl.replace(/\/v1beta\/*$/, ""), `v1beta/${path}`);
}

function keyHeader(ctx: CallContext): Record<string, string> {
  return ctx.apiKey ? { "x-goog-api-key": ctx.apiKey } : {};
}

/** The google.rpc.Status of an error body, if it has one. */
function googleStatus(body: string): { message?: unknown; details?: unknown } | undefined {
  try {
    return asObject((JSON.parse(body) as Json).error);
  } catch {
    return undefined;
  }
}

/** Seconds of a google.protobuf.Duration such as "12s" or "34.4s", rounded up. */
function protoDurationSeconds(value: unknown): number | undefined {
  const match = typeof value === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(value.trim()) : null;
  return match ? Math.ceil(Number(match[1])) : undefined;
}

/** Google's error envelope mapped into the catalogue (rejected key, quota with RetryInfo, overload); undefined = default mapping. */
function mapError(status: number, body: string, headers: Headers): AppError | undefined {
  const error = googleStatus(body);
  const details = asObjects(error?.details);
  const detail = (type: string) => details.find((d) => typeof d["@type"] === "string" && d["@type"].endsWith(`google.rpc.${type}`));
  const message = `Upstream ${status}: ${upstreamMessage(body)}`;
  const upstream = { upstream_status: status };
  const reason = asString(detail("ErrorInfo")?.reason) ?? "";
  const keyRejected = reason.startsWith("API_KEY_") || /API key (not valid|expired)/i.test(String(error?.message ?? ""));
  if (keyRejected || status === 403) {
    return new AppError("auth_required", `Gemini rejected the API key (${message}); check the model's api_key in config.yml`, { ...upstream, status: 502 });
  }
  if (status === 429 || status === 503) {
    const retry = protoDurationSeconds(detail("RetryInfo")?.retryDelay) ?? retryAfterSeconds(headers.get("retry-after"));
    const withRetry = retry === undefined ? upstream : { ...upstream, retry_after_seconds: retry };
    return new AppError(status === 429 ? "rate_limited" : "overloaded", message, withRetry);
  }
  return undefined;
}

async function postJson(ctx: CallContext, path: string, body: Json): Promise<Json> {
  const init = { method: "POST", headers: { ...keyHeader(ctx), "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await request(apiUrl(ctx, path), init, ctx, mapError);
  return camelKeys(await readJsonObject(response, ctx)) as Json;
}

/** Token counts by billing kind from usageMetadata; `output` is the kind of candidate tokens reported without modality details. */
function tokenMeter(usage: Json | undefined, output: "output_image" | "output_audio"): Meter["tokens"] {
  if (!usage) return undefined;
  const tokens: Partial<Record<TokenKind, number>> = {};
  const add = (kind: TokenKind, count: unknown) => {
    const n = asNumber(count) ?? 0;
    if (n > 0) tokens[kind] = (tokens[kind] ?? 0) + n;
  };
  const prompt = asObjects(usage.promptTokensDetails);
  if (prompt.length > 0) for (const d of prompt) add(d.modality === "IMAGE" ? "input_image" : "input_text", d.tokenCount);
  else add("input_text", usage.promptTokenCount);
  const candidates = asObjects(usage.candidatesTokensDetails);
  const kinds: Record<string, TokenKind> = { TEXT: "output_text", IMAGE: "output_image", AUDIO: "output_audio" };
  if (candidates.length > 0) for (const d of candidates) add(kinds[String(d.modality)] ?? output, d.tokenCount);
  else add(output, usage.candidatesTokenCount);
  add("output_text", usage.thoughtsTokenCount);
  return tokens;
}

/** The useful content of a generateContent answer: media parts (thoughts skipped), text, and why it stopped. */
interface Answer {
  media: { mimeType: string; data: string }[];
  text: string;
  hasCandidate: boolean;
  blockReason?: string;
  finishReason?: string;
  finishMessage?: string;
  usage?: Json;
}

function readAnswer(json: Json): Answer {
  const feedback = asObject(json.promptFeedback);
  const candidate = asObjects(json.candidates)[0];
  const parts = asObjects(asObject(candidate?.content)?.parts).filter((p) => p.thought !== true);
  const media = parts.flatMap((p) => {
    const inline = asObject(p.inlineData);
    const data = asString(inline?.data);
    return data ? [{ mimeType: asString(inline?.mimeType) ?? "", data }] : [];
  });
  const text = parts.map((p) => (typeof p.text === "string" ? p.text : "")).join("").trim();
  const blockReason = asString(feedback?.blockReason);
  return {
    media,
    text,
    hasCandidate: candidate !== undefined,
    blockReason: blockReason && [blockReason, asString(feedback?.blockReasonMessage)].filter(Boolean).join(": "),
    finishReason: asString(candidate?.finishReason),
    finishMessage: asString(candidate?.finishMessage),
    usage: asObject(json.usageMetadata),
  };
}

/** Why an answer carries no image or audio: a safety block (content_filtered) or an empty answer. */
function noMediaError(answer: Answer, what: "image" | "audio"): AppError {
  const said = answer.text ? `; the model said: "${clip(answer.text)}"` : "";
  if (answer.blockReason) return new AppError("content_filtered", `Gemini blocked the prompt (blockReason ${answer.blockReason})${said}`);
  const reason = answer.finishReason;
  const because = reason ? ` (finishReason ${reason}${answer.finishMessage ? `: ${clip(answer.finishMessage)}` : ""})` : "";
  if (reason && WITHHELD_FINISH_REASONS.has(reason)) return new AppError("content_filtered", `Gemini withheld the ${what}${because}${said}`);
  if (!answer.hasCandidate) return new AppError("empty_response", `Gemini answered without any candidate, so no ${what}`);
  return new AppError("empty_response", `Gemini returned no ${what}${because}${said}`);
}

function extraOf(json: Json): Record<string, unknown> | undefined {
  const id = asString(json.responseId);
  return id ? { response_id: id } : undefined;
}

/** The imageSize to send: Gemini 2.5 Flash Image has a fixed ~1 MP output and takes none. */
function imageSizeFor(model: string, size: string | undefined): string | undefined {
  return size && !model.startsWith("gemini-2.5") ? size : undefined;
}

async function image(job: ImageJob, ctx: CallContext): Promise<ProviderResult> {
  const model = modelId(ctx.entry);
  const size = imageSizeFor(model, options(ctx.entry).image_size);
  const parts = [{ text: job.prompt }, ...job.inputs.map((input) => ({ inlineData: { mimeType: input.mimeType, data: toBase64(input.bytes) } }))];
  const imageConfig = { aspectRatio: ASPECT_RATIOS[job.aspect], ...(size ? { imageSize: size } : {}) };
  const json = await postJson(ctx, `models/${model}:generateContent`, {
    contents: [{ role: "user", parts }],
    generationConfig: { responseModalities: ["TEXT", "IMAGE"], imageConfig },
  });
  const answer = readAnswer(json);
  const found = answer.media.filter((m) => m.mimeType === "" || m.mimeType.startsWith("image/")).at(-1);
  if (!found) throw noMediaError(answer, "image");
  const tokens = tokenMeter(answer.usage, "output_image");
  return {
    bytes: fromBase64(found.data),
    mimeType: found.mimeType || undefined,
    usage: answer.usage as Usage | undefined,
    meter: tokens ? { tokens, images: 1 } : { images: 1 },
    extra: extraOf(json),
  };
}

/** The voice as the API spells it, matched case-insensitively; undefined when it is not a prebuilt voice. */
function canonicalVoice(voice: string): string | undefined {
  return GEMINI_VOICES.find((v) => v.toLowerCase() === voice.trim().toLowerCase());
}

/** Audio parts as a file: raw s16le PCM (`audio/L16;codec=pcm;rate=24000`) wrapped in a WAV; anything else as sent. */
function audioFile(parts: Answer["media"]): Uint8Array {
  const mime = parts[0]!.mimeType;
  const first = fromBase64(parts[0]!.data);
  const isPcm = mime === "" || /^audio\/(l16|pcm)\b/i.test(mime) || /codec=pcm/i.test(mime);
  const isRiff = first.length >= 4 && String.fromCharCode(...first.subarray(0, 4)) === "RIFF";
  if (!isPcm || isRiff) return first;
  const pcm = parts.length === 1 ? first : Buffer.concat(parts.map((p) => fromBase64(p.data)));
  if (pcm.length % 2 !== 0) throw new AppError("invalid_response", `Gemini sent ${pcm.length} bytes as 16-bit PCM, an odd count: not audio`);
  const rate = Number(/rate=(\d+)/i.exec(mime)?.[1] ?? DEFAULT_PCM_RATE_HZ);
  // Google labels it L16 but sends little-endian samples; copying aligns them for Int16Array.
  return encodeWav({ sampleRate: rate, samples: new Int16Array(new Uint8Array(pcm).buffer) });
}

async function speech(job: SpeechJob, ctx: CallContext): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const voice = (job.voice && canonicalVoice(job.voice)) || DEFAULT_VOICE;
  const speechConfig = { voiceConfig: { prebuiltVoiceConfig: { voiceName: voice } }, ...(opts.language_code ? { languageCode: opts.language_code } : {}) };
  const json = await postJson(ctx, `models/${modelId(ctx.entry)}:generateContent`, {
    contents: [{ role: "user", parts: [{ text: job.input }] }],
    generationConfig: { responseModalities: ["AUDIO"], speechConfig },
  });
  const answer = readAnswer(json);
  const audio = answer.media.filter((m) => m.mimeType === "" || m.mimeType.startsWith("audio/"));
  if (audio.length === 0) throw noMediaError(answer, "audio");
  const tokens = tokenMeter(answer.usage, "output_audio");
  const usage = answer.usage as Usage | undefined;
  const meter = tokens ? { tokens } : { characters: job.input.length };
  // The speech was generated (and billed) before its bytes turn out unreadable: keep the cost.
  let bytes: Uint8Array;
  try {
    bytes = audioFile(audio);
  } catch (error) {
    throw afterBilling(error, { usage, meter });
  }
  return { bytes, mimeType: "audio/wav", usage, voice, meter, extra: extraOf(json) };
}

async function pollOperation(name: string, ctx: CallContext): Promise<Json> {
  const response = await request(apiUrl(ctx, name), { headers: keyHeader(ctx) }, ctx, mapError);
  return camelKeys(await readJsonObject(response, ctx)) as Json;
}

/** Fetches a generated file: the key goes to the API's origin only, never to the storage host a 302 points at. */
async function downloadFile(uri: string, ctx: CallContext): Promise<Uint8Array> {
  const apiOrigin = new URL(ctx.baseUrl).origin;
  let url: URL;
  try {
    url = new URL(uri, ctx.baseUrl);
  } catch {
    throw new AppError("invalid_response", `Veo returned a video URI that is not a URL: ${clip(uri)}`);
  }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response: Response;
    try {
      response = await fetch(url, { headers: url.origin === apiOrigin ? keyHeader(ctx) : {}, redirect: "manual", signal: ctx.signal, timeout: false });
    } catch (error) {
      throw transportError(error, ctx);
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      continue;
    }
    if (!response.ok) {
      const body = redact(await readText(response, ctx), [ctx.apiKey]);
      if (response.status === 403 || response.status === 404) {
        const why = `Upstream ${response.status}: ${upstreamMessage(body)}`;
        throw new AppError("api_error", `Could not download the generated video (${why}); Gemini deletes generated videos after 2 days`, { upstream_status: response.status });
      }
      throw mapError(response.status, body, response.headers) ?? errorForStatus(response.status, body, response.headers);
    }
    return readBytes(response, ctx);
  }
  throw new AppError("invalid_response", `Downloading the generated video took more than ${MAX_REDIRECTS} redirects`);
}

/**
 * Polls an operation until `done` (a missing `done` means pending), then returns the video's bytes. A download
 * that fails after the operation produced the video is marked `billed` with `meter`, so its cost is kept.
 */
async function finishOperation(name: string, first: Json, ctx: CallContext, meter: Meter): Promise<Uint8Array> {
  let operation = first;
  while (operation.done !== true) {
    const progress = asNumber(asObject(operation.metadata)?.progressPercent);
    if (progress !== undefined) ctx.onProgress?.(Math.min(100, Math.max(0, progress)));
    await pause(ctx.pollIntervalMs, ctx);
    operation = await pollOperation(name, ctx);
  }
  const error = asObject(operation.error);
  if (error) {
    const message = `Veo operation failed (code ${String(error.code ?? "unknown")}): ${clip(asString(error.message) ?? "no message")}`;
    throw new AppError(SAFETY_WORDS.test(message) ? "content_filtered" : "api_error", message);
  }
  const result = asObject(asObject(operation.response)?.generateVideoResponse);
  const video = asObject(asObjects(result?.generatedSamples)[0]?.video);
  const inline = asString(video?.encodedVideo) ?? asString(video?.bytesBase64Encoded);
  if (inline) return fromBase64(inline);
  const uri = asString(video?.uri);
  if (uri) return downloadFile(uri, ctx).catch((error: unknown) => Promise.reject(afterBilling(error, { meter })));
  const reasons = (Array.isArray(result?.raiMediaFilteredReasons) ? result.raiMediaFilteredReasons : []).filter((r): r is string => typeof r === "string");
  const filtered = asNumber(result?.raiMediaFilteredCount) ?? 0;
  if (filtered > 0 || reasons.length > 0) {
    throw new AppError("content_filtered", `Veo filtered the video on safety grounds: ${clip(reasons.join(" ")) || `${filtered} video(s) filtered`}`);
  }
  throw new AppError("empty_response", "Veo finished the operation without a video");
}

async function video(job: VideoJob, ctx: CallContext): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const frame = job.firstFrame;
  const instance = { prompt: job.prompt, ...(frame ? { image: { bytesBase64Encoded: toBase64(frame.bytes), mimeType: frame.mimeType } } : {}) };
  const parameters = {
    aspectRatio: job.aspect === "portrait" ? "9:16" : "16:9",
    durationSeconds: job.durationSeconds,
    ...(opts.resolution ? { resolution: opts.resolution } : {}),
    ...(opts.negative_prompt ? { negativePrompt: opts.negative_prompt } : {}),
    ...(opts.person_generation ? { personGeneration: opts.person_generation } : {}),
  };
  const started = await postJson(ctx, `models/${modelId(ctx.entry)}:predictLongRunning`, { instances: [instance], parameters });
  const name = asString(started.name);
  if (!name) throw new AppError("invalid_response", "Veo accepted the request but returned no operation name");
  ctx.onOperation?.(name);
  const meter = { seconds: job.durationSeconds, resolution: opts.resolution ?? "720p" };
  const bytes = await finishOperation(name, started, ctx, meter);
  return { bytes, mimeType: "video/mp4", durationSeconds: job.durationSeconds, meter, extra: { operation: name } };
}

/** Finishes a Veo operation started before a restart. Its duration is not known here: the meter carries the resolution only. */
async function resumeVideo(operationId: string, ctx: CallContext): Promise<ProviderResult> {
  const meter = { resolution: options(ctx.entry).resolution ?? "720p" };
  const bytes = await finishOperation(operationId, await pollOperation(operationId, ctx), ctx, meter);
  return { bytes, mimeType: "video/mp4", meter, extra: { operation: operationId } };
}

/** GET models/{model}: the cheapest call that proves the key and the model id. */
async function testConnection(ctx: CallContext): Promise<string> {
  const model = modelId(ctx.entry);
  const response = await request(apiUrl(ctx, `models/${model}`), { headers: keyHeader(ctx) }, ctx, (status, body, headers) =>
    status === 404
      ? new AppError("not_found", `Connected, but Gemini has no model '${model}': ${upstreamMessage(body)}`, { upstream_status: 404 })
      : mapError(status, body, headers),
  );
  await readText(response, ctx);
  return `Connected; model '${model}' is available.`;
}

function checkImage(_job: ImageJob, entry: ModelEntry): void {
  const size = options(entry).image_size;
  const model = modelId(entry);
  const sizes = IMAGE_SIZES.find(([pattern]) => pattern.test(model))?.[1];
  if (size && sizes && !sizes.includes(size)) {
    throw invalidArgument("image_size", `${model} does not take image_size "${size}"; set options.image_size to one of ${sizes.join(", ")} in config.yml`, sizes);
  }
}

function checkSpeech(job: SpeechJob, entry: ModelEntry): void {
  if (job.voice && !canonicalVoice(job.voice)) {
    throw invalidArgument("voice", `voice "${job.voice}" is not a voice of ${entry.model}; choose one of ${GEMINI_VOICES.join(", ")}`, GEMINI_VOICES);
  }
}

function checkVideo(job: VideoJob, entry: ModelEntry): void {
  const model = modelId(entry);
  const limits = VEO_LIMITS.find(([pattern]) => pattern.test(model))?.[1];
  if (!limits) return;
  const resolution = options(entry).resolution ?? "720p";
  if (!limits.resolutions.includes(resolution)) {
    throw invalidArgument("resolution", `${model} does not make ${resolution} video; set options.resolution to one of ${limits.resolutions.join(", ")} in config.yml`, limits.resolutions);
  }
  if (!limits.durations.includes(job.durationSeconds)) {
    throw invalidArgument("duration_seconds", `${model} makes clips of ${limits.durations.join(", ")} seconds, not ${job.durationSeconds}`, limits.durations);
  }
  if (limits.eightSecondsOnly.includes(resolution) && job.durationSeconds !== 8) {
    throw invalidArgument("duration_seconds", `${model} makes ${resolution} clips of 8 seconds only (options.resolution is ${resolution})`, [8]);
  }
}

/** Gemini API: Nano Banana images and edits, TTS, and Veo video (long-running, resumable after a restart). */
export const gemini: Provider = {
  voices: () => GEMINI_VOICES,
  id: "gemini",
  requiresKey: true,
  defaultBaseUrl: "https://generativelanguage.googleapis.com",
  image,
  speech,
  video,
  resumeVideo,
  checkImage,
  checkSpeech,
  checkVideo,
  testConnection,
  estimateTuning: (entry) => ({ resolution: GeminiOptions.safeParse(entry.options ?? {}).data?.resolution }),
};
