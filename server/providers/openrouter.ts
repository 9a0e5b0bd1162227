// OpenRouter: images through chat completions (data-URL images, usage.cost) and the asynchronous video API (submit, poll, download).
import { rmSync } from "node:fs";
import { afterBilling, AppError, invalidArgument, type ErrorDetails, type ErrorType } from "../errors.ts";
import type { ModelEntry } from "../config/schema.ts";
import type { CostLine, Meter } from "../costs/price-schema.ts";
import type { Usage } from "../ledger/schema.ts";
import { download, joinUrl, mediaFromBase64, pause, payloadSize, readJsonObject, readMedia, redact, request, retryAfterSeconds, saysUnknownModel, upstreamMessage } from "./http.ts";
import { asBase64, asNonBlank, asNumber, asObject, type Base64Text, dataUrl, defined, type Json, LargeText } from "./json.ts";
import { ASPECT_RATIOS } from "./sizes.ts";
import { OpenRouterOptions } from "./options.ts";
import type { CallContext, ImageJob, MediaPayload, Provider, ProviderResult, VideoJob } from "./types.ts";

/** Model families that only output images: asking them for text as well finds no endpoint (404). */
const IMAGE_ONLY = /^(black-forest-labs|sourceful|recraft|bytedance-seed)\//;
/** `finish_reason` / `native_finish_reason` values that mean the image was withheld on safety grounds. */
const SAFETY_FINISH = new Set(["CONTENT_FILTER", "SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST", "SPII"]);
/** Words in an error text that mean a moderation or safety refusal. */
const SAFETY_WORDS = /moderat|safety|content[ _-]?polic|flagged|guardrail/i;
/** Statuses after which a video job never changes again. */
const FINAL_STATUSES = new Set(["completed", "failed", "cancelled", "canceled", "expired"]);

function options(entry: ModelEntry): OpenRouterOptions {
  return OpenRouterOptions.parse(entry.options ?? {});
}

function headers(ctx: CallContext, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${ctx.apiKey ?? ""}`, ...extra };
}

function postJson(body: Json, ctx: CallContext): RequestInit {
  return { method: "POST", headers: headers(ctx, { "content-type": "application/json" }), body: JSON.stringify(body) };
}

/** The text of an OpenRouter error object: its message, plus the upstream provider's own words when it forwarded them. */
function describeError(error: Json | undefined, fallback: string): string {
  const message = asNonBlank(error?.message) ?? fallback;
  const metadata = asObject(error?.metadata);
  const raw = asNonBlank(metadata?.raw);
  const provider = asNonBlank(metadata?.provider_name);
  const rawText = raw ? upstreamMessage(raw) : undefined;
  if (rawText && rawText !== message) return `${message} (${provider ?? "provider"}: ${rawText})`;
  return provider ? `${message} (provider ${provider})` : message;
}

/** Seconds to wait from Retry-After, else (rate limits only) from OpenRouter's X-RateLimit-Reset, a time in ms since the epoch. */
function retryAfter(responseHeaders: Headers, rateLimited: boolean): number | undefined {
  const retry = retryAfterSeconds(responseHeaders.get("retry-after"));
  if (retry !== undefined || !rateLimited) return retry;
  const reset = Number(responseHeaders.get("x-ratelimit-reset") ?? "");
  return Number.isFinite(reset) && reset > 1e12 ? Math.max(0, Math.ceil((reset - Date.now()) / 1000)) : undefined;
}

/**
 * OpenRouter's canonical `error.metadata.error_type` (stable across its API formats) where it says more than the
 * status: a refusal that comes as a 400, a 403 that is a permission problem, a bad input image. The others
 * (payment_required, rate_limit_exceeded, ...) agree with their status and are mapped by it.
 */
const ERROR_TYPES: Record<string, ErrorType> = {
  content_policy_violation: "content_filtered",
  refusal: "content_filtered",
  authentication: "auth_required",
  permission_denied: "auth_required",
  invalid_image: "invalid_argument",
  image_too_large: "invalid_argument",
  image_too_small: "invalid_argument",
  unsupported_image_format: "invalid_argument",
  image_not_found: "invalid_argument",
  image_download_failed: "invalid_argument",
};

/** The catalogue error for OpenRouter's own error_type, when it gave one that says more than the status. */
function typedError(errorType: string | undefined, status: number, detail: string, details: ErrorDetails): AppError | undefined {
  const type = errorType ? ERROR_TYPES[errorType] : undefined;
  if (!type) return undefined;
  const message = `OpenRouter ${status} (${errorType}): ${detail}`;
  if (type === "auth_required") return new AppError(type, `${message}; check the model's api_key in config.yml and its permissions on openrouter.ai`, { ...details, status: 502 });
  if (type === "invalid_argument") return new AppError(type, `${message}; check the input images`, { ...details, field: "images" });
  return new AppError(type, message, details);
}

