// Translation between OpenAI's API and mediagen's media service: every request becomes a seed-shaped body submitted
// through `media.submit` (so it is queued, budgeted, recorded and saved like any other), and every answer is rebuilt
// in OpenAI's shape. Knows nothing about HTTP.
import { extname } from "node:path";
import type { MediaType, ModelEntry } from "../config/schema.ts";
import { modelFor, modelLabel, selectModel, type ConfigStore } from "../config/store.ts";
import { AppError, invalidArgument } from "../errors.ts";
import type { Aspect } from "../formats/aspect.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { Generation } from "../ledger/schema.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { Caller } from "../media/requests.ts";
import type { FileUrl } from "../media/responses.ts";
import type { JobView, MediaResponse } from "../media/schema.ts";
import type { MediaOutcome, MediaService } from "../media/service.ts";
import type { ImageGenerationRequest, ImagesResponse, ModelList, SpeechFormat, SpeechRequest, VideoCreateRequest, VideoObject } from "./schema.ts";

/** What the translation needs from the daemon. */
export interface OpenAIServiceDeps {
  config: ConfigStore;
  ledger: Ledger;
  media: MediaService;
}

/** Where this door serves a video job (its events stay on the seed's route). */
const VIDEO_URLS = { status: (id: string) => `/v1/videos/${id}`, events: (id: string) => `/api/media/jobs/${id}/events` };

/** The width:height of each aspect, for finding the nearest one to a requested size. */
const ASPECT_RATIOS: Record<Aspect, number> = { landscape: 16 / 9, square: 1, portrait: 9 / 16 };
/** The size a video of each aspect is reported at (OpenAI's 720p sizes). */
const VIDEO_SIZES: Record<Aspect, string> = { landscape: "1280x720", square: "720x720", portrait: "720x1280" };

/**
 * The aspect nearest to a `WxH` size (by the logarithm of the ratios), among `allowed`; `auto` or none means the
 * model's default. Anything else is a 400 naming `size`.
 */
export function aspectOfSize(size: string | null | undefined, allowed: readonly Aspect[] = ["landscape", "square", "portrait"]): Aspect | undefined {
  const text = size?.trim().toLowerCase();
  if (!text || text === "auto") return undefined;
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(text);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || !(width > 0 && height > 0)) {
    throw invalidArgument("size", `size "${size}" is not WIDTHxHEIGHT (e.g. 1024x1024, 1536x1024, 1024x1536) or auto`);
  }
  const ratio = Math.log(width / height);
  return allowed.reduce((best, aspect) => (Math.abs(Math.log(ASPECT_RATIOS[aspect]) - ratio) < Math.abs(Math.log(ASPECT_RATIOS[best]) - ratio) ? aspect : best));
}

/** OpenAI's names for the seed's fields, so an error's `param` names what the caller sent. */
export function openaiField(type: MediaType): (field: string) => string {
  return (field) => {
    if (field === "aspect_ratio") return "size";
    if (field === "duration_seconds") return "seconds";
    if (type === "video" && field.startsWith("image")) return "input_reference";
    if (field.startsWith("images")) return "image";
    return field;
  };
}

/** Errors the ledger holds already: what `media.submit` answered with, and what was raised after a generation was saved. */
const recorded = new WeakSet<AppError>();

/** Whether `error` came out of `media.submit` or after a saved generation; any other error of a POST is this door's own refusal. */
export function isRecorded(error: unknown): boolean {
  return error instanceof AppError && recorded.has(error);
}

/** The submitted result, or the error it failed with. */
function resultOf(outcome: MediaOutcome): MediaResponse {
  if (!outcome.ok) {
    recorded.add(outcome.error);
    throw outcome.error;
  }
  return outcome.body;
}

const unixSeconds = (iso: string | null | undefined): number | null => (iso ? Math.floor(Date.parse(iso) / 1000) : null);

/** Sums the token counts of several answers into OpenAI's image usage; undefined when none reported any. */
function imagesUsage(bodies: readonly MediaResponse[]): ImagesResponse["usage"] {
  const reported = bodies.map((body) => body.usage).filter((usage) => usage !== undefined);
  if (reported.length === 0) return undefined;
  const input = reported.reduce((sum, usage) => sum + usage.prompt_tokens, 0);
  const output = reported.reduce((sum, usage) => sum + usage.completion_tokens, 0);
  return { input_tokens: input, output_tokens: output, total_tokens: input + output };
}

/** The format name OpenAI uses for a saved image file. */
function imageFormat(path: string): string {
  const extension = extname(path).slice(1).toLowerCase();
  return extension === "jpg" ? "jpeg" : extension;
}

/** What an images request needs besides its fields. */
export interface ImagesCall {
  /** Input images as bare base64 (an edit), absent for a generation. */
  images?: string[];
  caller: Caller;
  /** The absolute URL of a generation's file (the `url` answer, and every image's `download_url`). */
  fileUrl: FileUrl;
  /** The client's Idempotency-Key, if any; each of the `n` images gets its own key derived from it. */
  idempotencyKey?: string;
}

