// Running a generation end to end: validate, pick the model, record it, call the provider, save the file, price it.
import { dirname, isAbsolute } from "node:path";
import type { MediaType, ModelEntry } from "../config/schema.ts";
import { MEDIA_TYPES } from "../config/schema.ts";
import { describeEntry, modelFor, resolveApiKey, type ConfigStore } from "../config/store.ts";
import type { Ledger } from "../db/generations.ts";
import { DEFAULT_POLL_INTERVAL_SECONDS, DEFAULT_TIMEOUT_SECONDS, SPEECH_SAMPLE_RATE_HZ } from "../defaults.ts";
import { AppError, toAppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { redact } from "../providers/http.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { CallContext, ImageJob, Provider, ProviderResult, SpeechJob, VideoJob } from "../providers/types.ts";
import { ImageRequest, RESULT_FIELD, SpeechRequest, VideoRequest, type MediaResponse, type MediaTypes } from "../schemas/media.ts";
import { parseOrThrow } from "../schemas/validate.ts";
import { parseAspect } from "./aspect.ts";
import { loadInlineImage, loadInputImage } from "./input-images.ts";
import { imageSize, sniffMedia } from "./media-bytes.ts";
import { generatedDir, outputFileName, writeNewFile } from "./output-files.ts";
import type { Meter } from "../pricing/schema.ts";
import { costOf } from "./pricing.ts";
import { normalizeWav, wavDurationSeconds } from "./wav.ts";

/** Who is asking, for the ledger. */
export interface Caller {
  client?: string;
}

/** A finished media request: the seed-shaped body, and the error when it failed. */
export type MediaOutcome = { ok: true; body: MediaResponse } | { ok: false; error: AppError; body: MediaResponse };

/** A validated request, ready for a provider. */
interface Prepared<J> {
  job: J;
  prompt: string;
  params: Record<string, unknown>;
  outputDir?: string;
  sessionId?: string;
  /** Fields echoed in the response body (prompt, aspect_ratio, input, voice, duration_seconds). */
  echo: Record<string, unknown>;
}

/** Dependencies of the media service. */
export interface MediaServiceDeps {
  config: ConfigStore;
  ledger: Ledger;
  log: Logger;
  providers?: Partial<Record<string, Provider>>;
  timeoutsSeconds?: Record<MediaType, number>;
  /** Delay between polls of long-running provider operations (Veo, video jobs), in seconds. */
  pollIntervalSeconds?: number;
}

const stringField = (raw: unknown, key: string): string | undefined => {
  const value = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
  return typeof value === "string" ? value : undefined;
};

/** Runs image, video and speech generations and keeps track of the ones in flight. */
export class MediaService {
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  private closing = false;
  private readonly providers: Partial<Record<string, Provider>>;
  private readonly timeouts: Record<MediaType, number>;

  constructor(private readonly deps: MediaServiceDeps) {
    this.providers = deps.providers ?? PROVIDERS;
    this.timeouts = deps.timeoutsSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  }

  /** `GET /api/media/types`: which model serves each type. */
  types(): MediaTypes {
    const config = this.deps.config.get();
    return Object.fromEntries(
      MEDIA_TYPES.map((type) => {
        const entry = modelFor(config, type);
        if (!entry) return [type, { configured: false }];
        return [type, { configured: true, model: entry.model, provider: entry.provider, ...(entry.name ? { name: entry.name } : {}) }];
      }),
    ) as MediaTypes;
  }

  /** Generates or edits an image. */
  image(raw: unknown, caller: Caller): Promise<MediaOutcome> {
    return this.generate("image", raw, caller, prepareImage, (provider, job, ctx) => provider.image!(job, ctx), (provider, job, entry) =>
      provider.checkImage?.(job, entry),
    );
  }

  /** Generates a video clip. */
  video(raw: unknown, caller: Caller): Promise<MediaOutcome> {
    return this.generate("video", raw, caller, prepareVideo, (provider, job, ctx) => provider.video!(job, ctx), (provider, job, entry) =>
      provider.checkVideo?.(job, entry),
    );
  }

  /** Synthesises speech. */
  speech(raw: unknown, caller: Caller): Promise<MediaOutcome> {
    return this.generate("audio", raw, caller, prepareSpeech, (provider, job, ctx) => provider.speech!(job, ctx), (provider, job, entry) =>
      provider.checkSpeech?.(job, entry),
    );
  }

  /** A failure body for a request that could not even be read (malformed JSON, oversized body). */
  rejected(type: MediaType, error: AppError): MediaOutcome {
    const entry = modelFor(this.deps.config.get(), type);
    return { ok: false, error, body: failureBody(type, error, entry, {}) };
  }

  /** Number of generations currently running. */
  get running(): number {
    return this.inFlight.size;
  }

  /**
   * Stops taking new generations, waits up to `graceMs` for the running ones, then aborts the rest
   * (recorded as interrupted). Returns how many were interrupted.
   */
  async drain(graceMs: number): Promise<number> {
    this.closing = true;
    const all = () => Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    const timedOut = await Promise.race([all().then(() => false), Bun.sleep(graceMs).then(() => true)]);
    if (!timedOut) return 0;
    const count = this.inFlight.size;
    for (const { controller } of this.inFlight.values()) {
      controller.abort(new AppError("interrupted", "The daemon was stopped before the generation finished"));
    }
    await Promise.race([all(), Bun.sleep(2000)]);
    this.deps.ledger.interruptRunning("The daemon was stopped before the generation finished");
    return count;
  }

  private async generate<J>(
    type: MediaType,
    raw: unknown,
    caller: Caller,
    prepare: (raw: unknown) => Promise<Prepared<J>>,
    call: (provider: Provider, job: J, ctx: CallContext) => Promise<ProviderResult>,
    check?: (provider: Provider, job: J, entry: ModelEntry) => void,
  ): Promise<MediaOutcome> {
    const entry = modelFor(this.deps.config.get(), type);
    let echo: Record<string, unknown> = type === "audio" ? { input: stringField(raw, "input") ?? "" } : { prompt: stringField(raw, "prompt") ?? "" };
    try {
      if (this.closing) throw new AppError("interrupted", "The daemon is shutting down; retry once it is back");
      const prepared = await prepare(raw);
      echo = prepared.echo;
      if (!entry) {
        throw new AppError("not_configured", `No ${type} model configured. Add a model with type=${type} in settings.`);
      }
      const provider = this.providers[entry.provider];
      const method = type === "audio" ? "speech" : type;
      if (!provider?.[method]) {
        throw new AppError("not_implemented", `Provider '${entry.provider}' cannot generate ${type} in this version of mediagen`);
      }
      check?.(provider, prepared.job, entry);
      const apiKey = resolveApiKey(entry);
      if (provider.requiresKey && !apiKey) {
        throw new AppError("auth_required", `api_key not configured for ${describeEntry(entry)}`);
      }
      const dir = generatedDir(prepared.outputDir, this.deps.config.defaultOutputDir());
      return await this.execute(type, entry, provider, prepared, dir, apiKey, caller, call);
    } catch (error) {
      const appError = this.classify(error);
      return { ok: false, error: appError, body: failureBody(type, appError, entry, echo) };
    }
  }

  private async execute<J>(
    type: MediaType,
    entry: ModelEntry,
    provider: Provider,
    prepared: Prepared<J>,
    dir: string,
    apiKey: string | undefined,
    caller: Caller,
    call: (provider: Provider, job: J, ctx: CallContext) => Promise<ProviderResult>,
  ): Promise<MediaOutcome> {
    const { ledger, log } = this.deps;
    const started = performance.now();
    const id = ledger.start({
      type,
      model: entry.model,
      modelName: entry.name,
      provider: entry.provider,
      prompt: prepared.prompt,
      params: { ...prepared.params, output_dir: dir },
      sessionId: prepared.sessionId,
      client: caller.client,
    });
    const controller = new AbortController();
    const timeoutSeconds = this.timeouts[type];
    const timer = setTimeout(
      () => controller.abort(new AppError("timeout", `${entry.provider} did not finish the ${type} within ${timeoutSeconds} s`)),
      timeoutSeconds * 1000,
    );
    const ctx: CallContext = {
      entry,
      apiKey,
      baseUrl: entry.base_url ?? provider.defaultBaseUrl,
      signal: controller.signal,
      pollIntervalMs: (this.deps.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS) * 1000,
    };
    const work = (async (): Promise<MediaOutcome> => {
      try {
        const result = await call(provider, prepared.job, ctx);
        const saved = await saveResult(type, result, dir);
        const cost = costOf(entry, result, meterOf(type, prepared.prompt, saved, result), this.deps.config.get().prices);
        ledger.succeed(id, { ...saved, usage: result.usage, cost, params: result.extra ? { ...prepared.params, output_dir: dir, ...result.extra } : undefined });
        log.generation({ id, type, model: entry.model, provider: entry.provider, outcome: "succeeded", costUsd: cost.costUsd, latencyMs: performance.now() - started });
        return { ok: true, body: successBody(type, id, entry, prepared.echo, saved, result, cost.costUsd) };
      } catch (error) {
        const appError = this.classify(error, apiKey);
        const status = appError.type === "interrupted" ? "interrupted" : "failed";
        ledger.fail(id, { status, error: appError.message, errorType: appError.type, upstreamStatus: appError.details.upstream_status });
        log.generation({ id, type, model: entry.model, provider: entry.provider, outcome: status, errorType: appError.type, costUsd: null, latencyMs: performance.now() - started });
        return { ok: false, error: appError, body: { ...failureBody(type, appError, entry, prepared.echo), id } };
      } finally {
        clearTimeout(timer);
        this.inFlight.delete(id);
      }
    })();
    this.inFlight.set(id, { controller, done: work });
    return work;
  }

  /** Any error as a catalogue error; unexpected ones are logged (redacted) and become `internal`. */
  private classify(error: unknown, apiKey?: string): AppError {
    if (error instanceof AppError) {
      return apiKey && error.message.includes(apiKey) ? new AppError(error.type, redact(error.message, [apiKey]), error.details) : error;
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.deps.log.error(`unexpected error: ${redact(text, [apiKey])}`);
    return toAppError(error);
  }
}

/** What was written to disk. */
interface Saved {
  outputPath: string;
  mimeType: string;
  bytes: number;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

/** Checks the bytes are the media type asked for, normalises speech WAV, and writes the file atomically. */
async function saveResult(type: MediaType, result: ProviderResult, dir: string): Promise<Saved> {
  let bytes = result.bytes;
  let sniffed = sniffMedia(bytes);
  if (!sniffed || sniffed.kind !== type) {
    const what = sniffed ? `${sniffed.mimeType} data` : "data of an unknown format";
    throw new AppError("invalid_response", `Upstream returned ${what} where ${type === "audio" ? "audio" : `an ${type === "image" ? "image" : "video"}`} was expected`);
  }
  if (sniffed.mimeType === "audio/wav") {
    try {
      bytes = normalizeWav(bytes, SPEECH_SAMPLE_RATE_HZ);
    } catch (error) {
      throw new AppError("invalid_response", `Upstream returned an unreadable WAV: ${error instanceof Error ? error.message : String(error)}`);
    }
    sniffed = sniffMedia(bytes)!;
  }
  const outputPath = await writeNewFile(dir, () => outputFileName(type, sniffed.extension), bytes);
  const size = type === "image" ? imageSize(bytes) : undefined;
  const durationSeconds = sniffed.mimeType === "audio/wav" ? wavDurationSeconds(bytes) : result.durationSeconds;
  return { outputPath, mimeType: sniffed.mimeType, bytes: bytes.length, ...size, durationSeconds };
}

/** Billable units: what the provider measured, completed with what the saved file shows. */
function meterOf(type: MediaType, prompt: string, saved: Saved, result: ProviderResult): Meter {
  const measured = result.meter ?? {};
  if (type === "image") {
    const size = saved.width && saved.height ? `${saved.width}x${saved.height}` : undefined;
    return { images: 1, imageSize: size, ...measured };
  }
  if (type === "video") return { seconds: saved.durationSeconds ?? result.durationSeconds, ...measured };
  return { characters: prompt.length, ...measured };
}

function successBody(
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

function failureBody(type: MediaType, error: AppError, entry: ModelEntry | undefined, echo: Record<string, unknown>): MediaResponse {
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

async function prepareImage(raw: unknown): Promise<Prepared<ImageJob>> {
  const request = parseOrThrow(ImageRequest, raw);
  const aspect = parseAspect(request.aspect_ratio);
  const refs = request.images?.length ? request.images.map((ref, i) => [ref, `images[${i}]`] as const) : request.image ? [[request.image, "image"] as const] : [];
  const inputs = await Promise.all(refs.map(([ref, field]) => loadInputImage(ref, field)));
  return {
    job: { prompt: request.prompt, aspect, inputs },
    prompt: request.prompt,
    params: { aspect_ratio: aspect, ...(inputs.length ? { inputs: inputs.map((i) => i.source) } : {}) },
    // An edit without output_dir lands beside its first input file (the caller's project), as the skill promises.
    outputDir: request.output_dir ?? inputFolder(inputs),
    sessionId: request.session_id,
    echo: { prompt: request.prompt, aspect_ratio: aspect },
  };
}

function inputFolder(inputs: readonly { source: string }[]): string | undefined {
  const file = inputs.find((input) => isAbsolute(input.source));
  return file ? dirname(file.source) : undefined;
}

async function prepareVideo(raw: unknown): Promise<Prepared<VideoJob>> {
  const request = parseOrThrow(VideoRequest, raw);
  const aspect = parseAspect(request.aspect_ratio, ["landscape", "portrait"]);
  const image = request.image;
  const firstFrame = image === undefined ? undefined : typeof image === "string" ? await loadInputImage(image, "image") : loadInlineImage(image, "image");
  return {
    job: { prompt: request.prompt, aspect, durationSeconds: request.duration_seconds, firstFrame },
    prompt: request.prompt,
    params: { aspect_ratio: aspect, duration_seconds: request.duration_seconds, ...(firstFrame ? { first_frame: firstFrame.source } : {}) },
    outputDir: request.output_dir,
    sessionId: request.session_id,
    echo: { prompt: request.prompt, aspect_ratio: aspect, duration_seconds: request.duration_seconds },
  };
}

async function prepareSpeech(raw: unknown): Promise<Prepared<SpeechJob>> {
  const request = parseOrThrow(SpeechRequest, raw);
  const voice = request.voice || undefined;
  return {
    job: { input: request.input, voice },
    prompt: request.input,
    params: voice ? { voice } : {},
    outputDir: request.output_dir,
    sessionId: request.session_id,
    echo: { input: request.input, ...(voice ? { voice } : {}) },
  };
}
