// Every generation is a job in the ledger: validated, budget-checked, queued per media type, run with safe
// retries, answered blocking or async, cancellable while queued, and resumed after a restart when the
// provider's long-running operation can be polled again.
import { createHash } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { MediaType, ModelEntry } from "../config/schema.ts";
import { MEDIA_TYPES } from "../config/schema.ts";
import { describeEntry, modelFor, resolveApiKey, type ConfigStore } from "../config/store.ts";
import type { CostFigure, Ledger } from "../ledger/ledger.ts";
import { DEFAULT_POLL_INTERVAL_SECONDS, IDEMPOTENCY_WINDOW_HOURS, MIN_FREE_OUTPUT_MIB } from "../defaults.ts";
import { AppError, invalidArgument, toAppError, type ErrorType } from "../errors.ts";
import type { Logger } from "../log.ts";
import { CATALOG } from "../costs/catalog.ts";
import { redact } from "../providers/http.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { CallContext, Provider, ProviderResult } from "../providers/types.ts";
import type { Attempt, Generation, GenerationStatus } from "../ledger/schema.ts";
import { RESULT_FIELD, type MediaResponse, type MediaTypes } from "./schema.ts";
import { checkBudget, estimateCost } from "../costs/budget.ts";
import {
  checkResult,
  failureBody,
  meterOf,
  prepareImage,
  prepareSpeech,
  prepareVideo,
  stringField,
  successBody,
  writeResult,
  type Caller,
  type CheckedMedia,
  type MediaOutcome,
  type Prepared,
  type Saved,
} from "./requests.ts";
import { imageSize } from "../formats/media-bytes.ts";
import { generatedDir, outputDirProblem, PARTIAL_PREFIX } from "./output-files.ts";
import { fsReason } from "../formats/fs-facts.ts";
import { InputBudget, type InputReservation } from "../formats/input-images.ts";
import { billedCost, costOf, upstreamCost } from "../costs/pricing.ts";
import { withRetries, type AttemptRecord } from "./retry.ts";

export type { Caller, MediaOutcome } from "./requests.ts";

/** How a request wants to be answered. */
export interface SubmitOptions {
  /** Answer 202 at once with a task id instead of waiting for the result. */
  async?: boolean;
  /** The same key with the same body within 24 h returns the existing job instead of calling the provider again. */
  idempotencyKey?: string;
}

/** A job as `GET /api/media/jobs/:id` and its events report it. */
export interface JobView {
  id: string;
  task_id: string;
  type: MediaType;
  status: GenerationStatus;
  model: string;
  provider: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** 1-based place in its type's queue, while queued. */
  position?: number;
  /** Seconds since it started, while running. */
  elapsed_seconds?: number;
  progress?: number;
  attempts: Attempt[];
  /** The body the blocking call answered (or would have), once finished. */
  result?: Record<string, unknown>;
  error?: string;
  error_type?: string;
}

/** Dependencies of the media service. */
export interface MediaServiceDeps {
  config: ConfigStore;
  ledger: Ledger;
  log: Logger;
  providers?: Partial<Record<string, Provider>>;
  /** Overrides the configured total timeout per type, in seconds (tests). */
  timeoutsSeconds?: Record<MediaType, number>;
  /** Delay between polls of long-running provider operations (Veo, video jobs), in seconds. */
  pollIntervalSeconds?: number;
  /** Cap of input image bytes held by queued and running jobs together; default MAX_QUEUED_INPUT_MIB. */
  maxQueuedInputBytes?: number;
  now?: () => number;
}

type Call = (provider: Provider, ctx: CallContext) => Promise<ProviderResult>;

/** A job this process is queueing or running. */
interface LiveJob {
  id: string;
  type: MediaType;
  entry: ModelEntry;
  provider: Provider;
  state: "queued" | "running";
  run: () => Promise<MediaOutcome>;
  controller: AbortController;
  done: Promise<MediaOutcome>;
  resolve: (outcome: MediaOutcome) => void;
  /** Fields echoed in its response body. */
  echo: Record<string, unknown>;
  startedAt?: number;
  progress?: number;
  operationId?: string;
  listeners: Set<(view: JobView) => void>;
}

