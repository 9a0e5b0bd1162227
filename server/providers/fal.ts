// fal (fal.ai), natively through its queue API: any fal model id (Flux, Seedream, Kling, Veo, MiniMax speech, ...) is
// submitted to `POST {queue}/{model}`, polled at `…/requests/{id}/status?logs=1`, and its output read from
// `…/requests/{id}`; status, result and cancel use `{owner}/{app}` without the subpath (fal-js `queue.ts`). The request
// id is recorded at once so a restart resumes it. The output (`images[0].url`, `image.url`, `video.url`, `audio.url`)
// is a file on fal's CDN, downloaded at once and without the key. A cancelled or timed-out call sends `PUT …/cancel`.
import type { ModelEntry } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import type { Aspect } from "../formats/aspect.ts";
import { afterBilling, AppError } from "../errors.ts";
import { cancelsUpstream, clip, joinUrl, pause, readJsonObject, readMedia, readText, request, retryAfterSeconds, upstreamMessage } from "./http.ts";
import { asNumber, asObject, asObjects, asString, dataUrl, type Json } from "./json.ts";
import { FalOptions } from "./options.ts";
import { SKILL_VOICES } from "./voices.ts";
import type { CallContext, ImageJob, MediaPayload, Provider, ProviderResult, SpeechJob, VideoJob } from "./types.ts";

/** fal's `image_size` presets per aspect (1 megapixel or less, so a per-megapixel price bills one). */
export const FAL_IMAGE_SIZES: Record<Aspect, { preset: string; size: string }> = {
  landscape: { preset: "landscape_16_9", size: "1024x576" },
  square: { preset: "square_hd", size: "1024x1024" },
  portrait: { preset: "portrait_16_9", size: "576x1024" },
};
const VIDEO_RATIOS: Record<Aspect, string> = { landscape: "16:9", square: "1:1", portrait: "9:16" };
/** Namespaces whose endpoint ids have one more leading segment (fal-js `utils.ts`). */
const NAMESPACES = new Set(["workflows", "comfy"]);
/** The nil request id the connection test looks up. */
const NIL_REQUEST = "00000000-0000-0000-0000-000000000000";
/** Time given to the best-effort cancel sent when a call is abandoned, in ms. */
const CANCEL_TIMEOUT_MS = 5_000;

/** `WxH` of an `image_size` (a preset mediagen knows, or {width, height}); undefined for other presets. */
function sizeOf(size: NonNullable<FalOptions["image_size"]>): string | undefined {
  return typeof size === "string" ? Object.values(FAL_IMAGE_SIZES).find((s) => s.preset === size)?.size : `${size.width}x${size.height}`;
}

function options(entry: ModelEntry): FalOptions {
  return FalOptions.parse(entry.options ?? {});
}

/** `{owner}/{app}` of a model id (namespace kept, subpath dropped): the root of its request URLs. */
export function appRoot(model: string): string {
  const parts = model.replace(/^\/+|\/+$/g, "").split("/");
  return parts.slice(0, NAMESPACES.has(parts[0]!) ? 3 : 2).join("/");
}

const queueUrl = (ctx: CallContext, path: string) => joinUrl(ctx.baseUrl, path);
const requestUrl = (ctx: CallContext, id: string, tail = "") => queueUrl(ctx, `${appRoot(ctx.entry.model)}/requests/${encodeURIComponent(id)}${tail}`);

function headers(ctx: CallContext, extra: Record<string, string> = {}): Record<string, string> {
  return ctx.apiKey ? { authorization: `Key ${ctx.apiKey}`, ...extra } : extra;
}

/** fal's error body: `detail` as a string (request errors) or an array of `{loc, msg, type}` (model and validation errors). */
function detailOf(body: string): { text: string; types: string[] } {
  try {
    const json = JSON.parse(body) as Json;
    const detail = json.detail;
    if (typeof detail === "string") return { text: detail, types: [asString(json.error_type)].filter((t): t is string => !!t) };
    const items = asObjects(detail);
    if (items.length > 0) {
      const text = items.map((item) => `${asString(item.msg) ?? "error"}${Array.isArray(item.loc) ? ` (${item.loc.join(".")})` : ""}`).join("; ");
      return { text, types: items.map((item) => asString(item.type)).filter((t): t is string => !!t) };
    }
    return { text: upstreamMessage(body), types: [asString(json.error_type)].filter((t): t is string => !!t) };
  } catch {
    return { text: upstreamMessage(body), types: [] };
  }
}

