// Runs one job at its provider: a deadline, safe retries, then the answer checked, priced, saved (into the default
// folder when its own fails) and recorded. Once the provider has answered, whatever fails keeps the job's cost.
import type { ModelEntry } from "../config/schema.ts";
import type { ConfigStore } from "../config/store.ts";
import { billedCost, costOf, upstreamCost } from "../costs/pricing.ts";
import { COLLECT_AFTER_RESULT_MIB, DEFAULT_POLL_INTERVAL_SECONDS } from "../defaults.ts";
import { AppError } from "../errors.ts";
import { fsReason } from "../formats/fs-facts.ts";
import { imageSize } from "../formats/media-bytes.ts";
import type { CostFigure, Ledger, SavedFile } from "../ledger/ledger.ts";
import type { Attempt } from "../ledger/schema.ts";
import type { Logger } from "../log.ts";
import type { CallContext, Provider, ProviderResult } from "../providers/types.ts";
import { classify, failureOutcome, type LiveJob } from "./jobs.ts";
import { KINDS } from "./kinds.ts";
import { generatedDir, openSpoolIn } from "./output-files.ts";
import { failureBody, successBody, type MediaOutcome } from "./responses.ts";
import { checkResult, discardResult, resultHead, writeResult, type CheckedMedia, type Saved } from "./results.ts";
import { fallsThrough, withRetries, type AttemptRecord } from "./retry.ts";

/** The provider call a job makes: a new generation, or polling an operation started before a restart. */
export type Call = (provider: Provider, ctx: CallContext) => Promise<ProviderResult>;

/** Where a job's result goes and what its response echoes. */
export interface Target {
  dir: string;
  prompt: string;
  params: Record<string, unknown>;
  echo: Record<string, unknown>;
}

/** What the runner needs. */
export interface RunnerDeps {
  config: ConfigStore;
  ledger: Ledger;
  log: Logger;
  now: () => number;
  /** Tells a job's listeners its new state (operation id, progress). */
  emit: (job: LiveJob) => void;
  /** Hears of each result saved and recorded (thumbnails); must return at once and never throw. */
  onSaved?: (file: SavedFile) => void;
  /** Overrides the configured total timeout per type, in seconds (tests). */
  timeoutsSeconds?: Partial<Record<string, number>>;
  /** Delay between polls of long-running provider operations, in seconds. */
  pollIntervalSeconds?: number;
}

/** The cost note of a job whose request reached the provider but whose answer was lost. */
export const MAYBE_BILLED = "The request reached the provider but its answer was lost (timeout, dropped connection or a stopped daemon); the provider may have billed it";

/** One model entry a job may run at: the chosen entry first, then its fallbacks in order. */
export interface Link {
  entry: ModelEntry;
  provider: Provider;
  apiKey: string | undefined;
  /** The call at this entry (one that only throws auth_required when its key is not configured). */
  call: Call;
}

/** A link that answered "not now" without any charge: the job moves on to the next one. */
interface FellThrough {
  fellThrough: AppError;
}

function attemptOf(record: AttemptRecord, entry: ModelEntry): Attempt {
  const attempt: Attempt = {
    n: record.n,
    started_at: new Date(record.startedAt).toISOString(),
    finished_at: new Date(record.finishedAt).toISOString(),
    outcome: record.error ? record.error.type : "succeeded",
    model: entry.model,
    provider: entry.provider,
  };
  if (entry.name) attempt.entry = entry.name;
  if (record.error?.details.upstream_status !== undefined) attempt.upstream_status = record.error.details.upstream_status;
  if (record.retryInMs !== undefined) attempt.retry_in_ms = record.retryInMs;
  return attempt;
}

function timeoutOf(deps: RunnerDeps, type: LiveJob["type"]): number {
  return deps.timeoutsSeconds?.[type] ?? deps.config.get().jobs[type].timeout_seconds;
}

/** Calls the job's own entry with retries and a deadline, then saves, prices and records the result. */
export async function runJob(deps: RunnerDeps, job: LiveJob, apiKey: string | undefined, call: Call, target: Target): Promise<MediaOutcome> {
  const outcome = await runLink(deps, job, apiKey, call, target, deps.now() + timeoutOf(deps, job.type) * 1000, false);
  if ("fellThrough" in outcome) throw outcome.fellThrough;
  return outcome;
}

/**
 * Runs a job at its chain of entries in order, under one deadline: the next entry only when the previous one
 * answered "not now" and provably charged nothing (see fallsThrough). The row names the entry now serving it.
 */