/** Where a job's result goes and what its response echoes. */
interface Target {
  dir: string;
  prompt: string;
  params: Record<string, unknown>;
  echo: Record<string, unknown>;
}

/** The cost note of a job whose request reached the provider but whose answer was lost. */
const MAYBE_BILLED = "The request reached the provider but its answer was lost (timeout, dropped connection or a stopped daemon); the provider may have billed it";

const TERMINAL: ReadonlySet<GenerationStatus> = new Set(["succeeded", "failed", "cancelled", "interrupted"]);
const PREPARE = { image: prepareImage, video: prepareVideo, audio: prepareSpeech } as const;
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Canonical JSON (sorted keys) of a request body, without the fields that only steer delivery. */
function requestHash(type: MediaType, raw: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
      Object.keys(value)
        .filter((key) => key !== "async" && key !== "idempotency_key")
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  };
  return createHash("sha256").update(`${type}\n${JSON.stringify(canonical(raw))}`).digest("hex");
}

function attemptOf(record: AttemptRecord): Attempt {
  const attempt: Attempt = {
    n: record.n,
    started_at: new Date(record.startedAt).toISOString(),
    finished_at: new Date(record.finishedAt).toISOString(),
    outcome: record.error ? record.error.type : "succeeded",
  };
  if (record.error?.details.upstream_status !== undefined) attempt.upstream_status = record.error.details.upstream_status;
  if (record.retryInMs !== undefined) attempt.retry_in_ms = record.retryInMs;
  return attempt;
}

/** Removes temp files a killed daemon may have left while writing into `dir`. */
function removePartials(dir: unknown): void {
  if (typeof dir !== "string") return;
  try {
    for (const name of readdirSync(dir)) if (name.startsWith(PARTIAL_PREFIX)) rmSync(join(dir, name), { force: true });
  } catch {
    // the folder may be gone; nothing to clean
  }
}

/** Runs image, video and speech generations as jobs. */
export class MediaService {
  private readonly live = new Map<string, LiveJob>();
  private readonly waiting: Record<MediaType, string[]> = { image: [], video: [], audio: [] };
  private readonly active: Record<MediaType, number> = { image: 0, video: 0, audio: 0 };
  private closing = false;
  private readonly providers: Partial<Record<string, Provider>>;
  private readonly now: () => number;
  private readonly inputs: InputBudget;