/** An OpenRouter error (`{code, message, metadata}`, from a non-2xx answer or inside a 200) mapped into the catalogue. */
function routerError(status: number, error: Json | undefined, fallback: string, responseHeaders: Headers): AppError {
  const detail = describeError(error, fallback);
  const upstream = { upstream_status: status };
  const withRetry = () => {
    const retry = retryAfter(responseHeaders, status === 429);
    return retry === undefined ? upstream : { ...upstream, retry_after_seconds: retry };
  };
  const metadata = asObject(error?.metadata);
  const typed = typedError(asNonBlank(metadata?.error_type), status, detail, upstream);
  if (typed) return typed;
  switch (status) {
    case 401:
      return new AppError("auth_required", `OpenRouter rejected the API key (${detail}); check the model's api_key in config.yml`, { ...upstream, status: 502 });
    case 402:
      return new AppError("insufficient_credits", `OpenRouter account has insufficient credits: ${detail}`, upstream);
    case 403: {
      // A 403 is a moderation refusal when it says so (ModerationErrorMetadata's reasons, or safety words); else a permission problem.
      const reasons = Array.isArray(metadata?.reasons) ? metadata.reasons.filter((r): r is string => typeof r === "string") : [];
      if (reasons.length === 0 && !SAFETY_WORDS.test(detail)) return new AppError("api_error", `OpenRouter 403: ${detail}`, upstream);
      const why = reasons.length > 0 ? ` (flagged for ${reasons.join(", ")})` : "";
      return new AppError("content_filtered", `OpenRouter's moderation refused the request${why}: ${detail}`, upstream);
    }
    case 408:
      return new AppError("timeout", `OpenRouter timed out: ${detail}`, upstream);
    case 429:
      return new AppError("rate_limited", `OpenRouter is rate limiting requests: ${detail}`, withRetry());
    case 502:
    case 503:
      return new AppError("overloaded", `OpenRouter could not serve the model right now: ${detail}`, withRetry());
  }
  if (status === 404 && /output modalities/i.test(detail)) {
    return new AppError("api_error", `OpenRouter ${status}: ${detail}; set the model's options.modalities in config.yml (e.g. [image])`, upstream);
  }
  if ((status === 400 || status === 422) && SAFETY_WORDS.test(detail)) return new AppError("content_filtered", `OpenRouter ${status}: ${detail}`, upstream);
  return new AppError("api_error", `OpenRouter ${status}: ${detail}`, upstream);
}

/** The catalogue error for a non-2xx OpenRouter answer (the body is already redacted); an unknown model id is left to the shared mapping. */
function mapError(status: number, body: string, responseHeaders: Headers): AppError | undefined {
  if (saysUnknownModel(status, body)) return undefined;
  let error: Json | undefined;
  try {
    error = asObject(asObject(JSON.parse(body))?.error);
  } catch {
    // not JSON: quote the raw text
  }
  return routerError(status, error, upstreamMessage(body), responseHeaders);
}

async function getJson(url: string, ctx: CallContext): Promise<Json> {
  const response = await request(url, { headers: headers(ctx) }, ctx, mapError);
  return readJsonObject(response, ctx);
}

