// The ledger on SQLite: typed queries over the generations table, rollups kept by triggers, a trigram index for
// prompt search, and deferred writes for a broken disk. All SQL is parameterised. The work is synchronous (bun:sqlite);
// the Ledger interface's Promises resolve at once.
import type { Database } from "bun:sqlite";
import { MEDIA_TYPES, type MediaType } from "../config/schema.ts";
import { ASSUMED_COST_USD, DEFAULT_PAGE_SIZE } from "../defaults.ts";
import { AppError } from "../errors.ts";
import { DeferredWrites, type StorageStatus } from "./deferred-writes.ts";
import { RefusalLog, type Refusal } from "./refusals.ts";
import { costColumns, GROUP_KEY, insertParams, LOCAL_DAY, toGeneration, type GenerationFailure, type GenerationSuccess, type NewGeneration, type Row, type StoredResponse, type TimeRange } from "./records.ts";
import type { Attempt, CostGroup, Generation, GenerationPage, GenerationQuery, GenerationStatus } from "./schema.ts";

import { plainGrouping, spendGroups, type SpendQuery } from "./spend-groups.ts";
import type { Ledger, RollupGroup, RollupGroupBy, SavedFile } from "./store.ts";

export type { Ledger, RollupGroup, RollupGroupBy, SavedFile } from "./store.ts";
export type { Refusal } from "./refusals.ts";
export type { CostFigure, GenerationFailure, GenerationSuccess, NewGeneration, SavedOutput, StoredResponse, TimeRange } from "./records.ts";

const HOUR_MS = 3_600_000;
/** How long before its file was saved a generation is looked for by findByOutput, in ms (longer jobs are not found). */
const OUTPUT_LOOKBACK_MS = 2 * HOUR_MS;
const DAY_MS = 86_400_000;
/** The shortest `q` the trigram index can answer; shorter ones are matched row by row. */
const TRIGRAM = 3;
/** The most rows a time range may hold for a search to first find the range's seqs (about 8 ms at this size). */
const SEARCH_RANGE_ROWS = 100_000;
/** How many seqs `page` searches at a time, and how long it may hold the thread before letting other requests run. */
const SEARCH_SLICE_SEQS = 20_000;
const SEARCH_YIELD_MS = 8;


/** A stretch of seqs, `low` inclusive, `high` exclusive. */
type SeqSlice = { low: number; high: number };

/** A page of at most `limit` rows from `limit + 1` fetched: the extra one says whether there is a next page. */
function toPage(rows: Row[], limit: number): GenerationPage {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toGeneration), next_cursor: rows.length > limit && last ? String(last.seq) : null };
}

/** The generations ledger in a SQLite database (opened by openDatabase). */
export class SqliteLedger implements Ledger {
  readonly backend = "sqlite";
  private readonly writes: DeferredWrites;
  private readonly refusals: RefusalLog;

