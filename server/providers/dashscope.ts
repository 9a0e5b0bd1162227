// Alibaba Cloud Model Studio (DashScope), natively: Qwen-Image and qwen-image-edit through multimodal-generation,
// the older Wan text-to-image models and Wan video as asynchronous tasks (resumable after a restart), Qwen-TTS and
// CosyVoice speech. Every result is a signed OSS URL that expires, downloaded at once and without the key.
import type { ModelEntry } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import type { Usage } from "../ledger/schema.ts";
import type { Aspect } from "../formats/aspect.ts";
import type { InputImage } from "../formats/input-images.ts";
import { afterBilling, AppError, invalidArgument } from "../errors.ts";
import { clip, joinUrl, mediaFromBase64, pause, readJsonObject, readMedia, readText, request, retryAfterSeconds, upstreamMessage } from "./http.ts";
import { asBase64, asNumber, asObject, asObjects, asString, type Json, toBase64 } from "./json.ts";
import { DashScopeOptions } from "./options.ts";
import { SKILL_VOICES } from "./voices.ts";
import type { CallContext, ImageJob, MediaPayload, Provider, ProviderResult, SpeechJob, VideoJob } from "./types.ts";

const MULTIMODAL_PATH = "api/v1/services/aigc/multimodal-generation/generation";
const TEXT2IMAGE_PATH = "api/v1/services/aigc/text2image/image-synthesis";
const VIDEO_PATH = "api/v1/services/aigc/video-generation/video-synthesis";
const COSYVOICE_PATH = "api/v1/services/audio/tts/SpeechSynthesizer";
const taskPath = (id: string) => `api/v1/tasks/${encodeURIComponent(id)}`;

/** Most input images one qwen-image-edit call takes. */
const MAX_EDIT_INPUTS = 3;
/** Sample rate asked of CosyVoice (the skill's WAV is 24 kHz mono), in Hz. */
const COSYVOICE_SAMPLE_RATE_HZ = 24_000;
const DEFAULT_QWEN_VOICE = "Cherry";
const DEFAULT_COSYVOICE_VOICE = "longanyang";
/** Wan video tier used when options.resolution is absent (the original server's fixed choice). */
const DEFAULT_RESOLUTION = "720P";

/** Qwen3-TTS voices (part of the 49 the docs list); the picker offers these, any other name is sent as given. */
export const QWEN_TTS_VOICES = [
  "Cherry", "Serena", "Ethan", "Chelsie", "Momo", "Vivian", "Moon", "Maia", "Kai", "Nofish", "Bella", "Jennifer", "Ryan",
  "Katerina", "Elias", "Jada", "Dylan", "Sunny", "Marcus", "Roy", "Peter", "Rocky", "Kiki", "Eric",
] as const;
/** The skill's Gemini voice names; a request naming one gets the model's default voice. */
const SKILL_VOICE_KEYS = new Set(SKILL_VOICES.map((voice) => voice.toLowerCase()));

/** Which wire form a model speaks, from its id. */
const isQwenTts = (model: string) => /^qwen[0-9.]*-tts/.test(model);
const isEditModel = (model: string) => /^qwen-image-edit/.test(model);
/** Wan text-to-image before 2.6: the asynchronous text2image endpoint (2.6 and later answer on multimodal-generation). */
const isAsyncWanImage = (model: string) => /^wanx?2\.[0-5]-t2i|^wanx-v1/.test(model);
const isImageToVideo = (model: string) => /-i2v/.test(model);

/** `W*H` per aspect for each image family: the only sizes qwen-image-max/-plus take, sizes within range for the others. */
const IMAGE_SIZES: [RegExp, Record<Aspect, string>][] = [
  [/^qwen-image(-max|-plus)?(-\d{4}-\d{2}-\d{2})?$/, { landscape: "1664*928", square: "1328*1328", portrait: "928*1664" }],
  [/^qwen-image-2/, { landscape: "2688*1536", square: "2048*2048", portrait: "1536*2688" }],
  // wan2.6-t2i: total pixels between 1280*1280 and 1440*1440.
  [/^wan2\.[6-9]/, { landscape: "1792*1008", square: "1280*1280", portrait: "1008*1792" }],
  // Wan up to 2.5: each side 512-1440.
  [/^wanx?/, { landscape: "1280*720", square: "1024*1024", portrait: "720*1280" }],
];

