// Replicate, natively (predictions API): any model, as `owner/name` (an official model: POST /models/{owner}/{name}/predictions)
// or with a version (`owner/name:<id>` or a bare 64-hex id: POST /predictions with `version`). Images are asked with
// `Prefer: wait` and polled if not done in time; video is polled. The prediction id is recorded at once so a restart
// resumes it; a timeout or a user's cancel cancels the prediction (a shutdown leaves it to resume). Output URLs are
// deleted after an hour, so every result is downloaded at once.
import type { ModelEntry } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import { afterBilling, AppError, invalidArgument } from "../errors.ts";
import type { Aspect } from "../formats/aspect.ts";
import { cancelsUpstream, clip, joinUrl, pause, readJsonObject, readMedia, readText, request, retryAfterSeconds, upstreamMessage } from "./http.ts";
import { asNumber, asObject, asString, dataUrl, type Json } from "./json.ts";
import { ReplicateOptions } from "./options.ts";
import type { CallContext, ImageJob, MediaPayload, Provider, ProviderResult, VideoJob } from "./types.ts";

/** Seconds an image prediction is held open with `Prefer: wait` (Replicate allows 1 to 60). */
const DEFAULT_WAIT_SECONDS = 60;
const TERMINAL = new Set(["succeeded", "failed", "canceled", "aborted"]);
const ASPECT_RATIOS: Record<Aspect, string> = { landscape: "16:9", square: "1:1", portrait: "9:16" };
const VERSION_ID = /^[0-9a-f]{64}$/;
const SAFETY_WORDS = /nsfw|safety|sensitive|flagged|content polic|moderat/i;

function options(entry: ModelEntry): ReplicateOptions {
  return ReplicateOptions.parse(entry.options ?? {});
}

/** The API root: the base URL with `/v1` (a base URL given with or without it is read the same). */
function apiUrl(ctx: CallContext, path: string): string {
  return joinUrl(`${ctx.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")}/v1`, path);
}

function headers(ctx: CallContext, extra: Record<string, string> = {}): Record<string, string> {
  return ctx.apiKey ? { authorization: `Bearer ${ctx.apiKey}`, ...extra } : extra;
}

/** Where a model id is created: an official model's own route, or /predictions with a version. */
export function creation(model: string): { path: string; version?: string } {
  const trimmed = model.trim();
  if (VERSION_ID.test(trimmed)) return { path: "predictions", version: trimmed };
  const [name, version] = trimmed.split(":", 2);
  const [owner, rest] = (name ?? "").split("/", 2);
  if (!owner || !rest) throw invalidArgument("model", `Replicate model "${model}" must be owner/name, owner/name:<version> or a 64-hex version id`);
  if (version) {
    if (!VERSION_ID.test(version)) throw invalidArgument("model", `Replicate model "${model}": the version after ':' must be a 64-hex id`);
    return { path: "predictions", version };
  }
  return { path: `models/${encodeURIComponent(owner)}/${encodeURIComponent(rest)}/predictions` };
}

/** Replicate's problem+json errors (`{title, detail, status}`) mapped into the catalogue; undefined leaves the default. */
function mapErrorFor(ctx: CallContext, predictionId?: string) {
  return (status: number, body: string, responseHeaders: Headers): AppError | undefined => {
    const message = `Upstream ${status}: ${upstreamMessage(body)}`;
    const upstream = { upstream_status: status };
    if (status === 401) return new AppError("auth_required", `Replicate rejected the API token (${message}); check the model's api_key (REPLICATE_API_TOKEN) in config.yml`, { ...upstream, status: 502 });
    if (status === 402) return new AppError("insufficient_credits", `${message} (add credit or a payment method at replicate.com/account/billing)`, upstream);
    if (status === 429) {
      const retry = retryAfterSeconds(responseHeaders.get("retry-after")) ?? retryAfterSeconds(/resets in ~?(\d+)s/.exec(body)?.[1] ?? null);
      return new AppError("rate_limited", message, retry === undefined ? upstream : { ...upstream, retry_after_seconds: retry });
    }
    if (status === 404 && predictionId) {
      return new AppError("api_error", `Replicate does not know prediction ${predictionId} (${message}); it may belong to another account`, upstream);
    }
    if (status === 404 && ctx.entry) {
      return new AppError(
        "unknown_model",
        `unknown ${ctx.entry.type === "audio" ? "speech" : ctx.entry.type} model "${ctx.entry.model}": replicate does not recognise it (${message}). Fix the model name in the settings page (Models) or config.yml; do not retry with another name.`,
        upstream,
      );
    }
    if (status === 422) return new AppError(SAFETY_WORDS.test(body) ? "content_filtered" : "api_error", `Replicate refused the input (${message})`, upstream);
    return undefined;
  };
}

