// Typed queries over the generations ledger. All SQL is parameterised.
import type { Database } from "bun:sqlite";
import type { MediaType } from "../config/schema.ts";
import { ASSUMED_COST_USD, DEFAULT_PAGE_SIZE } from "../defaults.ts";
import { AppError } from "../errors.ts";
import { DeferredWrites, type StorageStatus } from "./deferred-writes.ts";
import { costColumns, GROUP_KEY, toGeneration, type GenerationFailure, type GenerationSuccess, type NewGeneration, type Row, type StoredResponse, type TimeRange } from "./records.ts";
import type { Attempt, CostGroup, CostGroupBy, Generation, GenerationPage, GenerationQuery, GenerationStatus } from "./schema.ts";

export type { CostFigure, GenerationFailure, GenerationSuccess, NewGeneration, SavedOutput, StoredResponse, TimeRange } from "./records.ts";

/** The generations ledger: one row per generation that reached a provider. */
export class Ledger {
  private readonly writes: DeferredWrites;

  /** `onStorageProblem` hears when writes start failing (disk full, read-only, deleted database) and when they recover. */
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
    onStorageProblem?: (message: string, recovered: boolean) => void,
  ) {
    this.writes = new DeferredWrites(db.filename, onStorageProblem);
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
  close(): string[] {
    this.writes.flush();
    const left = this.writes.waiting();
    this.writes.close();
    return left;
  }

  /** Records a generation as `running` before its provider is called; returns its id. */
  start(input: NewGeneration): string {
    return this.insert(input, "running");
  }

  /** Records a job waiting for a free slot; returns its id. */
  enqueue(input: NewGeneration): string {
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
        `INSERT INTO generations (id, type, status, model, model_name, provider, prompt, params, created_at, started_at, session_id, client,
           estimated_cost_usd, idempotency_key, request_hash)
         VALUES ($id, $type, $status, $model, $modelName, $provider, $prompt, $params, $at, $startedAt, $sessionId, $client,
           $estimate, $idempotencyKey, $requestHash)`,
      )
      .run({
        id,
        type: input.type,
        status,
        model: input.model,
        modelName: input.modelName ?? null,
        provider: input.provider,
        prompt: input.prompt,
        params: JSON.stringify(input.params),
        at,
        startedAt: status === "running" ? at : null,
        sessionId: input.sessionId ?? null,
        client: input.client ?? null,
        estimate: input.estimatedCostUsd ?? null,
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: input.requestHash ?? null,
      });
  }

  /** Moves a queued job to running. */
  markRunning(id: string): boolean {
    const at = this.now();
    return this.writes.run(`start ${id}`, () => this.db.query("UPDATE generations SET status = 'running', started_at = $at WHERE id = $id AND status = 'queued'").run({ id, at }));
  }

  /** Keeps the provider-side id of a long-running operation (for resuming after a restart). */
  setOperation(id: string, operationId: string): boolean {
    return this.writes.run(`operation ${id}`, () => this.db.query("UPDATE generations SET operation_id = $operationId WHERE id = $id").run({ id, operationId }));
  }

  /** Records the progress (0-100) a provider reported. */
  setProgress(id: string, progress: number): boolean {
    return this.writes.run(`progress ${id}`, () => this.db.query("UPDATE generations SET progress = $progress WHERE id = $id").run({ id, progress }));
  }

  /** Appends one provider call to the job's attempts. */
  addAttempt(id: string, attempt: Attempt): boolean {
    const json = JSON.stringify(attempt);
    return this.writes.run(`attempt ${id}`, () =>
      this.db.query("UPDATE generations SET attempts = json_insert(attempts, '$[#]', json($attempt)) WHERE id = $id").run({ id, attempt: json }),
    );
  }

  /** Keeps a finished job's answer for replays. */
  setResponse(id: string, response: StoredResponse): boolean {
    const body = JSON.stringify(response.body);
    return this.writes.run(`response ${id}`, () =>
      this.db.query("UPDATE generations SET response = $body, response_status = $status WHERE id = $id").run({ id, body, status: response.status }),
    );
  }

  /** A finished job's stored answer. */
  response(id: string): StoredResponse | undefined {
    const row = this.db.query<{ response: string | null; response_status: number | null }, { id: string }>("SELECT response, response_status FROM generations WHERE id = $id").get({ id });
    if (!row?.response || row.response_status === null) return undefined;
    return { status: row.response_status, body: JSON.parse(row.response) as Record<string, unknown> };
  }

  /** The newest job created since `sinceMs` with this Idempotency-Key, and the hash of its request. */
  findIdempotent(key: string, sinceMs: number): { id: string; requestHash: string | null; status: GenerationStatus } | undefined {
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
  spendSince(fromMs: number, type?: MediaType): number {
    const row = this.db
      .query<{ spend: number }, { from: number; type?: string; image: number; video: number; audio: number }>(
        `SELECT coalesce(sum(CASE WHEN status IN ('queued', 'running') THEN coalesce(estimated_cost_usd, 0)
                                WHEN cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)
                                THEN coalesce(estimated_cost_usd, CASE type WHEN 'image' THEN $image WHEN 'video' THEN $video ELSE $audio END)
                                ELSE coalesce(cost_usd, 0) END), 0) AS spend
         FROM generations INDEXED BY generations_spend WHERE created_at >= $from${type ? " AND type = $type" : ""}`,
      )
      .get(type ? { from: fromMs, type, ...ASSUMED_COST_USD } : { from: fromMs, ...ASSUMED_COST_USD });
    return row?.spend ?? 0;
  }

  /** The average cost of the last `count` succeeded jobs of this model id, provider and type that have a cost. */
  recentCostAverage(model: string, provider: string, type: MediaType, count = 20): number | undefined {
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

  /** Jobs left queued or running (by a crash, for recovery at start). */
  unfinished(): Generation[] {
    return this.db.query<Row, []>("SELECT * FROM generations WHERE status IN ('queued', 'running') ORDER BY seq").all().map(toGeneration);
  }

  /** Completes a running generation as succeeded. */
  succeed(id: string, result: GenerationSuccess): boolean {
    const params = { id, at: this.now(), ...successParams(result) };
    return this.writes.run(succeedLabel(id, result), () => this.db.query(`UPDATE generations SET ${SUCCEED_SET} WHERE id = $id AND status = 'running'`).run(params));
  }

  /** Completes a running or queued generation as failed, interrupted or cancelled. */
  fail(id: string, failure: GenerationFailure): boolean {
    const params = { id, at: this.now(), ...failureParams(failure) };
    return this.writes.run(`fail ${id}`, () => this.db.query(`UPDATE generations SET ${FAIL_SET} WHERE id = $id AND status IN ('queued', 'running')`).run(params));
  }

  /**
   * Completes a running generation as succeeded, with its answer for replays and its last provider call, in one
   * statement: the same facts as succeed + addAttempt + setResponse. Deferred as one write when the disk fails.
   */
  succeedWithAnswer(id: string, result: GenerationSuccess, answer: StoredResponse, lastAttempt?: Attempt): boolean {
    const params = { id, at: this.now(), ...successParams(result), ...answerParams(answer, lastAttempt) };
    return this.writes.run(succeedLabel(id, result), () =>
      this.db.query(`UPDATE generations SET ${SUCCEED_SET}, ${ANSWER_SET} WHERE id = $id AND status = 'running'`).run(params),
    );
  }

  /**
   * Completes a running or queued generation as failed, interrupted or cancelled, with its answer and its last
   * provider call (if any), in one statement: the same facts as fail + addAttempt + setResponse.
   */
  failWithAnswer(id: string, failure: GenerationFailure, answer: StoredResponse, lastAttempt?: Attempt): boolean {
    const params = { id, at: this.now(), ...failureParams(failure), ...answerParams(answer, lastAttempt) };
    return this.writes.run(`fail ${id}`, () =>
      this.db.query(`UPDATE generations SET ${FAIL_SET}, ${ANSWER_SET} WHERE id = $id AND status IN ('queued', 'running')`).run(params),
    );
  }

  /** Deletes one record (the file is the caller's business). */
  remove(id: string): boolean {
    try {
      return this.writes.now(() => this.db.query("DELETE FROM generations WHERE id = $id").run({ id }).changes > 0);
    } catch (error) {
      throw new AppError("storage_error", `The record could not be deleted: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** One generation by id. */
  get(id: string): Generation | undefined {
    const row = this.db.query<Row, { id: string }>("SELECT * FROM generations WHERE id = $id").get({ id });
    return row ? toGeneration(row) : undefined;
  }

  /** A page of generations, newest first, filtered; `next_cursor` continues after the last item. */
  list(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange = {}): GenerationPage {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const { where, params } = listFilters(query, range);
    const rest = where.filter((term) => !term.startsWith("(model"));
    const seqs = (terms: string[], from = "generations") => `SELECT seq FROM ${from} ${terms.length ? `WHERE ${terms.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $limit`;
    // Each index answers its own newest seqs: a time range through the covering created_at index, a model as
    // the union of its model and model_name halves; then only the page's rows are read.
    const sql = range.fromMs !== undefined || range.toMs !== undefined
      ? `SELECT * FROM generations WHERE seq IN (${seqs(where, "generations INDEXED BY generations_spend")}) ORDER BY seq DESC`
      : query.model
        ? `SELECT * FROM generations WHERE seq IN (SELECT seq FROM (${seqs(["model = $model", ...rest])}) UNION SELECT seq FROM (${seqs(["model_name = $model", ...rest])})) ORDER BY seq DESC LIMIT $limit`
        : `SELECT * FROM generations ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $limit`;
    const rows = this.db.query<Row, Record<string, string | number>>(sql).all({ ...params, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map(toGeneration), next_cursor: rows.length > limit && last ? String(last.seq) : null };
  }

  /** Spend between two instants (ms, `to` exclusive) grouped by day, model, type or provider; all types unless `type` is given. */
  costGroups(fromMs: number, toMs: number, groupBy: CostGroupBy, type?: MediaType): CostGroup[] {
    return this.db
      .query<CostGroup, { from: number; to: number; type: string | null }>(
        `SELECT ${GROUP_KEY[groupBy]} AS key,
                count(*) FILTER (WHERE status = 'succeeded') AS count,
                coalesce(sum(cost_usd), 0) AS cost_usd,
                count(*) FILTER (WHERE cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)) AS unknown_cost_count
         FROM generations
         WHERE created_at >= $from AND created_at < $to AND (status = 'succeeded' OR cost_usd IS NOT NULL OR cost_note IS NOT NULL)
           AND ($type IS NULL OR type = $type)
         GROUP BY key ORDER BY key`,
      )
      .all({ from: fromMs, to: toMs, type: type ?? null });
  }
}

const SUCCEED_SET = `status = 'succeeded', output_path = $outputPath, mime_type = $mimeType, bytes = $bytes,
  width = $width, height = $height, duration_seconds = $durationSeconds, usage = $usage,
  cost_usd = $costUsd, cost_source = $costSource, cost_unit = $costUnit, cost_quantity = $costQuantity,
  cost_unit_price = $costUnitPrice, cost_breakdown = $costBreakdown, cost_note = $costNote, params = coalesce($params, params),
  finished_at = $at, latency_ms = $at - started_at`;

const FAIL_SET = `status = $status, error = $error, error_type = $errorType, upstream_status = $upstreamStatus,
  cost_usd = $costUsd, cost_source = $costSource, cost_unit = $costUnit, cost_quantity = $costQuantity,
  cost_unit_price = $costUnitPrice, cost_breakdown = $costBreakdown, cost_note = $costNote, finished_at = $at, latency_ms = $at - started_at`;

/** The stored answer and, when given, one more attempt appended (what setResponse and addAttempt write). */
const ANSWER_SET = `response = $response, response_status = $responseStatus,
  attempts = CASE WHEN $attempt IS NULL THEN attempts ELSE json_insert(attempts, '$[#]', json($attempt)) END`;

/** The label of a success write in the deferred queue and in the shutdown report: where the file is and its cost. */
const succeedLabel = (id: string, result: GenerationSuccess) =>
  `succeed ${id}: ${result.outputPath}, cost ${result.cost.costUsd === null ? "unknown" : `$${result.cost.costUsd}`}`;

function successParams(result: GenerationSuccess) {
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

function failureParams(failure: GenerationFailure) {
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
function listFilters(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange): { where: string[]; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (query.cursor) {
    where.push("seq < $cursor");
    params.cursor = Number(query.cursor);
  }
  if (query.type) {
    where.push("type = $type");
    params.type = query.type;
  }
  if (query.status) {
    where.push("status = $status");
    params.status = query.status;
  }
  if (query.model) {
    where.push("(model = $model OR model_name = $model)");
    params.model = query.model;
  }
  if (query.q) {
    where.push("instr(lower(prompt), lower($q)) > 0");
    params.q = query.q;
  }
  if (range.fromMs !== undefined) {
    where.push("created_at >= $from");
    params.from = range.fromMs;
  }
  if (range.toMs !== undefined) {
    where.push("created_at < $to");
    params.to = range.toMs;
  }
  return { where, params };
}