/** Wan video sizes per tier and aspect (text-to-video takes `size`; image-to-video takes the tier as `resolution`). */
const VIDEO_SIZES: Record<string, Record<Aspect, string>> = {
  "480P": { landscape: "832*480", square: "624*624", portrait: "480*832" },
  "720P": { landscape: "1280*720", square: "960*960", portrait: "720*1280" },
  "1080P": { landscape: "1920*1080", square: "1440*1440", portrait: "1080*1920" },
};

/** What each Wan video family takes: tiers, and durations (a range where any whole second in it is accepted). */
interface WanLimits {
  resolutions: readonly string[];
  durations: readonly number[] | { min: number; max: number };
}
const WAN_LIMITS: [RegExp, WanLimits][] = [
  [/^wan2\.6-/, { resolutions: ["720P", "1080P"], durations: { min: 2, max: 15 } }],
  [/^wan2\.5-/, { resolutions: ["480P", "720P", "1080P"], durations: [5, 10] }],
  [/^wan2\.2-t2v-plus/, { resolutions: ["480P", "1080P"], durations: [5] }],
  [/^wan2\.2-i2v-(plus|flash)/, { resolutions: ["480P", "720P", "1080P"], durations: [5] }],
  [/^wanx?2\.1-t2v-turbo/, { resolutions: ["480P", "720P"], durations: [5] }],
  [/^wanx?2\.1-t2v-plus/, { resolutions: ["720P"], durations: [5] }],
  [/^wanx?2\.1-i2v-(turbo|plus)/, { resolutions: ["480P", "720P"], durations: [5] }],
];
const wanLimits = (model: string) => WAN_LIMITS.find(([pattern]) => pattern.test(model))?.[1];

function options(entry: ModelEntry): DashScopeOptions {
  return DashScopeOptions.parse(entry.options ?? {});
}

