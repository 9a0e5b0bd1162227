// Turning a request body into a provider job, and a provider's answer into a saved file and a seed-shaped body.
import { dirname, isAbsolute } from "node:path";
import type { MediaType, ModelEntry } from "../config/schema.ts";
import type { SavedOutput } from "../ledger/ledger.ts";
import type { RequestFacts } from "../costs/budget.ts";
import { MAX_PROMPT_CHARS, SPEECH_SAMPLE_RATE_HZ } from "../defaults.ts";
import { AppError } from "../errors.ts";
import type { Meter } from "../costs/price-schema.ts";
import type { ImageJob, ProviderResult, SpeechJob, VideoJob } from "../providers/types.ts";
import { ImageRequest, RESULT_FIELD, SpeechRequest, VideoRequest, type MediaResponse } from "./schema.ts";
import { parseOrThrow } from "../validate.ts";
import { parseAspect } from "../formats/aspect.ts";
import { loadInputImages, type InputBudget, type InputReservation } from "../formats/input-images.ts";
import { checkIntegrity, imageSize, sniffMedia } from "../formats/media-bytes.ts";
import { outputFileName, writeNewFile } from "./output-files.ts";
import { normalizeWav, wavDurationSeconds } from "../formats/wav.ts";

/** Who is asking, for the ledger. */
export interface Caller {
  client?: string;
}

/** A finished media request: the seed-shaped body, and the error when it failed. `accepted` marks an async 202. */
export type MediaOutcome = { ok: true; body: MediaResponse; accepted?: boolean } | { ok: false; error: AppError; body: MediaResponse };

/** A validated request, ready for a provider. */
export interface Prepared<J> {
  job: J;
  prompt: string;
  params: Record<string, unknown>;
  outputDir?: string;
  sessionId?: string;
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

/** What was written to disk. */
export type Saved = SavedOutput;

/** A provider's answer checked and ready to write: its bytes (speech normalised), format, dimensions and duration. */
export type CheckedMedia = Omit<SavedOutput, "outputPath"> & { data: Uint8Array; extension: string };

/** Checks the bytes are the media type asked for and normalises speech WAV; throws invalid_response. Writes nothing. */
export function checkResult(type: MediaType, result: ProviderResult): CheckedMedia {
  let bytes = result.bytes;
  let sniffed = sniffMedia(bytes);
  if (!sniffed || sniffed.kind !== type) {
    const what = sniffed ? `${sniffed.mimeType} data` : "data of an unknown format";
    throw new AppError("invalid_response", `Upstream returned ${what} where ${type === "audio" ? "audio" : `an ${type === "image" ? "image" : "video"}`} was expected`);
  }
  checkIntegrity(bytes, sniffed);
  if (sniffed.mimeType === "audio/wav") {
    try {
      bytes = normalizeWav(bytes, SPEECH_SAMPLE_RATE_HZ);
    } catch (error) {
      throw new AppError("invalid_response", `Upstream returned an unreadable WAV: ${error instanceof Error ? error.message : String(error)}`);
    }
    sniffed = sniffMedia(bytes)!;
  }
  const size = type === "image" ? imageSize(bytes) : undefined;
  const durationSeconds = sniffed.mimeType === "audio/wav" ? wavDurationSeconds(bytes) : result.durationSeconds;
  return { data: bytes, extension: sniffed.extension, mimeType: sniffed.mimeType, bytes: bytes.length, ...size, durationSeconds };
}

/** Writes checked media into `dir` atomically under a new name. */
export async function writeResult(type: MediaType, media: CheckedMedia, dir: string): Promise<Saved> {
  const outputPath = await writeNewFile(dir, () => outputFileName(type, media.extension), media.data);
  const { data: _data, extension: _extension, ...facts } = media;
  return { outputPath, ...facts };
}

/** Billable units: what the provider measured, completed with what the saved file shows. */
export function meterOf(type: MediaType, prompt: string, saved: Omit<Saved, "outputPath">, result: ProviderResult): Meter {
  const measured = result.meter ?? {};
  if (type === "image") {
    const size = saved.width && saved.height ? `${saved.width}x${saved.height}` : undefined;
    return { images: 1, imageSize: size, ...measured };
  }
  if (type === "video") return { seconds: saved.durationSeconds ?? result.durationSeconds, ...measured };
  return { characters: prompt.length, ...measured };
}

export function successBody(
  type: MediaType,
  id: string,
  entry: ModelEntry,
  echo: Record<string, unknown>,
  saved: Saved,
  result: ProviderResult,
  costUsd: number | null,
): MediaResponse {
  const body: MediaResponse = { success: true, [RESULT_FIELD[type]]: saved.outputPath, model: entry.model, provider: entry.provider, ...echo };
  if (type === "image" && saved.width && saved.height) body.size = `${saved.width}x${saved.height}`;
  if (type === "video") body.duration_seconds = result.durationSeconds ?? (echo.duration_seconds as number);
  if (type === "audio") {
    body.voice = result.voice ?? (echo.voice as string | undefined) ?? "";
    body.mime_type = saved.mimeType;
  }
  if (result.usage) body.usage = result.usage;
  if (costUsd !== null) body.cost_usd = costUsd;
  body.id = id;
  return body;
}

export function failureBody(type: MediaType, error: AppError, entry: ModelEntry | undefined, echo: Record<string, unknown>): MediaResponse {
  const known = error.type !== "not_configured" && entry;
  return {
    success: false,
    [RESULT_FIELD[type]]: null,
    ...error.toJSON(),
    model: known ? entry.model : "",
    provider: known ? entry.provider : "",
    ...echo,
  };
}

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
    echo: { input: request.input, ...(voice ? { voice } : {}) },
    facts: { characters: request.input.length },
  };
}
