// At start: the previous run's unfinished jobs. A job whose provider operation is known is polled again and
// finished; every other one is recorded as interrupted (with a note when it may have been billed) and its temp
// files are removed.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ModelEntry } from "../config/schema.ts";
import { resolveApiKey } from "../config/store.ts";
import { AppError } from "../errors.ts";
import type { CostFigure } from "../ledger/ledger.ts";
import type { Generation } from "../ledger/schema.ts";
import type { Provider } from "../providers/types.ts";
import type { Jobs } from "./jobs.ts";
import { KINDS } from "./kinds.ts";
import { PARTIAL_PREFIX } from "./output-files.ts";
import { failureBody } from "./responses.ts";
import { MAYBE_BILLED, runJob, type RunnerDeps, type Target } from "./runner.ts";

/**
 * Removes temp files a killed daemon may have left while writing into `dir`: those untouched for `staleMs` (0: all).
 * Daemons sharing a database may share an output folder too, and a live one's partial file is being written now.
 */
function removePartials(dir: unknown, staleMs: number): void {
  if (typeof dir !== "string") return;
  try {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(PARTIAL_PREFIX)) continue;
      const path = join(dir, name);
      if (staleMs > 0 && Date.now() - statSync(path).mtimeMs < staleMs) continue;
      rmSync(path, { force: true });
    }
  } catch {
    // the folder or the file may be gone; nothing to clean
  }
}

/** Resumes or closes every job the previous run left queued or running; returns how many of each. */
export async function recoverJobs(deps: RunnerDeps, jobs: Jobs, providers: Partial<Record<string, Provider>>): Promise<{ resumed: number; interrupted: number }> {
  return await settleJobs(deps, jobs, providers, await deps.ledger.unfinished(), "The daemon stopped", deps.ledger.leases?.leaseMs ?? 0, false);
}

/**
 * Resumes each row whose provider operation can be polled again and records the others as interrupted; `stopped`
 * begins their message ("The daemon stopped", or a takeover's). Partial files untouched for `staleMs` (0: all) in
 * their output folders are removed. `slotsHeld`: the rows were taken over only while their type had a free slot, so
 * they resume at once; otherwise (at start) a shared database's resumed job first claims a slot, in seq order.
 */
/** The configured model that polls a job of `provider`/`model`/`type` after a restart or a takeover, if any. */
function resumingEntry(models: readonly ModelEntry[], job: { provider: string; model: string; type: string }): ModelEntry | undefined {
  return models.find((m) => m.provider === job.provider && m.model === job.model) ?? models.find((m) => m.provider === job.provider && m.type === job.type);
}

/** Whether a running job with a provider operation can be resumed by this daemon: its provider polls, and a model serves it. */
export function canResume(models: readonly ModelEntry[], providers: Partial<Record<string, Provider>>, job: { provider: string; model: string; type: string }): boolean {
  return Boolean(providers[job.provider]?.resumeVideo && resumingEntry(models, job));
}

export async function settleJobs(
  deps: RunnerDeps,
  jobs: Jobs,
  providers: Partial<Record<string, Provider>>,
  rows: readonly Generation[],
  stopped: string,
  staleMs: number,
  slotsHeld = true,
): Promise<{ resumed: number; interrupted: number }> {
  let resumed = 0;
  let interrupted = 0;
  const config = deps.config.get();
  for (const row of rows) {
    removePartials(row.params.output_dir, staleMs);
    const provider = providers[row.provider];
    const entry = resumingEntry(config.models, row);
    if (row.status === "running" && row.operation_id && provider?.resumeVideo && entry) {
      resume(deps, jobs, row, { ...entry, model: row.model }, provider, row.operation_id, slotsHeld);
      resumed++;
      continue;
    }
    const message =
      row.status === "queued"
        ? `${stopped} before this job started; submit it again`
        : row.operation_id
          ? `${stopped} and operation ${row.operation_id} cannot be resumed (no ${row.provider} model configured to poll it with)`
          : `${stopped} (crash or kill) before the generation finished; the provider's answer was lost`;
    const cost: CostFigure | undefined = row.status === "running" ? { costUsd: null, source: "unknown", note: MAYBE_BILLED } : undefined;
    const answer = { status: 503, body: failureBody(row.type, new AppError("interrupted", message), undefined, { prompt: row.prompt }) };
    await deps.ledger.failWithAnswer(row.id, { status: "interrupted", error: message, errorType: "interrupted", cost }, answer);
    interrupted++;
  }
  return { resumed, interrupted };
}

/** Continues a job whose provider operation survived a restart (on a shared database, once it holds a slot unless `slotHeld`). */
function resume(deps: RunnerDeps, jobs: Jobs, row: Generation, entry: ModelEntry, provider: Provider, operationId: string, slotHeld: boolean): void {
  const echo = KINDS[row.type].storedEcho(row.prompt, row.params);
  let apiKey: string | undefined;
  try {
    apiKey = resolveApiKey(entry);
  } catch {
    apiKey = undefined;
  }
  const target: Target = { dir: String(row.params.output_dir), prompt: row.prompt, params: row.params, echo };
  const job = jobs.track({ id: row.id, type: row.type, entry, provider, state: "running", echo, run: () => runJob(deps, job, apiKey, (p, ctx) => p.resumeVideo!(operationId, ctx), target) });
  job.operationId = operationId;
  if (jobs.shared && !slotHeld) {
    // The row says running, but the slots are counted across daemons: it polls again once it has claimed one.
    deps.log.info(`resuming ${row.type} job ${row.id} once a slot is free: then polling ${row.provider} operation ${operationId}`);
    jobs.resumeWhenFree(job);
    return;
  }
  // The row is already running (and, on a shared database, holds its slot).
  jobs.start(job, true);
  deps.log.info(`resuming ${row.type} job ${row.id}: polling ${row.provider} operation ${operationId}`);
}