/**
 * A URL OpenRouter gave (absolute, origin-relative "/api/v1/...", or relative to the base URL) made absolute, when
 * it is on the base URL's origin, the only place the key is ever sent; else `{base}/{fallbackPath}`.
 */
function ownUrl(given: string | undefined, fallbackPath: string, ctx: CallContext): string {
  const base = ctx.baseUrl.endsWith("/") ? ctx.baseUrl : `${ctx.baseUrl}/`;
  let resolved: URL | undefined;
  try {
    resolved = given ? new URL(given, base) : undefined;
  } catch {
    resolved = undefined;
  }
  return resolved && resolved.origin === new URL(ctx.baseUrl).origin ? resolved.href : joinUrl(ctx.baseUrl, fallbackPath);
}

/**
 * What a request cost, from OpenRouter's usage accounting: `usage.cost` is the whole charge, except with
 * bring-your-own-key (`is_byok`), where it is only OpenRouter's fee and the provider's own bill is
 * `cost_details.upstream_inference_cost`: both are kept as lines, their sum is the cost. A BYOK answer without the
 * upstream figure gives no cost (the catalogue prices it if it can, else unknown), never the fee alone.
 */
export function routerCharge(usage: Json | undefined): { costUsd?: number; costLines?: CostLine[] } {
  const charged = asNumber(usage?.cost);
  if (usage?.is_byok !== true) return { costUsd: charged };
  const upstream = asNumber(asObject(usage.cost_details)?.upstream_inference_cost);
  if (upstream === undefined) return {};
  const fee = charged ?? 0;
  const line = (unit: string, usd: number): CostLine => ({ unit, quantity: 1, unit_price_usd: usd, usd });
  return { costUsd: Math.round((fee + upstream) * 1e10) / 1e10, costLines: [line("upstream_inference", upstream), line("openrouter_byok_fee", fee)] };
}

function tokenMeter(usage: Json | undefined): Meter["tokens"] {
  if (!usage) return undefined;
  const completion = asNumber(usage.completion_tokens) ?? 0;
  const image = asNumber(asObject(usage.completion_tokens_details)?.image_tokens) ?? 0;
  return { input_text: asNumber(usage.prompt_tokens) ?? 0, output_image: image, output_text: Math.max(0, completion - image) };
}

/** The failure for a 200 answer without an image: a safety refusal, or an empty answer quoting the model's text. */
function noImage(choice: Json | undefined, message: Json | undefined, ctx: CallContext): AppError {
  const finish = asNonBlank(choice?.finish_reason);
  const native = asNonBlank(choice?.native_finish_reason);
  const text = redact(asNonBlank(message?.content) ?? asNonBlank(message?.refusal) ?? "", [ctx.apiKey]).trim();
  const quoted = text ? `: "${text.length > 300 ? `${text.slice(0, 300)}...` : text}"` : "";
  const reasons = [finish && `finish_reason ${finish}`, native && native !== finish && `native_finish_reason ${native}`].filter(Boolean).join(", ");
  if ([finish, native].some((r) => r && SAFETY_FINISH.has(r.toUpperCase()))) {
    return new AppError("content_filtered", `The model refused to draw this on safety grounds (${reasons})${quoted}`);
  }
  return new AppError("empty_response", `OpenRouter answered without an image${reasons ? ` (${reasons})` : ""}${quoted}`);
}

