// Volcengine Ark (and BytePlus ModelArk through base_url): Seedance video as an asynchronous task (create, poll, download
// the signed MP4 without the key), resumable after a restart, and Seedream images through the images endpoint.
import { rmSync } from "node:fs";
import type { ModelEntry } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import { afterBilling, AppError, invalidArgument, type ErrorDetails } from "../errors.ts";
import type { Usage } from "../ledger/schema.ts";
import { clip, mediaFromBase64, pause, payloadSize, readJsonObject, readMedia, readText, redact, request, retryAfterSeconds, transportError, upstreamMessage } from "./http.ts";
import { asBase64, asNonBlank, asNumber, asObject, asObjects, dataUrl, defined, type Json } from "./json.ts";
import { VolcengineOptions } from "./options.ts";
import type { CallContext, EstimateTuning, ImageJob, MediaInput, MediaPayload, Provider, ProviderResult, RequestFacts, VideoJob } from "./types.ts";

/** Ark's API root when the entry names no base_url (volcenginesdkarkruntime's BASE_URL). */
const DEFAULT_BASE_URL = "https://ark.cn-beijing.volces.com/api/v3";
/** Seedance's resolution when neither the request nor the entry names one (what the original sent). */
const DEFAULT_RESOLUTION = "720p";
/** Ark error codes (and in-task failure codes) that mean a safety refusal. */
const REFUSAL = /SensitiveContent|RiskDetection|PrivacyInformation/i;
/** Ark error codes that mean the model or endpoint id is unknown or not open to this account. */
const UNKNOWN_MODEL = /^(InvalidEndpoint\.NotFound|InvalidEndpointOrModel|ModelNotOpen|InvalidModel|NotFound\.Model)/i;
/** Task statuses after which a task never changes again. */
const FINAL = new Set(["succeeded", "failed", "cancelled", "canceled", "expired"]);
/** Seedance families that take `generate_audio` (their silent clips are billed at another rate). */
const TAKES_AUDIO = /seedance-(1-5|2-0)/i;

/** Seedance output pixels per resolution and ratio (for estimates only; the bill uses Ark's reported tokens). */
const PIXELS: Record<string, Record<string, [number, number]>> = {
  "480p": { "16:9": [864, 480], "4:3": [736, 544], "1:1": [640, 640], "3:4": [544, 736], "9:16": [480, 864], "21:9": [960, 416] },
  "720p": { "16:9": [1248, 704], "4:3": [1120, 832], "1:1": [960, 960], "3:4": [832, 1120], "9:16": [704, 1248], "21:9": [1504, 640] },
  "1080p": { "16:9": [1920, 1088], "4:3": [1664, 1248], "1:1": [1440, 1440], "3:4": [1248, 1664], "9:16": [1088, 1920], "21:9": [2176, 928] },
};
/** Time given to the DELETE of a queued task whose job timed out, in ms. */
const CANCEL_TIMEOUT_MS = 10_000;
/** Seedance frames per second (Ark's `framespersecond`), for estimates. */
const FPS = 24;

/** Seedream sizes per aspect: the 2K presets for Seedream 4.x and later, the 1K ones for Seedream 3. */
const SIZES_2K = { landscape: "2560x1440", square: "2048x2048", portrait: "1440x2560" } as const;
const SIZES_1K = { landscape: "1280x720", square: "1024x1024", portrait: "720x1280" } as const;

function options(entry: ModelEntry): VolcengineOptions {
  return VolcengineOptions.parse(entry.options ?? {});
}

/** Ark's API root: the base URL up to `/api/v3`, or its origin + `/api/v3` when it names only a host. */
export function apiRoot(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "");
  const at = path.indexOf("/api/v3");
  return `${url.origin}${at >= 0 ? path.slice(0, at + "/api/v3".length) : `${path}/api/v3`}`;
}

