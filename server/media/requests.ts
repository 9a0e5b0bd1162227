// Turning a request body into a provider job: validation, aspect, input images, and the facts its estimate needs.
import { dirname, isAbsolute } from "node:path";
import type { RequestFacts } from "../providers/types.ts";
import { MAX_PROMPT_CHARS } from "../defaults.ts";
import { parseAspect, type Aspect } from "../formats/aspect.ts";
import { loadMediaRefs, type MediaRef } from "../formats/media-refs.ts";
import { invalidArgument } from "../errors.ts";
import { loadInputImages, type InputBudget, type InputReservation } from "../formats/input-images.ts";
import type { ImageJob, MediaInput, SpeechJob, VideoExtras, VideoJob } from "../providers/types.ts";
import type { Door } from "../ledger/schema.ts";
import type { Principal } from "../tokens/access.ts";
import { parseOrThrow } from "../validate.ts";
import { ImageRequest, SpeechRequest, VideoRequest } from "./schema.ts";

/** Who is asking, for the ledger: the front door, the client (User-Agent, MCP client name), the session and the token's owner. */
export interface Caller {
  door?: Door;
  client?: string;
  /** The MCP session id, or the `X-Mediagen-Session` header of an HTTP request; a body's session_id wins over it. */
  session?: string;
  /** Who the guard identified; a person or team token's owner is recorded and held to its budgets. */
  principal?: Principal;
  /**
   * The caller is on another machine (or asked for download delivery): its result is kept in the daemon's output
   * store (its output_dir only recorded), and its input paths are refused (the daemon reads no file for it).
   */
  remote?: boolean;
}

/** How a request's inputs may be read. */
export interface PrepareOptions {
  /** Whether input file paths may be read (false for a remote caller). Default true. */
  localFiles?: boolean;
}

/** A validated request, ready for a provider. */
export interface Prepared<J> {
  job: J;
  prompt: string;
  params: Record<string, unknown>;
  outputDir?: string;
  sessionId?: string;
  /** The configured model asked for by name (or unique id); absent: the type's default. */
  model?: string;
  /** Fields echoed in the response body (prompt, aspect_ratio, input, voice, duration_seconds). */
  echo: Record<string, unknown>;
  /** What is known before the call, for estimating its cost. */
  facts: RequestFacts;
  /** Input image bytes reserved in the queue's budget (a file named twice counts once): released on a refusal, held by the job once queued. */
  inputs?: InputReservation;
}

/** A string field of an unvalidated body, for echoing it in a failure body: cut to the longest prompt accepted. */
export const stringField = (raw: unknown, key: string): string | undefined => {
  const value = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
  return typeof value === "string" ? value.slice(0, MAX_PROMPT_CHARS) : undefined;
};

/** Validates an image request and reads its input images, reserving their bytes in `budget` first. */
export async function prepareImage(raw: unknown, budget?: InputBudget, options: PrepareOptions = {}): Promise<Prepared<ImageJob>> {
  const request = parseOrThrow(ImageRequest, raw);
  const aspect = parseAspect(request.aspect_ratio);
  const refs = request.images?.length ? request.images.map((value, i) => ({ value, field: `images[${i}]` })) : request.image ? [{ value: request.image, field: "image" }] : [];
  const { images: inputs, reservation } = await loadInputImages(refs, { budget, field: request.images?.length ? "images" : "image", localFiles: options.localFiles });
  return {
    job: { prompt: request.prompt, aspect, inputs },
    prompt: request.prompt,
    params: { aspect_ratio: aspect, ...(inputs.length ? { inputs: inputs.map((i) => i.source) } : {}) },
    // An edit without output_dir lands beside its first input file (the caller's project), as the skill promises.
    outputDir: request.output_dir ?? inputFolder(inputs),
    sessionId: request.session_id,
    model: request.model,
    echo: { prompt: request.prompt, aspect_ratio: aspect },
    facts: { aspect },
    inputs: reservation,
  };
}

function inputFolder(inputs: readonly { source: string }[]): string | undefined {
  const file = inputs.find((input) => isAbsolute(input.source));
  return file ? dirname(file.source) : undefined;
}

/** Ratios Seedance takes besides 16:9 and 9:16, as the original passed them through (`square` is 1:1). */
const EXTRA_RATIOS = new Set(["1:1", "4:3", "3:4", "21:9", "adaptive"]);

/** The aspect of a video request, and its ratio when the skill's landscape/portrait cannot say it (only Seedance takes those). */
function videoAspect(value: unknown): { aspect: Aspect; ratio?: string } {
  const text = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  const ratio = text === "square" ? "1:1" : text;
  if (ratio && EXTRA_RATIOS.has(ratio)) return { aspect: ratio === "adaptive" ? "landscape" : parseAspect(ratio), ratio };
  return { aspect: parseAspect(value, ["landscape", "portrait"]) };
}