/** The API root: scheme and host of the base URL (a base URL given with /api/v1 or /compatible-mode/v1 is read the same). */
function apiUrl(ctx: CallContext, path: string): string {
  return joinUrl(ctx.baseUrl.replace(/\/(api|compatible-mode)\/v1\/*$/, ""), path);
}

function headers(ctx: CallContext, extra: Record<string, string> = {}): Record<string, string> {
  return ctx.apiKey ? { authorization: `Bearer ${ctx.apiKey}`, ...extra } : extra;
}

const CONTENT_REFUSALS = /^(DataInspectionFailed|data_inspection_failed|InvalidParameter\.DataInspection|IPInfringementSuspect)/;
const UNKNOWN_MODEL = /model not exist|model\b.{0,80}\bnot (exist|found|supported)|unsupported model/i;

/**
 * DashScope's `{code, message}` (on an error status, inside an HTTP 200, or in a failed task's output) mapped into the
 * catalogue; undefined leaves it to the default mapping by status.
 */
function errorForCode(status: number, code: string | undefined, text: string, headers: Headers | undefined, entry: ModelEntry | undefined): AppError | undefined {
  const upstream = { upstream_status: status, upstream_code: code };
  const message = `Upstream ${status}: ${code ? `${code}: ` : ""}${clip(text)}`;
  if (!code) return undefined;
  if (CONTENT_REFUSALS.test(code)) return new AppError("content_filtered", `DashScope refused the content (${message})`, upstream);
  if (code.startsWith("Throttling") || code === "RequestRateIncreasedTooQuickly") {
    const retry = retryAfterSeconds(headers?.get("retry-after") ?? null);
    return new AppError("rate_limited", message, retry === undefined ? upstream : { ...upstream, retry_after_seconds: retry });
  }
  if (code === "Arrearage") return new AppError("insufficient_credits", `${message} (the Alibaba Cloud account is overdue)`, upstream);
  if (code === "InvalidApiKey") return new AppError("auth_required", `DashScope rejected the API key (${message}); check the model's api_key in config.yml, and that the key belongs to the base_url's region`, { ...upstream, status: 502 });
  if (code.startsWith("AccessDenied")) return new AppError("auth_required", `DashScope refused access (${message}); the model may not be enabled for this account or region`, { ...upstream, status: 502 });
  if (entry && (code === "InvalidParameter" || code === "ModelNotFound" || code === "Model.NotFound") && UNKNOWN_MODEL.test(text)) {
    return new AppError(
      "unknown_model",
      `unknown ${entry.type === "audio" ? "speech" : entry.type} model "${entry.model}": dashscope does not recognise it (${message}). Fix the model name in the settings page (Models) or config.yml; do not retry with another name.`,
      { upstream_status: status },
    );
  }
  if (status === 200) return new AppError("api_error", `Upstream error ${code}: ${clip(text)}`, upstream);
  return undefined;
}

/** The `code` and `message` of a DashScope body, if it has them. */
function codeOf(body: string): { code?: string; message: string } {
  try {
    const json = JSON.parse(body) as Json;
    return { code: asString(json.code), message: asString(json.message) ?? upstreamMessage(body) };
  } catch {
    return { message: upstreamMessage(body) };
  }
}

function mapErrorFor(ctx: CallContext) {
  return (status: number, body: string, responseHeaders: Headers): AppError | undefined => {
    const { code, message } = codeOf(body);
    return errorForCode(status, code, message, responseHeaders, ctx.entry);
  };
}

/** A 2xx answer's JSON; a non-empty top-level `code` (DashScope sometimes reports failures inside HTTP 200) is an error. */
async function readAnswer(response: Response, ctx: CallContext): Promise<Json> {
  const json = await readJsonObject(response, ctx);
  const code = asString(json.code);
  if (code) throw errorForCode(200, code, asString(json.message) ?? "no message", response.headers, ctx.entry)!;
  return json;
}

async function postJson(ctx: CallContext, path: string, body: Json, extra: Record<string, string> = {}): Promise<Json> {
  const init = { method: "POST", headers: headers(ctx, { "content-type": "application/json", ...extra }), body: JSON.stringify(body) };
  return readAnswer(await request(apiUrl(ctx, path), init, ctx, mapErrorFor(ctx)), ctx);
}

/**
 * Downloads a result URL (a signed OSS URL: no key is sent). Storage refusing it (an expired signature is a 403) is an
 * api_error, not a key problem; any failure after generation keeps the cost.
 */
async function fetchResult(url: string, ctx: CallContext, billed: { usage?: Usage; meter: Meter }): Promise<MediaPayload> {
  const noun = ctx.entry.type === "audio" ? "speech" : ctx.entry.type;
  const refused = (status: number, body: string) =>
    status >= 400 && status < 500
      ? new AppError("api_error", `Could not download the generated ${noun} from DashScope's storage (Upstream ${status}: ${upstreamMessage(body)}); its URL expires 24 hours after generation`, { upstream_status: status })
      : undefined;
  try {
    return await readMedia(await request(url, {}, ctx, refused), ctx);
  } catch (error) {
    throw afterBilling(error, billed);
  }
}

const requestId = (json: Json) => {
  const id = asString(json.request_id);
  return id ? { request_id: id } : {};
};

const dataUrl = (image: InputImage) => `data:${image.mimeType};base64,${toBase64(image.bytes)}`;

/** The `W*H` to ask for: options.size, else the family's size for the aspect; none for edits (they follow the input). */
function imageSize(model: string, job: ImageJob, opts: DashScopeOptions): string | undefined {
  if (opts.size) return opts.size;
  if (job.inputs.length > 0) return undefined;
  return (IMAGE_SIZES.find(([pattern]) => pattern.test(model))?.[1] ?? IMAGE_SIZES[1]![1])[job.aspect];
}

/** `W*H` as the meter's `WxH`. */
const meterSize = (size: string | undefined) => size?.replace("*", "x");

function imageParameters(model: string, job: ImageJob, opts: DashScopeOptions): Json {
  const size = imageSize(model, job, opts);
  return {
    ...(size ? { size } : {}),
    n: 1,
    ...(opts.negative_prompt ? { negative_prompt: opts.negative_prompt } : {}),
    ...(job.inputs.length === 0 && !isEditModel(model) ? { prompt_extend: opts.prompt_extend ?? true } : {}),
    watermark: opts.watermark ?? false,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
}

async function image(job: ImageJob, ctx: CallContext): Promise<ProviderResult> {
  const model = ctx.entry.model;
  const opts = options(ctx.entry);
  if (isAsyncWanImage(model)) return asyncWanImage(job, ctx, opts);
  const content = [...job.inputs.map((input) => ({ image: dataUrl(input) })), { text: job.prompt }];
  const parameters = imageParameters(model, job, opts);
  const json = await postJson(ctx, MULTIMODAL_PATH, { model, input: { messages: [{ role: "user", content }] }, parameters });
  const output = asObject(json.output);
  const url = asObjects(output?.choices)
    .flatMap((choice) => asObjects(asObject(choice.message)?.content))
    .map((part) => asString(part.image))
    .find((found) => found !== undefined);
  const usage = asObject(json.usage) as Usage | undefined;
  const meter = { images: 1, ...(parameters.size ? { imageSize: meterSize(String(parameters.size)) } : {}) };
  if (!url) {
    const said = asObjects(output?.choices).flatMap((choice) => asObjects(asObject(choice.message)?.content)).map((part) => asString(part.text)).filter(Boolean).join(" ");
    throw new AppError("empty_response", `DashScope returned no image${said ? `; the model said: "${clip(said)}"` : ""}`);
  }
  const media = await fetchResult(url, ctx, { usage, meter });
  return { ...media, usage, meter, extra: { ...requestId(json), ...(parameters.size ? { size: parameters.size } : {}) } };
}

/** Wan text-to-image before 2.6: an asynchronous task whose result is `output.results[].url`. */
async function asyncWanImage(job: ImageJob, ctx: CallContext, opts: DashScopeOptions): Promise<ProviderResult> {
  const model = ctx.entry.model;
  const parameters = imageParameters(model, job, opts);
  const input = { prompt: job.prompt, ...(opts.negative_prompt ? { negative_prompt: opts.negative_prompt } : {}) };
  delete parameters.negative_prompt;
  const started = await postJson(ctx, TEXT2IMAGE_PATH, { model, input, parameters }, { "x-dashscope-async": "enable" });
  const taskId = taskIdOf(started);
  ctx.onOperation?.(taskId);
  return finishImageTask(taskId, started, ctx, String(parameters.size));
}

async function finishImageTask(taskId: string, first: Json | undefined, ctx: CallContext, size?: string): Promise<ProviderResult> {
  const done = await finishTask(taskId, first, ctx);
  const usage = asObject(done.usage) as Usage | undefined;
  const meter = { images: 1, ...(size ? { imageSize: meterSize(size) } : {}) };
  const url = asObjects(asObject(done.output)?.results).map((result) => asString(result.url)).find((found) => found !== undefined);
  if (!url) throw new AppError("empty_response", `DashScope finished image task ${taskId} without an image`);
  const media = await fetchResult(url, ctx, { usage, meter });
  return { ...media, usage, meter, extra: { task_id: taskId, ...(size ? { size } : {}), ...requestId(done) } };
}

function taskIdOf(json: Json): string {
  const id = asString(asObject(json.output)?.task_id);
  if (!id) throw new AppError("invalid_response", "DashScope accepted the request but returned no task_id");
  return id;
}

async function pollTask(taskId: string, ctx: CallContext): Promise<Json> {
  return readAnswer(await request(apiUrl(ctx, taskPath(taskId)), { headers: headers(ctx) }, ctx, mapErrorFor(ctx)), ctx);
}

/** Polls a task until it ends; SUCCEEDED answers the last poll, FAILED / CANCELED / UNKNOWN (expired) are errors. */
async function finishTask(taskId: string, first: Json | undefined, ctx: CallContext): Promise<Json> {
  let task = first ?? (await pollTask(taskId, ctx));
  for (;;) {
    const output = asObject(task.output);
    const status = asString(output?.task_status) ?? "UNKNOWN";
    if (status === "SUCCEEDED") return task;
    if (status === "FAILED") {
      const code = asString(output?.code);
      const text = asString(output?.message) ?? "no message";
      throw errorForCode(200, code, text, undefined, undefined) ?? new AppError("api_error", `DashScope task ${taskId} failed: ${code ? `${code}: ` : ""}${clip(text)}`);
    }
    if (status === "CANCELED") throw new AppError("api_error", `DashScope task ${taskId} was canceled`);
    if (status === "UNKNOWN") throw new AppError("api_error", `DashScope does not know task ${taskId} (it expired after 24 hours, or never existed)`);
    await pause(ctx.pollIntervalMs, ctx);
    task = await pollTask(taskId, ctx);
  }
}

/** `1080P` as the catalogue's `1080p`. */
const lowerTier = (tier: string) => tier.toLowerCase();

/** The video's billed seconds and tier from the task's usage (`duration`, older `video_duration`; `SR` 480/720/1080), else what was asked. */
function videoMeter(done: Json, asked: { seconds?: number; resolution: string }): Meter {
  const usage = asObject(done.usage);
  const seconds = asNumber(usage?.duration) ?? asNumber(usage?.video_duration) ?? asked.seconds;
  const sr = asNumber(usage?.SR);
  const resolution = sr ? `${sr}p` : lowerTier(asked.resolution);
  return { ...(seconds !== undefined ? { seconds } : {}), resolution };
}

async function finishVideo(taskId: string, first: Json | undefined, ctx: CallContext, asked: { seconds?: number; resolution: string }): Promise<ProviderResult> {
  const done = await finishTask(taskId, first, ctx);
  const meter = videoMeter(done, asked);
  const usage = asObject(done.usage) as Usage | undefined;
  const url = asString(asObject(done.output)?.video_url);
  if (!url) throw afterBilling(new AppError("empty_response", `DashScope finished video task ${taskId} without a video_url`), { usage, meter });
  const media = await fetchResult(url, ctx, { usage, meter });
  return { ...media, mimeType: "video/mp4", usage, meter, ...(meter.seconds !== undefined ? { durationSeconds: meter.seconds } : {}), extra: { task_id: taskId } };
}

async function video(job: VideoJob, ctx: CallContext): Promise<ProviderResult> {
  const model = ctx.entry.model;
  const opts = options(ctx.entry);
  const resolution = opts.resolution ?? DEFAULT_RESOLUTION;
  const frame = job.firstFrame;
  const input = {
    prompt: job.prompt,
    ...(opts.negative_prompt ? { negative_prompt: opts.negative_prompt } : {}),
    ...(frame ? { img_url: dataUrl(frame) } : {}),
  };
  const parameters = {
    ...(frame ? { resolution } : { size: VIDEO_SIZES[resolution]![job.aspect] }),
    duration: job.durationSeconds,
    prompt_extend: opts.prompt_extend ?? true,
    watermark: opts.watermark ?? false,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
  const started = await postJson(ctx, VIDEO_PATH, { model, input, parameters }, { "x-dashscope-async": "enable" });
  const taskId = taskIdOf(started);
  ctx.onOperation?.(taskId);
  return finishVideo(taskId, started, ctx, { seconds: job.durationSeconds, resolution });
}

/**
 * Finishes a task started before a restart (or a retry): a Wan video, whose billed seconds come from the task's usage,
 * or a Wan text-to-image task (the runner resumes every job that recorded an operation through this method).
 */
async function resumeVideo(taskId: string, ctx: CallContext): Promise<ProviderResult> {
  if (ctx.entry.type === "image") return finishImageTask(taskId, undefined, ctx);
  return finishVideo(taskId, undefined, ctx, { resolution: options(ctx.entry).resolution ?? DEFAULT_RESOLUTION });
}

/** The voice to send: the configured default for the skill's Gemini names (or none), else the name as given. */
function voiceFor(model: string, voice: string | undefined): string {
  const fallback = isQwenTts(model) ? DEFAULT_QWEN_VOICE : DEFAULT_COSYVOICE_VOICE;
  if (!voice?.trim() || SKILL_VOICE_KEYS.has(voice.trim().toLowerCase())) return fallback;
  if (!isQwenTts(model)) return voice.trim();
  return QWEN_TTS_VOICES.find((v) => v.toLowerCase() === voice.trim().toLowerCase()) ?? voice.trim();
}

async function speech(job: SpeechJob, ctx: CallContext): Promise<ProviderResult> {
  const model = ctx.entry.model;
  const opts = options(ctx.entry);
  const voice = voiceFor(model, job.voice);
  const json = isQwenTts(model)
    ? await postJson(ctx, MULTIMODAL_PATH, {
        model,
        input: { text: job.input, voice, ...(opts.language_type ? { language_type: opts.language_type } : {}), ...(opts.instructions ? { instructions: opts.instructions } : {}) },
      })
    : await postJson(ctx, COSYVOICE_PATH, { model, input: { text: job.input, voice, format: "wav", sample_rate: COSYVOICE_SAMPLE_RATE_HZ } });
  const usage = asObject(json.usage) as Usage | undefined;
  const characters = asNumber(usage?.characters);
  const meter = { characters: characters ?? job.input.length };
  const audio = asObject(asObject(json.output)?.audio);
  const url = asString(audio?.url);
  const inline = asBase64(audio?.data);
  let media: MediaPayload;
  if (url) media = await fetchResult(url, ctx, { usage, meter });
  else if (inline) {
    try {
      media = { bytes: mediaFromBase64(inline, ctx) };
    } catch (error) {
      throw afterBilling(error, { usage, meter });
    }
  } else throw new AppError("empty_response", "DashScope returned no audio");
  return { ...media, usage, voice, meter, extra: requestId(json) };
}

/**
 * Polls a task id that cannot exist: DashScope answers it (task_status UNKNOWN) only for a valid key, and it costs
 * nothing. DashScope has no free per-model call, so the model id is not proven.
 */
async function testConnection(ctx: CallContext): Promise<string> {
  const response = await request(apiUrl(ctx, taskPath("00000000-0000-0000-0000-000000000000")), { headers: headers(ctx) }, ctx, mapErrorFor(ctx));
  await readText(response, ctx);
  return `Connected; DashScope accepted the key. The model id '${ctx.entry.model}' is checked on the first generation (DashScope has no free per-model call).`;
}

function checkImage(job: ImageJob, entry: ModelEntry): void {
  const model = entry.model;
  if (isEditModel(model)) {
    if (job.inputs.length === 0) throw invalidArgument("images", `${model} edits images: give one to ${MAX_EDIT_INPUTS} input images in images`);
    if (job.inputs.length > MAX_EDIT_INPUTS) throw invalidArgument("images", `${model} takes at most ${MAX_EDIT_INPUTS} input images, not ${job.inputs.length}`);
    return;
  }
  if (job.inputs.length > 0 && /^qwen-image(?!-edit)|^wanx?[0-9.]*-t2i/.test(model)) {
    throw invalidArgument("images", `${model} makes images from text only; configure a qwen-image-edit model (e.g. qwen-image-edit-plus) to edit images`);
  }
}

function checkVideo(job: VideoJob, entry: ModelEntry): void {
  const model = entry.model;
  if (job.firstFrame && /-t2v/.test(model)) {
    throw invalidArgument("image", `${model} makes video from text only; configure a Wan image-to-video model (e.g. wan2.5-i2v-preview) to start from an image`);
  }
  if (!job.firstFrame && isImageToVideo(model)) {
    throw invalidArgument("image", `${model} animates an image: give the first frame in image`);
  }
  const limits = wanLimits(model);
  if (!limits) return;
  const resolution = options(entry).resolution ?? DEFAULT_RESOLUTION;
  if (!limits.resolutions.includes(resolution)) {
    throw invalidArgument("resolution", `${model} does not make ${resolution} video; set options.resolution to one of ${limits.resolutions.join(", ")} in config.yml`, limits.resolutions);
  }
  const { durations } = limits;
  const allowed = Array.isArray(durations) ? durations : undefined;
  const range = Array.isArray(durations) ? undefined : (durations as { min: number; max: number });
  const fits = allowed ? allowed.includes(job.durationSeconds) : job.durationSeconds >= range!.min && job.durationSeconds <= range!.max;
  if (!fits) {
    const said = allowed ? `${allowed.join(" or ")} seconds` : `${range!.min} to ${range!.max} seconds`;
    throw invalidArgument("duration_seconds", `${model} makes clips of ${said}, not ${job.durationSeconds}`, allowed);
  }
}

/** Alibaba Cloud Model Studio (DashScope): Qwen-Image images and edits, Wan video (asynchronous tasks), Qwen-TTS and CosyVoice. */
export const dashscope: Provider = {
  id: "dashscope",
  requiresKey: true,
  defaultBaseUrl: "https://dashscope.aliyuncs.com",
  keyEnv: "DASHSCOPE_API_KEY",
  speechIsWav: true,
  models: {
    image: ["qwen-image-plus", "qwen-image-max", "qwen-image-2.0", "qwen-image-2.0-pro", "qwen-image-edit-plus", "qwen-image-edit", "wan2.6-t2i", "wan2.2-t2i-flash"],
    video: ["wan2.6-t2v", "wan2.5-t2v-preview", "wan2.2-t2v-plus", "wanx2.1-t2v-turbo", "wan2.6-i2v", "wan2.5-i2v-preview", "wan2.2-i2v-flash", "wanx2.1-i2v-turbo"],
    audio: ["qwen3-tts-flash", "qwen3-tts-instruct-flash", "cosyvoice-v3-flash", "cosyvoice-v3-plus"],
  },
  voices: (model) => (isQwenTts(model) ? QWEN_TTS_VOICES : []),
  image,
  video,
  speech,
  resumeVideo,
  checkImage,
  checkVideo,
  testConnection,
  estimateTuning: (entry) => {
    const parsed = DashScopeOptions.safeParse(entry.options ?? {}).data;
    return entry.type === "video" ? { resolution: lowerTier(parsed?.resolution ?? DEFAULT_RESOLUTION) } : {};
  },
};