/**
 * `n` images (each its own job, all queued at once), answered as OpenAI does. When some of them fail the ones that
 * were made are answered (all are saved and recorded); when all fail, the first error is thrown.
 */
export async function createImages(deps: OpenAIServiceDeps, request: ImageGenerationRequest, call: ImagesCall): Promise<ImagesResponse> {
  const aspect = aspectOfSize(request.size);
  const raw = {
    prompt: request.prompt,
    ...(aspect ? { aspect_ratio: aspect } : {}),
    ...(request.model ? { model: request.model } : {}),
    ...(call.images?.length ? { images: call.images } : {}),
  };
  const n = request.n ?? 1;
  const keyOf = (i: number) => (call.idempotencyKey === undefined ? undefined : n === 1 ? call.idempotencyKey : `${call.idempotencyKey}#${i + 1}`);
  const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => deps.media.submit("image", raw, call.caller, { idempotencyKey: keyOf(i) })));
  const made = outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.body);
  const failed = outcomes.find((outcome) => !outcome.ok);
  if (made.length === 0 && failed && !failed.ok) {
    recorded.add(failed.error);
    throw failed.error;
  }
  const asUrl = request.response_format === "url";
  const data = await Promise.all(
    made.map(async (body) => {
      // The prompt the model says it used (DALL-E 3) is kept in the ledger's params.
      const revised = (await deps.ledger.get(String(body.id)))?.params.revised_prompt;
      const extra = typeof revised === "string" ? { revised_prompt: revised } : {};
      const download_url = call.fileUrl(String(body.id));
      if (asUrl) return { url: download_url, download_url, ...extra };
      return { b64_json: Buffer.from(await Bun.file(String(body.image)).bytes()).toString("base64"), download_url, ...extra };
    }),
  );
  const first = made[0]!;
  const usage = imagesUsage(made);
  return {
    created: Math.floor(Date.now() / 1000),
    data,
    ...(typeof first.size === "string" ? { size: first.size } : {}),
    output_format: imageFormat(String(first.image)),
    ...(usage ? { usage } : {}),
  };
}

/** The content type of each container OpenAI names. */
const SPEECH_TYPES: Record<SpeechFormat, string> = {
  mp3: "audio/mpeg",
  opus: "audio/ogg",
  aac: "audio/aac",
  flac: "audio/flac",
  wav: "audio/wav",
  pcm: "audio/pcm",
};

/** The containers a result of `mimeType` can be served as: WAV also as raw PCM (its data chunk), any other only as itself. */
function formatsOf(mimeType: string): SpeechFormat[] {
  if (mimeType === "audio/wav") return ["wav", "pcm"];
  return (Object.keys(SPEECH_TYPES) as SpeechFormat[]).filter((format) => SPEECH_TYPES[format] === mimeType);
}

/** The samples of a WAV file: its `data` chunk (mediagen's speech is 24 kHz mono 16-bit little-endian, as OpenAI's pcm). */
export function pcmOfWav(wav: Uint8Array): Uint8Array {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = String.fromCharCode(...wav.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    if (id === "data") return wav.subarray(offset + 8, Math.min(offset + 8 + size, wav.length));
    offset += 8 + size + (size % 2);
  }
  throw new AppError("invalid_response", "The speech result is a WAV without a data chunk");
}

/**
 * Refuses, before anything is generated, a container the configured model is known never to give: providers whose
 * speech is always WAV take only wav or pcm. Other providers' results are checked once made.
 */
function checkSpeechFormat(entry: ModelEntry | undefined, format: SpeechFormat | null | undefined): void {
  if (!entry || !format || format === "wav" || format === "pcm" || !PROVIDERS[entry.provider]?.speechIsWav) return;
  throw invalidArgument("response_format", `response_format "${format}" is not available from ${modelLabel(entry)}, which makes WAV; use wav or pcm (24 kHz mono 16-bit)`, ["wav", "pcm"]);
}

/** Speech as OpenAI answers it: the audio bytes and their content type. */
export async function createSpeech(deps: OpenAIServiceDeps, request: SpeechRequest, caller: Caller, idempotencyKey?: string): Promise<{ bytes: Uint8Array; contentType: string; id: string }> {
  const entry = selectModel(deps.config.get(), "audio", request.model ?? undefined);
  checkSpeechFormat(entry, request.response_format);
  const voice = typeof request.voice === "object" && request.voice !== null ? request.voice.id : request.voice;
  const raw = { input: request.input, ...(voice ? { voice } : {}), ...(request.model ? { model: request.model } : {}) };
  const body = resultOf(await deps.media.submit("audio", raw, caller, { idempotencyKey }));
  const mimeType = String(body.mime_type ?? "audio/wav");
  const bytes = await Bun.file(String(body.audio)).bytes();
  const format = request.response_format;
  const id = String(body.id);
  if (!format) return { bytes, contentType: mimeType, id };
  const available = formatsOf(mimeType);
  if (!available.includes(format)) {
    const can = available.length ? available.join(", ") : "none of OpenAI's formats";
    const error = invalidArgument("response_format", `response_format "${format}" is not available: this model gave ${mimeType} (saved as generation ${body.id}); it can be served as ${can}`, available);
    recorded.add(error);
    throw error;
  }
  return { bytes: format === "pcm" ? pcmOfWav(bytes) : bytes, contentType: SPEECH_TYPES[format], id };
}