export async function runChain(deps: RunnerDeps, job: LiveJob, links: readonly Link[], target: Target): Promise<MediaOutcome> {
  const deadline = deps.now() + timeoutOf(deps, job.type) * 1000;
  for (const [index, link] of links.entries()) {
    const last = index === links.length - 1;
    if (index > 0) {
      job.entry = link.entry;
      job.provider = link.provider;
      job.progress = undefined;
      await deps.ledger.setModel(job.id, { model: link.entry.model, provider: link.entry.provider, modelName: link.entry.name });
      deps.emit(job);
    }
    const outcome = await runLink(deps, job, link.apiKey, link.call, target, deadline, !last);
    if (!("fellThrough" in outcome)) return outcome;
    const next = links[index + 1]!.entry;
    deps.log.warn(`job ${job.id}: ${link.entry.provider} ${link.entry.model} answered ${outcome.fellThrough.type}; falling back to ${next.provider} ${next.model}`);
  }
  throw new Error("a job needs at least one model entry");
}

/** One entry's run: calls with retries until `deadline`; with `mayFallBack`, a "not now" failure returns FellThrough unrecorded. */
async function runLink(
  deps: RunnerDeps,
  job: LiveJob,
  apiKey: string | undefined,
  call: Call,
  target: Target,
  deadline: number,
  mayFallBack: boolean,
): Promise<MediaOutcome | FellThrough> {
  const { ledger, log, config } = deps;
  const { id, type, entry, provider } = job;
  const limits = config.get().jobs[type];
  const timeoutSeconds = timeoutOf(deps, type);
  const started = performance.now();
  const timer = setTimeout(
    () => job.controller.abort(new AppError("timeout", `${entry.provider} did not finish the ${type} within ${timeoutSeconds} s`)),
    Math.max(0, deadline - deps.now()),
  );
  const ctx: CallContext = {
    entry,
    apiKey,
    baseUrl: entry.base_url ?? provider.defaultBaseUrl,
    signal: job.controller.signal,
    pollIntervalMs: (deps.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS) * 1000,
    connectTimeoutMs: limits.connect_timeout_seconds * 1000,
    onOperation: (operationId) => {
      job.operationId = operationId;
      void ledger.setOperation(id, operationId).then(() => deps.emit(job));
    },
    onProgress: (percent) => {
      job.progress = percent;
      void ledger.setProgress(id, percent).then(() => deps.emit(job));
    },
    // Downloads stream into a temp file beside their final place (the default folder when the job's is unusable).
    openSpool: () => openSpoolIn([target.dir, generatedDir(undefined, config.defaultOutputDir())]),
  };
  // Once the provider holds an operation, a retry polls it again instead of submitting a second (paid) one.
  const once = () => (job.operationId && provider.resumeVideo ? provider.resumeVideo(job.operationId, ctx) : call(provider, ctx));
  // Set once the provider has answered: from then on the job is paid for, and its cost is kept whatever fails.
  let answered: ProviderResult | undefined;
  // A call that will be retried is recorded at once; the last call is recorded with the outcome, in the same statement.
  let lastAttempt: Attempt | undefined;
  const onAttempt = (record: AttemptRecord) => {
    const attempt = attemptOf(record, entry);
    if (record.retryInMs === undefined) lastAttempt = attempt;
    else void ledger.addAttempt(id, attempt);
  };
  try {
    const answer = await withRetries(once, {
      maxAttempts: limits.max_attempts,
      deadline,
      signal: job.controller.signal,
      onAttempt,
    });
    // A resumed operation cannot know the requested duration; the job's parameters do.
    const requested = typeof target.params.duration_seconds === "number" ? target.params.duration_seconds : undefined;
    const result = requested === undefined ? answer : { ...answer, durationSeconds: answer.durationSeconds ?? requested };
    answered = result;
    const media = checkResult(type, result);
    const cost = costOf(entry, result, KINDS[type].meter(target.prompt, media, result), config.get().prices);
    const { saved, warning } = await save(deps, type, media, target.dir);
    // A big answer held in memory (base64 JSON) is garbage once saved: collect it once this job's frame is gone, so the
    // daemon's RSS goes back near idle instead of waiting for the next allocations to trigger a collection.
    if (result.bytes && result.bytes.length > COLLECT_AFTER_RESULT_MIB * 1048576) setTimeout(() => Bun.gc(true), 0);
    const body = successBody(type, id, entry, target.echo, saved, result, cost.costUsd);
    if (warning) Object.assign(body, { warning, saved_to_default_dir: true });
    const success = { ...saved, usage: result.usage, cost, params: result.extra ? { ...target.params, ...result.extra } : undefined };
    const recorded = await ledger.succeedWithAnswer(id, success, { status: 200, body }, lastAttempt);
    log.generation({ id, type, model: entry.model, provider: entry.provider, outcome: "succeeded", costUsd: cost.costUsd, latencyMs: performance.now() - started });
    if (!recorded) return unrecorded(job, target.echo, saved, cost.costUsd);
    deps.onSaved?.({ id, type, outputPath: saved.outputPath, mimeType: saved.mimeType });
    return { ok: true, body };
  } catch (error) {
    const appError = classify(log, error, apiKey);
    // Nothing was answered, no operation is held at the provider, and the error proves no charge: try the next entry.
    if (mayFallBack && !answered && job.operationId === undefined && fallsThrough(appError)) {
      if (lastAttempt) await ledger.addAttempt(id, lastAttempt);
      return { fellThrough: appError };
    }
    const keepForResume = appError.type === "interrupted" && job.operationId !== undefined && provider.resumeVideo !== undefined;
    if (keepForResume) {
      if (lastAttempt) await ledger.addAttempt(id, lastAttempt);
      return { ok: false, error: appError, body: failureBody(type, appError, entry, target.echo, { id }) };
    }
    const status = appError.type === "interrupted" ? "interrupted" : "failed";
    const cost = failureCost(deps, entry, type, target, appError, answered);
    discardResult(answered);
    const outcome = failureOutcome(job, appError, cost?.costUsd);
    const failure = { status, error: appError.message, errorType: appError.type, upstreamStatus: appError.details.upstream_status, cost } as const;
    await ledger.failWithAnswer(id, failure, { status: appError.status, body: outcome.body }, lastAttempt);
    log.generation({ id, type, model: entry.model, provider: entry.provider, outcome: status, errorType: appError.type, costUsd: cost?.costUsd ?? null, latencyMs: performance.now() - started });
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes the result into its folder, or into the default output folder when that write fails (the result
 * is paid for: it is never discarded because of the folder). Throws storage_error when neither works.
 */
async function save(deps: RunnerDeps, type: LiveJob["type"], media: CheckedMedia, dir: string): Promise<{ saved: Saved; warning?: string }> {
  try {
    return { saved: await writeResult(type, media, dir) };
  } catch (error) {
    const why = fsReason(error);
    const fallback = generatedDir(undefined, deps.config.defaultOutputDir());
    if (fallback === dir) throw new AppError("storage_error", `The result could not be saved in ${dir}: ${why}; free space or make the folder writable`);
    try {
      const saved = await writeResult(type, media, fallback);
      deps.log.warn(`could not save into ${dir} (${why}); saved ${saved.outputPath} in the default output folder instead`);
      return { saved, warning: `Could not save into ${dir} (${why}); saved into the default output folder instead: ${saved.outputPath}` };
    } catch (second) {
      throw new AppError("storage_error", `The result could not be saved in ${dir} (${why}) nor in the default output folder ${fallback} (${fsReason(second)}); free space or make a folder writable`);
    }
  }
}

/**
 * The cost a failed job keeps: what the provider billed for an answer mediagen then could not use (bad bytes,
 * a full disk), for a job it finished before a download or timeout failed, or a charged refusal; a request whose
 * answer was lost may have been billed. Undefined: not billed.
 */
function failureCost(deps: RunnerDeps, entry: ModelEntry, type: LiveJob["type"], target: Target, error: AppError, answered: ProviderResult | undefined): CostFigure | undefined {
  const prices = deps.config.get().prices;
  const kind = KINDS[type];
  if (answered) {
    const facts = { mimeType: answered.mimeType ?? "", ...imageSize(resultHead(answered)), durationSeconds: answered.durationSeconds };
    return billedCost(entry, { costUsd: answered.costUsd, usage: answered.usage, meter: answered.meter }, kind.meter(target.prompt, facts, answered), prices);
  }
  if (error.billed) {
    const seconds = typeof target.params.duration_seconds === "number" ? target.params.duration_seconds : undefined;
    return billedCost(entry, error.billed, kind.meter(target.prompt, { mimeType: "", durationSeconds: seconds }, { bytes: new Uint8Array() }), prices);
  }
  const charged = error.details.cost_usd;
  if (charged !== undefined) return upstreamCost(charged);
  // The request reached the provider and its answer was lost: it may well have been billed.
  const lost = error.type === "interrupted" || error.type === "timeout" || (error.type === "network_error" && !error.requestNotSent);
  return lost ? { costUsd: null, source: "unknown", note: MAYBE_BILLED } : undefined;
}

/** The answer when the result is saved but the ledger could not record it yet (disk full): an error that says where the file is. */
function unrecorded(job: LiveJob, echo: Record<string, unknown>, saved: Saved, costUsd: number | null): MediaOutcome {
  const error = new AppError(
    "storage_error",
    `The ${KINDS[job.type].noun} was generated and saved at ${saved.outputPath}, but the ledger database could not be written (see /api/health); it is recorded once the disk recovers. Do not submit it again.`,
  );
  return { ok: false, error, body: failureBody(job.type, error, job.entry, echo, { outputPath: saved.outputPath, id: job.id, costUsd }) };
}