/** The Seedance references of a request in the order Ark takes them, each with the field naming it. */
function referencesOf(request: VideoRequest): MediaRef[] {
  const refs: MediaRef[] = [];
  const frame = request.first_frame ?? request.image;
  if (frame !== undefined) refs.push({ value: frame, field: request.first_frame !== undefined ? "first_frame" : "image", kind: "image" });
  if (request.last_frame !== undefined) refs.push({ value: request.last_frame, field: "last_frame", kind: "image" });
  const lists = [
    ["reference_images", "image"],
    ["reference_videos", "video"],
    ["reference_audios", "audio"],
  ] as const;
  for (const [field, kind] of lists) for (const [i, value] of (request[field] ?? []).entries()) refs.push({ value, field: `${field}[${i}]`, kind });
  return refs;
}

/** Validates a video request and reads its first frame and references, reserving their bytes in `budget` first. */
export async function prepareVideo(raw: unknown, budget?: InputBudget, options: PrepareOptions = {}): Promise<Prepared<VideoJob>> {
  const request = parseOrThrow(VideoRequest, raw);
  if (request.image !== undefined && request.first_frame !== undefined) {
    throw invalidArgument("first_frame", "image and first_frame both name the first frame; pass only one of them");
  }
  const { aspect, ratio } = videoAspect(request.aspect_ratio);
  const refs = referencesOf(request);
  const loaded = refs.length > 0 ? await loadMediaRefs(refs, budget, options.localFiles ?? true) : undefined;
  const inputs = loaded?.inputs ?? [];
  const take = (prefix: string) => inputs.filter((_, i) => refs[i]!.field === prefix || refs[i]!.field.startsWith(`${prefix}[`));
  const frame = [...take("first_frame"), ...take("image")][0];
  const firstFrame = frame?.bytes ? frame : undefined;
  const list = (field: string) => {
    const found = take(field);
    return found.length > 0 ? found : undefined;
  };
  const more = definedExtras({
    firstFrameUrl: frame && !frame.bytes ? frame.url : undefined,
    lastFrame: take("last_frame")[0],
    referenceImages: list("reference_images"),
    referenceVideos: list("reference_videos"),
    referenceAudios: list("reference_audios"),
    resolution: request.resolution,
    generateAudio: request.generate_audio,
    watermark: request.watermark,
    seed: request.seed,
    ratio,
  });
  const sources = (items: readonly MediaInput[] | undefined) => items?.map((item) => item.source);
  const params = {
    aspect_ratio: aspect,
    duration_seconds: request.duration_seconds,
    ...(frame ? { first_frame: frame.source } : {}),
    ...(more ? seedParams(more, sources) : {}),
  };
  return {
    job: { prompt: request.prompt, aspect, durationSeconds: request.duration_seconds, firstFrame, ...(more ? { more } : {}) },
    prompt: request.prompt,
    params,
    outputDir: request.output_dir,
    sessionId: request.session_id,
    model: request.model,
    echo: { prompt: request.prompt, aspect_ratio: ratio ?? aspect, duration_seconds: request.duration_seconds },
    facts: { aspect, seconds: request.duration_seconds, ...(request.resolution ? { resolution: request.resolution } : {}), ...(ratio ? { ratio } : {}) },
    inputs: loaded?.reservation,
  };
}

/** The extras that were given, or undefined when none was. */
function definedExtras(extras: VideoExtras): VideoExtras | undefined {
  const given = Object.entries(extras).filter(([, value]) => value !== undefined);
  return given.length > 0 ? (Object.fromEntries(given) as VideoExtras) : undefined;
}

/** The Seedance fields of a request as the ledger keeps them (references by their source, never their bytes). */
function seedParams(more: VideoExtras, sources: (items: readonly MediaInput[] | undefined) => string[] | undefined): Record<string, unknown> {
  const params: Record<string, unknown> = {
    last_frame: more.lastFrame?.source,
    reference_images: sources(more.referenceImages),
    reference_videos: sources(more.referenceVideos),
    reference_audios: sources(more.referenceAudios),
    resolution: more.resolution,
    generate_audio: more.generateAudio,
    watermark: more.watermark,
    seed: more.seed,
    ratio: more.ratio,
  };
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
}

/** Validates a speech request (it has no input images). */
export async function prepareSpeech(raw: unknown): Promise<Prepared<SpeechJob>> {
  const request = parseOrThrow(SpeechRequest, raw);
  const voice = request.voice || undefined;
  return {
    job: { input: request.input, voice },
    prompt: request.input,
    params: voice ? { voice } : {},
    outputDir: request.output_dir,
    sessionId: request.session_id,
    model: request.model,
    echo: { input: request.input, ...(voice ? { voice } : {}) },
    facts: { characters: request.input.length },
  };
}
