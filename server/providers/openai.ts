// OpenAI Images (generations JSON, edits multipart) and Speech, natively; also any OpenAI-compatible server.
import { rmSync } from "node:fs";
import { afterBilling, AppError, invalidArgument } from "../errors.ts";
import type { ModelEntry } from "../config/schema.ts";
import type { Meter, TokenKind } from "../costs/price-schema.ts";
import type { Usage } from "../ledger/schema.ts";
import type { Aspect } from "../formats/aspect.ts";
import { download, joinUrl, mediaFromBase64, payloadSize, readBytes, readJsonObject, readMedia, readText, request, upstreamMessage } from "./http.ts";
import { OpenAIOptions } from "./options.ts";
import { asBase64, asNumber, asObject, asString, fromBase64 } from "./json.ts";
import { DALLE3_SIZES, GPT_IMAGE_2_OUTPUT_TOKENS, GPT_IMAGE_OUTPUT_TOKENS, GPT_IMAGE_SIZES } from "./sizes.ts";
import { SKILL_VOICES } from "./voices.ts";
import type { CallContext, EstimateTuning, ImageJob, MediaPayload, Provider, ProviderResult, RequestFacts, SpeechJob } from "./types.ts";
import { DEFAULT_QUALITY } from "./estimate.ts";

/** Voices each OpenAI speech model accepts. */
export const OPENAI_VOICES = {
  legacy: ["alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer"],
  gpt: ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar"],
} as const;
/** The skill's Gemini voice names; a request naming one gets the model's default voice. */
const SKILL_VOICE_KEYS = new Set(SKILL_VOICES.map((voice) => voice.toLowerCase()));

const isGptImage = (model: string) => /^(gpt-image|chatgpt-image)/.test(model);
const isLegacyTts = (model: string) => /^tts-1/.test(model);
const isGptTts = (model: string) => /^gpt-4o(-mini)?-tts/.test(model);

function options(entry: ModelEntry): OpenAIOptions {
  return OpenAIOptions.parse(entry.options ?? {});
}

function headers(ctx: CallContext, extra: Record<string, string> = {}): Record<string, string> {
  return ctx.apiKey ? { authorization: `Bearer ${ctx.apiKey}`, ...extra } : extra;
}

/** OpenAI's error envelope mapped into the catalogue (moderation_blocked, insufficient_quota); undefined = default mapping. */
function mapError(status: number, body: string): AppError | undefined {
  let error: Record<string, unknown> | undefined;
  try {
    error = (JSON.parse(body) as { error?: Record<string, unknown> }).error;
  } catch {
    return undefined;
  }
  const code = typeof error?.code === "string" ? error.code : undefined;
  const message = `Upstream ${status}: ${upstreamMessage(body)}`;
  if (code === "moderation_blocked" || code === "content_policy_violation") {
    const details = error?.moderation_details as { moderation_stage?: string; categories?: string[] } | undefined;
    const reason = [code, details?.moderation_stage && `stage ${details.moderation_stage}`, details?.categories?.length && `categories ${details.categories.join(", ")}`]
      .filter(Boolean)
      .join("; ");
    return new AppError("content_filtered", `OpenAI refused the request on safety grounds (${reason}): ${upstreamMessage(body)}`, { upstream_status: status });
  }
  if (code === "insufficient_quota") return new AppError("insufficient_credits", message, { upstream_status: status });
  return undefined;
}

function tokenMeter(usage: Usage | undefined): Meter["tokens"] {
  if (!usage) return undefined;
  const num = (v: unknown) => asNumber(v) ?? 0;
  const input = (usage.input_tokens_details ?? {}) as Record<string, unknown>;
  const output = (usage.output_tokens_details ?? {}) as Record<string, unknown>;
  const tokens: Partial<Record<TokenKind, number>> = {};
  const hasInputDetails = "text_tokens" in input || "image_tokens" in input;
  tokens.input_text = hasInputDetails ? num(input.text_tokens) : num(usage.input_tokens);
  tokens.input_image = num(input.image_tokens);
  tokens.output_text = num(output.text_tokens);
  tokens.output_image = "image_tokens" in output ? num(output.image_tokens) : num(usage.output_tokens) - tokens.output_text;
  return tokens;
}

function imageSize(model: string, aspect: Aspect): string {
  if (model === "dall-e-3") return DALLE3_SIZES[aspect];
  if (model === "dall-e-2") return "1024x1024";
  return GPT_IMAGE_SIZES[aspect];
}