/** fal's answers mapped into the catalogue; undefined leaves the default mapping by status. */
function mapErrorFor(ctx: CallContext, submitting = false) {
  return (status: number, body: string, responseHeaders: Headers): AppError | undefined => {
    const { text, types } = detailOf(body);
    const errorType = responseHeaders.get("x-fal-error-type") ?? types[0];
    const upstream = { upstream_status: status, ...(errorType ? { upstream_code: errorType } : {}) };
    const message = `Upstream ${status}: ${errorType ? `${errorType}: ` : ""}${clip(text)}`;
    if (types.includes("content_policy_violation")) return new AppError("content_filtered", `fal refused the content (${message})`, upstream);
    if ((status === 401 || status === 403) && /balance|locked|billing/i.test(text)) {
      return new AppError("insufficient_credits", `${message} (top up the fal account)`, upstream);
    }
    if (status === 401 || status === 403) {
      return new AppError("auth_required", `fal rejected the key (${message}); check the model's api_key in config.yml (FAL_KEY, sent as "Authorization: Key ...")`, { ...upstream, status: 502 });
    }
    if (submitting && status === 404) {
      return new AppError(
        "unknown_model",
        `unknown ${ctx.entry.type === "audio" ? "speech" : ctx.entry.type} model "${ctx.entry.model}": fal does not recognise it (${message}). Fix the model name in the settings page (Models) or config.yml; do not retry with another name.`,
        { upstream_status: status },
      );
    }
    if (status === 429) {
      const retry = retryAfterSeconds(responseHeaders.get("retry-after"));
      return new AppError("rate_limited", message, retry === undefined ? upstream : { ...upstream, retry_after_seconds: retry });
    }
    if (status === 503) return new AppError("overloaded", message, upstream);
    if (status === 504) return new AppError("timeout", message, upstream);
    if (status === 422 || status === 400) return new AppError("api_error", `fal refused the input (${message})`, upstream);
    return undefined;
  };
}

/** What one model's input is built from: the job, in the field names fal's models use, then `options.input` over it. */
function imageInput(job: ImageJob, opts: FalOptions): { input: Json; size?: string } {
  const preset = FAL_IMAGE_SIZES[job.aspect];
  const size = opts.image_size ?? preset.preset;
  const input: Json = {
    prompt: job.prompt,
    image_size: size,
    num_images: 1,
    ...(job.inputs.length > 0 ? { image_urls: job.inputs.map(dataUrl) } : {}),
  };
  const known = sizeOf(size);
  return { input: { ...input, ...opts.input }, ...(known ? { size: known } : {}) };
}

function videoInput(model: string, job: VideoJob, opts: FalOptions): Json {
  const veo = /\bveo/i.test(model);
  return {
    prompt: job.prompt,
    aspect_ratio: VIDEO_RATIOS[job.aspect],
    duration: veo ? `${job.durationSeconds}s` : String(job.durationSeconds),
    ...(job.firstFrame ? { image_url: dataUrl(job.firstFrame) } : {}),
    ...opts.input,
  };
}

/** The skill's Gemini voice names; a request naming one gets the model's default voice. */
const SKILL_VOICE_KEYS = new Set(SKILL_VOICES.map((voice) => voice.toLowerCase()));

/** The voice to send: none (the model's default) for an empty one or the skill's Gemini names, else as given. */
function voiceFor(voice: string | undefined): string | undefined {
  const name = voice?.trim();
  return name && !SKILL_VOICE_KEYS.has(name.toLowerCase()) ? name : undefined;
}

function speechInput(model: string, job: SpeechJob, opts: FalOptions): Json {
  const voice = voiceFor(job.voice);
  if (/minimax/i.test(model)) return { text: job.input, ...(voice ? { voice_setting: { voice_id: voice } } : {}), ...opts.input };
  if (/kokoro/i.test(model)) return { prompt: job.input, ...(voice ? { voice } : {}), ...opts.input };
  return { text: job.input, ...(voice ? { voice } : {}), ...opts.input };
}

