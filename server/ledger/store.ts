// The ledger's one interface: what the rest of the server may ask of it, whichever database holds it.
// SqliteLedger (ledger.ts: one file, triggers keep rollups, FTS trigram search, deferred writes for a broken disk)
// and PostgresLedger (postgres.ts: a shared server for a team) implement it with the same semantics.
import type { MediaType } from "../config/schema.ts";
import type { Refusal } from "./refusals.ts";
import type { GenerationFailure, GenerationSuccess, NewGeneration, StoredResponse, TimeRange } from "./records.ts";
import type { SpendQuery } from "./spend-groups.ts";
import type { Attempt, CostGroup, Generation, GenerationPage, GenerationQuery, GenerationStatus, StorageStatus } from "./schema.ts";

/** The groupings the day and model rollups answer. */
export type RollupGroupBy = "day" | "model" | "type" | "provider";
/** A group's spend as the rollups hold it. */
export type RollupGroup = Pick<CostGroup, "key" | "count" | "cost_usd" | "unknown_cost_count">;
/** A saved result a thumbnail or a duration may be made from. */
export type SavedFile = { id: string; type: MediaType; outputPath: string; mimeType: string };
/** The job an Idempotency-Key names. */
export type IdempotentJob = { id: string; requestHash: string | null; status: GenerationStatus };

/** How a claim of a slot for a queued job ended: it runs now, it waits for a slot, or it is no longer this daemon's. */
export type ClaimResult = "claimed" | "wait" | "lost";

/** A generation's file kept by another daemon of the same database: the daemon, and its address when it announced one. */
export type FileHolder = { daemon: string; url: string | null; seenAt: number | null };
/** What decides whether a running job with a provider operation can be resumed here (its provider polls, a model serves it). */
export type ResumeCandidate = { type: MediaType; provider: string; model: string };
/** A media type's jobs with live leases across every daemon. */
export type TypeDepth = { running: number; queued: number };

/**
 * What several daemons on one database share to run jobs as one service (PostgreSQL only): slots counted in the
 * database, leases on unfinished jobs, takeover of a dead daemon's jobs, and one admission at a time across daemons.
 */
export interface JobLeases {
  /** This daemon's name, as the `daemon` column holds it. */
  readonly daemon: string;
  /** How long a lease lasts without renewal, in ms. */
  readonly leaseMs: number;
  /** Moves this daemon's queued job `id` to running when fewer than `limit` jobs of its type hold live leases and it is the oldest live queued one. */
  claim(id: string, type: MediaType, limit: number): Promise<ClaimResult>;
  /**
   * Gives this daemon's job `id`, resumed after a restart (its row already running), a slot when fewer than `limit`
   * running jobs of its type hold live leases, not counting `waiting` (its resumed jobs still waiting for one).
   */
  claimResumed(id: string, type: MediaType, limit: number, waiting: readonly string[]): Promise<ClaimResult>;
  /** Extends the leases of these jobs that are still unfinished; resolves to the ids another daemon has taken over. */
  renew(ids: readonly string[]): Promise<string[]>;
  /**
   * Takes over unfinished jobs whose lease expired (their daemon died): queued ones and running ones without a provider
   * operation (to be closed), and running ones with an operation while their type has a free slot (to be resumed).
   */
  takeOver(limits: Record<MediaType, number>, canResume?: (job: ResumeCandidate) => boolean): Promise<Generation[]>;
  /** Tells every daemon that a `type` slot was freed (a NOTIFY; never throws). */
  freed(type: MediaType): void;
  /** Calls `listener` whenever any daemon frees a slot (LISTEN); resolves to the function that stops listening. */
  onFreed(listener: (type: MediaType) => void): Promise<() => Promise<void>>;
  /** Takes a queued job from whichever daemon queued it and records its end with its answer, atomically; false once it is no longer queued. */
  cancelQueued(id: string, failure: GenerationFailure, answer: StoredResponse): Promise<boolean>;
  /** Records the address other daemons reach this one at (at start, then with every lease renewal round). */
  announce(url: string): Promise<void>;
  /** For those of `ids` made by another daemon (whose disk holds their files): that daemon and its address. */
  holders(ids: readonly string[]): Promise<Map<string, FileHolder>>;
  /** Every daemon's queued and running jobs (live leases), oldest first, at most `limit`. */
  liveRows(limit: number): Promise<Generation[]>;
  /** Running and queued jobs of `type` on every daemon (live leases only): the shared queue's length. */
  depth(type: MediaType): Promise<TypeDepth>;
  /** Runs `step` while no other daemon admits a job (idempotency and budget checks with the insert, atomic across daemons). */
  admit<T>(step: () => Promise<T>): Promise<T>;
}

/**
 * The generations ledger: one row per job (queued to its end), refusals, idempotency keys and stored answers.
 * Every method that touches the database returns a Promise; a write resolving `false` was deferred (kept in
 * memory and retried) because the database could not be written at that moment.
 */