const headers = (ctx: CallContext, json = false): Record<string, string> => ({
  authorization: `Bearer ${ctx.apiKey ?? ""}`,
  ...(json ? { "content-type": "application/json" } : {}),
});

/** Ark's `{error: {code, message, type}}`, from an error answer or inside a 200. */
function arkError(body: string): Json | undefined {
  try {
    return asObject(asObject(JSON.parse(body))?.error);
  } catch {
    return undefined;
  }
}

/** The catalogue error for an Ark error (`status` is the HTTP status, or 200 for an error inside a successful answer). */
function errorOf(status: number, error: Json | undefined, body: string, responseHeaders: Headers, entry?: ModelEntry): AppError {
  const code = asNonBlank(error?.code) ?? "";
  const text = asNonBlank(error?.message) ?? upstreamMessage(body);
  const message = `Upstream ${status}: ${code ? `${code}: ` : ""}${clip(text)}`;
  const upstream: ErrorDetails = { upstream_status: status };
  if (REFUSAL.test(code)) return new AppError("content_filtered", `Ark refused the request on safety grounds (${message})`, upstream);
  if (status === 401 || code === "AuthenticationError") {
    return new AppError("auth_required", `${message} (check the model's api_key in config.yml: a Volcengine key works only on volces.com, a BytePlus key only on bytepluses.com)`, { ...upstream, status: 502 });
  }
  if (code === "AccountOverdueError") return new AppError("insufficient_credits", `${message} (the Ark account is overdue; top it up)`, upstream);
  if (status === 403) return new AppError("auth_required", `${message} (the key may not use this model; enable it in the Ark console)`, { ...upstream, status: 502 });
  if ((status === 404 || status === 400) && UNKNOWN_MODEL.test(code) && entry) {
    return new AppError(
      "unknown_model",
      `unknown ${entry.type === "image" ? "image" : "video"} model "${entry.model}": volcengine does not recognise it (${message}). Fix the model name in the settings page (Models) or config.yml; do not retry with another name.`,
      upstream,
    );
  }
  if (status === 429 || status === 503 || code === "ServerOverloaded") {
    const retry = retryAfterSeconds(responseHeaders.get("retry-after"));
    const details = retry === undefined ? upstream : { ...upstream, retry_after_seconds: retry };
    const overloaded = status === 503 || code === "ServerOverloaded";
    return new AppError(overloaded ? "overloaded" : "rate_limited", message, details);
  }
  return new AppError("api_error", message, upstream);
}

const mapErrorFor = (entry: ModelEntry) => (status: number, body: string, responseHeaders: Headers) => errorOf(status, arkError(body), body, responseHeaders, entry);

async function postJson(ctx: CallContext, path: string, body: Json): Promise<Json> {
  const init = { method: "POST", headers: headers(ctx, true), body: JSON.stringify(body) };
  const response = await request(`${apiRoot(ctx.baseUrl)}/${path}`, init, ctx, mapErrorFor(ctx.entry));
  return readJsonObject(response, ctx);
}

async function getJson(ctx: CallContext, path: string): Promise<Json> {
  const response = await request(`${apiRoot(ctx.baseUrl)}/${path}`, { headers: headers(ctx) }, ctx, mapErrorFor(ctx.entry));
  return readJsonObject(response, ctx);
}

/**
 * Fetches a result Ark links to (a signed TOS URL, valid 24 h): never with the key, which is Ark's only. An expired or
 * missing object is an api_error that says so, not a key problem.
 */
async function fetchResult(url: string, ctx: CallContext, what: string): Promise<MediaPayload & { mimeType?: string }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: ctx.signal, timeout: false });
  } catch (error) {
    throw transportError(error, ctx);
  }
  if (!response.ok) {
    const body = redact(await readText(response, ctx), [ctx.apiKey]);
    throw new AppError("api_error", `Could not download the generated ${what} (Upstream ${response.status}: ${upstreamMessage(body)}); Ark keeps results for 24 hours`, { upstream_status: response.status });
  }
  const media = await readMedia(response, ctx);
  if (payloadSize(media) === 0) {
    if (media.file) rmSync(media.file.path, { force: true });
    throw new AppError("empty_response", `Ark's generated ${what} is empty`);
  }
  return { ...media, mimeType: response.headers.get("content-type")?.split(";")[0] || undefined };
}

