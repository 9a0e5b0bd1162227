// The jobs this process is queueing or running: a FIFO queue and a concurrency limit per media type, the live
// registry with its listeners (events), cancel and drain. How a job runs is the runner's business. When the ledger
// is shared by several daemons (ledger.leases), a slot is claimed in the database instead of counted here: the head
// of a type's queue asks for one, again after a short delay while every slot is taken elsewhere.
import { MEDIA_TYPES, type MediaType, type ModelEntry } from "../config/schema.ts";
import type { ConfigStore } from "../config/store.ts";
import { FOLLOW_ELSEWHERE_MS, IDLE_GC_DELAY_MS, LIVE_JOBS_LISTED, SLOT_POLL_MAX_MS, SLOT_POLL_MIN_MS } from "../defaults.ts";
import { AppError, toAppError } from "../errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { iso } from "../ledger/records.ts";
import { isFinished, type Attempt, type Generation } from "../ledger/schema.ts";
import type { Logger } from "../log.ts";
import { redact } from "../log.ts";
import type { Provider } from "../providers/types.ts";
import { failureBody, type MediaOutcome } from "./responses.ts";
import type { JobView } from "./schema.ts";

/** A job this process is queueing or running. */
export interface LiveJob {
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
  /** Shared database: resumed after a restart (its row running, its provider working) and waiting for a slot. */
  resuming?: boolean;
  listeners: Set<(view: JobView) => void>;
}

/** What the queue needs. */
export interface JobsDeps {
  config: ConfigStore;
  ledger: Ledger;
  log: Logger;
  now: () => number;
  /** Runs once when the daemon has had no job for IDLE_GC_DELAY_MS (default: a full `Bun.gc`). */
  collectGarbage?: () => void;
  /** Overrides IDLE_GC_DELAY_MS (tests). */
  idleGcDelayMs?: number;
}