/** Submits the input to the queue and records the request id before anything else can fail. */
async function submit(input: Json, ctx: CallContext): Promise<string> {
  const priority = options(ctx.entry).priority;
  const init = {
    method: "POST",
    headers: headers(ctx, { "content-type": "application/json", ...(priority ? { "x-fal-queue-priority": priority } : {}) }),
    body: JSON.stringify(input),
  };
  const json = await readJsonObject(await request(queueUrl(ctx, ctx.entry.model), init, ctx, mapErrorFor(ctx, true)), ctx);
  const id = asString(json.request_id);
  if (!id) throw new AppError("invalid_response", "fal accepted the request but returned no request_id");
  ctx.onOperation?.(id);
  return id;
}

/** The last percentage a log line states (`45%`, `Step 9/20`), if any. */
function progressOf(status: Json): number | undefined {
  const logs = asObjects(status.logs);
  for (let i = logs.length - 1; i >= 0; i--) {
    const text = asString(logs[i]!.message) ?? "";
    const percent = /(\d{1,3}(?:\.\d+)?)\s*%/.exec(text);
    if (percent) return Math.min(100, Number(percent[1]));
    const steps = /(\d+)\s*\/\s*(\d+)/.exec(text);
    if (steps && Number(steps[2]) > 0) return Math.min(100, (100 * Number(steps[1])) / Number(steps[2]));
  }
  return undefined;
}

/** Best effort: tells fal to drop a request this daemon gave up on (cancelled, timed out). */
function cancelRequest(id: string, ctx: CallContext): void {
  const signal = AbortSignal.timeout(CANCEL_TIMEOUT_MS);
  request(requestUrl(ctx, id, "/cancel"), { method: "PUT", headers: headers(ctx) }, { ...ctx, signal })
    .then((response) => response.body?.cancel())
    .catch(() => undefined);
}

/** Polls the request's status (with logs) until COMPLETED, then reads its output. */
async function finish(id: string, ctx: CallContext): Promise<Json> {
  try {
    for (;;) {
      const status = await readJsonObject(await request(requestUrl(ctx, id, "/status?logs=1"), { headers: headers(ctx) }, ctx, mapErrorFor(ctx)), ctx);
      const state = asString(status.status);
      if (state === "COMPLETED") break;
      if (state !== "IN_QUEUE" && state !== "IN_PROGRESS") throw new AppError("invalid_response", `fal answered request ${id} with status ${clip(String(status.status))}`);
      const percent = progressOf(status);
      if (percent !== undefined) ctx.onProgress?.(percent);
      await pause(ctx.pollIntervalMs, ctx);
    }
    return await readJsonObject(await request(requestUrl(ctx, id), { headers: headers(ctx) }, ctx, mapErrorFor(ctx)), ctx);
  } catch (error) {
    // A shutdown (interrupted) leaves the request in fal's queue, to be resumed at the next start.
    if (cancelsUpstream(ctx.signal)) cancelRequest(id, ctx);
    throw error;
  }
}

/** The output's file: `images[0]`, `image`, `video`, `audio` or `audio_file`, whichever the model answers with. */
function outputFile(output: Json): Json | undefined {
  return asObjects(output.images)[0] ?? asObject(output.image) ?? asObject(output.video) ?? asObject(output.audio) ?? asObject(output.audio_file);
}

/** Downloads the output file (fal's CDN: no key sent); any failure after generation keeps the cost. */
async function fetchOutput(url: string, ctx: CallContext, meter: Meter): Promise<MediaPayload> {
  const refused = (status: number, body: string) =>
    status >= 400 && status < 500 ? new AppError("api_error", `Could not download the output from fal's storage (Upstream ${status}: ${upstreamMessage(body)})`, { upstream_status: status }) : undefined;
  try {
    return await readMedia(await request(url, {}, ctx, refused), ctx);
  } catch (error) {
    throw afterBilling(error, { meter });
  }
}