/** A media input as Ark takes it: the URL as given, or the bytes as a base64 data URL. */
const urlOf = (input: MediaInput): string => (input.bytes ? dataUrl(input) : input.url);

/** The Seedance `content` array: the text, then the frames, reference images, videos and audios, each with its role. */
export function seedanceContent(job: VideoJob): Json[] {
  const more = job.more ?? {};
  const content: Json[] = [];
  if (job.prompt.trim()) content.push({ type: "text", text: job.prompt });
  const image = (url: string, role: string) => content.push({ type: "image_url", image_url: { url }, role });
  if (job.firstFrame) image(dataUrl(job.firstFrame), "first_frame");
  else if (more.firstFrameUrl) image(more.firstFrameUrl, "first_frame");
  if (more.lastFrame) image(urlOf(more.lastFrame), "last_frame");
  for (const ref of more.referenceImages ?? []) image(urlOf(ref), "reference_image");
  for (const ref of more.referenceVideos ?? []) content.push({ type: "video_url", video_url: { url: urlOf(ref) }, role: "reference_video" });
  for (const ref of more.referenceAudios ?? []) content.push({ type: "audio_url", audio_url: { url: urlOf(ref) }, role: "reference_audio" });
  return content;
}

/** The Seedance ratio of a job: the one the request gave (1:1, 4:3, 21:9, adaptive, ...), else 16:9 or 9:16. */
const ratioOf = (job: Pick<VideoJob, "aspect" | "more">): string => job.more?.ratio ?? (job.aspect === "portrait" ? "9:16" : job.aspect === "square" ? "1:1" : "16:9");

/** The body of `POST /contents/generations/tasks`. */
export function seedanceBody(job: VideoJob, entry: ModelEntry): Json {
  const opts = options(entry);
  const more = job.more ?? {};
  return defined({
    model: entry.model,
    content: seedanceContent(job),
    ratio: ratioOf(job),
    duration: job.durationSeconds,
    resolution: more.resolution ?? opts.resolution ?? DEFAULT_RESOLUTION,
    generate_audio: more.generateAudio,
    watermark: more.watermark ?? opts.watermark,
    seed: more.seed,
    camera_fixed: opts.camera_fixed,
    service_tier: opts.service_tier,
  });
}

/** Whether a clip is billed as silent: a model that takes audio, asked (or reported) not to make any. */
const silent = (entry: ModelEntry, task: Json, requested: boolean | undefined): boolean =>
  TAKES_AUDIO.test(entry.model) && (task.generate_audio === false || (task.generate_audio === undefined && requested === false));

/** The billable units of a finished task: Ark's `usage.completion_tokens`, its duration and resolution. */
function taskMeter(entry: ModelEntry, task: Json, requested: boolean | undefined): Meter {
  const tokens = asNumber(asObject(task.usage)?.completion_tokens);
  return defined({
    tokens: tokens === undefined ? undefined : { [silent(entry, task, requested) ? "output_video_silent" : "output_video"]: tokens },
    seconds: asNumber(task.duration),
    resolution: asNonBlank(task.resolution),
  }) as Meter;
}

/**
 * Polls a task until it reaches a final status (`first`: its latest known state, if any). A task still queued when
 * the job's deadline passes is cancelled at Ark (only queued tasks can be, and they are not billed); one stopped by a
 * shutdown is left running, to be resumed at the next start.
 */