/** Any error as a catalogue error; unexpected ones are logged (redacted) and become `internal`. */
export function classify(log: Logger, error: unknown, apiKey?: string): AppError {
  if (error instanceof AppError) {
    return apiKey && error.message.includes(apiKey) ? new AppError(error.type, redact(error.message, [apiKey]), error.details) : error;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  log.error(`unexpected error: ${redact(text, [apiKey])}`);
  return toAppError(error);
}

/** A job's failure answer (what replays and job polls return once it is stored). Writes nothing. */
export function failureOutcome(job: Pick<LiveJob, "id" | "type" | "entry" | "echo">, error: AppError, costUsd?: number | null): MediaOutcome {
  return { ok: false, error, body: failureBody(job.type, error, job.entry, job.echo, { id: job.id, costUsd }) };
}

/** The input images and frames a job's params name (paths, URLs or labels of inline data), in request order. */
export function inputSources(params: Record<string, unknown>): string[] {
  const sources: string[] = [];
  for (const key of ["inputs", "first_frame", "last_frame", "reference_images"]) {
    const value = params[key];
    for (const item of Array.isArray(value) ? value : [value]) if (typeof item === "string") sources.push(item);
  }
  return sources;
}

/** Records a job's failure answer (for replays and job polls) and returns it. */
export async function storeFailure(ledger: Ledger, job: Pick<LiveJob, "id" | "type" | "entry" | "echo">, error: AppError, costUsd?: number | null): Promise<MediaOutcome> {
  const outcome = failureOutcome(job, error, costUsd);
  await ledger.setResponse(job.id, { status: error.status, body: outcome.body });
  return outcome;
}

/** The entries a job fell back from, read from its attempts: each one tried other than `current`, with how it last ended. */
export function fallbackFrom(attempts: readonly Attempt[], current: { model: string; provider: string; name?: string }): NonNullable<JobView["fallback_from"]> {
  const tried: NonNullable<JobView["fallback_from"]> = [];
  for (const attempt of attempts) {
    if (attempt.model === undefined || attempt.provider === undefined) continue;
    const last = tried.at(-1);
    const same = last && last.model === attempt.model && last.provider === attempt.provider && last.name === attempt.entry;
    if (same) last.error_type = attempt.outcome;
    else tried.push({ model: attempt.model, provider: attempt.provider, ...(attempt.entry ? { name: attempt.entry } : {}), error_type: attempt.outcome });
  }
  return tried.filter((entry) => entry.model !== current.model || entry.provider !== current.provider || entry.name !== current.name);
}

/** What a job cancelled while it was queued ends with. */
const CANCELLED_BEFORE_START = "Cancelled before it started; nothing was charged";

/** The queue per media type and the live jobs. */
export class Jobs {
  private readonly live = new Map<string, LiveJob>();
  private readonly waiting: Record<MediaType, string[]> = { image: [], video: [], audio: [] };
  private readonly active: Record<MediaType, number> = { image: 0, video: 0, audio: 0 };
  /** Set by drain: no new job starts. */
  closing = false;
  private idleTimer?: ReturnType<typeof setTimeout>;
  /** Shared database: a claim of `type` is under way, and the timer of its next attempt with its delay. */
  private readonly claiming: Record<MediaType, boolean> = { image: false, video: false, audio: false };
  private readonly pollTimers: Partial<Record<MediaType, ReturnType<typeof setTimeout>>> = {};
  private readonly pollDelay: Record<MediaType, number> = { image: SLOT_POLL_MIN_MS, video: SLOT_POLL_MIN_MS, audio: SLOT_POLL_MIN_MS };

  constructor(private readonly deps: JobsDeps) {}

  /** Whether slots are claimed in a database several daemons share (PostgreSQL with leases). */
  get shared(): boolean {
    return this.deps.ledger.leases !== undefined;
  }

  /** Shared database: another daemon freed a `type` slot, so the head of its queue asks for it now. */
  wake(type: MediaType): void {
    if (this.closing || this.waiting[type].length === 0) return;
    this.pollDelay[type] = SLOT_POLL_MIN_MS;
    void this.claimSlots(type);
  }

  /** The ids of the jobs this process is queueing or running (whose leases it renews). */
  ids(): string[] {
    return [...this.live.keys()];
  }

  /**
   * Lets go of a job another daemon took over (its lease expired): no more writes, a running one is aborted, and a
   * waiting caller is answered that the job is no longer followed here.
   */
  lose(id: string): void {
    const job = this.live.get(id);
    if (!job) return;
    const error = new AppError("interrupted", `This daemon lost job ${id}'s lease (it could not renew it in time) and another daemon took it over; follow it with GET /api/media/jobs/${id}`);
    this.deps.log.warn(`job ${id}: lease lost, another daemon took it over; this daemon stops writing it`);
    if (job.state === "queued") {
      this.waiting[job.type] = this.waiting[job.type].filter((queuedId) => queuedId !== id);
      // A queued job is also taken by a cancel sent to another daemon: its caller is told so.
      void this.deps.ledger
        .get(id)
        .then((row) => (row?.status === "cancelled" ? new AppError("cancelled", row.error ?? CANCELLED_BEFORE_START) : error))
        .catch(() => error)
        .then((reason) => this.finish(job, failureOutcome(job, reason)));
      return;
    }
    job.controller.abort(error);
  }

  /** Number of generations running at a provider now. */
  get running(): number {
    return MEDIA_TYPES.reduce((sum, type) => sum + this.active[type], 0);
  }

  /** Number of jobs waiting for a free slot. */
  get queued(): number {
    return MEDIA_TYPES.reduce((sum, type) => sum + this.waiting[type].length, 0);
  }

  /** The live job with this id, if this process is queueing or running it. */
  get(id: string): LiveJob | undefined {
    return this.live.get(id);
  }

  /** Whether `type`'s slots and queue are all taken (a new job would be refused with queue_full). */
  isFull(type: MediaType): boolean {
    const limits = this.deps.config.get().jobs[type];
    return this.active[type] >= limits.concurrency && this.waiting[type].length >= limits.queue;
  }

  /** Number of `type` jobs waiting now. */
  waitingCount(type: MediaType): number {
    return this.waiting[type].length;
  }

  /** Registers a job as live (queued, or running when resumed after a restart). */
  track(fields: Omit<LiveJob, "controller" | "done" | "resolve" | "listeners">): LiveJob {
    let resolve!: (outcome: MediaOutcome) => void;
    const done = new Promise<MediaOutcome>((r) => (resolve = r));
    const job: LiveJob = { ...fields, controller: new AbortController(), done, resolve, listeners: new Set() };
    this.live.set(job.id, job);
    return job;
  }

  /** Puts a tracked job at the end of its type's queue and starts what the slots allow. */
  enqueue(job: LiveJob): void {
    this.waiting[job.type].push(job.id);
    this.dispatch(job.type);
  }

  /**
   * Shared database: queues a job resumed after a restart until it claims a slot (its row stays running and its lease
   * is renewed meanwhile); resumed jobs go before new ones, in the order they are handed here (seq order).
   */
  resumeWhenFree(job: LiveJob): void {
    job.state = "queued";
    job.resuming = true;
    const queue = this.waiting[job.type];
    const firstNew = queue.findIndex((id) => !this.live.get(id)?.resuming);
    queue.splice(firstNew === -1 ? queue.length : firstNew, 0, job.id);
    this.dispatch(job.type);
  }

  /** Whether a new `type` job would start at once: a slot is free and nobody waits for it. */
  hasFreeSlot(type: MediaType): boolean {
    // A shared database's slots are claimed there, after the job is recorded as queued.
    if (this.shared) return false;
    return this.active[type] < this.deps.config.get().jobs[type].concurrency && this.waiting[type].length === 0;
  }

  /**
   * Starts a job now, outside the queue: a resumed job (its provider is already working on it), or a new one
   * given a free slot (see hasFreeSlot). `recordedRunning`: its row was inserted as running, so it is not updated.
   */
  start(job: LiveJob, recordedRunning = false): void {
    this.active[job.type]++;
    clearTimeout(this.idleTimer);
    job.state = "running";
    job.startedAt = this.deps.now();
    // The row says running before the job's own writes (operation, attempts) follow it.
    const marked = recordedRunning ? Promise.resolve(true) : this.deps.ledger.markRunning(job.id);
    // run() answers every failure itself; these catches are the last guard, so a bug can never end the daemon.
    void marked
      .then(() => {
        this.emit(job);
        return job.run();
      })
      .catch((error: unknown) => storeFailure(this.deps.ledger, job, classify(this.deps.log, error)))
      .then((outcome) => this.finish(job, outcome))
      .catch((error: unknown) => this.deps.log.error(`job ${job.id} could not be finished: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** A job's current state; undefined for an unknown id. */
  async view(id: string): Promise<JobView | undefined> {
    const row = await this.deps.ledger.get(id);
    return row ? this.viewOf(row) : undefined;
  }

  /** The jobs queued or running in this process (on every daemon, when several share the database), oldest first. */
  async liveViews(): Promise<JobView[]> {
    const leases = this.deps.ledger.leases;
    if (leases) return await Promise.all((await leases.liveRows(LIVE_JOBS_LISTED)).map((row) => this.viewOf(row)));
    const views = await Promise.all([...this.live.keys()].map((id) => this.view(id)));
    return views.filter((view): view is JobView => view !== undefined);
  }

  /** Calls `listener` with the job's state on every change until it ends; returns the unsubscribe function. */
  subscribe(id: string, listener: (view: JobView) => void): () => void {
    const job = this.live.get(id);
    if (!job) return this.shared ? this.follow(id, listener) : () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /**
   * Shared database: follows a job this process does not run (another daemon took the request, a load balancer sent
   * the caller here) by reading its row every FOLLOW_ELSEWHERE_MS, calling `listener` on each change until it ends.
   */
  private follow(id: string, listener: (view: JobView) => void): () => void {
    let last = "";
    let reading = false;
    const timer = setInterval(() => {
      if (reading) return;
      reading = true;
      this.view(id)
        .then((view) => {
          if (!view) return;
          // A running job's elapsed time changes at every read: not a change to tell.
          const seen = JSON.stringify({ ...view, elapsed_seconds: undefined });
          if (seen !== last) {
            last = seen;
            listener(view);
          }
          if (isFinished(view.status)) clearInterval(timer);
        })
        .catch(() => {
          // read again at the next tick
        })
        .finally(() => (reading = false));
    }, FOLLOW_ELSEWHERE_MS);
    return () => clearInterval(timer);
  }

  /**
   * Tells an ended job's listeners its state and lets go of them. A job this daemon lost goes on at another daemon
   * (shared database): its listeners follow it there until it ends, so an event stream never hangs open.
   */
  private emitLast(job: LiveJob): void {
    const listeners = [...job.listeners];
    job.listeners.clear();
    this.tell(job.id, listeners, (view) => {
      if (!isFinished(view.status) && this.shared) for (const listener of listeners) this.follow(job.id, listener);
    });
  }

  /** Tells a job's listeners its new state (read from the ledger; never throws). */
  emit(job: LiveJob): void {
    this.tell(job.id, [...job.listeners]);
  }

  /** Reads a job's state and calls `listeners` with it, then `after`; never throws (a failed read is logged). */
  private tell(id: string, listeners: readonly ((view: JobView) => void)[], after?: (view: JobView) => void): void {
    if (listeners.length === 0) return;
    void this.view(id)
      .then((view) => {
        if (!view) return;
        for (const listener of listeners) listener(view);
        after?.(view);
      })
      .catch((error: unknown) => this.deps.log.error(`job ${id}: its state could not be read: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** Cancels a queued job. A job already running at the provider is not cancellable: its cost is already incurred. */
  async cancel(id: string): Promise<JobView> {
    const job = this.live.get(id);
    if (!job) {
      const row = await this.deps.ledger.get(id);
      if (!row) throw new AppError("not_found", `No job with id ${id}`);
      // Shared database: a job another daemon queued is taken from it (it lets go at its next claim) and cancelled here.
      const leases = this.deps.ledger.leases;
      if (leases && row.status === "queued") {
        const error = new AppError("cancelled", CANCELLED_BEFORE_START);
        const answer = { status: error.status, body: failureBody(row.type, error, row, {}, { id }) };
        if (await leases.cancelQueued(id, { status: "cancelled", error: error.message, errorType: error.type }, answer)) return (await this.view(id))!;
      }
      // A claim may have started it meanwhile: the message says what it is now.
      const status = leases && row.status === "queued" ? ((await this.deps.ledger.get(id))?.status ?? row.status) : row.status;
      throw new AppError("not_cancellable", `Job ${id} is already ${status}${status === "running" ? "; cancelling would not stop the charge, so it will finish and be saved" : ""}`);
    }
    if (job.state === "running" || job.resuming) {
      throw new AppError("not_cancellable", `Job ${id} is already running at ${job.entry.provider}; cancelling would not stop the charge, so it will finish and be saved`);
    }
    this.waiting[job.type] = this.waiting[job.type].filter((queuedId) => queuedId !== id);
    await this.end(job, "cancelled", new AppError("cancelled", CANCELLED_BEFORE_START));
    this.notifyPositions(job.type);
    return (await this.view(id))!;
  }

  /**
   * Stops taking new jobs, records queued ones as interrupted, waits up to `graceMs` for the running ones,
   * then stops waiting. A job whose provider operation can be resumed stays `running` in the ledger and
   * continues at the next start; the others are recorded as interrupted. Returns how many were recorded as interrupted.
   */
  async drain(graceMs: number): Promise<number> {
    this.closing = true;
    for (const type of MEDIA_TYPES) clearTimeout(this.pollTimers[type]);
    const ended: Promise<void>[] = [];
    for (const type of MEDIA_TYPES) {
      for (const id of this.waiting[type].splice(0)) {
        const job = this.live.get(id);
        if (job?.resuming) {
          // Its row stays running with its operation: the next start resumes it again.
          this.deps.log.info(`${job.type} job ${job.id} left running at ${job.entry.provider} (operation ${job.operationId}) before it got a slot; it resumes at the next start`);
          this.finish(job, failureOutcome(job, new AppError("interrupted", `The daemon stopped; ${job.entry.provider} is still working on this job and mediagen resumes it at its next start (GET /api/media/jobs/${job.id})`)));
        } else if (job) ended.push(this.end(job, "interrupted", new AppError("interrupted", "The daemon stopped before this job started; submit it again")));
      }
    }
    await Promise.all(ended);
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

  /** Seconds a caller refused with queue_full should wait: the queue's length times a recent job's duration, over the slots. */
  async retryAfter(type: MediaType): Promise<number> {
    const recent = (await this.deps.ledger.list({ type, status: "succeeded", limit: 20 })).items;
    const latencies = recent.map((g) => g.latency_ms ?? 0).filter((ms) => ms > 0);
    const average = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length / 1000 : 30;
    const slots = this.deps.config.get().jobs[type].concurrency;
    return Math.max(1, Math.ceil((average * (this.waiting[type].length + this.active[type])) / slots));
  }

  /** Ends a job that never ran: recorded with `status`, answered with `error`. */
  private async end(job: LiveJob, status: "cancelled" | "interrupted", error: AppError): Promise<void> {
    const outcome = failureOutcome(job, error);
    try {
      await this.deps.ledger.failWithAnswer(job.id, { status, error: error.message, errorType: error.type }, { status: error.status, body: outcome.body });
    } finally {
      this.finish(job, outcome);
    }
  }

  /** Starts queued jobs of `type` while slots are free (the limit is read from config each time). */
  private dispatch(type: MediaType): void {
    if (this.shared) {
      void this.claimSlots(type);
      this.notifyPositions(type);
      return;
    }
    const limit = this.deps.config.get().jobs[type].concurrency;
    while (this.active[type] < limit && this.waiting[type].length > 0) {
      const job = this.live.get(this.waiting[type].shift()!);
      if (!job) continue;
      this.start(job);
    }
    this.notifyPositions(type);
  }

  /** Shared database: claims slots for the head of `type`'s queue until none is free, then asks again after a delay (doubling). */
  private async claimSlots(type: MediaType): Promise<void> {
    const leases = this.deps.ledger.leases!;
    if (this.claiming[type]) return;
    this.claiming[type] = true;
    clearTimeout(this.pollTimers[type]);
    let waiting = false;
    try {
      while (!this.closing && this.waiting[type].length > 0) {
        const id = this.waiting[type][0]!;
        const limit = this.deps.config.get().jobs[type].concurrency;
        let result: Awaited<ReturnType<typeof leases.claim>>;
        try {
          if (this.live.get(id)?.resuming) {
            const resuming = this.waiting[type].filter((waitingId) => this.live.get(waitingId)?.resuming);
            result = await leases.claimResumed(id, type, limit, resuming);
          } else {
            result = await leases.claim(id, type, limit);
          }
        } catch (error) {
          this.deps.log.error(`job ${id}: a slot could not be claimed: ${error instanceof Error ? error.message : String(error)}`);
          result = "wait";
        }
        if (result === "wait") {
          waiting = true;
          break;
        }
        if (this.waiting[type][0] === id) this.waiting[type].shift();
        const job = this.live.get(id);
        this.pollDelay[type] = SLOT_POLL_MIN_MS;
        if (!job || job.state !== "queued") continue;
        if (result === "lost") this.lose(id);
        else {
          job.resuming = false;
          this.start(job, true);
        }
      }
    } finally {
      this.claiming[type] = false;
    }
    this.notifyPositions(type);
    if (!waiting || this.closing) return;
    const delay = this.pollDelay[type];
    this.pollDelay[type] = Math.min(delay * 2, SLOT_POLL_MAX_MS);
    this.pollTimers[type] = setTimeout(() => void this.claimSlots(type), delay);
    this.pollTimers[type].unref?.();
  }

  private finish(job: LiveJob, outcome: MediaOutcome): void {
    if (!this.live.delete(job.id)) return;
    if (job.state === "running") this.active[job.type]--;
    job.resolve(outcome);
    this.emitLast(job);
    if (job.state === "running") this.deps.ledger.leases?.freed(job.type);
    if (!this.closing) {
      // A slot freed here may be claimed at once (the delay is for slots freed by other daemons).
      this.pollDelay[job.type] = SLOT_POLL_MIN_MS;
      this.dispatch(job.type);
    }
    if (this.live.size === 0) this.collectWhenIdle();
  }

  /**
   * Once no job has run for a moment, frees what the last ones left (answers, media buffers) in one full
   * collection; called when the last job ends, and once at start (what loading the config and the ledger left).
   */
  collectWhenIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.live.size === 0) (this.deps.collectGarbage ?? (() => Bun.gc(true)))();
    }, this.deps.idleGcDelayMs ?? IDLE_GC_DELAY_MS);
    this.idleTimer.unref?.();
  }

  private notifyPositions(type: MediaType): void {
    for (const id of this.waiting[type]) {
      const job = this.live.get(id);
      if (job) this.emit(job);
    }
  }

  private async viewOf(row: Generation): Promise<JobView> {
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
      prompt: row.prompt,
      inputs: await Promise.all(
        inputSources(row.params).map(async (source) => {
          const generationId = job ? await this.deps.ledger.findByOutput(source) : undefined;
          return generationId ? { source, generation_id: generationId } : { source };
        }),
      ),
      door: row.door,
      client: row.client,
      session_id: row.session_id,
      // Several daemons: another daemon's queued job can be cancelled through this one too.
      cancellable: row.status === "queued" && (job !== undefined || this.shared),
    };
    const fellBack = fallbackFrom(row.attempts, { model: row.model, provider: row.provider, name: row.model_name ?? undefined });
    if (fellBack.length > 0) view.fallback_from = fellBack;
    if (row.status === "queued") view.position = this.waiting[row.type].indexOf(row.id) + 1 || undefined;
    if (row.status === "running" && row.started_at) view.elapsed_seconds = Math.round((this.deps.now() - Date.parse(row.started_at)) / 100) / 10;
    if (row.progress !== null) view.progress = row.progress;
    if (isFinished(row.status)) {
      const stored = await this.deps.ledger.response(row.id);
      if (stored) view.result = stored.body;
      if (row.error) view.error = row.error;
      if (row.error_type) view.error_type = row.error_type;
    }
    return view;
  }
}