/** The bytes of `message.images[0].image_url.url`: a base64 data URL, or (not documented, not seen) a plain https link. */
async function imageBytes(url: Base64Text, ctx: CallContext): Promise<MediaPayload & { mimeType?: string }> {
  const start = url instanceof LargeText ? url.head(512) : url.slice(0, 512);
  const match = /^data:([^;,]*)(?:;[^,]*)?;base64,/.exec(start);
  if (match) {
    const bytes = mediaFromBase64(url instanceof LargeText ? url : url.replace(/\s+/g, ""), ctx, match[0].length);
    if (bytes.length === 0) throw new AppError("empty_response", "OpenRouter returned an empty image");
    return { bytes, mimeType: match[1]?.replaceAll("\\/", "/") || undefined };
  }
  if (url instanceof LargeText || !/^https?:\/\//.test(url)) throw new AppError("invalid_response", `OpenRouter returned an image URL mediagen cannot read: ${start.slice(0, 60)}`);
  // A plain link is fetched without the key: it is not known to be OpenRouter's.
  return download(url, ctx);
}

async function image(job: ImageJob, ctx: CallContext): Promise<ProviderResult> {
  const model = ctx.entry.model;
  const opts = options(ctx.entry);
  const content = [{ type: "text", text: job.prompt }, ...job.inputs.map((input) => ({ type: "image_url", image_url: { url: dataUrl(input) } }))];
  const body = {
    model,
    messages: [{ role: "user", content }],
    modalities: opts.modalities ?? (IMAGE_ONLY.test(model) ? ["image"] : ["image", "text"]),
    image_config: { aspect_ratio: ASPECT_RATIOS[job.aspect], ...(opts.image_size ? { image_size: opts.image_size } : {}) },
    stream: false,
  };
  const response = await request(joinUrl(ctx.baseUrl, "chat/completions"), postJson(body, ctx), ctx, mapError);
  const json = await readJsonObject(response, ctx);
  const error = asObject(json.error);
  if (error) {
    // An error after the generation started arrives inside a 200; its code is the HTTP status it stands for.
    const code = asNumber(error.code) ?? asNumber(Number(error.code));
    const fallback = "OpenRouter reported an error after the generation started";
    if (code === undefined || code < 400) throw new AppError("api_error", `${fallback}: ${describeError(error, "(no message)")}`, { upstream_status: 200 });
    throw routerError(code, error, fallback, response.headers);
  }
  const choice = Array.isArray(json.choices) ? asObject(json.choices[0]) : undefined;
  if (!choice) throw new AppError("invalid_response", "OpenRouter answered without choices");
  const message = asObject(choice.message);
  const first = Array.isArray(message?.images) ? asObject(message.images[0]) : undefined;
  const imageUrl = first ? (asBase64(asObject(first.image_url)?.url) ?? asBase64(first.image_url)) : undefined;
  if (!imageUrl) {
    // A refusal can still be billed (the prompt was processed): keep OpenRouter's figure with the failure.
    const failure = noImage(choice, message, ctx);
    const charged = routerCharge(asObject(json.usage)).costUsd;
    if (charged !== undefined && charged > 0) failure.details.cost_usd = charged;
    throw failure;
  }
  const usage = asObject(json.usage);
  // The image was generated and billed: one past the cap, empty or whose download fails keeps OpenRouter's cost.
  const media = await imageBytes(imageUrl, ctx).catch((error: unknown) => Promise.reject(afterBilling(error, { costUsd: asNumber(usage?.cost), usage })));
  return {
    ...media,
    usage: usage as Usage | undefined,
    ...routerCharge(usage),
    meter: defined({ tokens: tokenMeter(usage), images: 1 }),
    extra: defined({ generation_id: asNonBlank(json.id), upstream_provider: asNonBlank(json.provider) }),
  };
}

/** Where to poll a job: its `polling_url` when that is on OpenRouter's origin, else `{base}/videos/{id}`. */
function pollingUrl(id: string, view: Json | undefined, ctx: CallContext): string {
  return ownUrl(asNonBlank(view?.polling_url), `videos/${encodeURIComponent(id)}`, ctx);
}

/** Polls a video job every `pollIntervalMs` until it reaches a final status; `view` is its latest known state, if any. */
async function awaitJob(id: string, ctx: CallContext, view?: Json): Promise<Json> {
  let current = view;
  for (;;) {
    if (current) {
      const status = asNonBlank(current.status);
      if (!status) throw new AppError("invalid_response", `OpenRouter's answer about video job ${id} has no status`);
      const progress = asNumber(current.progress);
      if (progress !== undefined) ctx.onProgress?.(Math.min(100, Math.max(0, progress)));
      if (FINAL_STATUSES.has(status)) return current;
      await pause(ctx.pollIntervalMs, ctx);
    }
    current = await getJson(pollingUrl(id, current, ctx), ctx);
  }
}

/** The error of a job that ended failed, cancelled or expired. */
function jobError(id: string, status: string, view: Json): AppError {
  const error = view.error;
  const text = asNonBlank(error) ?? asNonBlank(asObject(error)?.message) ?? `the job ended with status ${status}`;
  const message = `OpenRouter video job ${id} ${status}: ${text}`;
  return new AppError(SAFETY_WORDS.test(text) ? "content_filtered" : "api_error", message);
}

/** Where to download a finished job: its first `unsigned_urls` entry when that is on OpenRouter's origin, else `{base}/videos/{id}/content`. */
function contentUrl(id: string, view: Json, ctx: CallContext): string {
  const listed = Array.isArray(view.unsigned_urls) ? asNonBlank(view.unsigned_urls[0]) : undefined;
  return ownUrl(listed, `videos/${encodeURIComponent(id)}/content?index=0`, ctx);
}

/** Turns a finished job into a result: downloads the video (the content URL needs the key) and reads its cost. */
async function jobResult(id: string, view: Json, ctx: CallContext, durationSeconds: number | undefined): Promise<ProviderResult> {
  const status = asNonBlank(view.status)!;
  if (status !== "completed") throw jobError(id, status, view);
  const usage = asObject(view.usage);
  const charge = routerCharge(usage);
  const billed = { costUsd: charge.costUsd, usage, meter: defined({ seconds: durationSeconds, resolution: options(ctx.entry).resolution }) };
  // The job is done and billed: a download that fails from here keeps its cost on the failed row.
  const media = await (async () => {
    const response = await request(contentUrl(id, view, ctx), { headers: headers(ctx) }, ctx, mapError);
    const body = await readMedia(response, ctx);
    if (payloadSize(body) === 0) {
      if (body.file) rmSync(body.file.path, { force: true });
      throw new AppError("empty_response", `OpenRouter video job ${id} completed but its content is empty`);
    }
    return { ...body, mimeType: response.headers.get("content-type") ?? undefined };
  })().catch((error: unknown) => Promise.reject(afterBilling(error, billed)));
  return {
    ...media,
    usage: usage as Usage | undefined,
    ...charge,
    durationSeconds,
    meter: billed.meter,
    extra: defined({ openrouter_job_id: id, generation_id: asNonBlank(view.generation_id) }),
  };
}

/** How long the video model list (GET /videos/models) is trusted, in ms. */
const VIDEO_MODELS_TTL_MS = 10 * 60_000;
const videoModels = new Map<string, { at: number; models: Map<string, Json> }>();

/** The model's entry in OpenRouter's video model list (cached per base URL); undefined when unlisted or the list cannot be read. */
async function videoModel(ctx: CallContext): Promise<Json | undefined> {
  const cached = videoModels.get(ctx.baseUrl);
  if (cached && Date.now() - cached.at < VIDEO_MODELS_TTL_MS) return cached.models.get(ctx.entry.model);
  try {
    const list = (await getJson(joinUrl(ctx.baseUrl, "videos/models"), ctx)).data;
    const models = new Map<string, Json>();
    for (const item of Array.isArray(list) ? list : []) {
      const model = asObject(item);
      for (const id of [asNonBlank(model?.id), asNonBlank(model?.canonical_slug)]) if (model && id) models.set(id, model);
    }
    videoModels.set(ctx.baseUrl, { at: Date.now(), models });
    return models.get(ctx.entry.model);
  } catch (error) {
    // The list only saves a failing call: when it cannot be read, the request goes as it is.
    if (ctx.signal.aborted) throw error;
    return undefined;
  }
}

const ASPECT_NAMES: Record<string, string> = Object.fromEntries(Object.entries(ASPECT_RATIOS).map(([name, ratio]) => [ratio, name]));

/** Refuses, before submitting, what the model's listed capabilities say it cannot do (aspect, duration, resolution). */
function checkCapabilities(model: Json, body: Json, ctx: CallContext): void {
  const id = ctx.entry.model;
  const check = (field: string, value: unknown, supported: unknown, show: (v: unknown) => string | number = (v) => v as string) => {
    if (value === undefined || !Array.isArray(supported) || supported.length === 0 || supported.includes(value)) return;
    const allowed = supported.map(show);
    throw invalidArgument(field, `${id} on OpenRouter does not take ${field} ${show(value)}; it takes ${allowed.join(", ")}`, allowed);
  };
  check("aspect_ratio", body.aspect_ratio, model.supported_aspect_ratios, (ratio) => ASPECT_NAMES[ratio as string] ?? (ratio as string));
  check("duration_seconds", body.duration, model.supported_durations, (seconds) => Number(seconds));
  check("resolution", body.resolution, model.supported_resolutions);
}

async function video(job: VideoJob, ctx: CallContext): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const body: Json = { model: ctx.entry.model, prompt: job.prompt, aspect_ratio: ASPECT_RATIOS[job.aspect], duration: job.durationSeconds };
  if (opts.resolution) body.resolution = opts.resolution;
  const listed = await videoModel(ctx);
  if (listed) checkCapabilities(listed, body, ctx);
  if (job.firstFrame) body.frame_images = [{ type: "image_url", image_url: { url: dataUrl(job.firstFrame) }, frame_type: "first_frame" }];
  const response = await request(joinUrl(ctx.baseUrl, "videos"), postJson(body, ctx), ctx, mapError);
  const submitted = await readJsonObject(response, ctx);
  const id = asNonBlank(submitted.id);
  if (!id) throw new AppError("invalid_response", "OpenRouter accepted the video request but returned no job id");
  ctx.onOperation?.(id);
  const finished = await awaitJob(id, ctx, submitted);
  return jobResult(id, finished, ctx, job.durationSeconds);
}