async function awaitTask(id: string, ctx: CallContext, first?: Json): Promise<Json> {
  let task = first;
  try {
    for (;;) {
      if (task) {
        const status = asNonBlank(task.status);
        if (!status) throw new AppError("invalid_response", `Ark's answer about task ${id} has no status`);
        if (FINAL.has(status)) return task;
        await pause(ctx.pollIntervalMs, ctx);
      }
      task = await getJson(ctx, `contents/generations/tasks/${encodeURIComponent(id)}`);
    }
  } catch (error) {
    const reason: unknown = ctx.signal.reason;
    if (ctx.signal.aborted && reason instanceof AppError && reason.type === "timeout" && task?.status === "queued") await cancelQueued(id, ctx);
    throw error;
  }
}

/** Best effort: `DELETE` a queued task so it never runs (and is never billed). */
async function cancelQueued(id: string, ctx: CallContext): Promise<void> {
  try {
    await fetch(`${apiRoot(ctx.baseUrl)}/contents/generations/tasks/${encodeURIComponent(id)}`, { method: "DELETE", headers: headers(ctx), signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
  } catch {
    // the task stays queued at Ark; nothing more can be done from here
  }
}

/** The error of a task that ended failed, cancelled or expired. */
function taskError(id: string, status: string, task: Json): AppError {
  if (status === "expired") return new AppError("api_error", `Seedance task ${id} expired before completion`);
  if (status !== "failed") return new AppError("api_error", `Seedance task ${id} was cancelled`);
  const error = asObject(task.error);
  const code = asNonBlank(error?.code) ?? "";
  const text = `Seedance task ${id} failed: ${code ? `${code}: ` : ""}${clip(asNonBlank(error?.message) ?? "no message")}`;
  return new AppError(REFUSAL.test(code) ? "content_filtered" : "api_error", text);
}

/** Turns a finished task into a result: downloads its video (billed from here: a failing download keeps the cost). */
async function taskResult(id: string, task: Json, ctx: CallContext, requestedAudio: boolean | undefined): Promise<ProviderResult> {
  const status = asNonBlank(task.status)!;
  if (status !== "succeeded") throw taskError(id, status, task);
  const usage = asObject(task.usage);
  const meter = taskMeter(ctx.entry, task, requestedAudio);
  const billed = { usage, meter };
  const url = asNonBlank(asObject(task.content)?.video_url);
  if (!url) throw afterBilling(new AppError("empty_response", `Seedance task ${id} succeeded without a video_url`), billed);
  const media = await fetchResult(url, ctx, "video").catch((error: unknown) => Promise.reject(afterBilling(error, billed)));
  return {
    ...media,
    mimeType: "video/mp4",
    usage: usage as Usage | undefined,
    meter,
    durationSeconds: asNumber(task.duration),
    extra: defined({ ark_task_id: id, seed: asNumber(task.seed), ratio: asNonBlank(task.ratio), resolution: asNonBlank(task.resolution), revised_prompt: asNonBlank(task.revised_prompt) }),
  };
}

async function video(job: VideoJob, ctx: CallContext): Promise<ProviderResult> {
  const created = await postJson(ctx, "contents/generations/tasks", seedanceBody(job, ctx.entry));
  const id = asNonBlank(created.id);
  if (!id) throw new AppError("empty_response", "Upstream did not return a task id");
  ctx.onOperation?.(id);
  return taskResult(id, await awaitTask(id, ctx), ctx, job.more?.generateAudio);
}

/** Continues a Seedance task created before a restart (what was asked of it is in Ark's own answer). */
async function resumeVideo(taskId: string, ctx: CallContext): Promise<ProviderResult> {
  return taskResult(taskId, await awaitTask(taskId, ctx), ctx, undefined);
}

/** Seedance's rules, answered before any call: the three modes (first frame, first+last, references) never mix. */
function checkVideo(job: VideoJob, entry: ModelEntry): void {
  const more = job.more ?? {};
  const model = entry.model;
  const hasFirst = job.firstFrame !== undefined || more.firstFrameUrl !== undefined;
  const refs = (["referenceImages", "referenceVideos", "referenceAudios"] as const).filter((key) => (more[key]?.length ?? 0) > 0);
  const refNames = refs.map((key) => ({ referenceImages: "reference_images", referenceVideos: "reference_videos", referenceAudios: "reference_audios" })[key]);
  if ((hasFirst || more.lastFrame) && refs.length > 0) {
    const frame = hasFirst ? "first_frame" : "last_frame";
    throw invalidArgument(frame, `${frame} cannot be combined with ${refNames.join(", ")}: Seedance takes a first frame (optionally with a last frame) or reference media, not both. Nothing was sent`);
  }
  if (more.lastFrame && !hasFirst) throw invalidArgument("last_frame", "last_frame needs a first_frame (or image) too: Seedance makes a clip between the two frames");
  if ((more.referenceAudios?.length ?? 0) > 0 && (more.referenceImages?.length ?? 0) + (more.referenceVideos?.length ?? 0) === 0) {
    throw invalidArgument("reference_audios", "reference_audios need at least one reference image or video alongside (Seedance never takes audio alone)");
  }
  if (/seedance-1-0-lite-t2v/i.test(model) && (hasFirst || more.lastFrame || refs.length > 0)) {
    throw invalidArgument(hasFirst ? "first_frame" : more.lastFrame ? "last_frame" : refNames[0]!, `${model} makes video from text only; use an i2v or pro model for frames and references`);
  }
  if (/seedance-1-/i.test(model) && (more.referenceVideos?.length || more.referenceAudios?.length)) {
    throw invalidArgument(more.referenceVideos?.length ? "reference_videos" : "reference_audios", `${model} takes no reference videos or audios; Seedance 2.0 does`);
  }
  const seconds = /seedance-2/i.test(model) ? [4, 15] : /seedance-1/i.test(model) ? [2, 12] : undefined;
  if (seconds && (job.durationSeconds < seconds[0]! || job.durationSeconds > seconds[1]!)) {
    throw invalidArgument("duration_seconds", `${model} makes clips of ${seconds[0]} to ${seconds[1]} seconds, not ${job.durationSeconds}`);
  }
}

/** The Seedream `size` of a job: the entry's option, else a preset for the aspect (Seededit takes only "adaptive"). */
function seedreamSize(job: ImageJob, entry: ModelEntry): string {
  const configured = options(entry).size;
  if (configured) return configured;
  if (/seededit/i.test(entry.model)) return "adaptive";
  return (/seedream-3/i.test(entry.model) ? SIZES_1K : SIZES_2K)[job.aspect];
}

async function image(job: ImageJob, ctx: CallContext): Promise<ProviderResult> {
  const { entry } = ctx;
  const opts = options(entry);
  const inputs = job.inputs.map(dataUrl);
  const body = defined({
    model: entry.model,
    prompt: job.prompt,
    image: inputs.length === 0 ? undefined : inputs.length === 1 ? inputs[0] : inputs,
    size: seedreamSize(job, entry),
    response_format: "b64_json",
    watermark: opts.watermark ?? false,
    // Seedream 4.x and later can make a series; one image is what a request here asks for.
    sequential_image_generation: /seedream-[4-9]/i.test(entry.model) ? "disabled" : undefined,
  });
  const answer = await postJson(ctx, "images/generations", body);
  const usage = asObject(answer.usage);
  const error = asObject(answer.error);
  const first = asObjects(answer.data)[0];
  const itemError = asObject(first?.error);
  const failure = itemError ?? (first ? undefined : error);
  if (failure) throw errorOf(200, failure, "", new Headers(), entry);
  if (!first) throw new AppError("empty_response", "Upstream returned no image data");
  const images = asNumber(usage?.generated_images) ?? 1;
  const meter = defined({ images, imageSize: asNonBlank(first.size), tokens: asNumber(usage?.output_tokens) === undefined ? undefined : { output_image: asNumber(usage?.output_tokens)! } }) as Meter;
  const billed = { usage, meter };
  const b64 = asBase64(first.b64_json);
  const url = asNonBlank(first.url);
  const media = await (async (): Promise<MediaPayload & { mimeType?: string }> => {
    if (b64) return { bytes: mediaFromBase64(b64, ctx) };
    if (url) return fetchResult(url, ctx, "image");
    throw new AppError("empty_response", "Response contained neither b64_json nor url");
  })().catch((failure: unknown) => Promise.reject(afterBilling(failure, billed)));
  return { ...media, usage: usage as Usage | undefined, meter, extra: defined({ size: asNonBlank(first.size) }) };
}

/**
 * Proves the key and the model without paying: a request to the model's endpoint with nothing to generate. Ark
 * checks the key (401) and the model (404) before the body, so a 400 about the missing content or prompt means both
 * are good.
 */
async function testConnection(ctx: CallContext): Promise<string> {
  const { entry } = ctx;
  const path = entry.type === "image" ? "images/generations" : "contents/generations/tasks";
  const probe = entry.type === "image" ? { model: entry.model, prompt: "" } : { model: entry.model, content: [] };
  try {
    await postJson(ctx, path, probe);
  } catch (error) {
    if (error instanceof AppError && error.type === "api_error" && error.details.upstream_status === 400) {
      return `Connected; key accepted and model '${entry.model}' found (Ark refused the empty probe as expected, nothing was generated).`;
    }
    throw error;
  }
  return `Connected; key accepted and model '${entry.model}' found.`;
}

/** Expected tokens of a Seedance clip: width x height x fps x seconds / 1024 (Ark's formula), for budgets. */
export function seedanceTokens(resolution: string, ratio: string, seconds: number): number | undefined {
  const pixels = PIXELS[resolution]?.[ratio === "adaptive" ? "16:9" : ratio];
  return pixels ? Math.round((pixels[0] * pixels[1] * FPS * seconds) / 1024) : undefined;
}

function estimateTuning(entry: ModelEntry, facts: RequestFacts): EstimateTuning {
  const opts = VolcengineOptions.safeParse(entry.options ?? {}).data ?? {};
  const resolution = facts.resolution ?? opts.resolution ?? DEFAULT_RESOLUTION;
  if (entry.type !== "video" || facts.seconds === undefined) return { resolution };
  const tokens = seedanceTokens(resolution, facts.ratio ?? ratioOf({ aspect: facts.aspect ?? "landscape" }), facts.seconds);
  return { resolution, ...(tokens === undefined ? {} : { tokens: { output_video: tokens } }) };
}

/** Volcengine Ark (China; BytePlus ModelArk through base_url): Seedance video and Seedream images. */
export const volcengine: Provider = {
  id: "volcengine",
  requiresKey: true,
  defaultBaseUrl: DEFAULT_BASE_URL,
  keyEnv: "ARK_API_KEY",
  videoFields: ["first_frame", "last_frame", "reference_images", "reference_videos", "reference_audios", "resolution", "generate_audio", "watermark", "seed", "ratio"],
  videoSeconds: { min: 2, max: 15 },
  answersVideoWithReceipt: true,
  models: {
    video: [
      "doubao-seedance-2-0-260128",
      "doubao-seedance-2-0-fast-260128",
      "doubao-seedance-1-5-pro-251215",
      "doubao-seedance-1-0-pro-250528",
      "doubao-seedance-1-0-pro-fast-251015",
      "doubao-seedance-1-0-lite-t2v-250428",
      "doubao-seedance-1-0-lite-i2v-250428",
    ],
    image: ["doubao-seedream-4-0-250828", "doubao-seedream-4-5-251128", "doubao-seedream-3-0-t2i-250415", "doubao-seededit-3-0-i2i-250628"],
  },
  image,
  video,
  resumeVideo,
  checkVideo,
  testConnection,
  estimateTuning,
};