export interface Ledger {
  /** Which database holds it, for logs and health: "sqlite" or "postgres". */
  readonly backend: "sqlite" | "postgres";
  /** Records a request refused before any provider call (folding floods); resolves to the id of the row counting it. */
  refuse(refusal: Refusal): Promise<string>;
  /** The database's health for /api/health (in memory: no query). */
  storage(): StorageStatus;
  /** Throws `storage_error` when a new job must not start because its record could not be kept. */
  assertWritable(): void;
  /** Present when several daemons may share the database (PostgreSQL with a daemon name): slots, leases and takeover. */
  readonly leases?: JobLeases;
  /** Flushes deferred writes and stops retrying; resolves to the writes still unwritten ("succeed <id>", ...). */
  close(): Promise<string[]>;
  /** Records a generation as `running` before its provider is called; resolves to its id. */
  start(input: NewGeneration): Promise<string>;
  /** Records a job waiting for a free slot; resolves to its id. */
  enqueue(input: NewGeneration): Promise<string>;
  /** Moves a queued job to running. */
  markRunning(id: string): Promise<boolean>;
  /** Keeps the provider-side id of a long-running operation (for resuming after a restart). */
  setOperation(id: string, operationId: string): Promise<boolean>;
  /** Names the model entry now serving a running job (after a fallback). */
  setModel(id: string, served: { model: string; provider: string; modelName?: string }): Promise<boolean>;
  /** Records the progress (0-100) a provider reported. */
  setProgress(id: string, progress: number): Promise<boolean>;
  /** Appends one provider call to the job's attempts. */
  addAttempt(id: string, attempt: Attempt): Promise<boolean>;
  /** Keeps a finished job's answer for replays. */
  setResponse(id: string, response: StoredResponse): Promise<boolean>;
  /** A finished job's stored answer. */
  response(id: string): Promise<StoredResponse | undefined>;
  /** The newest job created since `sinceMs` with this Idempotency-Key, and the hash of its request. */
  findIdempotent(key: string, sinceMs: number): Promise<IdempotentJob | undefined>;
  /** Money spent since `fromMs`: finished costs, estimates of unfinished jobs, unknown costs at their estimate or ASSUMED_COST_USD. */
  spendSince(fromMs: number, type?: MediaType): Promise<number>;
  /** The same as spendSince for one token or one team. */
  spendSinceBy(fromMs: number, who: { tokenId: string } | { team: string }): Promise<number>;
  /** The average cost of the last `count` succeeded jobs of this model id, provider and type that have a cost. */
  recentCostAverage(model: string, provider: string, type: MediaType, count?: number): Promise<number | undefined>;
  /** The id of the generation whose output file is `path` (a mediagen file name); undefined for any other name. */
  findByOutput(path: string): Promise<string | undefined>;
  /** Jobs left queued or running (by a crash, for recovery at start). */
  unfinished(): Promise<Generation[]>;
  /** Completes a running generation as succeeded. */
  succeed(id: string, result: GenerationSuccess): Promise<boolean>;
  /** Completes a running or queued generation as failed, interrupted or cancelled. */
  fail(id: string, failure: GenerationFailure): Promise<boolean>;
  /** succeed + addAttempt + setResponse in one statement. */
  succeedWithAnswer(id: string, result: GenerationSuccess, answer: StoredResponse, lastAttempt?: Attempt): Promise<boolean>;
  /** fail + addAttempt + setResponse in one statement. */
  failWithAnswer(id: string, failure: GenerationFailure, answer: StoredResponse, lastAttempt?: Attempt): Promise<boolean>;
  /** Deletes one record (the file is the caller's business); throws storage_error when it cannot. */
  remove(id: string): Promise<boolean>;
  /** Records a generation's thumbnail (its file name under the thumbnails folder), or why none could be made. */
  setThumbnail(id: string, made: { name: string } | { error: string }): Promise<boolean>;
  /** Records the duration read from a saved audio or video file, where the provider reported none. */
  setDuration(id: string, seconds: number): Promise<boolean>;
  /** The thumbnail file name of a generation; undefined when it has none. */
  thumbnail(id: string): Promise<string | undefined>;
  /** Succeeded generations still without a thumbnail (or a duration), newest first, at most `limit`. */
  thumbnailBacklog(limit: number): Promise<SavedFile[]>;
  /** One generation by id. */
  get(id: string): Promise<Generation | undefined>;
  /** A page of generations, newest first, filtered (`q`: case-insensitive substring of the prompt). */
  list(query: Omit<GenerationQuery, "from" | "to">, range?: TimeRange): Promise<GenerationPage>;
  /** The same page as `list`, for the HTTP API (a long search lets other requests run meanwhile). */
  page(query: Omit<GenerationQuery, "from" | "to">, range?: TimeRange): Promise<GenerationPage>;
  /** Spend in [fromMs, toMs) grouped by local day, model, type or provider; all types unless `type` is given. */
  costGroups(fromMs: number, toMs: number, groupBy: RollupGroupBy, type?: MediaType): Promise<RollupGroup[]>;
  /** The cost summary's groups for any grouping, series and filters, with refusals and billed failures. */
  spendGroups(query: SpendQuery): Promise<CostGroup[]>;
}
