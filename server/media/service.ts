// The media feature as every front door uses it: submit a request (validate, idempotency, budget gate, enqueue),
// follow and cancel jobs, drain at shutdown, recover at start. Knows nothing about HTTP.
import { createHash } from "node:crypto";
import { MEDIA_TYPES, type MediaType, type ModelEntry } from "../config/schema.ts";
import { describeEntry, modelFor, resolveApiKey, selectModel, type ConfigStore } from "../config/store.ts";
import { checkBudget, checkOwnerBudget, estimateCostWithBasis, spentByTable, spentTable } from "../costs/budget.ts";
import type { PriceEntry } from "../costs/price-schema.ts";
import { CATALOG } from "../costs/catalog.ts";
import { IDEMPOTENCY_WINDOW_HOURS, MIN_FREE_OUTPUT_MIB } from "../defaults.ts";
import { AppError, invalidArgument, type ErrorType } from "../errors.ts";
import { InputBudget, type InputReservation } from "../formats/input-images.ts";
import type { Ledger, SavedFile } from "../ledger/ledger.ts";
import { isFinished } from "../ledger/schema.ts";
import type { Logger } from "../log.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { Provider, RequestFacts } from "../providers/types.ts";
import { classify, Jobs, type LiveJob } from "./jobs.ts";
import { KINDS } from "./kinds.ts";
import { generatedDir, outputDirProblem, storeDir } from "./output-files.ts";
import { LeaseKeeper } from "./leases.ts";
import { recoverJobs } from "./recovery.ts";
import { stringField, type Caller } from "./requests.ts";
import { acceptedBody, failureBody, receiptBody, type JobUrls, type MediaOutcome } from "./responses.ts";
import { runChain, type Link, type RunnerDeps, type Target } from "./runner.ts";
import type { JobView, MediaResponse, MediaTypes } from "./schema.ts";

export type { MediaOutcome } from "./responses.ts";

/** How often a blocking replay of a job another daemon runs reads the ledger, in ms. */
const ELSEWHERE_POLL_MS = 500;

/** How a request wants to be answered. */
export interface SubmitOptions {
  /** Answer 202 at once with a task id instead of waiting for the result. */
  async?: boolean;
  /** The same key with the same body within 24 h returns the existing job instead of calling the provider again. */
  idempotencyKey?: string;
  /** Where the caller's front door serves a job's status and events (for the 202 answer). */
  urls?: JobUrls;
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
  /** What runs once the daemon has been idle for a moment (default: a full Bun.gc); see IDLE_GC_DELAY_MS. */
  collectGarbage?: () => void;
  /** Overrides IDLE_GC_DELAY_MS (tests). */
  idleGcDelayMs?: number;
  /** Hears of each result saved and recorded (the thumbnailer); must return at once and never throw. */
  onSaved?: (file: SavedFile) => void;
}

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

/**
 * What the ledger records of a remote caller's request besides where the daemon kept the file: that it is delivered
 * by download, and the output_dir the caller asked for (a folder on its own machine, recorded as asked, never used here).
 */
function remoteParams(raw: unknown): Record<string, unknown> {
  const asked = stringField(raw, "output_dir");
  return { delivery: "download", ...(asked !== undefined ? { caller_output_dir: asked } : {}) };
}

/** An entry's key; throws auth_required when its provider needs one and none is configured (or its variable is unset). */
function keyOf(entry: ModelEntry, provider: Provider): string | undefined {
  const apiKey = resolveApiKey(entry);
  if (provider.requiresKey && !apiKey) throw new AppError("auth_required", `api_key not configured for ${describeEntry(entry)}`);
  return apiKey;
}

/** The largest of a chain's estimates; unknown (null) only when no entry has one. */
function maxEstimate(estimates: readonly (number | null)[]): number | null {
  const known = estimates.filter((estimate): estimate is number => estimate !== null);
  return known.length ? Math.max(...known) : null;
}

/** The person or team token a caller came with, as the ledger records it; undefined without one. */
function ownerOf(caller: Caller): { tokenId: string; name: string; team: string | null } | undefined {
  const principal = caller.principal;
  return principal?.tokenId ? { tokenId: principal.tokenId, name: principal.name ?? "", team: principal.team ?? null } : undefined;
}