/** What a video request needs besides its fields. */
export interface VideoCall {
  /** The first frame as bare base64 (an uploaded `input_reference`). */
  image?: string;
  caller: Caller;
  idempotencyKey?: string;
}

/** Queues a video job and answers it in OpenAI's video shape (mediagen's async jobs). */
export async function createVideo(deps: OpenAIServiceDeps, request: VideoCreateRequest, call: VideoCall): Promise<VideoObject> {
  const aspect = aspectOfSize(request.size, ["landscape", "portrait"]);
  const reference = request.input_reference;
  const image = call.image ?? (typeof reference === "object" && reference !== null ? reference.image_url : reference ?? undefined);
  if (image !== undefined && /^https?:/i.test(image.trim())) {
    throw invalidArgument("input_reference", "input_reference must be an uploaded image or a base64 data: URL; mediagen does not download inputs");
  }
  const raw = {
    prompt: request.prompt,
    ...(aspect ? { aspect_ratio: aspect } : {}),
    ...(request.seconds ? { duration_seconds: Number(request.seconds) } : {}),
    ...(image !== undefined ? { image } : {}),
    ...(request.model ? { model: request.model } : {}),
  };
  const body = resultOf(await deps.media.submit("video", raw, call.caller, { async: true, urls: VIDEO_URLS, idempotencyKey: call.idempotencyKey }));
  return findVideo(deps, String(body.id));
}

const VIDEO_STATUS = { queued: "queued", running: "in_progress", succeeded: "completed", failed: "failed", cancelled: "failed", interrupted: "failed", refused: "failed" } as const;

/** A video generation in OpenAI's shape, from its live job and its ledger row; 404 when there is no such video. */
export async function findVideo(deps: OpenAIServiceDeps, id: string): Promise<VideoObject> {
  const record = await deps.ledger.get(id);
  const live = await deps.media.job(id);
  if ((!record && !live) || (record ?? live)!.type !== "video") throw new AppError("not_found", `No video with id ${id}`);
  return videoObject(id, record, live);
}

function videoObject(id: string, record: Generation | undefined, live: JobView | undefined): VideoObject {
  const status = live?.status ?? record!.status;
  const params = record?.params ?? {};
  const aspect = (params.aspect_ratio as Aspect | undefined) ?? "landscape";
  const size = record?.width && record.height ? `${record.width}x${record.height}` : VIDEO_SIZES[aspect];
  const seconds = record?.duration_seconds ?? (params.duration_seconds as number | undefined);
  const failed = VIDEO_STATUS[status] === "failed";
  const error = live?.error ?? record?.error ?? `The video job ended ${status}`;
  return {
    id,
    object: "video",
    model: record?.model_name ?? record?.model ?? live!.model,
    status: VIDEO_STATUS[status],
    progress: status === "succeeded" ? 100 : Math.round(live?.progress ?? record?.progress ?? 0),
    created_at: unixSeconds(live?.created_at ?? record!.created_at)!,
    completed_at: failed || status === "succeeded" ? unixSeconds(live?.finished_at ?? record?.finished_at) : null,
    expires_at: null,
    prompt: record?.prompt ?? null,
    seconds: seconds === undefined ? "" : String(Math.round(seconds)),
    size,
    remixed_from_video_id: null,
    error: failed ? { code: live?.error_type ?? record?.error_type ?? status, message: error } : null,
  };
}

/** The saved file of a finished video: its path and type; 404 while it is not finished or when it failed. */
export async function videoFile(deps: OpenAIServiceDeps, id: string): Promise<{ path: string; mimeType: string }> {
  const video = await findVideo(deps, id);
  const record = await deps.ledger.get(id);
  if (video.status !== "completed" || !record?.output_path || !record.mime_type) {
    throw new AppError("not_found", `Video ${id} has no content: it is ${video.status}${video.status === "failed" ? "" : "; retrieve it until its status is completed"}`);
  }
  return { path: record.output_path, mimeType: record.mime_type };
}

/** `GET /v1/models`: every configured entry (id = its name, else its model id), with its type and whether it is the type's default. */
export function listModels(config: ConfigStore): ModelList {
  const settings = config.get();
  return {
    object: "list",
    data: settings.models.map((entry) => ({
      id: modelLabel(entry),
      object: "model" as const,
      created: 0,
      owned_by: entry.provider,
      type: entry.type,
      model: entry.model,
      default: modelFor(settings, entry.type) === entry,
    })),
  };
}

/** `GET /v1/models/{id}`: one configured entry; 404 when none has that id. */
export function findModel(config: ConfigStore, id: string): ModelList["data"][number] {
  const found = listModels(config).data.find((model) => model.id === id);
  if (!found) throw new AppError("not_found", `No configured model "${id}"; GET /v1/models lists them`, { field: "model" });
  return found;
}