async function imageResult(response: Response, ctx: CallContext, asked: { size: string; quality?: string }): Promise<ProviderResult> {
  const json = await readJsonObject(response, ctx);
  const item = Array.isArray(json.data) ? asObject(json.data[0]) : undefined;
  const b64 = asBase64(item?.b64_json);
  const url = asString(item?.url);
  const usage = asObject(json.usage) as Usage | undefined;
  const quality = typeof json.quality === "string" ? json.quality : asked.quality;
  const meter = { tokens: tokenMeter(usage), images: 1, quality, imageSize: typeof json.size === "string" ? json.size : asked.size };
  if (!b64 && !url) throw new AppError("empty_response", "Upstream returned no image data");
  // The image is generated and billed: one too large to accept or a failed download keeps the job's cost.
  const media = await (async () => (b64 ? { bytes: mediaFromBase64(b64, ctx) } : download(url!, ctx)))().catch((error: unknown) =>
    Promise.reject(afterBilling(error, { usage, meter })),
  );
  const extra = typeof item?.revised_prompt === "string" ? { revised_prompt: item.revised_prompt } : undefined;
  return { ...media, usage, meter, extra };
}

async function generateImage(job: ImageJob, ctx: CallContext): Promise<ProviderResult> {
  const model = ctx.entry.model;
  const opts = options(ctx.entry);
  const size = imageSize(model, job.aspect);
  const gpt = isGptImage(model);
  const edit = job.inputs.length > 0;
  // The published spec has `moderation` for generations only: an edit does not send it.
  const tuning = gpt
    ? { quality: opts.quality, output_format: opts.output_format, background: opts.background, moderation: edit ? undefined : opts.moderation, output_compression: opts.output_compression }
    : { response_format: "b64_json" };
  if (!edit) {
    const body = JSON.stringify({ model, prompt: job.prompt, n: 1, size, ...tuning });
    const response = await request(joinUrl(ctx.baseUrl, "images/generations"), { method: "POST", headers: headers(ctx, { "content-type": "application/json" }), body }, ctx, mapError);
    return imageResult(response, ctx, { size, quality: opts.quality });
  }
  const form = new FormData();
  form.set("model", model);
  form.set("prompt", job.prompt);
  form.set("n", "1");
  form.set("size", size);
  for (const [key, value] of Object.entries(tuning)) if (value !== undefined) form.set(key, String(value));
  job.inputs.forEach((input, i) => {
    const extension = input.mimeType.split("/")[1] === "jpeg" ? "jpg" : input.mimeType.split("/")[1];
    form.append("image[]", new Blob([input.bytes as Uint8Array<ArrayBuffer>], { type: input.mimeType }), `image-${i + 1}.${extension}`);
  });
  const response = await request(joinUrl(ctx.baseUrl, "images/edits"), { method: "POST", headers: headers(ctx), body: form }, ctx, mapError);
  return imageResult(response, ctx, { size, quality: opts.quality });
}

/** Voices the entry's model accepts, or undefined for servers whose voices mediagen cannot know. */
function voicesFor(entry: ModelEntry): readonly string[] | undefined {
  if (isLegacyTts(entry.model)) return OPENAI_VOICES.legacy;
  if (isGptTts(entry.model)) return OPENAI_VOICES.gpt;
  return undefined;
}

/** The voice to send: the requested one, or the model's default for none or a skill (Gemini) voice name. */
function voiceFor(entry: ModelEntry, voice: string | undefined): string {
  const voices = voicesFor(entry);
  const fallback = isLegacyTts(entry.model) ? "alloy" : "coral";
  if (!voice || (voices && SKILL_VOICE_KEYS.has(voice.toLowerCase()))) return fallback;
  return voices?.find((v) => v === voice.toLowerCase()) ?? voice;
}

/** Whether an answer is a server-sent event stream: by its content type, else by its first bytes (`data:`, `event:`, `:`). */
function isEventStream(response: Response, head: Uint8Array): boolean {
  const type = response.headers.get("content-type") ?? "";
  if (/text\/event-stream/i.test(type)) return true;
  if (/^audio\//i.test(type)) return false;
  return /^(data:|event:|:)/.test(new TextDecoder().decode(head.subarray(0, 8)).trimStart());
}

/** The events of an SSE answer: the audio deltas joined, and the usage of the done event. */
function sseAudio(text: string): { bytes: Uint8Array; usage?: Usage } {
  const chunks: Uint8Array[] = [];
  let usage: Usage | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (!data || data === "[DONE]") continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(data) as Record<string, unknown>;
    } catch {
      throw new AppError("invalid_response", "Upstream sent a speech event that is not JSON");
    }
    if (event.type === "speech.audio.delta" && typeof event.audio === "string") chunks.push(fromBase64(event.audio));
    if (event.type === "speech.audio.done" && asObject(event.usage)) usage = event.usage as Usage;
  }
  return { bytes: Buffer.concat(chunks), usage };
}