  constructor(private readonly deps: MediaServiceDeps) {
    this.providers = deps.providers ?? PROVIDERS;
    this.now = deps.now ?? Date.now;
    this.inputs = new InputBudget(deps.maxQueuedInputBytes);
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
  image(raw: unknown, caller: Caller, options: SubmitOptions = {}): Promise<MediaOutcome> {
    return this.submit("image", raw, caller, options);
  }

  /** Generates a video clip. */
  video(raw: unknown, caller: Caller, options: SubmitOptions = {}): Promise<MediaOutcome> {
    return this.submit("video", raw, caller, options);
  }

  /** Synthesises speech. */
  speech(raw: unknown, caller: Caller, options: SubmitOptions = {}): Promise<MediaOutcome> {
    return this.submit("audio", raw, caller, options);
  }

  /** A failure body for a request that could not even be read (malformed JSON, oversized body). */
  rejected(type: MediaType, error: AppError): MediaOutcome {
    const entry = modelFor(this.deps.config.get(), type);
    return { ok: false, error, body: failureBody(type, error, entry, {}) };
  }

  /** Number of generations running at a provider now. */
  get running(): number {
    return MEDIA_TYPES.reduce((sum, type) => sum + this.active[type], 0);
  }

  /** Number of jobs waiting for a free slot. */
  get queued(): number {
    return MEDIA_TYPES.reduce((sum, type) => sum + this.waiting[type].length, 0);
  }

  /** A job's current state; undefined for an unknown id. */
  job(id: string): JobView | undefined {
    const row = this.deps.ledger.get(id);
    return row ? this.view(row) : undefined;
  }

  /** The jobs queued or running in this process, oldest first. */
  liveJobs(): JobView[] {
    return [...this.live.keys()].map((id) => this.job(id)).filter((view): view is JobView => view !== undefined);
  }

  /** Calls `listener` with the job's state on every change until it ends; returns the unsubscribe function. */
  subscribe(id: string, listener: (view: JobView) => void): () => void {
    const job = this.live.get(id);
    if (!job) return () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Cancels a queued job. A job already running at the provider is not cancellable: its cost is already incurred. */
  cancel(id: string): JobView {
    const job = this.live.get(id);
    if (!job) {
      const row = this.deps.ledger.get(id);
      if (!row) throw new AppError("not_found", `No job with id ${id}`);
      throw new AppError("not_cancellable", `Job ${id} is already ${row.status}`);
    }
    if (job.state === "running") {
      throw new AppError("not_cancellable", `Job ${id} is already running at ${job.entry.provider}; cancelling would not stop the charge, so it will finish and be saved`);
    }
    this.waiting[job.type] = this.waiting[job.type].filter((queuedId) => queuedId !== id);
    const error = new AppError("cancelled", "Cancelled before it started; nothing was charged");
    this.deps.ledger.fail(id, { status: "cancelled", error: error.message, errorType: error.type });
    this.finish(job, this.storeFailure(job.type, id, error, job.entry, job.echo));
    this.notifyPositions(job.type);
    return this.job(id)!;
  }

  /**
   * Stops taking new jobs, records queued ones as interrupted, waits up to `graceMs` for the running ones,
   * then stops waiting. A job whose provider operation can be resumed stays `running` in the ledger and
   * continues at the next start; the others are recorded as interrupted. Returns how many were recorded as interrupted.
   */
  async drain(graceMs: number): Promise<number> {
    this.closing = true;
    for (const type of MEDIA_TYPES) {
      for (const id of this.waiting[type].splice(0)) {
        const job = this.live.get(id);
        if (!job) continue;
        const error = new AppError("interrupted", "The daemon stopped before this job started; submit it again");
        this.deps.ledger.fail(id, { status: "interrupted", error: error.message, errorType: error.type });
        this.finish(job, this.storeFailure(type, id, error, job.entry, job.echo));
      }
    }
    const all = () => Promise.allSettled([...this.live.values()].map((job) => job.done));
    const timedOut = await Promise.race([all().then(() => false), Bun.sleep(graceMs).then(() => true)]);
    if (!timedOut) return 0;
    let interrupted = 0;
    for (const job of this.live.values()) {
      const resumable = job.operationId !== undefined && job.provider.resumeVideo !== undefined;
      if (resumable) this.deps.log.info(`${job.type} job ${job.id} left running at ${job.entry.provider} (operation ${job.operationId}); it resumes at the next start`);
      else interrupted++;
      const message = resumable
        ? `The daemon stopped; ${job.entry.provider} is still working on this job and mediagen resumes it at its next start (GET /api/media/jobs/${job.id})`
        : "The daemon was stopped before the generation finished";
      job.controller.abort(new AppError("interrupted", message));
    }
    await Promise.race([all(), Bun.sleep(2000)]);
    return interrupted;
  }

  /**
   * At start: resumes jobs whose provider operation is known and can be polled again; records every other
   * job left queued or running by the previous run as interrupted, and removes its temp files.
   */
  recover(): { resumed: number; interrupted: number } {
    let resumed = 0;
    let interrupted = 0;
    const config = this.deps.config.get();
    for (const row of this.deps.ledger.unfinished()) {
      removePartials(row.params.output_dir);
      const provider = this.providers[row.provider];
      const entry =
        config.models.find((m) => m.provider === row.provider && m.model === row.model) ??
        config.models.find((m) => m.provider === row.provider && m.type === row.type);
      if (row.status === "running" && row.operation_id && provider?.resumeVideo && entry) {
        this.resume(row, { ...entry, model: row.model }, provider, row.operation_id);
        resumed++;
        continue;
      }
      const message =
        row.status === "queued"
          ? "The daemon stopped before this job started; submit it again"
          : row.operation_id
            ? `The daemon stopped and operation ${row.operation_id} cannot be resumed (no ${row.provider} model configured to poll it with)`
            : "The daemon stopped (crash or kill) before the generation finished; the provider's answer was lost";
      const cost: CostFigure | undefined = row.status === "running" ? { costUsd: null, source: "unknown", note: MAYBE_BILLED } : undefined;
      this.deps.ledger.fail(row.id, { status: "interrupted", error: message, errorType: "interrupted", cost });
      this.deps.ledger.setResponse(row.id, { status: 503, body: failureBody(row.type, new AppError("interrupted", message), undefined, { prompt: row.prompt }) });
      interrupted++;
    }
    return { resumed, interrupted };
  }

  private async submit(type: MediaType, raw: unknown, caller: Caller, options: SubmitOptions): Promise<MediaOutcome> {
    const { config, ledger } = this.deps;
    const settings = config.get();
    const entry = modelFor(settings, type);
    let echo: Record<string, unknown> = type === "audio" ? { input: stringField(raw, "input") ?? "" } : { prompt: stringField(raw, "prompt") ?? "" };
    let inputs: InputReservation | undefined;
    try {
      if (this.closing) throw new AppError("interrupted", "The daemon is shutting down; retry once it is back");
      const prepared: Prepared<unknown> = await PREPARE[type](raw, this.inputs);
      inputs = prepared.inputs;
      echo = prepared.echo;
      if (!entry) throw new AppError("not_configured", `No ${type} model configured. Add a model with type=${type} in settings.`);
      const provider = this.providers[entry.provider];
      const method = type === "audio" ? "speech" : type;
      if (!provider?.[method]) throw new AppError("not_implemented", `Provider '${entry.provider}' cannot generate ${type} in this version of mediagen`);
      const check = type === "image" ? provider.checkImage : type === "video" ? provider.checkVideo : provider.checkSpeech;
      check?.(prepared.job as never, entry);
      const apiKey = resolveApiKey(entry);
      if (provider.requiresKey && !apiKey) throw new AppError("auth_required", `api_key not configured for ${describeEntry(entry)}`);
      const dir = this.outputFolder(type, raw, prepared.outputDir);
      ledger.assertWritable();

      // From here to the ledger insert nothing awaits, so the idempotency, queue and budget checks are atomic.
      const hash = options.idempotencyKey ? requestHash(type, raw) : undefined;
      const replay = options.idempotencyKey ? this.replay(options.idempotencyKey, hash!, options) : undefined;
      if (replay) return await replay;
      const limits = settings.jobs[type];
      if (this.active[type] >= limits.concurrency && this.waiting[type].length >= limits.queue) {
        throw new AppError("queue_full", `${this.waiting[type].length} ${type} requests are already waiting (jobs.${type}.queue in config.yml); retry later`, {
          retry_after_seconds: this.retryAfter(type),
        });
      }
      const estimate = estimateCost(type, entry, prepared.facts, settings.prices, CATALOG, () => this.recentAverage(entry, type));
      checkBudget(settings.budget, type, estimate, (from, scopeType) => ledger.spendSince(from, scopeType), this.now());
      const id = ledger.enqueue({
        type,
        model: entry.model,
        modelName: entry.name,
        provider: entry.provider,
        prompt: prepared.prompt,
        params: { ...prepared.params, output_dir: dir },
        sessionId: prepared.sessionId,
        client: caller.client,
        estimatedCostUsd: estimate,
        idempotencyKey: options.idempotencyKey,
        requestHash: hash,
      });
      const call: Call = (p, ctx) => (type === "image" ? p.image! : type === "video" ? p.video! : p.speech!)(prepared.job as never, ctx);
      const target: Target = { dir, prompt: prepared.prompt, params: { ...prepared.params, output_dir: dir }, echo: prepared.echo };
      const job = this.track(id, type, entry, provider, "queued", target.echo, () => this.attempt(job, apiKey, call, target));
      inputs?.holdUntil(job.done);
      this.waiting[type].push(id);
      this.dispatch(type);
      if (options.async) return { ok: true, accepted: true, body: this.acceptedBody(id) };
      return await job.done;
    } catch (error) {
      const appError = this.classify(error);
      return { ok: false, error: appError, body: failureBody(type, appError, entry, echo) };
    } finally {
      // Refused, replayed or failed before it was queued: its inputs are no longer held (a queued job holds them itself).
      inputs?.release();
    }
  }

  /** The existing job of an Idempotency-Key: its answer (waiting for it if needed), or a 409 for a different body. */
  private replay(key: string, hash: string, options: SubmitOptions): Promise<MediaOutcome> | undefined {
    const since = this.now() - IDEMPOTENCY_WINDOW_HOURS * 3_600_000;
    const found = this.deps.ledger.findIdempotent(key, since);
    if (!found) return undefined;
    if (found.requestHash !== hash) {
      throw new AppError("idempotency_conflict", `Idempotency-Key "${key}" was used for a different request (job ${found.id}); use a new key for a new request`);
    }
    const live = this.live.get(found.id);
    if (live) return options.async ? Promise.resolve({ ok: true, accepted: true, body: this.acceptedBody(found.id) }) : live.done;
    const stored = this.deps.ledger.response(found.id);
    if (!stored) return undefined;
    if (stored.status < 400) return Promise.resolve({ ok: true, body: stored.body as MediaResponse });
    const body = stored.body as MediaResponse;
    const type = (typeof body.error_type === "string" ? body.error_type : "internal") as ErrorType;
    return Promise.resolve({ ok: false, body, error: new AppError(type, String(body.error ?? ""), { status: stored.status }) });
  }

  private track(
    id: string,
    type: MediaType,
    entry: ModelEntry,
    provider: Provider,
    state: LiveJob["state"],
    echo: Record<string, unknown>,
    run: () => Promise<MediaOutcome>,
  ): LiveJob {
    let resolve!: (outcome: MediaOutcome) => void;
    const done = new Promise<MediaOutcome>((r) => (resolve = r));
    const job: LiveJob = { id, type, entry, provider, state, run, echo, controller: new AbortController(), done, resolve, listeners: new Set() };
    this.live.set(id, job);
    return job;
  }

  /** Starts queued jobs of `type` while slots are free (the limit is read from config each time). */
  private dispatch(type: MediaType): void {
    const limit = this.deps.config.get().jobs[type].concurrency;
    while (this.active[type] < limit && this.waiting[type].length > 0) {
      const job = this.live.get(this.waiting[type].shift()!);
      if (!job) continue;
      this.start(job);
    }
    this.notifyPositions(type);
  }

  private start(job: LiveJob): void {
    this.active[job.type]++;
    job.state = "running";
    job.startedAt = this.now();
    this.deps.ledger.markRunning(job.id);
    this.emit(job);
    // run() answers every failure itself; this catch is the last guard, so a bug can never end the daemon.
    void job.run()
      .catch((error: unknown) => this.storeFailure(job.type, job.id, this.classify(error), job.entry, job.echo))
      .then((outcome) => this.finish(job, outcome))
      .catch((error: unknown) => this.deps.log.error(`job ${job.id} could not be finished: ${error instanceof Error ? error.message : String(error)}`));
  }

  /**
   * The folder a new job's result goes to, checked before any provider is called: an output_dir the result
   * could not be written to is a 400 naming it. A folder the request only implied (beside an edited image)
   * falls back to the default output folder.
   */
  private outputFolder(type: MediaType, raw: unknown, requested: string | undefined): string {
    const fallback = this.deps.config.defaultOutputDir();
    const dir = generatedDir(requested, fallback);
    const minFree = MIN_FREE_OUTPUT_MIB[type] * 1048576;
    const problem = outputDirProblem(dir, minFree);
    if (!problem) return dir;
    if (stringField(raw, "output_dir") !== undefined) {
      throw invalidArgument("output_dir", `output_dir cannot receive the result: ${problem}. Nothing was sent to the provider; pass a folder mediagen can write to`);
    }
    const defaultDir = generatedDir(undefined, fallback);
    const defaultProblem = defaultDir === dir ? problem : outputDirProblem(defaultDir, minFree);
    if (defaultProblem) {
      throw new AppError("storage_error", `The default output folder cannot receive the result: ${defaultProblem}. Nothing was sent to the provider; free space or set output_dir in config.yml`);
    }
    return defaultDir;
  }

  private finish(job: LiveJob, outcome: MediaOutcome): void {
    if (!this.live.delete(job.id)) return;
    if (job.state === "running") this.active[job.type]--;
    job.resolve(outcome);
    this.emit(job);
    job.listeners.clear();
    if (!this.closing) this.dispatch(job.type);
  }

  /** Continues a job whose provider operation survived a restart. */
  private resume(row: Generation, entry: ModelEntry, provider: Provider, operationId: string): void {
    const params = row.params;
    const echo: Record<string, unknown> =
      row.type === "audio" ? { input: row.prompt } : { prompt: row.prompt, aspect_ratio: params.aspect_ratio, ...(row.type === "video" ? { duration_seconds: params.duration_seconds } : {}) };
    let apiKey: string | undefined;
    try {
      apiKey = resolveApiKey(entry);
    } catch {
      apiKey = undefined;
    }
    const target: Target = { dir: String(params.output_dir), prompt: row.prompt, params, echo };
    const job = this.track(row.id, row.type, entry, provider, "running", echo, () => this.attempt(job, apiKey, (p, ctx) => p.resumeVideo!(operationId, ctx), target));
    job.operationId = operationId;
    this.start(job);
    this.deps.log.info(`resuming ${row.type} job ${row.id}: polling ${row.provider} operation ${operationId}`);
  }

  /** Calls the provider with retries and a deadline, then saves, prices and records the result. */
  private async attempt(job: LiveJob, apiKey: string | undefined, call: Call, target: Target): Promise<MediaOutcome> {
    const { ledger, log, config } = this.deps;
    const { id, type, entry, provider } = job;
    const limits = config.get().jobs[type];
    const timeoutSeconds = this.deps.timeoutsSeconds?.[type] ?? limits.timeout_seconds;
    const started = performance.now();
    const timer = setTimeout(
      () => job.controller.abort(new AppError("timeout", `${entry.provider} did not finish the ${type} within ${timeoutSeconds} s`)),
      timeoutSeconds * 1000,
    );
    const ctx: CallContext = {
      entry,
      apiKey,
      baseUrl: entry.base_url ?? provider.defaultBaseUrl,
      signal: job.controller.signal,
      pollIntervalMs: (this.deps.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS) * 1000,
      connectTimeoutMs: limits.connect_timeout_seconds * 1000,
      onOperation: (operationId) => {
        job.operationId = operationId;
        ledger.setOperation(id, operationId);
        this.emit(job);
      },
      onProgress: (percent) => {
        job.progress = percent;
        ledger.setProgress(id, percent);
        this.emit(job);
      },
    };
    // Once the provider holds an operation, a retry polls it again instead of submitting a second (paid) one.
    const once = () => (job.operationId && provider.resumeVideo ? provider.resumeVideo(job.operationId, ctx) : call(provider, ctx));
    // Set once the provider has answered: from then on the job is paid for, and its cost is kept whatever fails.
    let answered: ProviderResult | undefined;
    try {
      const answer = await withRetries(once, {
        maxAttempts: limits.max_attempts,
        deadline: this.now() + timeoutSeconds * 1000,
        signal: job.controller.signal,
        onAttempt: (record) => ledger.addAttempt(id, attemptOf(record)),
      });
      // A resumed operation cannot know the requested duration; the job's parameters do.
      const requested = typeof target.params.duration_seconds === "number" ? target.params.duration_seconds : undefined;
      const result = type === "video" ? { ...answer, durationSeconds: answer.durationSeconds ?? requested } : answer;
      answered = result;
      const media = checkResult(type, result);
      const cost = costOf(entry, result, meterOf(type, target.prompt, media, result), config.get().prices);
      const { saved, warning } = await this.save(type, media, target.dir);
      const recorded = ledger.succeed(id, { ...saved, usage: result.usage, cost, params: result.extra ? { ...target.params, ...result.extra } : undefined });
      const body = successBody(type, id, entry, target.echo, saved, result, cost.costUsd);
      if (warning) Object.assign(body, { warning, saved_to_default_dir: true });
      ledger.setResponse(id, { status: 200, body });
      log.generation({ id, type, model: entry.model, provider: entry.provider, outcome: "succeeded", costUsd: cost.costUsd, latencyMs: performance.now() - started });
      if (!recorded) return this.unrecorded(type, id, entry, target.echo, saved, cost.costUsd);
      return { ok: true, body };
    } catch (error) {
      const appError = this.classify(error, apiKey);
      const echo = target.echo;
      const keepForResume = appError.type === "interrupted" && job.operationId !== undefined && provider.resumeVideo !== undefined;
      if (keepForResume) return { ok: false, error: appError, body: { ...failureBody(type, appError, entry, echo), id } };
      const status = appError.type === "interrupted" ? "interrupted" : "failed";
      const cost = this.failureCost(type, entry, target, appError, answered);
      ledger.fail(id, { status, error: appError.message, errorType: appError.type, upstreamStatus: appError.details.upstream_status, cost });
      log.generation({ id, type, model: entry.model, provider: entry.provider, outcome: status, errorType: appError.type, costUsd: cost?.costUsd ?? null, latencyMs: performance.now() - started });
      const failure = this.storeFailure(type, id, appError, entry, echo, cost?.costUsd ?? undefined);
      return failure;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Writes the result into its folder, or into the default output folder when that write fails (the result
   * is paid for: it is never discarded because of the folder). Throws storage_error when neither works.
   */
  private async save(type: MediaType, media: CheckedMedia, dir: string): Promise<{ saved: Saved; warning?: string }> {
    try {
      return { saved: await writeResult(type, media, dir) };
    } catch (error) {
      const why = fsReason(error);
      const fallback = generatedDir(undefined, this.deps.config.defaultOutputDir());
      if (fallback === dir) throw new AppError("storage_error", `The result could not be saved in ${dir}: ${why}; free space or make the folder writable`);
      try {
        const saved = await writeResult(type, media, fallback);
        this.deps.log.warn(`could not save into ${dir} (${why}); saved ${saved.outputPath} in the default output folder instead`);
        return { saved, warning: `Could not save into ${dir} (${why}); saved into the default output folder instead: ${saved.outputPath}` };
      } catch (second) {
        throw new AppError("storage_error", `The result could not be saved in ${dir} (${why}) nor in the default output folder ${fallback} (${fsReason(second)}); free space or make a folder writable`);
      }
    }
  }

  /**
   * The cost a failed job keeps: what the provider billed for an answer mediagen then could not use (bad bytes,
   * a full disk), for a job it finished before a download or timeout failed, or a charged refusal. Undefined: not billed.
   */
  private failureCost(type: MediaType, entry: ModelEntry, target: Target, error: AppError, answered: ProviderResult | undefined): CostFigure | undefined {
    const prices = this.deps.config.get().prices;
    if (answered) {
      const size = type === "image" ? imageSize(answered.bytes) : undefined;
      const facts = { mimeType: answered.mimeType ?? "", bytes: answered.bytes.length, ...size, durationSeconds: answered.durationSeconds };
      return billedCost(entry, { costUsd: answered.costUsd, usage: answered.usage, meter: answered.meter }, meterOf(type, target.prompt, facts, answered), prices);
    }
    if (error.billed) {
      const seconds = typeof target.params.duration_seconds === "number" ? target.params.duration_seconds : undefined;
      const facts = { mimeType: "", bytes: 0, durationSeconds: seconds };
      return billedCost(entry, error.billed, meterOf(type, target.prompt, facts, { bytes: new Uint8Array() }), prices);
    }
    const charged = error.details.cost_usd;
    if (charged !== undefined) return upstreamCost(charged);
    // The request reached the provider and its answer was lost: it may well have been billed.
    const lost = error.type === "interrupted" || error.type === "timeout" || (error.type === "network_error" && !error.requestNotSent);
    return lost ? { costUsd: null, source: "unknown", note: MAYBE_BILLED } : undefined;
  }

  /** The answer when the result is saved but the ledger could not record it yet (disk full): an error that says where the file is. */
  private unrecorded(type: MediaType, id: string, entry: ModelEntry, echo: Record<string, unknown>, saved: Saved, costUsd: number | null): MediaOutcome {
    const error = new AppError(
      "storage_error",
      `The ${type === "audio" ? "speech" : type} was generated and saved at ${saved.outputPath}, but the ledger database could not be written (see /api/health); it is recorded once the disk recovers. Do not submit it again.`,
    );
    const body: MediaResponse = { ...failureBody(type, error, entry, echo), [RESULT_FIELD[type]]: saved.outputPath, id };
    if (costUsd !== null) body.cost_usd = costUsd;
    return { ok: false, error, body };
  }

  private storeFailure(type: MediaType, id: string, error: AppError, entry: ModelEntry, echo: Record<string, unknown>, costUsd?: number): MediaOutcome {
    const body: MediaResponse = { ...failureBody(type, error, entry, echo), id };
    // Only a validated cost is answered (a provider's raw figure on a refusal may be implausible).
    if (costUsd === undefined) delete body.cost_usd;
    else body.cost_usd = costUsd;
    this.deps.ledger.setResponse(id, { status: error.status, body });
    return { ok: false, error, body };
  }

  private view(row: Generation): JobView {
    const job = this.live.get(row.id);
    const view: JobView = {
      id: row.id,
      task_id: row.id,
      type: row.type,
      status: row.status,
      model: row.model,
      provider: row.provider,
      created_at: row.created_at,
      started_at: row.started_at ?? iso(job?.startedAt),
      finished_at: row.finished_at,
      attempts: row.attempts,
    };
    if (row.status === "queued") view.position = this.waiting[row.type].indexOf(row.id) + 1 || undefined;
    if (row.status === "running" && row.started_at) view.elapsed_seconds = Math.round((this.now() - Date.parse(row.started_at)) / 100) / 10;
    if (row.progress !== null) view.progress = row.progress;
    if (TERMINAL.has(row.status)) {
      const stored = this.deps.ledger.response(row.id);
      if (stored) view.result = stored.body;
      if (row.error) view.error = row.error;
      if (row.error_type) view.error_type = row.error_type;
    }
    return view;
  }

  private acceptedBody(id: string): MediaResponse {
    const view = this.job(id)!;
    return {
      success: true,
      status: view.status,
      task_id: id,
      id,
      type: view.type,
      model: view.model,
      provider: view.provider,
      ...(view.position ? { position: view.position } : {}),
      status_url: `/api/media/jobs/${id}`,
      events_url: `/api/media/jobs/${id}/events`,
    };
  }

  private emit(job: LiveJob): void {
    if (job.listeners.size === 0) return;
    const view = this.job(job.id);
    if (view) for (const listener of job.listeners) listener(view);
  }

  private notifyPositions(type: MediaType): void {
    for (const id of this.waiting[type]) {
      const job = this.live.get(id);
      if (job) this.emit(job);
    }
  }

  /** Seconds a caller refused with queue_full should wait: the queue's length times a recent job's duration, over the slots. */
  private retryAfter(type: MediaType): number {
    const recent = this.deps.ledger.list({ type, status: "succeeded", limit: 20 }).items;
    const latencies = recent.map((g) => g.latency_ms ?? 0).filter((ms) => ms > 0);
    const average = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length / 1000 : 30;
    const slots = this.deps.config.get().jobs[type].concurrency;
    return Math.max(1, Math.ceil((average * (this.waiting[type].length + this.active[type])) / slots));
  }

  /** The average recorded cost of this model's recent generations, for estimating an unpriced model. */
  private recentAverage(entry: ModelEntry, type: MediaType): number | undefined {
    const costs = this.deps.ledger
      .list({ type, model: entry.model, status: "succeeded", limit: 20 })
      .items.filter((g) => g.provider === entry.provider && g.cost_usd !== null)
      .map((g) => g.cost_usd!);
    return costs.length ? costs.reduce((a, b) => a + b, 0) / costs.length : undefined;
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