/** Runs image, video and speech generations as jobs. */
export class MediaService {
  private readonly jobs: Jobs;
  private readonly runner: RunnerDeps;
  private readonly providers: Partial<Record<string, Provider>>;
  private readonly now: () => number;
  private readonly inputs: InputBudget;
  private admitting: Promise<void> = Promise.resolve();
  /** On a database several daemons share: renews this daemon's leases and takes over a dead daemon's jobs. */
  private readonly leaseKeeper?: LeaseKeeper;

  constructor(private readonly deps: MediaServiceDeps) {
    this.providers = deps.providers ?? PROVIDERS;
    this.now = deps.now ?? Date.now;
    this.inputs = new InputBudget(deps.maxQueuedInputBytes);
    this.jobs = new Jobs({ config: deps.config, ledger: deps.ledger, log: deps.log, now: this.now, collectGarbage: deps.collectGarbage, idleGcDelayMs: deps.idleGcDelayMs });
    this.runner = {
      config: deps.config,
      ledger: deps.ledger,
      log: deps.log,
      now: this.now,
      emit: (job) => this.jobs.emit(job),
      timeoutsSeconds: deps.timeoutsSeconds,
      pollIntervalSeconds: deps.pollIntervalSeconds,
      onSaved: deps.onSaved,
    };
    if (deps.ledger.leases) this.leaseKeeper = new LeaseKeeper(deps.ledger.leases, this.runner, this.jobs, this.providers);
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

  /**
   * A failure answer for a request a door turned away before `submit` (malformed JSON, oversized body, a field its own
   * schema refused), recorded as refused; `raw` is what could be read of it (its prompt and model are kept).
   */
  rejected(type: MediaType, error: AppError, caller: Caller = {}, raw?: unknown): MediaOutcome {
    const entry = modelFor(this.deps.config.get(), type);
    this.refused(type, error, entry, raw, caller);
    return { ok: false, error, body: failureBody(type, error, entry, {}) };
  }

  /** Records a request turned away before any provider call (what the ledger cannot keep, or a bug, is not a refusal). */
  private refused(type: MediaType, error: AppError, entry: ModelEntry | undefined, raw: unknown, caller: Caller, sessionId?: string): void {
    if (error.type === "storage_error" || error.type === "internal") return;
    void this.deps.ledger.refuse({
      type,
      model: entry?.model ?? stringField(raw, "model") ?? "",
      modelName: entry?.name,
      provider: entry?.provider ?? "",
      prompt: stringField(raw, "prompt") ?? stringField(raw, "input") ?? "",
      errorType: error.type,
      error: error.message,
      door: caller.door ?? "api",
      client: caller.client,
      sessionId: sessionId ?? caller.session,
      owner: ownerOf(caller),
    });
  }

  /** Number of generations running at a provider now. */
  get running(): number {
    return this.jobs.running;
  }

  /** Number of jobs waiting for a free slot. */
  get queued(): number {
    return this.jobs.queued;
  }

  /** A job's current state; undefined for an unknown id. */
  job(id: string): Promise<JobView | undefined> {
    return this.jobs.view(id);
  }

  /** The jobs queued or running in this process (every daemon's, on a shared database), oldest first. */
  liveJobs(): Promise<JobView[]> {
    return this.jobs.liveViews();
  }

  /** Calls `listener` with the job's state on every change until it ends; returns the unsubscribe function. */
  subscribe(id: string, listener: (view: JobView) => void): () => void {
    return this.jobs.subscribe(id, listener);
  }

  /** Cancels a queued job. A job already running at the provider is not cancellable: its cost is already incurred. */
  cancel(id: string): Promise<JobView> {
    return this.jobs.cancel(id);
  }

  /** Stops taking jobs and waits up to `graceMs` for the running ones; returns how many were recorded as interrupted. */
  async drain(graceMs: number): Promise<number> {
    try {
      return await this.jobs.drain(graceMs);
    } finally {
      this.leaseKeeper?.stop();
    }
  }

  /** Shared database: one round of lease renewal and takeover now (it also runs on its own timer after `recover`). */
  keepLeases(): Promise<number> {
    return this.leaseKeeper?.tick() ?? Promise.resolve(0);
  }

  /** At start: resumes the previous run's resumable jobs and closes the others. */
  async recover(): Promise<{ resumed: number; interrupted: number }> {
    const recovered = await recoverJobs(this.runner, this.jobs, this.providers);
    this.leaseKeeper?.start();
    if (recovered.resumed === 0) this.jobs.collectWhenIdle();
    return recovered;
  }

  /** Generates `type` from a request body: blocking until the answer, or 202 at once when `options.async`. */
  async submit(type: MediaType, raw: unknown, caller: Caller, options: SubmitOptions = {}): Promise<MediaOutcome> {
    const { config, ledger } = this.deps;
    const kind = KINDS[type];
    const settings = config.get();
    let entry = modelFor(settings, type);
    let echo = kind.rawEcho(raw);
    let inputs: InputReservation | undefined;
    let recorded = false;
    let sessionId: string | undefined;
    try {
      if (this.jobs.closing) throw new AppError("interrupted", "The daemon is shutting down; retry once it is back");
      const prepared = await kind.prepare(raw, this.inputs, { localFiles: !caller.remote });
      inputs = prepared.inputs;
      echo = prepared.echo;
      sessionId = prepared.sessionId;
      // A model named in the request serves it; an unknown name is answered without a model.
      if (prepared.model !== undefined) entry = undefined;
      const chosen = prepared.model === undefined ? entry : selectModel(settings, type, prepared.model);
      entry = chosen;
      if (!chosen) throw new AppError("not_configured", `No ${type} model configured. Add a model with type=${type} in settings.`);
      const provider = this.providers[chosen.provider];
      const generate = provider && kind.call(provider);
      if (!provider || !generate) throw new AppError("not_implemented", `Provider '${chosen.provider}' cannot generate ${type} in this version of mediagen`);
      kind.check(provider, prepared.job, chosen);
      const links = this.chain(type, chosen, prepared.job);
      // Without a key anywhere in the chain the request is refused before it is queued, naming the chosen entry.
      if (!links.some((link) => link.apiKey !== undefined || !link.provider.requiresKey)) keyOf(chosen, provider);
      const dir = caller.remote ? this.storeFolder(type) : this.outputFolder(type, raw, prepared.outputDir);
      ledger.assertWritable();

      // The chain is budgeted at its dearest entry: a fallback never spends past a limit the chosen entry would not.
      const estimate = maxEstimate(await Promise.all(links.map((link) => this.estimate(type, link.entry, prepared.facts, settings.prices))));
      const hash = options.idempotencyKey ? requestHash(type, raw) : undefined;
      // One admission at a time in this process, so the idempotency, queue and budget checks and the insert are atomic.
      const admitted = await this.admit(async () => {
        const replay = options.idempotencyKey ? await this.replay(options.idempotencyKey, hash!, options) : undefined;
        if (replay) return { kind: "replay" as const, outcome: replay.outcome };
        const waiting = await this.fullQueue(type);
        if (waiting !== undefined) {
          throw new AppError("queue_full", `${waiting} ${type} requests are already waiting (jobs.${type}.queue in config.yml); retry later`, {
            retry_after_seconds: await this.jobs.retryAfter(type),
          });
        }
        const now = this.now();
        checkBudget(settings.budget, type, estimate, await spentTable(settings.budget, (from, scopeType) => ledger.spendSince(from, scopeType), now, type), now);
        checkOwnerBudget(caller.principal, settings.budget?.per_team, estimate, await spentByTable(caller.principal, settings.budget?.per_team, (from, who) => ledger.spendSinceBy(from, who), now), now);
        const params = { ...prepared.params, output_dir: dir, ...(caller.remote ? remoteParams(raw) : {}) };
        // With a free slot the job is recorded as running at once (one insert, no later markRunning).
        const startsNow = this.jobs.hasFreeSlot(type);
        const record = {
          type,
          model: chosen.model,
          modelName: chosen.name,
          provider: chosen.provider,
          prompt: prepared.prompt,
          params,
          // The body's session_id (the seed API's field) names the session, else the door's (MCP session, X-Mediagen-Session).
          sessionId: prepared.sessionId ?? caller.session,
          client: caller.client,
          door: caller.door,
          owner: ownerOf(caller),
          estimatedCostUsd: estimate,
          idempotencyKey: options.idempotencyKey,
          requestHash: hash,
        };
        const id = startsNow ? await ledger.start(record) : await ledger.enqueue(record);
        recorded = true;
        const target: Target = { dir, prompt: prepared.prompt, params, echo: prepared.echo };
        const job = this.jobs.track({
          id,
          type,
          entry: chosen,
          provider,
          state: "queued",
          echo: target.echo,
          run: () => runChain(this.runner, job, links, target),
        });
        inputs?.holdUntil(job.done);
        if (startsNow) this.jobs.start(job, true);
        else this.jobs.enqueue(job);
        return { kind: "admitted" as const, id, job, params };
      });
      if (admitted.kind === "replay") return await admitted.outcome;
      const { id, job, params } = admitted;
      if (options.async) return await this.accepted(id, options);
      if (type === "video" && provider.answersVideoWithReceipt && (caller.door ?? "api") === "api") return await this.receipt(job, prepared.echo, params);
      return await job.done;
    } catch (error) {
      const appError = classify(this.deps.log, error);
      if (!recorded) this.refused(type, appError, entry, raw, caller, sessionId);
      return { ok: false, error: appError, body: failureBody(type, appError, entry, echo) };
    } finally {
      // Refused, replayed or failed before it was queued: its inputs are no longer held (a queued job holds them itself).
      inputs?.release();
    }
  }

  /**
   * The entries a job may run at: the chosen one, then those its `fallbacks` name (not theirs in turn), leaving out
   * any whose provider cannot make this request. An entry without a configured key stays in the chain: its call
   * fails with auth_required before sending, which falls through to the next.
   */
  private chain(type: MediaType, chosen: ModelEntry, request: unknown): Link[] {
    const kind = KINDS[type];
    const models = this.deps.config.get().models;
    const entries = [chosen, ...(chosen.fallbacks ?? []).map((name) => models.find((entry) => entry.name === name && entry.type === type))];
    return entries.flatMap((entry): Link[] => {
      const provider = entry && this.providers[entry.provider];
      const generate = provider && kind.call(provider);
      if (!entry || !provider || !generate) return [];
      if (entry !== chosen) {
        try {
          kind.check(provider, request, entry);
        } catch {
          return [];
        }
      }
      try {
        const apiKey = keyOf(entry, provider);
        return [{ entry, provider, apiKey, call: (_provider, ctx) => generate(request, ctx) }];
      } catch (error) {
        return [{ entry, provider, apiKey: undefined, call: () => Promise.reject(error) }];
      }
    });
  }

  /**
   * The original server's answer to a Seedance request on the seed API: once the provider holds the task, a
   * `status: "submitted"` receipt whose task_id GET /api/media/video/status answers; a job that fails (or finishes)
   * before that answers as any blocking request does.
   */
  private async receipt(job: LiveJob, echo: Record<string, unknown>, params: Record<string, unknown>): Promise<MediaOutcome> {
    let stop = () => {};
    const submitted = new Promise<undefined>((resolve) => {
      stop = this.jobs.subscribe(job.id, () => {
        if (job.operationId !== undefined) resolve(undefined);
      });
    });
    const finished = await Promise.race([job.done, submitted]).finally(() => stop());
    if (finished) return finished;
    return { ok: true, body: receiptBody(job.id, job.entry, echo, params) };
  }

  /** The 202 answer of an async job. */
  private async accepted(id: string, options: SubmitOptions): Promise<MediaOutcome> {
    // A front door that submits async work says where it serves jobs; without one there is nothing to point at.
    if (!options.urls) throw new Error("an async submission needs its front door's job URLs (SubmitOptions.urls)");
    return { ok: true, accepted: true, body: acceptedBody((await this.jobs.view(id))!, options.urls) };
  }

  /**
   * How many `type` jobs wait when its slots and queue are all taken, else undefined. Several daemons on one database
   * share one queue: the jobs holding live leases on all of them are counted, so `jobs.<type>.queue` is the service's.
   */
  private async fullQueue(type: MediaType): Promise<number | undefined> {
    const leases = this.deps.ledger.leases;
    if (!leases) return this.jobs.isFull(type) ? this.jobs.waitingCount(type) : undefined;
    const limits = this.deps.config.get().jobs[type];
    // Every job is recorded queued before it claims a slot: a burst is counted whole, however far its claims are.
    const depth = await leases.depth(type);
    return depth.running + depth.queued >= limits.concurrency + limits.queue ? Math.max(0, depth.running + depth.queued - limits.concurrency) : undefined;
  }

  /** The existing job of an Idempotency-Key: its answer (waiting for it if needed), or a 409 for a different body. */
  private async replay(key: string, hash: string, options: SubmitOptions): Promise<{ outcome: Promise<MediaOutcome> } | undefined> {
    const since = this.now() - IDEMPOTENCY_WINDOW_HOURS * 3_600_000;
    const found = await this.deps.ledger.findIdempotent(key, since);
    if (!found) return undefined;
    if (found.requestHash !== hash) {
      throw new AppError("idempotency_conflict", `Idempotency-Key "${key}" was used for a different request (job ${found.id}); use a new key for a new request`);
    }
    const live = this.jobs.get(found.id);
    // Wrapped, so that waiting for a live job's answer happens after the admission, not inside it.
    if (live) return { outcome: options.async ? this.accepted(found.id, options) : live.done };
    // Another daemon on the same database runs it: answered the same way, from the ledger once it ends.
    if (this.jobs.shared && !isFinished(found.status)) return { outcome: options.async ? this.accepted(found.id, options) : this.answerOnceFinished(found.id) };
    return await this.storedAnswer(found.id);
  }

  /** A job another daemon runs: its stored answer once the ledger says it ended (polled every ELSEWHERE_POLL_MS). */
  private async answerOnceFinished(id: string): Promise<MediaOutcome> {
    for (;;) {
      await Bun.sleep(ELSEWHERE_POLL_MS);
      const row = await this.deps.ledger.get(id);
      if (!row || !isFinished(row.status)) continue;
      const stored = await this.storedAnswer(id);
      if (stored) return await stored.outcome;
      const error = new AppError("internal", `Job ${id} ended (${row.status}) without a stored answer; see GET /api/media/jobs/${id}`);
      return { ok: false, error, body: failureBody(row.type, error, undefined, { prompt: row.prompt }) };
    }
  }

  /** A finished job's stored answer as an outcome; undefined when none was stored. */
  private async storedAnswer(id: string): Promise<{ outcome: Promise<MediaOutcome> } | undefined> {
    const stored = await this.deps.ledger.response(id);
    if (!stored) return undefined;
    if (stored.status < 400) return { outcome: Promise.resolve({ ok: true, body: stored.body as MediaResponse }) };
    const body = stored.body as MediaResponse;
    const type = (typeof body.error_type === "string" ? body.error_type : "internal") as ErrorType;
    return { outcome: Promise.resolve({ ok: false, body, error: new AppError(type, String(body.error ?? ""), { status: stored.status }) }) };
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

  /**
   * The folder a remote caller's result goes to: the daemon's output store (`<data-dir>/outputs/<yyyy-mm>`), never a
   * path the caller named. Checked before any provider is called, like an output_dir.
   */
  private storeFolder(type: MediaType): string {
    const dir = storeDir(this.deps.config.dataDir, new Date(this.now()));
    const problem = outputDirProblem(dir, MIN_FREE_OUTPUT_MIB[type] * 1048576);
    if (problem) throw new AppError("storage_error", `The daemon's output store cannot receive the result: ${problem}. Nothing was sent to the provider; free space on the daemon's disk`);
    return dir;
  }

  /** A request's estimate at one entry; the ledger's recent average of the model is read only when no price applies. */
  private async estimate(type: MediaType, entry: ModelEntry, facts: RequestFacts, prices: readonly PriceEntry[]): Promise<number | null> {
    const priced = estimateCostWithBasis(type, entry, facts, prices, CATALOG, () => undefined);
    if (priced.basis !== "unknown") return priced.usd;
    const recent = await this.deps.ledger.recentCostAverage(entry.model, entry.provider, type);
    return recent ?? null;
  }

  /** Runs `step` after every admission begun before it (a chain of promises: one at a time, in order), and on a shared database under its admission lock. */
  private admit<T>(step: () => Promise<T>): Promise<T> {
    // On a shared database also one at a time across daemons (global idempotency keys and budgets).
    const leases = this.deps.ledger.leases;
    const run = this.admitting.then(() => (leases ? leases.admit(step) : step()));
    this.admitting = run.then(
      () => {},
      () => {},
    );
    return run;
  }
}