  /** `onStorageProblem` hears when writes start failing (disk full, read-only, deleted database) and when they recover. */
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
    onStorageProblem?: (message: string, recovered: boolean) => void,
  ) {
    this.writes = new DeferredWrites(db.filename, onStorageProblem);
    this.refusals = new RefusalLog(db, this.writes, now);
  }

  /** Records a request refused before any provider call (folding floods); returns the id of the row counting it. */
  async refuse(refusal: Refusal): Promise<string> {
    return this.refusals.record(refusal);
  }

  /** The cost summary's groups: the rollups of costGroups where they answer, else the caller rollups and rows (spend-groups.ts). */
  async spendGroups(query: SpendQuery): Promise<CostGroup[]> {
    return plainGrouping(query)
      ? spendGroups(this.db, query, await this.costGroups(query.fromMs, query.toMs, query.groupBy, query.type))
      : spendGroups(this.db, query);
  }

  /** The SQLite database (for tests that look at rollups and indexes). */
  get database(): Database {
    return this.db;
  }

  /** The database's health for /api/health. */
  storage(): StorageStatus {
    return this.writes.status();
  }

  /** Throws `storage_error` when a new job must not start because its record could not be kept. */
  assertWritable(): void {
    const problem = this.writes.unusable();
    if (problem) throw new AppError("storage_error", problem);
  }

  /** Stops retrying deferred writes (at shutdown); returns the writes still unwritten ("succeed <id>", ...). */
  async close(): Promise<string[]> {
    this.writes.flush();
    const left = this.writes.waiting();
    this.writes.close();
    return left;
  }

  /** Records a generation as `running` before its provider is called; returns its id. */
  async start(input: NewGeneration): Promise<string> {
    return this.insert(input, "running");
  }

  /** Records a job waiting for a free slot; returns its id. */
  async enqueue(input: NewGeneration): Promise<string> {
    return this.insert(input, "queued");
  }

  private insert(input: NewGeneration, status: "queued" | "running"): string {
    const id = Bun.randomUUIDv7();
    const at = this.now();
    try {
      this.writes.now(() => this.insertRow(id, at, input, status));
    } catch (error) {
      throw new AppError("storage_error", `Refused before calling the provider: the ledger database cannot be written (${error instanceof Error ? error.message : String(error)}); free disk space or make the data folder writable, then retry`);
    }
    return id;
  }

  private insertRow(id: string, at: number, input: NewGeneration, status: "queued" | "running"): void {
    this.db
      .query(
        `INSERT INTO generations (id, type, status, model, model_name, provider, prompt, params, created_at, started_at, session_id, client, door,
           estimated_cost_usd, idempotency_key, request_hash, token_id, owner, team)
         VALUES ($id, $type, $status, $model, $modelName, $provider, $prompt, $params, $at, $startedAt, $sessionId, $client, $door,
           $estimate, $idempotencyKey, $requestHash, $tokenId, $owner, $team)`,
      )
      .run(insertParams(id, at, input, status));
  }

  /** Moves a queued job to running. */
  async markRunning(id: string): Promise<boolean> {
    const at = this.now();
    return this.writes.run(`start ${id}`, () => this.db.query("UPDATE generations SET status = 'running', started_at = $at WHERE id = $id AND status = 'queued'").run({ id, at }));
  }

  /** Keeps the provider-side id of a long-running operation (for resuming after a restart). */
  async setOperation(id: string, operationId: string): Promise<boolean> {
    return this.writes.run(`operation ${id}`, () => this.db.query("UPDATE generations SET operation_id = $operationId WHERE id = $id").run({ id, operationId }));
  }

  /** Names the model entry now serving a running job (after a fallback), so the row and its rollups follow it. */
  async setModel(id: string, served: { model: string; provider: string; modelName?: string }): Promise<boolean> {
    const params = { id, model: served.model, provider: served.provider, modelName: served.modelName ?? null };
    return this.writes.run(`model ${id}`, () =>
      this.db.query("UPDATE generations SET model = $model, provider = $provider, model_name = $modelName WHERE id = $id AND status = 'running'").run(params),
    );
  }

  /** Records the progress (0-100) a provider reported. */
  async setProgress(id: string, progress: number): Promise<boolean> {
    return this.writes.run(`progress ${id}`, () => this.db.query("UPDATE generations SET progress = $progress WHERE id = $id").run({ id, progress }));
  }

  /** Appends one provider call to the job's attempts. */
  async addAttempt(id: string, attempt: Attempt): Promise<boolean> {
    const json = JSON.stringify(attempt);
    return this.writes.run(`attempt ${id}`, () =>
      this.db.query("UPDATE generations SET attempts = json_insert(attempts, '$[#]', json($attempt)) WHERE id = $id").run({ id, attempt: json }),
    );
  }

  /** Keeps a finished job's answer for replays. */
  async setResponse(id: string, response: StoredResponse): Promise<boolean> {
    const body = JSON.stringify(response.body);
    return this.writes.run(`response ${id}`, () =>
      this.db.query("UPDATE generations SET response = $body, response_status = $status WHERE id = $id").run({ id, body, status: response.status }),
    );
  }

  /** A finished job's stored answer. */
  async response(id: string): Promise<StoredResponse | undefined> {
    const row = this.db.query<{ response: string | null; response_status: number | null }, { id: string }>("SELECT response, response_status FROM generations WHERE id = $id").get({ id });
    if (!row?.response || row.response_status === null) return undefined;
    return { status: row.response_status, body: JSON.parse(row.response) as Record<string, unknown> };
  }

  /** The newest job created since `sinceMs` with this Idempotency-Key, and the hash of its request. */
  async findIdempotent(key: string, sinceMs: number): Promise<{ id: string; requestHash: string | null; status: GenerationStatus } | undefined> {
    const row = this.db
      .query<{ id: string; request_hash: string | null; status: GenerationStatus }, { key: string; since: number }>(
        "SELECT id, request_hash, status FROM generations WHERE idempotency_key = $key AND created_at >= $since ORDER BY seq DESC LIMIT 1",
      )
      .get({ key, since: sinceMs });
    return row ? { id: row.id, requestHash: row.request_hash, status: row.status } : undefined;
  }

  /**
   * Money spent since `fromMs` (ms): finished costs plus the estimates of unfinished jobs; one type or all. A
   * finished job that was (or may have been) billed at an unknown cost counts at its estimate, else at
   * ASSUMED_COST_USD for its type: never as $0.
   */
  async spendSince(fromMs: number, type?: MediaType): Promise<number> {
    // Whole hours from the rollup kept by triggers, the part of an hour before them from the covering index.
    const hour = Math.ceil(fromMs / HOUR_MS) * HOUR_MS;
    const typed = type ? " AND type = $type" : "";
    const row = this.db
      .query<{ spend: number }, { from: number; hour: number; type?: string; image: number; video: number; audio: number }>(
        `SELECT (SELECT coalesce(sum(spend_usd + assumed * CASE type WHEN 'image' THEN $image WHEN 'video' THEN $video ELSE $audio END), 0)
                 FROM ledger_hours WHERE hour >= $hour${typed})
              + (SELECT coalesce(sum(CASE WHEN status IN ('queued', 'running') THEN coalesce(estimated_cost_usd, 0)
                                          WHEN cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)
                                          THEN coalesce(estimated_cost_usd, CASE type WHEN 'image' THEN $image WHEN 'video' THEN $video ELSE $audio END)
                                          ELSE coalesce(cost_usd, 0) END), 0)
                 FROM generations INDEXED BY generations_spend WHERE created_at >= $from AND created_at < $hour${typed}) AS spend`,
      )
      .get(type ? { from: fromMs, hour, type, ...ASSUMED_COST_USD } : { from: fromMs, hour, ...ASSUMED_COST_USD });
    return row?.spend ?? 0;
  }

  /**
   * Money spent since `fromMs` (ms) by one token or one team, counted as spendSince counts it (finished costs,
   * estimates of unfinished jobs, an unknown cost at its estimate or ASSUMED_COST_USD), from the rows themselves.
   */
  async spendSinceBy(fromMs: number, who: { tokenId: string } | { team: string }): Promise<number> {
    const [column, value] = "tokenId" in who ? ["token_id", who.tokenId] : ["team", who.team];
    const row = this.db
      .query<{ spend: number }, { from: number; who: string; image: number; video: number; audio: number }>(
        `SELECT coalesce(sum(CASE WHEN status IN ('queued', 'running') THEN coalesce(estimated_cost_usd, 0)
                                  WHEN cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)
                                  THEN coalesce(estimated_cost_usd, CASE type WHEN 'image' THEN $image WHEN 'video' THEN $video ELSE $audio END)
                                  ELSE coalesce(cost_usd, 0) END), 0) AS spend
         FROM generations WHERE ${column} = $who AND created_at >= $from`,
      )
      .get({ from: fromMs, who: value, ...ASSUMED_COST_USD });
    return row?.spend ?? 0;
  }

  /** The average cost of the last `count` succeeded jobs of this model id, provider and type that have a cost. */
  async recentCostAverage(model: string, provider: string, type: MediaType, count = 20): Promise<number | undefined> {
    const row = this.db
      .query<{ average: number | null }, { model: string; provider: string; type: string; count: number }>(
        `SELECT avg(cost_usd) AS average FROM (
           SELECT cost_usd FROM generations
           WHERE model = $model AND provider = $provider AND status = 'succeeded' AND type = $type
           ORDER BY seq DESC LIMIT $count)`,
      )
      .get({ model, provider, type, count });
    return row?.average ?? undefined;
  }

  /**
   * The id of the generation whose output file is `path`, found through the time in a mediagen file name
   * (`img_20261129_091919_6536c98b.png`, local time it was saved): rows created up to OUTPUT_LOOKBACK_MS before it.
   * Undefined for any other name.
   */
  async findByOutput(path: string): Promise<string | undefined> {
    const match = /(?:^|[\\/])(?:img|vid|tts)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_[0-9a-f]{8}\.\w+$/.exec(path);
    if (!match) return undefined;
    const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
    const savedAt = new Date(y, mo - 1, d, h, mi, s).getTime();
    const row = this.db
      .query<{ id: string }, { from: number; to: number; path: string }>(
        "SELECT id FROM generations INDEXED BY generations_spend WHERE created_at >= $from AND created_at <= $to AND output_path = $path LIMIT 1",
      )
      .get({ from: savedAt - OUTPUT_LOOKBACK_MS, to: savedAt + 2000, path });
    return row?.id;
  }

  /** Jobs left queued or running (by a crash, for recovery at start). */
  async unfinished(): Promise<Generation[]> {
    return this.db.query<Row, []>("SELECT * FROM generations WHERE status IN ('queued', 'running') ORDER BY seq").all().map(toGeneration);
  }

  /** Completes a running generation as succeeded. */
  async succeed(id: string, result: GenerationSuccess): Promise<boolean> {
    const params = { id, at: this.now(), ...successParams(result) };
    return this.writes.run(succeedLabel(id, result), () => this.db.query(`UPDATE generations SET ${SUCCEED_SET} WHERE id = $id AND status = 'running'`).run(params));
  }

  /** Completes a running or queued generation as failed, interrupted or cancelled. */
  async fail(id: string, failure: GenerationFailure): Promise<boolean> {
    const params = { id, at: this.now(), ...failureParams(failure) };
    return this.writes.run(`fail ${id}`, () => this.db.query(`UPDATE generations SET ${FAIL_SET} WHERE id = $id AND status IN ('queued', 'running')`).run(params));
  }

  /**
   * Completes a running generation as succeeded, with its answer for replays and its last provider call, in one
   * statement: the same facts as succeed + addAttempt + setResponse. Deferred as one write when the disk fails.
   */
  async succeedWithAnswer(id: string, result: GenerationSuccess, answer: StoredResponse, lastAttempt?: Attempt): Promise<boolean> {
    const params = { id, at: this.now(), ...successParams(result), ...answerParams(answer, lastAttempt) };
    return this.writes.run(succeedLabel(id, result), () =>
      this.db.query(`UPDATE generations SET ${SUCCEED_SET}, ${ANSWER_SET} WHERE id = $id AND status = 'running'`).run(params),
    );
  }

  /**
   * Completes a running or queued generation as failed, interrupted or cancelled, with its answer and its last
   * provider call (if any), in one statement: the same facts as fail + addAttempt + setResponse.
   */
  async failWithAnswer(id: string, failure: GenerationFailure, answer: StoredResponse, lastAttempt?: Attempt): Promise<boolean> {
    const params = { id, at: this.now(), ...failureParams(failure), ...answerParams(answer, lastAttempt) };
    return this.writes.run(`fail ${id}`, () =>
      this.db.query(`UPDATE generations SET ${FAIL_SET}, ${ANSWER_SET} WHERE id = $id AND status IN ('queued', 'running')`).run(params),
    );
  }

  /** Deletes one record (the file is the caller's business). */
  async remove(id: string): Promise<boolean> {
    try {
      return this.writes.now(() => this.db.query("DELETE FROM generations WHERE id = $id").run({ id }).changes > 0);
    } catch (error) {
      throw new AppError("storage_error", `The record could not be deleted: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Records a generation's thumbnail (its file name under the thumbnails folder), or why none could be made. */
  async setThumbnail(id: string, made: { name: string } | { error: string }): Promise<boolean> {
    const params = { id, name: "name" in made ? made.name : null, error: "error" in made ? made.error : null };
    return this.writes.run(`thumbnail ${id}`, () => this.db.query("UPDATE generations SET thumbnail = $name, thumbnail_error = $error WHERE id = $id").run(params));
  }

  /** Records the duration read from a saved audio or video file, where the provider reported none. */
  async setDuration(id: string, seconds: number): Promise<boolean> {
    return this.writes.run(`duration ${id}`, () =>
      this.db.query("UPDATE generations SET duration_seconds = $seconds WHERE id = $id AND duration_seconds IS NULL").run({ id, seconds }),
    );
  }

  /** The thumbnail file name of a generation; undefined when it has none (or no such generation). */
  async thumbnail(id: string): Promise<string | undefined> {
    return this.db.query<{ thumbnail: string | null }, { id: string }>("SELECT thumbnail FROM generations WHERE id = $id").get({ id })?.thumbnail ?? undefined;
  }

  /**
   * Succeeded generations saved before thumbnails existed (or while the thumbnailer was down), newest first: pictures
   * without a thumbnail or a recorded failure, and audio or video without a duration, at most `limit`.
   */
  async thumbnailBacklog(limit: number): Promise<SavedFile[]> {
    return this.db
      .query<SavedFile, { limit: number }>(
        `SELECT id, type, output_path AS outputPath, mime_type AS mimeType FROM generations
         WHERE status = 'succeeded' AND output_path IS NOT NULL AND thumbnail IS NULL AND thumbnail_error IS NULL
           AND (type = 'image' OR duration_seconds IS NULL)
         ORDER BY seq DESC LIMIT $limit`,
      )
      .all({ limit });
  }

  /** One generation by id. */
  async get(id: string): Promise<Generation | undefined> {
    const row = this.db.query<Row, { id: string }>("SELECT * FROM generations WHERE id = $id").get({ id });
    return row ? toGeneration(row) : undefined;
  }

  /** A page of generations, newest first, filtered; `next_cursor` continues after the last item. */
  async list(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange = {}): Promise<GenerationPage> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = query.q && [...query.q].length >= TRIGRAM ? this.searchRows(query, range, limit + 1) : this.filterRows(query, range, limit + 1);
    return toPage(rows, limit);
  }

  /**
   * The same page as `list`, for the HTTP API: a search (`q`) walks the ledger in slices of SEARCH_SLICE_SEQS
   * seqs (doubled after a slice that took under SEARCH_YIELD_MS / 8), newest first, and lets other requests
   * (/api/health) run between slices once SEARCH_YIELD_MS have passed, so a rare short `q` that must read every
   * row does not hold the server up.
   */
  async page(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange = {}, sliceSeqs = SEARCH_SLICE_SEQS): Promise<GenerationPage> {
    if (!query.q) return this.list(query, range);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const extent = this.db
      .query<{ low: number | null; high: number | null }, []>("SELECT (SELECT min(seq) FROM generations) AS low, (SELECT max(seq) FROM generations) AS high")
      .get()!;
    const bounds = this.seqBounds(range);
    const low = Math.max(extent.low ?? 0, bounds?.low ?? 0);
    let high = Math.min((extent.high ?? -1) + 1, (bounds?.high ?? Number.MAX_SAFE_INTEGER) + 1, query.cursor ? Number(query.cursor) : Number.MAX_SAFE_INTEGER);
    const rows: Row[] = [];
    let size = sliceSeqs;
    let since = performance.now();
    while (high > low && rows.length <= limit) {
      const slice = { low: Math.max(low, high - size), high };
      const want = limit + 1 - rows.length;
      const sliceStarted = performance.now();
      rows.push(...([...query.q].length >= TRIGRAM ? this.searchRows(query, range, want, slice) : this.sliceRows(query, range, want, slice)));
      high = slice.low;
      // A slice the index answered at once (a rare q) may double; the time check below still bounds each wait.
      if (performance.now() - sliceStarted < SEARCH_YIELD_MS / 8) size *= 2;
      if (performance.now() - since < SEARCH_YIELD_MS) continue;
      await Bun.sleep(0);
      since = performance.now();
    }
    return toPage(rows, limit);
  }

  /** Rows of one slice of seqs (`low` inclusive, `high` exclusive) that pass the filters, newest first. */
  private sliceRows(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange, limit: number, slice: SeqSlice): Row[] {
    const { where, params } = listFilters(query, range);
    return this.db
      .query<Row, Record<string, string | number>>(`SELECT * FROM generations WHERE ${["seq >= $low AND seq < $high", ...where].join(" AND ")} ORDER BY seq DESC LIMIT $limit`)
      .all({ ...params, ...slice, limit });
  }

  private filterRows(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange, limit: number): Row[] {
    const { where, params } = listFilters(query, range);
    const rest = where.filter((term) => !term.startsWith("(model"));
    const seqs = (terms: string[], from = "generations") => `SELECT seq FROM ${from} ${terms.length ? `WHERE ${terms.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $limit`;
    // Each index answers its own newest seqs: a time range through the covering created_at index, a model as
    // the union of its model and model_name halves, a status without a type as the union of the (type, status)
    // index's three types (a status no row has would otherwise read the whole table); then only the page's rows are read.
    const run = (sql: string, more: Record<string, string> = {}) => this.db.query<Row, Record<string, string | number>>(sql).all({ ...params, ...more, limit });
    // Refused rows are few (folded and capped): their partial index; a session's or client's rows: theirs.
    if (query.status === "refused") return run(`SELECT * FROM generations INDEXED BY generations_refused WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT $limit`);
    if (query.session || query.client) return run(`SELECT * FROM generations WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT $limit`);
    // A person's or a team's rows: its (owner|team) index walked newest first (seq ends it); over a time range, the
    // seqs of its (owner|team, created_at) one, sorted.
    if (query.owner || query.team) {
      const column = query.owner ? "owner" : "team";
      if (range.fromMs !== undefined || range.toMs !== undefined) {
        return run(`SELECT * FROM generations WHERE seq IN (${seqs(where, `generations INDEXED BY generations_${column}`)}) ORDER BY seq DESC`);
      }
      return run(`SELECT * FROM generations INDEXED BY generations_${column}_seq WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT $limit`);
    }
    if (range.fromMs !== undefined || range.toMs !== undefined) {
      return run(`SELECT * FROM generations WHERE seq IN (${seqs(where, "generations INDEXED BY generations_spend")}) ORDER BY seq DESC`);
    }
    if (query.model) {
      return run(`SELECT * FROM generations WHERE seq IN (SELECT seq FROM (${seqs(["model = $model", ...rest])}) UNION SELECT seq FROM (${seqs(["model_name = $model", ...rest])})) ORDER BY seq DESC LIMIT $limit`);
    }
    if (query.status && !query.type) {
      const types = Object.fromEntries(MEDIA_TYPES.map((type) => [`type_${type}`, type]));
      return run(`SELECT * FROM generations WHERE seq IN (${MEDIA_TYPES.map((type) => `SELECT seq FROM (${seqs([`type = $type_${type}`, ...where])})`).join(" UNION ")}) ORDER BY seq DESC LIMIT $limit`, types);
    }
    return run(`SELECT * FROM generations ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $limit`);
  }

  /**
   * A list with a `q` of 3 characters or more: the trigram index yields candidate rows newest first (it folds
   * case beyond ASCII, so it finds a superset), and the same instr(lower()) test as without it keeps the exact ones.
   */
  private searchRows(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange, limit: number, slice?: SeqSlice): Row[] {
    const { where, params } = listFilters(query, range, "g.");
    const terms = ["generations_fts MATCH $match", ...where];
    if (query.cursor) terms.push("generations_fts.rowid < $cursor");
    const bounds = slice ?? this.seqBounds(range);
    if (bounds) terms.push(slice ? "generations_fts.rowid >= $low AND generations_fts.rowid < $high" : "generations_fts.rowid BETWEEN $low AND $high");
    return this.db
      .query<Row, Record<string, string | number>>(
        `SELECT g.* FROM generations_fts CROSS JOIN generations AS g ON g.seq = generations_fts.rowid
         WHERE ${terms.join(" AND ")} ORDER BY generations_fts.rowid DESC LIMIT $limit`,
      )
      .all({ ...params, ...bounds, match: `"${query.q!.replaceAll('"', '""')}"`, limit });
  }

  /**
   * The lowest and highest seq of the rows in a time range that holds at most SEARCH_RANGE_ROWS rows (counted
   * in the hourly rollup), so that a search walks only that stretch of the prompt index; undefined otherwise.
   */
  private seqBounds(range: TimeRange): { low: number; high: number } | undefined {
    if (range.fromMs === undefined && range.toMs === undefined) return undefined;
    const from = range.fromMs ?? Number.MIN_SAFE_INTEGER;
    const to = range.toMs ?? Number.MAX_SAFE_INTEGER;
    const count = this.db
      .query<{ n: number }, { from: number; to: number }>("SELECT coalesce(sum(rows), 0) AS n FROM ledger_hours WHERE hour >= $from AND hour < $to")
      .get({ from: Math.floor(from / HOUR_MS) * HOUR_MS, to })!.n;
    if (count > SEARCH_RANGE_ROWS) return undefined;
    const row = this.db
      .query<{ low: number | null; high: number | null }, { from: number; to: number }>(
        "SELECT min(seq) AS low, max(seq) AS high FROM generations INDEXED BY generations_spend WHERE created_at >= $from AND created_at < $to",
      )
      .get({ from, to })!;
    return { low: row.low ?? 0, high: row.high ?? -1 };
  }

  /**
   * Spend between two instants (ms, `to` exclusive) grouped by day (local date, as SQLite's 'localtime' sees it),
   * model, type or provider; all types unless `type` is given. Whole hours (day) or whole UTC days (model, type,
   * provider) come from the rollups kept by triggers, the partial ones at both ends from the rows themselves.
   */
  async costGroups(fromMs: number, toMs: number, groupBy: RollupGroupBy, type?: MediaType): Promise<RollupGroup[]> {
    const unit = groupBy === "day" ? HOUR_MS : DAY_MS;
    let start = Math.ceil(fromMs / unit) * unit;
    let end = Math.floor(toMs / unit) * unit;
    if (start >= end) start = end = toMs;
    const typed = type ? " AND type = $type" : "";
    const included = "(status = 'succeeded' OR cost_usd IS NOT NULL OR cost_note IS NOT NULL)";
    const counts = "status = 'succeeded' AS n_succeeded, coalesce(cost_usd, 0) AS sum_cost, cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL) AS n_unknown";
    const edge = (from: string, to: string) =>
      `SELECT ${GROUP_KEY[groupBy]} AS key, 1 AS n_included, ${counts}
       FROM generations INDEXED BY generations_spend WHERE created_at >= ${from} AND created_at < ${to} AND ${included}${typed}`;
    const sums = "sum(included) AS n_included, sum(succeeded) AS n_succeeded, sum(cost_usd) AS sum_cost, sum(unknown_cost) AS n_unknown";
    const whole =
      groupBy === "day"
        ? this.localDays(start, end, typed, included, counts, sums)
        : `SELECT ${groupBy} AS key, ${sums} FROM ledger_days WHERE day >= $start AND day < $end${typed} GROUP BY ${groupBy}`;
    const params = { from: fromMs, to: toMs, start, end, ...(type ? { type } : {}), ...(groupBy === "day" ? { offsets: JSON.stringify(this.offsets(start, end)) } : {}) };
    return this.db
      .query<RollupGroup, Record<string, string | number>>(
        `WITH parts AS (${[whole, edge("$from", "$start"), edge("$end", "$to")].join("\n UNION ALL ")})
         SELECT key, sum(n_succeeded) AS count, sum(sum_cost) AS cost_usd, sum(n_unknown) AS unknown_cost_count
         FROM parts GROUP BY key HAVING sum(n_included) > 0 ORDER BY key`,
      )
      .all(params);
  }

  /**
   * The whole hours between $start and $end grouped by local date. Where the UTC offset is known to be constant
   * ($offsets), an hour's date is arithmetic (one date() per day, not a localtime conversion per hour); around a
   * change of offset SQLite's localtime gives it. An hour cut by a local midnight (a zone at +5:30, or a change
   * of offset) is read row by row from the covering index, split at that midnight.
   */
  private localDays(start: number, end: number, typed: string, included: string, counts: string, sums: string): string {
    const hours = `SELECT hour, ${sums} FROM ledger_hours WHERE hour >= $start AND hour < $end${typed} GROUP BY hour`;
    const keyed = `SELECT h.*, o.offset, (h.hour / 1000 + o.offset) / 86400 AS first_day, (h.hour / 1000 + 3599 + o.offset) / 86400 AS last_day
       FROM (${hours}) AS h LEFT JOIN stretches AS o ON h.hour >= o.start AND h.hour + 3600000 <= o.end`;
    const first = LOCAL_DAY("k.hour / 1000");
    const last = LOCAL_DAY("k.hour / 1000 + 3599");
    const cut = `SELECT k.hour, k.first_day, k.last_day, created_at >= (k.last_day * 86400 - k.offset) * 1000 AS after, count(*) AS n_included,
                        sum(status = 'succeeded') AS n_succeeded, sum(coalesce(cost_usd, 0)) AS sum_cost,
                        sum(cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)) AS n_unknown
       FROM keyed AS k JOIN generations INDEXED BY generations_spend ON created_at >= k.hour AND created_at < k.hour + 3600000
       WHERE k.offset IS NOT NULL AND k.first_day <> k.last_day AND ${included}${typed} GROUP BY k.hour, after`;
    const unknownOffset = `SELECT ${GROUP_KEY.day} AS key, 1 AS n_included, ${counts}
       FROM keyed AS k JOIN generations INDEXED BY generations_spend ON created_at >= k.hour AND created_at < k.hour + 3600000
       WHERE k.offset IS NULL AND ${first} <> ${last} AND ${included}${typed}`;
    return `WITH stretches AS MATERIALIZED (SELECT value ->> 0 AS start, value ->> 1 AS end, value ->> 2 AS offset FROM json_each($offsets)),
      keyed AS MATERIALIZED (${keyed})
      SELECT date(first_day * 86400, 'unixepoch') AS key, sum(n_included) AS n_included, sum(n_succeeded) AS n_succeeded, sum(sum_cost) AS sum_cost, sum(n_unknown) AS n_unknown
        FROM keyed WHERE offset IS NOT NULL AND first_day = last_day GROUP BY first_day
      UNION ALL SELECT date((CASE WHEN after THEN last_day ELSE first_day END) * 86400, 'unixepoch'), n_included, n_succeeded, sum_cost, n_unknown FROM (${cut})
      UNION ALL SELECT ${first}, n_included, n_succeeded, sum_cost, n_unknown FROM keyed AS k WHERE offset IS NULL AND ${first} = ${last}
      UNION ALL ${unknownOffset}`;
  }

  /**
   * Stretches [from ms, to ms, offset s] over which local time is UTC plus a constant offset, as SQLite's localtime
   * reports it sampled once a day (a day whose two ends differ holds a change and is left out). Assumes an offset
   * never changes and changes back within a day, which no time zone does. Not before 1970-01-02, so that the
   * integer division by 86400 stays on positive numbers.
   */
  private offsets(fromMs: number, toMs: number): [number, number, number][] {
    const samples = this.db
      .query<{ at: number; offset: number }, { from: number; to: number }>(
        `WITH RECURSIVE at(s) AS (SELECT $from UNION ALL SELECT s + 86400 FROM at WHERE s < $to)
         SELECT s AS at, unixepoch(s, 'unixepoch', 'localtime') - s AS offset FROM at`,
      )
      .all({ from: Math.max(86_400, Math.floor(fromMs / 1000) - 86_400), to: Math.ceil(toMs / 1000) + 86_400 });
    const stretches: [number, number, number][] = [];
    for (let i = 0; i + 1 < samples.length; i++) {
      const [here, next] = [samples[i]!, samples[i + 1]!];
      if (here.offset !== next.offset) continue;
      const last = stretches.at(-1);
      if (last && last[1] === here.at * 1000 && last[2] === here.offset) last[1] = next.at * 1000;
      else stretches.push([here.at * 1000, next.at * 1000, here.offset]);
    }
    return stretches;
  }
}

/** SET of a success (SQL shared by both backends; $at is the finish time). */
export const SUCCEED_SET = `status = 'succeeded', output_path = $outputPath, mime_type = $mimeType, bytes = $bytes,
  width = $width, height = $height, duration_seconds = $durationSeconds, usage = $usage,
  cost_usd = $costUsd, cost_source = $costSource, cost_unit = $costUnit, cost_quantity = $costQuantity,
  cost_unit_price = $costUnitPrice, cost_breakdown = $costBreakdown, cost_note = $costNote, params = coalesce($params, params),
  finished_at = $at, latency_ms = $at - started_at`;

/** SET of a failure (SQL shared by both backends). */
export const FAIL_SET = `status = $status, error = $error, error_type = $errorType, upstream_status = $upstreamStatus,
  cost_usd = $costUsd, cost_source = $costSource, cost_unit = $costUnit, cost_quantity = $costQuantity,
  cost_unit_price = $costUnitPrice, cost_breakdown = $costBreakdown, cost_note = $costNote, finished_at = $at, latency_ms = $at - started_at`;

/** The stored answer and, when given, one more attempt appended (what setResponse and addAttempt write). */
const ANSWER_SET = `response = $response, response_status = $responseStatus,
  attempts = CASE WHEN $attempt IS NULL THEN attempts ELSE json_insert(attempts, '$[#]', json($attempt)) END`;

/** The label of a success write in the deferred queue and in the shutdown report: where the file is and its cost. */
export const succeedLabel = (id: string, result: GenerationSuccess) =>
  `succeed ${id}: ${result.outputPath}, cost ${result.cost.costUsd === null ? "unknown" : `$${result.cost.costUsd}`}`;

/** The parameters of SUCCEED_SET. */
export function successParams(result: GenerationSuccess) {
  return {
    outputPath: result.outputPath,
    mimeType: result.mimeType,
    bytes: result.bytes,
    width: result.width ?? null,
    height: result.height ?? null,
    durationSeconds: result.durationSeconds ?? null,
    usage: result.usage ? JSON.stringify(result.usage) : null,
    params: result.params ? JSON.stringify(result.params) : null,
    ...costColumns(result.cost),
  };
}

/** The parameters of FAIL_SET. */
export function failureParams(failure: GenerationFailure) {
  return {
    status: failure.status,
    error: failure.error,
    errorType: failure.errorType,
    upstreamStatus: failure.upstreamStatus ?? null,
    ...costColumns(failure.cost ?? { costUsd: null, source: "unknown" }),
  };
}

function answerParams(answer: StoredResponse, lastAttempt: Attempt | undefined) {
  return { response: JSON.stringify(answer.body), responseStatus: answer.status, attempt: lastAttempt ? JSON.stringify(lastAttempt) : null };
}

/** The WHERE terms and parameters of a list query, only for the filters given (so SQLite can use an index). */
function listFilters(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange, table = ""): { where: string[]; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (query.cursor) {
    where.push(`${table}seq < $cursor`);
    params.cursor = Number(query.cursor);
  }
  if (query.type) {
    where.push(`${table}type = $type`);
    params.type = query.type;
  }
  if (query.status === "refused") where.push(`${table}refusal_count IS NOT NULL`);
  else if (query.status) {
    where.push(`${table}status = $status`);
    params.status = query.status;
    if (query.status === "failed") where.push(`${table}refusal_count IS NULL`);
  }
  if (query.model) {
    where.push(`(${table}model = $model OR ${table}model_name = $model)`);
    params.model = query.model;
  }
  if (query.door) {
    where.push(`${table}door = $door`);
    params.door = query.door;
  }
  if (query.client) {
    where.push(`${table}client = $client`);
    params.client = query.client;
  }
  if (query.session) {
    where.push(`${table}session_id = $session`);
    params.session = query.session;
  }
  if (query.owner) {
    where.push(`${table}owner = $owner`);
    params.owner = query.owner;
  }
  if (query.team) {
    where.push(`${table}team = $team`);
    params.team = query.team;
  }
  if (query.q) {
    where.push(`instr(lower(${table}prompt), lower($q)) > 0`);
    params.q = query.q;
  }
  if (range.fromMs !== undefined) {
    where.push(`${table}created_at >= $from`);
    params.from = range.fromMs;
  }
  if (range.toMs !== undefined) {
    where.push(`${table}created_at < $to`);
    params.to = range.toMs;
  }
  return { where, params };
}