/** Output URLs of a finished prediction: a string, an array of strings, or an object of them (model-specific). */
export function outputUrls(output: unknown): string[] {
  if (typeof output === "string") return /^https?:\/\//.test(output) || output.startsWith("data:") ? [output] : [];
  if (Array.isArray(output)) return output.flatMap(outputUrls);
  const object = asObject(output);
  return object ? Object.values(object).flatMap(outputUrls) : [];
}

async function readPrediction(response: Response, ctx: CallContext): Promise<Json> {
  const json = await readJsonObject(response, ctx);
  if (!asString(json.id)) throw new AppError("invalid_response", "Replicate answered without a prediction id");
  return json;
}

async function getPrediction(id: string, ctx: CallContext): Promise<Json> {
  return readPrediction(await request(apiUrl(ctx, `predictions/${encodeURIComponent(id)}`), { headers: headers(ctx) }, ctx, mapErrorFor(ctx, id)), ctx);
}

/** Cancels a prediction after our own cancel (timeout, a user's cancel): best effort, with its own short deadline. */
async function cancelPrediction(id: string, ctx: CallContext): Promise<void> {
  const own = { ...ctx, signal: AbortSignal.timeout(5000), connectTimeoutMs: undefined };
  try {
    await readText(await request(apiUrl(ctx, `predictions/${encodeURIComponent(id)}/cancel`), { method: "POST", headers: headers(ctx) }, own), own);
  } catch {
    // the prediction ends on its own; nothing more to do
  }
}

/** Polls until the prediction ends; succeeded answers it, failed/canceled are errors, our cancel cancels it upstream. */
async function finish(first: Json, ctx: CallContext): Promise<Json> {
  const id = asString(first.id)!;
  let prediction = first;
  try {
    for (;;) {
      const status = asString(prediction.status) ?? "starting";
      if (status === "succeeded") return prediction;
      if (status === "failed") {
        const error = typeof prediction.error === "string" ? prediction.error : JSON.stringify(prediction.error ?? "no error given");
        const type = SAFETY_WORDS.test(error) ? "content_filtered" : "api_error";
        throw new AppError(type, `Replicate prediction ${id} failed: ${clip(error)}`);
      }
      if (TERMINAL.has(status)) throw new AppError("api_error", `Replicate prediction ${id} was ${status}`);
      await pause(ctx.pollIntervalMs, ctx);
      prediction = await getPrediction(id, ctx);
    }
  } catch (error) {
    // A timeout or a user's cancel ends the prediction upstream; a shutdown (interrupted) leaves it running to resume.
    if (cancelsUpstream(ctx.signal)) await cancelPrediction(id, ctx);
    throw error;
  }
}

/** Billable units of a finished prediction: images (metrics.image_count, else outputs) or the video's seconds. */
function meterOf(done: Json, ctx: CallContext, urls: string[], seconds?: number): Meter {
  const metrics = asObject(done.metrics);
  if (ctx.entry.type === "video") return { ...(seconds !== undefined ? { seconds } : {}) };
  return { images: asNumber(metrics?.image_count) ?? Math.max(1, urls.length) };
}

function extraOf(done: Json): Record<string, unknown> {
  const metrics = asObject(done.metrics);
  const predict = asNumber(metrics?.predict_time);
  return { prediction_id: done.id, ...(asString(done.version) ? { version: done.version } : {}), ...(predict !== undefined ? { predict_time: predict } : {}) };
}

/** Downloads the first output at once (no key is sent: replicate.delivery URLs are public and expire after an hour). */
async function fetchOutput(done: Json, ctx: CallContext, seconds?: number): Promise<ProviderResult> {
  const urls = outputUrls(done.output);
  const meter = meterOf(done, ctx, urls, seconds);
  const extra = extraOf(done);
  const url = urls[0];
  if (!url) {
    const error = new AppError("empty_response", `Replicate prediction ${String(done.id)} succeeded without an output file${done.data_removed === true ? " (its data was already removed)" : ""}`);
    throw afterBilling(error, { meter });
  }
  const refused = (status: number, body: string) =>
    status >= 400 && status < 500
      ? new AppError("api_error", `Could not download the output of Replicate prediction ${String(done.id)} (Upstream ${status}: ${upstreamMessage(body)}); output files are deleted an hour after the prediction`, { upstream_status: status })
      : undefined;
  let media: MediaPayload;
  try {
    media = await readMedia(await request(url, {}, ctx, refused), ctx);
  } catch (error) {
    throw afterBilling(error, { meter });
  }
  return { ...media, meter, ...(seconds !== undefined ? { durationSeconds: seconds } : {}), extra: { ...extra, ...(urls.length > 1 ? { outputs: urls.length } : {}) } };
}

