// Google's Gemini API, natively: image output and TTS through generateContent (Veo video in gemini-veo.ts, the
// shared plumbing in gemini-api.ts).
import type { ModelEntry } from "../config/schema.ts";
import { afterBilling, AppError, invalidArgument } from "../errors.ts";
import type { Meter, TokenKind } from "../costs/price-schema.ts";
import type { Usage } from "../ledger/schema.ts";
import { encodeWav } from "../formats/wav.ts";
import { clip, mediaFromBase64, readText, request, upstreamMessage } from "./http.ts";
import { asBase64, asNumber, asObject, asObjects, asString, type Base64Text, type Json, toBase64 } from "./json.ts";
import { apiUrl, keyHeader, mapError, modelId, options, postJson } from "./gemini-api.ts";
import { checkVideo, resumeVideo, video } from "./gemini-veo.ts";
import { ASPECT_RATIOS } from "./sizes.ts";
import { GeminiOptions } from "./options.ts";
import type { CallContext, ImageJob, Provider, ProviderResult, SpeechJob } from "./types.ts";

/** The 30 prebuilt TTS voices, spelt as the API expects them. */
export const GEMINI_VOICES = [
  "Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe", "Autonoe",
  "Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome", "Algenib", "Rasalgethi", "Laomedeia", "Achernar",
  "Alnilam", "Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat",
] as const;
const DEFAULT_VOICE = "Kore";
/** Sample rate of TTS PCM whose mime type does not name one, in Hz. */
const DEFAULT_PCM_RATE_HZ = 24_000;

/** imageSize values per image model family; models not listed get whatever is configured, unchecked. */
const IMAGE_SIZES: [RegExp, readonly string[]][] = [
  [/^gemini-3\.1-flash-image/, ["512", "1K", "2K", "4K"]],
  [/^gemini-3-pro-image/, ["1K", "2K", "4K"]],
];

/**
 * Image output tokens billed per image by imageSize; the budget estimate prices these at the output_image rate.
 * Gemini 3 Pro Image: "$0.134 per 1K/2K image and $0.24 per 4K image" at $120/M (ai.google.dev pricing). Gemini 3.1
 * Flash Image: "747 tokens for 512p, 1120 for 1K, 1680 for 2K, 2520 for 4K" (its Google Cloud model page).
 */
const IMAGE_OUTPUT_TOKENS: [RegExp, Record<string, number>][] = [
  [/^gemini-3-pro-image/, { "1K": 1120, "2K": 1120, "4K": 2000 }],
  [/^gemini-3\.1-flash-image/, { "512": 747, "1K": 1120, "2K": 1680, "4K": 2520 }],
];

/**
 * Finish reasons that mean the answer was withheld rather than merely empty. NO_IMAGE ("the model did not generate
 * an image") and IMAGE_OTHER ("stopped for other reasons") are not safety blocks (js-genai FinishReason): they are
 * empty answers.
 */
const WITHHELD_FINISH_REASONS = new Set([
  "SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_RECITATION",
]);
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
  media: { mimeType: string; data: Base64Text }[];
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
    const data = asBase64(inline?.data);
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
  const usage = answer.usage as Usage | undefined;
  const meter = tokens ? { tokens, images: 1 } : { images: 1 };
  let bytes: Uint8Array;
  try {
    bytes = mediaFromBase64(found.data, ctx);
  } catch (error) {
    // Generated and billed before it turned out too large: keep the cost.
    throw afterBilling(error, { usage, meter });
  }
  return {
    bytes,
    mimeType: found.mimeType || undefined,
    usage,
    meter,
    extra: extraOf(json),
  };
}

/** The voice as the API spells it, matched case-insensitively; undefined when it is not a prebuilt voice. */
function canonicalVoice(voice: string): string | undefined {
  return GEMINI_VOICES.find((v) => v.toLowerCase() === voice.trim().toLowerCase());
}

/** Audio parts as a file: raw s16le PCM (`audio/L16;codec=pcm;rate=24000`) wrapped in a WAV; anything else as sent. */
function audioFile(parts: Answer["media"], ctx: CallContext): Uint8Array {
  const mime = parts[0]!.mimeType;
  const fromBase64 = (data: Base64Text) => mediaFromBase64(data, ctx);
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
    bytes = audioFile(audio, ctx);
  } catch (error) {
    throw afterBilling(error, { usage, meter });
  }
  return { bytes, mimeType: "audio/wav", usage, voice, meter, extra: extraOf(json) };
}

/** GET models/{model}: the cheapest call that proves the key and the model id. */
async function testConnection(ctx: CallContext): Promise<string> {
  const model = modelId(ctx.entry);
  if (/^imagen-/i.test(model)) throw new AppError("not_implemented", `${model}: ${IMAGEN_GONE}`);
  const response = await request(apiUrl(ctx, `models/${model}`), { headers: keyHeader(ctx) }, ctx, (status, body, headers) =>
    status === 404
      ? new AppError("not_found", `Connected, but Gemini has no model '${model}': ${upstreamMessage(body)}`, { upstream_status: 404 })
      : mapError(status, body, headers),
  );
  await readText(response, ctx);
  return `Connected; model '${model}' is available.`;
}

/** Why an Imagen id configured on the Gemini API cannot work (Google ended its `:predict` image generation there). */
export const IMAGEN_GONE =
  "Google stopped serving Imagen through the Gemini API (its :predict image generation ended in August 2026; Imagen remains on Vertex AI only). Configure a Gemini image model instead, e.g. gemini-3-pro-image or gemini-3.1-flash-image, in the settings page";

function checkImage(_job: ImageJob, entry: ModelEntry): void {
  const size = options(entry).image_size;
  const model = modelId(entry);
  if (/^imagen-/i.test(model)) throw new AppError("not_implemented", `${model}: ${IMAGEN_GONE}`);
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

/** Gemini API: Nano Banana images and edits, TTS, and Veo video (long-running, resumable after a restart). */
export const gemini: Provider = {
  voices: () => GEMINI_VOICES,
  id: "gemini",
  requiresKey: true,
  defaultBaseUrl: "https://generativelanguage.googleapis.com",
  keyEnv: "GEMINI_API_KEY",
  speechIsWav: true,
  image,
  speech,
  video,
  resumeVideo,
  checkImage,
  checkSpeech,
  checkVideo,
  testConnection,
  estimateTuning: (entry) => {
    const parsed = GeminiOptions.safeParse(entry.options ?? {}).data;
    const model = modelId(entry);
    const outputImage = IMAGE_OUTPUT_TOKENS.find(([family]) => family.test(model))?.[1][parsed?.image_size ?? "1K"];
    return { resolution: parsed?.resolution, ...(outputImage ? { tokens: { output_image: outputImage } } : {}) };
  },
};