async function speech(job: SpeechJob, ctx: CallContext): Promise<ProviderResult> {
  const { entry } = ctx;
  const opts = options(entry);
  const voice = voiceFor(entry, job.voice);
  // gpt-4o-mini-tts reports token usage only in its SSE form: ask for it, so the cost is computed, not guessed.
  const sse = isGptTts(entry.model);
  const body: Record<string, unknown> = { model: entry.model, input: job.input, voice, response_format: "wav" };
  if (opts.speed !== undefined) body.speed = opts.speed;
  if (opts.instructions && !isLegacyTts(entry.model)) body.instructions = opts.instructions;
  if (sse) body.stream_format = "sse";
  const response = await request(
    joinUrl(ctx.baseUrl, "audio/speech"),
    { method: "POST", headers: headers(ctx, { "content-type": "application/json" }), body: JSON.stringify(body) },
    ctx,
    mapError,
  );
  // A proxy or compatible server may answer plain audio although the SSE form was asked for: keep that audio.
  let answer: MediaPayload & { usage?: Usage };
  if (sse) {
    const raw = await readBytes(response, ctx);
    answer = isEventStream(response, raw) ? sseAudio(new TextDecoder().decode(raw)) : { bytes: raw };
  } else answer = await readMedia(response, ctx);
  const { usage, ...media } = answer;
  if (payloadSize(media) === 0) {
    if (media.file) rmSync(media.file.path, { force: true });
    throw new AppError("empty_response", "Upstream returned no audio data");
  }
  const meter: Meter = usage
    ? { tokens: { input_text: Number(usage.input_tokens ?? 0), output_audio: Number(usage.output_tokens ?? 0) } }
    : { characters: job.input.length };
  return { ...media, mimeType: response.headers.get("content-type") ?? undefined, usage, voice, meter };
}

/** GET models/{model}: the cheapest call that proves the key and the model id. */
async function testConnection(ctx: CallContext): Promise<string> {
  const url = joinUrl(ctx.baseUrl, `models/${encodeURIComponent(ctx.entry.model)}`);
  const response = await request(url, { headers: headers(ctx) }, ctx, (status, body) =>
    status === 404 ? new AppError("not_found", `Connected, but model '${ctx.entry.model}' is not available with this key: ${upstreamMessage(body)}`, { upstream_status: 404 }) : undefined,
  );
  await readText(response, ctx);
  return `Connected to ${ctx.baseUrl}; model '${ctx.entry.model}' is available.`;
}

function checkSpeech(job: SpeechJob, entry: ModelEntry): void {
  const voices = voicesFor(entry);
  const voice = job.voice?.toLowerCase();
  if (voices && voice && !SKILL_VOICE_KEYS.has(voice) && !voices.includes(voice)) {
    throw invalidArgument("voice", `voice "${job.voice}" is not a voice of ${entry.model}; choose one of ${voices.join(", ")}`, voices);
  }
}

function checkImage(job: ImageJob, entry: ModelEntry): void {
  if (job.inputs.length > 0 && entry.model === "dall-e-3") {
    throw invalidArgument("image", "dall-e-3 cannot edit images; configure gpt-image-1.5 or gpt-image-2 for edits");
  }
  if (job.inputs.length > 16) throw invalidArgument("images", "OpenAI accepts at most 16 input images");
}

/**
 * The budget estimate's image quality (the configured one; "auto" counts as none) and, for GPT image models, the
 * output tokens billed at that quality and the aspect's size.
 */
function estimateTuning(entry: ModelEntry, facts: RequestFacts): EstimateTuning {
  const configured = OpenAIOptions.safeParse(entry.options ?? {}).data?.quality;
  const quality = configured === "auto" ? undefined : configured;
  const table = /^gpt-image-2/.test(entry.model) ? GPT_IMAGE_2_OUTPUT_TOKENS : isGptImage(entry.model) ? GPT_IMAGE_OUTPUT_TOKENS : undefined;
  const outputImage = table?.[quality ?? DEFAULT_QUALITY]?.[GPT_IMAGE_SIZES[facts.aspect ?? "landscape"]];
  return { quality, ...(outputImage ? { tokens: { output_image: outputImage } } : {}) };
}

function openaiLike(id: "openai" | "openai-compatible", requiresKey: boolean, defaultBaseUrl: string): Provider {
  const voices = (model: string) => voicesFor({ type: "audio", provider: id, model }) ?? [];
  return { id, requiresKey, defaultBaseUrl, image: generateImage, speech, checkImage, checkSpeech, testConnection, voices, estimateTuning };
}

/** OpenAI itself. */
export const openai: Provider = { ...openaiLike("openai", true, "https://api.openai.com/v1"), keyEnv: "OPENAI_API_KEY", speechIsWav: true };
/** Self-hosted servers speaking OpenAI's images and speech API (LocalAI, vLLM, ...); the key is optional. */
export const openaiCompatible = openaiLike("openai-compatible", false, "http://localhost:8080/v1");