async function create(input: Json, ctx: CallContext, waitSeconds?: number): Promise<Json> {
  const { path, version } = creation(ctx.entry.model);
  const body = version ? { version, input } : { input };
  const extra: Record<string, string> = { "content-type": "application/json", ...(waitSeconds ? { prefer: `wait=${waitSeconds}` } : {}) };
  const prediction = await readPrediction(await request(apiUrl(ctx, path), { method: "POST", headers: headers(ctx, extra), body: JSON.stringify(body) }, ctx, mapErrorFor(ctx)), ctx);
  ctx.onOperation?.(asString(prediction.id)!);
  return prediction;
}

async function image(job: ImageJob, ctx: CallContext): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const [first, ...more] = job.inputs;
  const input: Json = {
    prompt: job.prompt,
    aspect_ratio: ASPECT_RATIOS[job.aspect],
    ...(first ? { [opts.image_field ?? "image"]: more.length > 0 ? job.inputs.map(dataUrl) : dataUrl(first) } : {}),
    ...(opts.input ?? {}),
  };
  const started = await create(input, ctx, opts.wait_seconds ?? DEFAULT_WAIT_SECONDS);
  return fetchOutput(await finish(started, ctx), ctx);
}

async function video(job: VideoJob, ctx: CallContext): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const input: Json = {
    prompt: job.prompt,
    aspect_ratio: ASPECT_RATIOS[job.aspect],
    ...(opts.duration_field === null ? {} : { [opts.duration_field ?? "duration"]: job.durationSeconds }),
    ...(job.firstFrame ? { [opts.image_field ?? "image"]: dataUrl(job.firstFrame) } : {}),
    ...(opts.input ?? {}),
  };
  const started = await create(input, ctx, opts.wait_seconds);
  return fetchOutput(await finish(started, ctx), ctx, job.durationSeconds);
}

/** Continues a prediction started before a restart (image or video: the runner resumes every recorded operation here). */
async function resumeVideo(id: string, ctx: CallContext): Promise<ProviderResult> {
  const done = await finish(await getPrediction(id, ctx), ctx);
  const field = options(ctx.entry).duration_field;
  const seconds = ctx.entry.type === "video" && field !== null ? asNumber(asObject(done.input)?.[field ?? "duration"]) : undefined;
  return fetchOutput(done, ctx, seconds);
}

/** GET /v1/account proves the token (free); GET the model (or version) proves the model id. */
async function testConnection(ctx: CallContext): Promise<string> {
  const account = await readJsonObject(await request(apiUrl(ctx, "account"), { headers: headers(ctx) }, ctx, mapErrorFor(ctx)), ctx);
  const who = asString(account.username) ?? "the account";
  const { version } = creation(ctx.entry.model);
  const model = ctx.entry.model.trim();
  if (VERSION_ID.test(model)) return `Connected as ${who}; the version id is checked on the first generation.`;
  const [name] = model.split(":", 1);
  const path = version ? `models/${name}/versions/${encodeURIComponent(model.split(":")[1]!)}` : `models/${name}`;
  await readText(await request(apiUrl(ctx, path), { headers: headers(ctx) }, ctx, mapErrorFor(ctx)), ctx);
  return `Connected as ${who}; Replicate knows ${model}.`;
}

function checkModel(_job: unknown, entry: ModelEntry): void {
  creation(entry.model);
}

/** Replicate: any model's predictions (images, video), resumable and cancelled upstream. */
export const replicate: Provider = {
  id: "replicate",
  requiresKey: true,
  defaultBaseUrl: "https://api.replicate.com",
  keyEnv: "REPLICATE_API_TOKEN",
  videoSeconds: { min: 1, max: 20 },
  models: {
    image: ["black-forest-labs/flux-schnell", "black-forest-labs/flux-dev", "black-forest-labs/flux-pro", "black-forest-labs/flux-1.1-pro", "black-forest-labs/flux-kontext-pro"],
    video: ["minimax/video-01", "kwaivgi/kling-v2.1", "wan-video/wan-2.2-t2v-fast"],
  },
  image,
  video,
  resumeVideo,
  checkImage: checkModel,
  checkVideo: checkModel,
  testConnection,
};
