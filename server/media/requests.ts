// Turning a request body into a provider job: validation, aspect, input images, and the facts its estimate needs.
import { dirname, isAbsolute } from "node:path";
import type { RequestFacts } from "../providers/types.ts";
import { MAX_PROMPT_CHARS } from "../defaults.ts";
import { parseAspect } from "../formats/aspect.ts";
import { loadInputImages, type InputBudget, type InputReservation } from "../formats/input-images.ts";
import type { ImageJob, SpeechJob, VideoJob } from "../providers/types.ts";
import type { Door } from "../ledger/schema.ts";
import { parseOrThrow } from "../validate.ts";
import { ImageRequest, SpeechRequest, VideoRequest } from "./schema.ts";

/** Who is asking, for the ledger: the front door, and the client (User-Agent, MCP client name). */
export interface Caller {
  door?: Door;
  client?: string;
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
export async function prepareImage(raw: unknown, budget?: InputBudget): Promise<Prepared<ImageJob>> {
  const request = parseOrThrow(ImageRequest, raw);
  const aspect = parseAspect(request.aspect_ratio);
  const refs = request.images?.length ? request.images.map((value, i) => ({ value, field: `images[${i}]` })) : request.image ? [{ value: request.image, field: "image" }] : [];
  const { images: inputs, reservation } = await loadInputImages(refs, { budget, field: request.images?.length ? "images" : "image" });
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

/** Validates a video request and reads its first frame, reserving its bytes in `budget` first. */
export async function prepareVideo(raw: unknown, budget?: InputBudget): Promise<Prepared<VideoJob>> {
  const request = parseOrThrow(VideoRequest, raw);
  const aspect = parseAspect(request.aspect_ratio, ["landscape", "portrait"]);
  const image = request.image;
  const loaded = image === undefined ? undefined : await loadInputImages([{ value: image, field: "image" }], { budget, field: "image" });
  const firstFrame = loaded?.images[0];
  return {
    job: { prompt: request.prompt, aspect, durationSeconds: request.duration_seconds, firstFrame },
    prompt: request.prompt,
    params: { aspect_ratio: aspect, duration_seconds: request.duration_seconds, ...(firstFrame ? { first_frame: firstFrame.source } : {}) },
    outputDir: request.output_dir,
    sessionId: request.session_id,
    model: request.model,
    echo: { prompt: request.prompt, aspect_ratio: aspect, duration_seconds: request.duration_seconds },
    facts: { aspect, seconds: request.duration_seconds },
    inputs: loaded?.reservation,
  };
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