/** Continues a video job submitted before a restart. The duration is not in OpenRouter's answers, so none is reported. */
async function resumeVideo(operationId: string, ctx: CallContext): Promise<ProviderResult> {
  const finished = await awaitJob(operationId, ctx);
  return jobResult(operationId, finished, ctx, undefined);
}

/** GET /key proves the key (and tells the credit left), then the model list proves the model id: no generation is paid for. */
async function testConnection(ctx: CallContext): Promise<string> {
  const { model, type } = ctx.entry;
  const key = asObject((await getJson(joinUrl(ctx.baseUrl, "key"), ctx)).data);
  const list = type === "video" ? joinUrl(ctx.baseUrl, "videos/models") : joinUrl(ctx.baseUrl, "models?output_modalities=image");
  const models = (await getJson(list, ctx)).data;
  const found = Array.isArray(models) && models.some((m) => asObject(m)?.id === model || asObject(m)?.canonical_slug === model);
  if (!found) {
    throw new AppError("not_found", `Connected to OpenRouter, but it lists no ${type} model '${model}'; check the model id at https://openrouter.ai/models`);
  }
  const remaining = asNumber(key?.limit_remaining);
  const credit = remaining === undefined ? "no credit limit on this key" : `credit left: $${remaining.toFixed(2)}`;
  return `Connected; model '${model}' is available (${credit}).`;
}

/** OpenRouter (openrouter.ai): images from any image-output model, and its video models. */
export const openrouter: Provider = {
  id: "openrouter",
  requiresKey: true,
  reportsCost: true,
  defaultBaseUrl: "https://openrouter.ai/api/v1",
  keyEnv: "OPENROUTER_API_KEY",
  models: {
    image: ["google/gemini-2.5-flash-image", "google/gemini-3-pro-image-preview", "google/gemini-3.1-flash-image-preview", "openai/gpt-image-2", "openai/gpt-image-1", "black-forest-labs/flux.2-pro"],
  },
  image,
  video,
  resumeVideo,
  testConnection,
  estimateTuning: (entry) => ({ resolution: OpenRouterOptions.safeParse(entry.options ?? {}).data?.resolution }),
};