/** Reads a finished request's output: its file downloaded, what it is billed by measured. */
async function result(id: string, output: Json, ctx: CallContext, asked: { size?: string; seconds?: number; characters?: number }): Promise<ProviderResult> {
  const file = outputFile(output);
  const width = asNumber(file?.width);
  const height = asNumber(file?.height);
  const type = ctx.entry.type;
  const seconds = asNumber(output.duration) ?? asNumber(file?.duration) ?? asked.seconds;
  const resolution = options(ctx.entry).resolution;
  const meter: Meter =
    type === "image"
      ? { images: 1, ...(width && height ? { imageSize: `${width}x${height}` } : asked.size ? { imageSize: asked.size } : {}) }
      : type === "video"
        ? { ...(seconds !== undefined ? { seconds } : {}), ...(resolution ? { resolution } : {}) }
        : { ...(asked.characters !== undefined ? { characters: asked.characters } : {}) };
  const url = asString(file?.url);
  if (!url) throw afterBilling(new AppError("empty_response", `fal finished request ${id} without a file in its output (keys: ${Object.keys(output).join(", ") || "none"})`), { meter });
  const media = await fetchOutput(url, ctx, meter);
  const mimeType = asString(file?.content_type);
  const durationMs = asNumber(output.duration_ms);
  return {
    ...media,
    ...(mimeType ? { mimeType } : {}),
    meter,
    ...(type === "video" && seconds !== undefined ? { durationSeconds: seconds } : {}),
    ...(type === "audio" && durationMs !== undefined ? { durationSeconds: durationMs / 1000 } : {}),
    extra: { request_id: id, ...(asNumber(output.seed) !== undefined ? { seed: output.seed } : {}) },
  };
}

async function image(job: ImageJob, ctx: CallContext): Promise<ProviderResult> {
  const { input, size } = imageInput(job, options(ctx.entry));
  const id = await submit(input, ctx);
  return result(id, await finish(id, ctx), ctx, { size });
}

async function video(job: VideoJob, ctx: CallContext): Promise<ProviderResult> {
  const id = await submit(videoInput(ctx.entry.model, job, options(ctx.entry)), ctx);
  return result(id, await finish(id, ctx), ctx, { seconds: job.durationSeconds });
}

async function speech(job: SpeechJob, ctx: CallContext): Promise<ProviderResult> {
  const id = await submit(speechInput(ctx.entry.model, job, options(ctx.entry)), ctx);
  const done = await result(id, await finish(id, ctx), ctx, { characters: job.input.length });
  const voice = voiceFor(job.voice);
  return voice ? { ...done, voice } : done;
}

/** Finishes a request submitted before a restart, whatever its media (the runner resumes every recorded operation here). */
async function resumeVideo(id: string, ctx: CallContext): Promise<ProviderResult> {
  const output = await finish(id, ctx);
  return result(id, output, ctx, {});
}

/**
 * Looks up the status of a request that cannot exist: free, and fal answers 404 for a key it accepts and 401/403 for
 * one it does not. The model id is checked on the first generation.
 */
async function testConnection(ctx: CallContext): Promise<string> {
  try {
    const response = await request(requestUrl(ctx, NIL_REQUEST, "/status"), { headers: headers(ctx) }, ctx, mapErrorFor(ctx));
    await readText(response, ctx);
  } catch (error) {
    if (!(error instanceof AppError) || error.details.upstream_status !== 404) throw error;
  }
  return `Connected; fal accepted the key. The model id '${ctx.entry.model}' is checked on the first generation (fal has no free per-model call).`;
}

/** fal: any model on its queue API (images, video, speech by the model's output). */
export const fal: Provider = {
  id: "fal",
  requiresKey: true,
  defaultBaseUrl: "https://queue.fal.run",
  keyEnv: "FAL_KEY",
  videoSeconds: { min: 2, max: 15 },
  models: {
    image: ["fal-ai/flux/dev", "fal-ai/flux/schnell", "fal-ai/flux-pro/v1.1-ultra", "fal-ai/bytedance/seedream/v4/text-to-image", "fal-ai/bytedance/seedream/v4/edit", "fal-ai/flux-pro/kontext"],
    video: ["fal-ai/kling-video/v2.1/standard/image-to-video", "fal-ai/kling-video/v2.1/master/text-to-video", "fal-ai/veo3/fast", "fal-ai/minimax/hailuo-02/standard/text-to-video"],
    audio: ["fal-ai/minimax/speech-02-hd", "fal-ai/minimax/speech-02-turbo", "fal-ai/kokoro/american-english"],
  },
  image,
  video,
  speech,
  resumeVideo,
  testConnection,
  estimateTuning: (entry, facts) => {
    const opts = FalOptions.safeParse(entry.options ?? {}).data;
    if (entry.type === "video") return opts?.resolution ? { resolution: opts.resolution } : {};
    if (entry.type !== "image") return {};
    const size = opts?.image_size;
    if (size === undefined) return { imageSize: FAL_IMAGE_SIZES[facts.aspect ?? "landscape"].size };
    const known = sizeOf(size);
    return known ? { imageSize: known } : {};
  },
};
