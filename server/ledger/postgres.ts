// The ledger on PostgreSQL (Bun's built-in SQL client): the same semantics as SqliteLedger, for a team's shared
// database. Summaries add whole hours or days from rollups kept by a trigger (postgres-schema.ts) to the rows at the
// edges of the window; budget sums read covering indexes; prompt search
// is a LIKE on mediagen_fold(prompt) (ASCII-only lower(), as SQLite's) answered by a pg_trgm GIN index. Writes go
// through one ordered queue: a write that fails because the server is unreachable is kept and retried, as
// SqliteLedger does for a broken disk.
import type { SQL } from "bun";
import type { MediaType } from "../config/schema.ts";
import { ASSUMED_COST_USD, DEFAULT_PAGE_SIZE, LEASE_SECONDS } from "../defaults.ts";
import { AppError } from "../errors.ts";
import { BILLED_FAILURE } from "./database.ts";
import { NOW_MS, PostgresLeases } from "./postgres-leases.ts";
import { PG_ROLLUPS, type PgRollup } from "./postgres-schema.ts";
import { FAIL_SET, failureParams, SUCCEED_SET, succeedLabel, successParams } from "./ledger.ts";
import { RefusalFolder, REFUSAL_COLUMNS, refusalValues, type Refusal } from "./refusals.ts";
import { insertParams, toGeneration, type GenerationFailure, type GenerationSuccess, type NewGeneration, type Row, type StoredResponse, type TimeRange } from "./records.ts";
import type { SpendQuery } from "./spend-groups.ts";
import type { IdempotentJob, JobLeases, Ledger, RollupGroup, RollupGroupBy, SavedFile } from "./store.ts";
import type { Attempt, CostGroup, CostGroupBy, Generation, GenerationPage, GenerationQuery, StorageStatus } from "./schema.ts";

/** Delay between retries of writes the server did not take, in ms. */
const RETRY_MS = 2000;
/** How long before its file was saved a generation is looked for by findByOutput, in ms. */
const OUTPUT_LOOKBACK_MS = 2 * 3_600_000;

/** Columns PostgreSQL returns as bigint (Bun gives them as strings): turned into numbers. */
const BIGINT_COLUMNS = ["seq", "bytes", "created_at", "started_at", "finished_at", "latency_ms", "lease_until"] as const;

/** A generations row as Bun returns it, with bigint columns as numbers. */
function toRow(raw: Record<string, unknown>): Row {
  const row = { ...raw } as Record<string, unknown>;
  for (const column of BIGINT_COLUMNS) if (row[column] !== null && row[column] !== undefined) row[column] = Number(row[column]);
  return row as Row;
}

type Params = Record<string, string | number | null>;

/** A value as sent to PostgreSQL: whole numbers as bigint (Bun sends other numbers as double precision, which a bigint index cannot use). */
const bind = (value: string | number | null) => (typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value);

/** `$name` parameters (as in the SQLite statements) turned into PostgreSQL's `$1`, `$2`, with their values in order. */
export function positional(text: string, params: Params): { text: string; values: (string | number | bigint | null)[] } {
  const order: string[] = [];
  const out = text.replace(/\$([A-Za-z_]\w*)/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`no value for $${name}`);
    let index = order.indexOf(name);
    if (index < 0) index = order.push(name) - 1;
    return `$${index + 1}`;
  });
  return { text: out, values: order.map((name) => bind(params[name]!)) };
}

/** Whether a failure is the server's (unreachable, shutting down, out of disk, read-only): worth retrying. */
export function isServerError(error: unknown): boolean {
  const record = typeof error === "object" && error !== null ? (error as { code?: unknown; errno?: unknown }) : {};
  const code = typeof record.code === "string" ? record.code : "";
  const state = typeof record.errno === "string" ? record.errno : "";
  return /^ERR_POSTGRES_(CONNECTION|IDLE|LIFETIME|CONNECTION_TIMEOUT|SERVER_ERROR)|^E(CONN|PIPE|HOSTUNREACH|TIMEDOUT)/.test(code) || /^(08|53|57P|25006)/.test(state);
}

/** A per-job write applies only while the job is this daemon's (after a takeover, its former daemon writes nothing). */
const OWN = "daemon IS NOT DISTINCT FROM $daemon";

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The SQL of a generations row's local date (YYYY-MM-DD) in the time zone $tz. */
const LOCAL_DAY = "to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE $tz, 'YYYY-MM-DD')";

/** SQL of each cost grouping over a row. */
const KEY: Record<CostGroupBy, string> = {
  day: LOCAL_DAY,
  model: "model",
  type: "type",
  provider: "provider",
  door: "door",
  client: "coalesce(client, '')",
};

const INCLUDED = "(status = 'succeeded' OR cost_usd IS NOT NULL OR cost_note IS NOT NULL)";
const UNKNOWN = "(cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL))";
/** What a row counts against a budget (spendSince): finished cost, estimate while unfinished, an unknown cost at its estimate or ASSUMED_COST_USD. */
const SPEND = `CASE WHEN status IN ('queued', 'running') THEN coalesce(estimated_cost_usd, 0)
  WHEN ${UNKNOWN} THEN coalesce(estimated_cost_usd, CASE type WHEN 'image' THEN $image WHEN 'video' THEN $video ELSE $audio END)
  ELSE coalesce(cost_usd, 0) END`;

/** A write waiting for the server. */
interface Pending {
  label: string;
  write: () => Promise<unknown>;
}

/** The generations ledger in a PostgreSQL database (migrated by migratePostgres). */
export class PostgresLedger implements Ledger {
  readonly backend = "postgres";
  private readonly folder: RefusalFolder;
  private readonly pending: Pending[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private failure?: string;
  private timer?: ReturnType<typeof setInterval>;
  /** The time zone local dates are taken in: the daemon's, as SQLite's localtime. */
  private readonly timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  /** Slots, leases and takeover, when this daemon is named (see JobLeases). */
  readonly leases?: JobLeases;

  /**
   * `onStorageProblem` hears when writes start failing (server unreachable) and when they recover. `daemon` names
   * this daemon the same way across its restarts (host and data folder): the jobs it records carry it, and
   * `unfinished` returns only those (and unnamed ones), so that one daemon's start never closes another's jobs. A named
   * daemon also holds leases of `leaseMs` on its unfinished jobs (see PostgresLeases).
   */
  constructor(
    private readonly sql: SQL,
    private readonly now: () => number = Date.now,
    private readonly onStorageProblem: (message: string, recovered: boolean) => void = () => {},
    private readonly daemon: string | null = null,
    private readonly leaseMs: number = LEASE_SECONDS * 1000,
  ) {
    this.folder = new RefusalFolder(now);
    if (daemon !== null) this.leases = new PostgresLeases(sql, daemon, leaseMs, toRow, now, (id, failure, answer) => this.closeQueued(id, failure, answer));
  }

  /** Takes a queued job from whichever daemon queued it and records its end with its answer, in one statement; false once it is no longer queued. */
  private async closeQueued(id: string, failure: GenerationFailure, answer: StoredResponse): Promise<boolean> {
    const params = { id, at: this.now(), daemon: this.daemon, ...failureParams(failure), ...answerParams(answer, undefined) };
    return (await this.changed(`UPDATE generations SET daemon = $daemon, lease_until = NULL, ${FAIL_SET}, ${answerSet(undefined)} WHERE id = $id AND status = 'queued'`, params)) > 0;
  }

  private async query(text: string, params: Params = {}): Promise<Record<string, unknown>[]> {
    const { text: statement, values } = positional(text, params);
    return (await this.sql.unsafe(statement, values)) as Record<string, unknown>[];
  }

  private async changed(text: string, params: Params): Promise<number> {
    const { text: statement, values } = positional(text, params);
    const result = (await this.sql.unsafe(statement, values)) as unknown as { count: number | null };
    return result.count ?? 0;
  }

  /** Runs `write` after every earlier write; a server failure keeps it for a retry. Resolves true when written now. */
  private write(label: string, write: () => Promise<unknown>): Promise<boolean> {
    const run = this.chain.then(async () => {
      if (this.pending.length > 0) await this.flush();
      if (this.pending.length > 0) {
        this.pending.push({ label, write });
        return false;
      }
      try {
        await write();
        this.recovered();
        return true;
      } catch (error) {
        if (!isServerError(error)) {
          this.onStorageProblem(`ledger write "${label}" failed and was dropped: ${message(error)}`, false);
          return false;
        }
        this.failed(error);
        this.pending.push({ label, write });
        this.schedule();
        return false;
      }
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Replays waiting writes in order until one fails. */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      try {
        await next.write();
      } catch (error) {
        if (isServerError(error)) {
          this.failed(error);
          return;
        }
        this.onStorageProblem(`ledger write "${next.label}" failed and was dropped: ${message(error)}`, false);
      }
      this.pending.shift();
    }
    this.recovered();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private failed(error: unknown): void {
    const text = `ledger database write failed: ${message(error)}`;
    if (this.failure !== text) this.onStorageProblem(text, false);
    this.failure = text;
  }

  private recovered(): void {
    if (this.failure === undefined || this.pending.length > 0) return;
    this.failure = undefined;
    this.onStorageProblem("ledger database writable again; deferred writes recorded", true);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.chain = this.chain.then(() => this.flush()).catch(() => {});
    }, RETRY_MS);
    this.timer.unref?.();
  }

  /** Resolves once every write made so far has been tried (for readers outside the ledger: tests, export). */
  async settled(): Promise<void> {
    await this.chain;
  }

  /** Records a request refused before any provider call (folding floods); resolves to the id of the row counting it. */
  async refuse(refusal: Refusal): Promise<string> {
    const { id, at, fold } = this.folder.plan(refusal);
    void this.write(`refusal ${id}`, async () => {
      const folded = fold
        ? (await this.changed(
            "UPDATE generations SET refusal_count = refusal_count + 1, finished_at = $at, error = $error, error_type = $errorType WHERE id = $id AND refusal_count IS NOT NULL",
            { id, at, error: refusal.error, errorType: refusal.errorType },
          )) > 0
        : false;
      if (folded) return;
      await this.sql.unsafe(`INSERT INTO generations (${REFUSAL_COLUMNS.join(", ")}) VALUES (${REFUSAL_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})`, refusalValues(id, at, refusal).map(bind));
    });
    return id;
  }

  /** The database's health for /api/health: writes waiting for the server are a problem. */
  storage(): StorageStatus {
    if (this.pending.length === 0 && this.failure === undefined) return { ok: true, pending_writes: 0 };
    return {
      ok: false,
      error: `${this.failure ?? "ledger database writes are waiting"}; ${this.pending.length} write(s) are kept in memory and retried every ${RETRY_MS / 1000} s; check that the PostgreSQL server is up and reachable`,
      pending_writes: this.pending.length,
    };
  }

  /** Nothing makes a PostgreSQL ledger unusable for new jobs short of the insert itself failing. */
  assertWritable(): void {}

  /** Writes what is waiting (once more) and stops retrying; resolves to the writes still unwritten. */
  async close(): Promise<string[]> {
    await this.chain;
    await this.flush();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.pending.map((entry) => entry.label);
  }

  /** Records a generation as `running` before its provider is called; resolves to its id. */
  start(input: NewGeneration): Promise<string> {
    return this.insert(input, "running");
  }

  /** Records a job waiting for a free slot; resolves to its id. */
  enqueue(input: NewGeneration): Promise<string> {
    return this.insert(input, "queued");
  }

  private async insert(input: NewGeneration, status: "queued" | "running"): Promise<string> {
    const id = Bun.randomUUIDv7();
    const at = this.now();
    // In the write order, so that this job's later updates follow its insert.
    const inserted = this.chain.then(() =>
      this.query(
        `INSERT INTO generations (id, type, status, model, model_name, provider, prompt, params, created_at, started_at, session_id, client, door,
           estimated_cost_usd, idempotency_key, request_hash, token_id, owner, team, daemon, lease_until)
         VALUES ($id, $type, $status, $model, $modelName, $provider, $prompt, $params, $at, $startedAt, $sessionId, $client, $door,
           $estimate, $idempotencyKey, $requestHash, $tokenId, $owner, $team, $daemon, ${NOW_MS} + $lease)`,
        {
          ...insertParams(id, at, input, status),
          daemon: this.daemon,
          // Unnamed (a single daemon, tests): no lease.
          lease: this.daemon === null ? null : this.leaseMs,
        },
      ),
    );
    this.chain = inserted.catch(() => {});
    try {
      await inserted;
    } catch (error) {
      throw new AppError("storage_error", `Refused before calling the provider: the ledger database cannot be written (${message(error)}); check that the PostgreSQL server is up, then retry`);
    }
    return id;
  }

  /** Moves a queued job to running. */
  markRunning(id: string): Promise<boolean> {
    const at = this.now();
    return this.write(`start ${id}`, () => this.query(`UPDATE generations SET status = 'running', started_at = $at WHERE id = $id AND status = 'queued' AND ${OWN}`, { id, at, daemon: this.daemon }));
  }

  /** Keeps the provider-side id of a long-running operation. */
  setOperation(id: string, operationId: string): Promise<boolean> {
    return this.write(`operation ${id}`, () => this.query(`UPDATE generations SET operation_id = $operationId WHERE id = $id AND ${OWN}`, { id, operationId, daemon: this.daemon }));
  }

  /** Names the model entry now serving a running job (after a fallback). */
  setModel(id: string, served: { model: string; provider: string; modelName?: string }): Promise<boolean> {
    const params = { id, model: served.model, provider: served.provider, modelName: served.modelName ?? null, daemon: this.daemon };
    return this.write(`model ${id}`, () => this.query(`UPDATE generations SET model = $model, provider = $provider, model_name = $modelName WHERE id = $id AND status = 'running' AND ${OWN}`, params));
  }

  /** Records the progress (0-100) a provider reported. */
  setProgress(id: string, progress: number): Promise<boolean> {
    return this.write(`progress ${id}`, () => this.query(`UPDATE generations SET progress = $progress WHERE id = $id AND ${OWN}`, { id, progress, daemon: this.daemon }));
  }

  /** Appends one provider call to the job's attempts (the JSON text kept as written, as SQLite's json_insert does). */
  addAttempt(id: string, attempt: Attempt): Promise<boolean> {
    const json = JSON.stringify(attempt);
    return this.write(`attempt ${id}`, () => this.query(`UPDATE generations SET ${APPEND_ATTEMPT} WHERE id = $id AND ${OWN}`, { id, attempt: json, daemon: this.daemon }));
  }

  /** Keeps a finished job's answer for replays. */
  setResponse(id: string, response: StoredResponse): Promise<boolean> {
    const body = JSON.stringify(response.body);
    return this.write(`response ${id}`, () => this.query(`UPDATE generations SET response = $body, response_status = $status WHERE id = $id AND ${OWN}`, { id, body, status: response.status, daemon: this.daemon }));
  }

  /** A finished job's stored answer. */
  async response(id: string): Promise<StoredResponse | undefined> {
    await this.chain;
    const [row] = await this.query("SELECT response, response_status FROM generations WHERE id = $id", { id });
    if (!row?.response || row.response_status === null) return undefined;
    return { status: Number(row.response_status), body: JSON.parse(String(row.response)) as Record<string, unknown> };
  }

  /** The newest job created since `sinceMs` with this Idempotency-Key, and the hash of its request. */
  async findIdempotent(key: string, sinceMs: number): Promise<IdempotentJob | undefined> {
    await this.chain;
    const [row] = await this.query(
      "SELECT id, request_hash, status FROM generations WHERE idempotency_key = $key AND created_at >= $since ORDER BY seq DESC LIMIT 1",
      { key, since: sinceMs },
    );
    return row ? { id: String(row.id), requestHash: (row.request_hash as string | null) ?? null, status: row.status as IdempotentJob["status"] } : undefined;
  }

  /** Money spent since `fromMs`, counted as SqliteLedger counts it, from the covering created_at index. */
  async spendSince(fromMs: number, type?: MediaType): Promise<number> {
    await this.chain;
    const typed = type ? " AND type = $type" : "";
    const [row] = await this.query(`SELECT coalesce(sum(${SPEND}), 0)::float8 AS spend FROM generations WHERE created_at >= $from${typed}`, {
      from: fromMs,
      ...ASSUMED_COST_USD,
      ...(type ? { type } : {}),
    });
    return Number(row?.spend ?? 0);
  }

  /** Money spent since `fromMs` by one token or one team. */
  async spendSinceBy(fromMs: number, who: { tokenId: string } | { team: string }): Promise<number> {
    await this.chain;
    const [column, value] = "tokenId" in who ? ["token_id", who.tokenId] : ["team", who.team];
    const [row] = await this.query(`SELECT coalesce(sum(${SPEND}), 0)::float8 AS spend FROM generations WHERE ${column} = $who AND created_at >= $from`, {
      from: fromMs,
      who: value,
      ...ASSUMED_COST_USD,
    });
    return Number(row?.spend ?? 0);
  }

  /** The average cost of the last `count` succeeded jobs of this model id, provider and type that have a cost. */
  async recentCostAverage(model: string, provider: string, type: MediaType, count = 20): Promise<number | undefined> {
    const [row] = await this.query(
      `SELECT avg(cost_usd)::float8 AS average FROM (
         SELECT cost_usd FROM generations WHERE model = $model AND provider = $provider AND status = 'succeeded' AND type = $type
         ORDER BY seq DESC LIMIT $count) AS recent`,
      { model, provider, type, count },
    );
    return row?.average === null || row?.average === undefined ? undefined : Number(row.average);
  }

  /** The id of the generation whose output file is `path` (a mediagen file name); undefined for any other name. */
  async findByOutput(path: string): Promise<string | undefined> {
    const match = /(?:^|[\\/])(?:img|vid|tts)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_[0-9a-f]{8}\.\w+$/.exec(path);
    if (!match) return undefined;
    const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
    const savedAt = new Date(y, mo - 1, d, h, mi, s).getTime();
    const [row] = await this.query("SELECT id FROM generations WHERE created_at >= $from AND created_at <= $to AND output_path = $path LIMIT 1", {
      from: savedAt - OUTPUT_LOOKBACK_MS,
      to: savedAt + 2000,
      path,
    });
    return row ? String(row.id) : undefined;
  }

  /** Jobs this daemon (or one that named none) left queued or running, for its recovery at start; never another daemon's. */
  async unfinished(): Promise<Generation[]> {
    await this.chain;
    if (this.daemon !== null) {
      // Claimed with a fresh lease in one statement, so that a daemon taking over expired jobs meanwhile never gets the same ones.
      const claimed = await this.query(
        // A job its previous run took over only to close keeps a negative lease: still no slot, no place in the queue.
        `UPDATE generations SET daemon = $daemon, lease_until = CASE WHEN lease_until < 0 THEN -(${NOW_MS} + $lease) ELSE ${NOW_MS} + $lease END
         WHERE status IN ('queued', 'running') AND (daemon = $daemon OR daemon IS NULL) RETURNING *`,
        { daemon: this.daemon, lease: this.leaseMs },
      );
      return claimed.map(toRow).sort((a, b) => a.seq - b.seq).map(toGeneration);
    }
    const mine = this.daemon === null ? "daemon IS NULL" : "(daemon = $daemon OR daemon IS NULL)";
    const rows = await this.query(`SELECT * FROM generations WHERE status IN ('queued', 'running') AND ${mine} ORDER BY seq`, this.daemon === null ? {} : { daemon: this.daemon });
    return rows.map((row) => toGeneration(toRow(row)));
  }

  /** Completes a running generation as succeeded. */
  succeed(id: string, result: GenerationSuccess): Promise<boolean> {
    const params = { id, at: this.now(), daemon: this.daemon, ...successParams(result) };
    return this.write(succeedLabel(id, result), () => this.query(`UPDATE generations SET ${SUCCEED_SET} WHERE id = $id AND status = 'running' AND ${OWN}`, params));
  }

  /** Completes a running or queued generation as failed, interrupted or cancelled. */
  fail(id: string, failure: GenerationFailure): Promise<boolean> {
    const params = { id, at: this.now(), daemon: this.daemon, ...failureParams(failure) };
    return this.write(`fail ${id}`, () => this.query(`UPDATE generations SET ${FAIL_SET} WHERE id = $id AND status IN ('queued', 'running') AND ${OWN}`, params));
  }

  /** succeed + addAttempt + setResponse in one statement. */
  succeedWithAnswer(id: string, result: GenerationSuccess, answer: StoredResponse, lastAttempt?: Attempt): Promise<boolean> {
    const params = { id, at: this.now(), daemon: this.daemon, ...successParams(result), ...answerParams(answer, lastAttempt) };
    return this.write(succeedLabel(id, result), () =>
      this.query(`UPDATE generations SET ${SUCCEED_SET}, ${answerSet(lastAttempt)} WHERE id = $id AND status = 'running' AND ${OWN}`, params),
    );
  }

  /** fail + addAttempt + setResponse in one statement. */
  failWithAnswer(id: string, failure: GenerationFailure, answer: StoredResponse, lastAttempt?: Attempt): Promise<boolean> {
    const params = { id, at: this.now(), daemon: this.daemon, ...failureParams(failure), ...answerParams(answer, lastAttempt) };
    return this.write(`fail ${id}`, () =>
      this.query(`UPDATE generations SET ${FAIL_SET}, ${answerSet(lastAttempt)} WHERE id = $id AND status IN ('queued', 'running') AND ${OWN}`, params),
    );
  }

  /** Deletes one record; throws storage_error when the server does not take it. */
  async remove(id: string): Promise<boolean> {
    await this.chain;
    try {
      return (await this.changed("DELETE FROM generations WHERE id = $id", { id })) > 0;
    } catch (error) {
      throw new AppError("storage_error", `The record could not be deleted: ${message(error)}`);
    }
  }

  /** Records a generation's thumbnail, or why none could be made. */
  setThumbnail(id: string, made: { name: string } | { error: string }): Promise<boolean> {
    const params = { id, name: "name" in made ? made.name : null, error: "error" in made ? made.error : null };
    return this.write(`thumbnail ${id}`, () => this.query("UPDATE generations SET thumbnail = $name, thumbnail_error = $error WHERE id = $id", params));
  }

  /** Records the duration read from a saved audio or video file, where the provider reported none. */
  setDuration(id: string, seconds: number): Promise<boolean> {
    return this.write(`duration ${id}`, () => this.query("UPDATE generations SET duration_seconds = $seconds WHERE id = $id AND duration_seconds IS NULL", { id, seconds }));
  }

  /** The thumbnail file name of a generation. */
  async thumbnail(id: string): Promise<string | undefined> {
    await this.chain;
    const [row] = await this.query("SELECT thumbnail FROM generations WHERE id = $id", { id });
    return (row?.thumbnail as string | null | undefined) ?? undefined;
  }

  /** Succeeded generations still without a thumbnail (or a duration), newest first: of a named daemon, only its own (their files are on its disk). */
  async thumbnailBacklog(limit: number): Promise<SavedFile[]> {
    await this.chain;
    const mine = this.daemon === null ? "" : "AND (daemon = $daemon OR daemon IS NULL)";
    const rows = await this.query(
      `SELECT id, type, output_path AS "outputPath", mime_type AS "mimeType" FROM generations
       WHERE status = 'succeeded' AND output_path IS NOT NULL AND thumbnail IS NULL AND thumbnail_error IS NULL
         AND (type = 'image' OR duration_seconds IS NULL) ${mine}
       ORDER BY seq DESC LIMIT $limit`,
      this.daemon === null ? { limit } : { limit, daemon: this.daemon },
    );
    return rows as SavedFile[];
  }

  /** One generation by id (after the writes already made). */
  async get(id: string): Promise<Generation | undefined> {
    await this.chain;
    const [row] = await this.query("SELECT * FROM generations WHERE id = $id", { id });
    return row ? toGeneration(toRow(row)) : undefined;
  }

  /** A page of generations, newest first, filtered; `q` is a case-insensitive (ASCII) substring of the prompt. */
  async list(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange = {}): Promise<GenerationPage> {
    await this.chain;
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const { where, params } = listFilters(query, range);
    const rows = (await this.query(`SELECT * FROM generations ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $limit`, { ...params, limit: limit + 1 })).map(toRow);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { items: page.map(toGeneration), next_cursor: rows.length > limit && last ? String(last.seq) : null };
  }

  /** The same page as `list` (the server does the work, so the daemon's thread is never held up). */
  page(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange = {}): Promise<GenerationPage> {
    return this.list(query, range);
  }

  /** Spend in [fromMs, toMs) grouped by local day, model, type or provider; all types unless `type` is given (rollups and edge rows). */
  async costGroups(fromMs: number, toMs: number, groupBy: RollupGroupBy, type?: MediaType): Promise<RollupGroup[]> {
    await this.chain;
    const sums = await spendSums(this.sql, { fromMs, toMs, groupBy, ...(type ? { type } : {}) }, this.timeZone);
    return sums
      .filter((sum) => sum.included > 0)
      .sort(byKeyAndSeries)
      .map(({ key, count, cost_usd, unknown_cost_count }) => ({ key, count, cost_usd, unknown_cost_count }));
  }

  /**
   * The cost summary's groups for any grouping, series and filters, with refusals and billed failures: whole UTC hours
   * (by local day) or days (any other grouping) from the rollups, the partial ones at both ends from the rows; a
   * session's, or a mix no rollup holds (a person's spend by door), from the rows through their own index.
   */
  async spendGroups(query: SpendQuery): Promise<CostGroup[]> {
    await this.chain;
    return (await spendSums(this.sql, query, this.timeZone)).filter((sum) => sum.rows > 0).sort(byKeyAndSeries).map((sum) => toCostGroup(query, sum));
  }
}

/** A group's sums, as the rollups and the rows give them. */
type Sums = { key: string; series: string | null; rows: number; included: number; count: number; cost_usd: number; unknown_cost_count: number; refused_count: number; billed_failure_count: number; billed_failure_usd: number };
const SUM_FIELDS = ["rows", "included", "count", "cost_usd", "unknown_cost_count", "refused_count", "billed_failure_count", "billed_failure_usd"] as const;

/** The sums over rows, as SQL (the rows the cost summary shows: WHERE SHOWN). */
const ROW_SUMS = `count(*) AS rows, count(*) FILTER (WHERE ${INCLUDED}) AS included, count(*) FILTER (WHERE status = 'succeeded') AS count,
  coalesce(sum(cost_usd) FILTER (WHERE ${INCLUDED}), 0)::float8 AS cost_usd, count(*) FILTER (WHERE ${UNKNOWN}) AS unknown_cost_count,
  coalesce(sum(refusal_count), 0) AS refused_count, count(*) FILTER (WHERE ${BILLED_FAILURE}) AS billed_failure_count,
  coalesce(sum(cost_usd) FILTER (WHERE ${BILLED_FAILURE}), 0)::float8 AS billed_failure_usd`;
const SHOWN = `(${INCLUDED} OR refusal_count IS NOT NULL OR ${BILLED_FAILURE})`;
/** The same sums over rollup rows. */
const ROLLUP_SUMS = `sum(rows) AS rows, sum(included) AS included, sum(succeeded) AS count, sum(cost_usd)::float8 AS cost_usd, sum(unknown_cost) AS unknown_cost_count,
  sum(refused) AS refused_count, sum(billed) AS billed_failure_count, sum(billed_usd)::float8 AS billed_failure_usd`;

/** A query's filters as SQL terms over the rows, or over a rollup (where a row without a client has client ''; rollupFor takes no empty owner or team). */
function spendFilters(query: SpendQuery, rollup: boolean): { terms: string[]; params: Params } {
  const terms: string[] = [];
  const params: Params = {};
  for (const [name, column] of [["type", "type"], ["door", "door"], ["session", "session_id"], ["owner", "owner"], ["team", "team"]] as const) {
    const value = query[name];
    if (value === undefined) continue;
    terms.push(`${column} = $${name}`);
    params[name] = value;
  }
  if (query.client !== undefined) {
    if (query.client === "" && !rollup) terms.push("client IS NULL");
    else {
      terms.push("client = $client");
      params.client = query.client;
    }
  }
  return { terms, params };
}

const toSums = (row: Record<string, unknown>, key: string): Sums => ({
  key,
  series: (row.series as string | null) ?? null,
  rows: Number(row.rows),
  included: Number(row.included),
  count: Number(row.count),
  cost_usd: Number(row.cost_usd),
  unknown_cost_count: Number(row.unknown_cost_count),
  refused_count: Number(row.refused_count),
  billed_failure_count: Number(row.billed_failure_count),
  billed_failure_usd: Number(row.billed_failure_usd),
});

/** Sums of the rows in the given [from, to) ranges (none: nothing read), grouped by key and series. */
async function rowSums(sql: SQL, query: SpendQuery, ranges: [number, number][], timeZone: string): Promise<Sums[]> {
  const spans = ranges.filter(([from, to]) => from < to);
  if (spans.length === 0) return [];
  const { terms, params } = spendFilters(query, false);
  spans.forEach(([from, to], i) => Object.assign(params, { [`from${i}`]: from, [`to${i}`]: to }));
  if (query.groupBy === "day") params.tz = timeZone;
  const range = spans.map((_, i) => `created_at >= $from${i} AND created_at < $to${i}`).join(" OR ");
  const { text, values } = positional(
    `SELECT ${KEY[query.groupBy]} AS key, ${query.series ? KEY[query.series] : "NULL"} AS series, ${ROW_SUMS}
     FROM generations WHERE (${range}) AND ${[...terms, SHOWN].join(" AND ")} GROUP BY 1, 2`,
    params,
  );
  const rows = (await sql.unsafe(text, values)) as Record<string, unknown>[];
  return rows.map((row) => toSums(row, String(row.key)));
}

/** The local days (the daemon's zone) that [fromMs, toMs) touches: when each starts (ms, ascending) and its date (YYYY-MM-DD). */
function localDays(fromMs: number, toMs: number): { starts: number[]; dates: string[] } {
  const starts: number[] = [];
  const dates: string[] = [];
  const first = new Date(fromMs);
  for (let day = new Date(first.getFullYear(), first.getMonth(), first.getDate()); day.getTime() < toMs; day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1)) {
    starts.push(day.getTime());
    dates.push(`${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`);
  }
  return { starts, dates };
}

/**
 * The rollup holding every column a query groups, splits or filters by, in hours for local days, else in days;
 * undefined for a session's spend (few rows, its own index) or an empty owner or team (no rollup tells NULL from '').
 */
function rollupFor(query: SpendQuery): PgRollup | undefined {
  if (query.session !== undefined || query.owner === "" || query.team === "") return undefined;
  const needed = [query.groupBy === "day" ? undefined : query.groupBy, query.series, ...(["door", "client", "owner", "team"] as const).map((name) => (query[name] === undefined ? undefined : name))];
  const bucket = query.groupBy === "day" ? "hour" : "day";
  return PG_ROLLUPS.find((rollup) => rollup.bucket === bucket && needed.every((column) => column === undefined || (rollup.keys as readonly string[]).includes(column)));
}

/**
 * The sums of a spend query, every group: from the rollup that holds its columns (rollupFor) for the whole buckets
 * (by local day: each whole hour dated by the local midnights, an hour cut by one read from its rows), from the rows for
 * the partial buckets at both ends, and from the rows alone where no rollup fits.
 */
export async function spendSums(sql: SQL, query: SpendQuery, timeZone: string): Promise<Sums[]> {
  const rollup = rollupFor(query);
  if (!rollup) return rowSums(sql, query, [[query.fromMs, query.toMs]], timeZone);
  const start = Math.ceil(query.fromMs / rollup.unit) * rollup.unit;
  const end = Math.floor(query.toMs / rollup.unit) * rollup.unit;
  if (start >= end) return rowSums(sql, query, [[query.fromMs, query.toMs]], timeZone);
  const { terms, params } = spendFilters(query, true);
  const where = [`${rollup.bucket} >= $start`, `${rollup.bucket} < $end`, ...terms].join(" AND ");
  const series = query.series ?? "NULL";
  const parts: Sums[] = [];
  const cut: number[] = [];
  if (query.groupBy !== "day") {
    const { text, values } = positional(`SELECT ${query.groupBy} AS key, ${series} AS series, ${ROLLUP_SUMS} FROM ${rollup.table} WHERE ${where} GROUP BY 1, 2`, { ...params, start, end });
    for (const row of (await sql.unsafe(text, values)) as Record<string, unknown>[]) parts.push(toSums(row, String(row.key)));
  } else {
    // Whole hours go to their local date by a binary search among the local midnights (width_bucket); an hour cut by
    // a local midnight (zones with :30 and :45 offsets) is read from its rows instead.
    const days = localDays(start, end);
    const day = (at: string) => `width_bucket(${at}, $days::bigint[])`;
    const { text, values } = positional(
      `SELECT ${day(rollup.bucket)} AS key, CASE WHEN ${day(rollup.bucket)} <> ${day(`${rollup.bucket} + ${rollup.unit - 1}`)} THEN ${rollup.bucket} END AS cut,
         ${series} AS series, ${ROLLUP_SUMS}
       FROM ${rollup.table} WHERE ${where} GROUP BY 1, 2, 3`,
      { ...params, start, end, days: `{${days.starts.join(",")}}` },
    );
    for (const row of (await sql.unsafe(text, values)) as Record<string, unknown>[]) {
      if (row.cut === null) parts.push(toSums(row, days.dates[Number(row.key) - 1]!));
      else if (!cut.includes(Number(row.cut))) cut.push(Number(row.cut));
    }
  }
  const edges: [number, number][] = [[query.fromMs, start], [end, query.toMs], ...cut.map((hour): [number, number] => [hour, hour + rollup.unit])];
  parts.push(...(await rowSums(sql, query, edges, timeZone)));
  const merged = new Map<string, Sums>();
  for (const part of parts) {
    const id = `${part.key}\u0000${part.series ?? ""}`;
    const sum = merged.get(id);
    if (!sum) merged.set(id, { ...part });
    else for (const field of SUM_FIELDS) sum[field] += part[field];
  }
  return [...merged.values()];
}

/** Orders groups by key, then series. */
const byKeyAndSeries = (a: Sums, b: Sums) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.series ?? "").localeCompare(b.series ?? ""));

/** A group of sums as the cost summary shows it. */
function toCostGroup(query: SpendQuery, sum: Sums): CostGroup {
  return {
    key: sum.key,
    ...(query.series ? { series: sum.series ?? "" } : {}),
    count: sum.count,
    cost_usd: sum.cost_usd,
    unknown_cost_count: sum.unknown_cost_count,
    refused_count: sum.refused_count,
    billed_failure_count: sum.billed_failure_count,
    billed_failure_usd: sum.billed_failure_usd,
  };
}

/** Appends $attempt to the attempts JSON array without reformatting what is there. */
const APPEND_ATTEMPT = `attempts = CASE WHEN attempts = '[]' THEN '[' || $attempt || ']' ELSE left(attempts, -1) || ',' || $attempt || ']' END`;

/** The stored answer and, when given, one more attempt appended. */
function answerSet(lastAttempt: Attempt | undefined): string {
  return `response = $response, response_status = $responseStatus${lastAttempt ? `, ${APPEND_ATTEMPT}` : ""}`;
}

function answerParams(answer: StoredResponse, lastAttempt: Attempt | undefined): Params {
  return { response: JSON.stringify(answer.body), responseStatus: answer.status, ...(lastAttempt ? { attempt: JSON.stringify(lastAttempt) } : {}) };
}

/** `q` as a LIKE pattern: its own %, _ and \ taken literally. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The WHERE terms and parameters of a list query, only for the filters given. */
function listFilters(query: Omit<GenerationQuery, "from" | "to">, range: TimeRange): { where: string[]; params: Params } {
  const where: string[] = [];
  const params: Params = {};
  if (query.cursor) {
    where.push("seq < $cursor");
    params.cursor = Number(query.cursor);
  }
  if (query.type) {
    where.push("type = $type");
    params.type = query.type;
  }
  if (query.status === "refused") where.push("refusal_count IS NOT NULL");
  else if (query.status) {
    where.push("status = $status");
    params.status = query.status;
    if (query.status === "failed") where.push("refusal_count IS NULL");
  }
  if (query.model) {
    where.push("(model = $model OR model_name = $model)");
    params.model = query.model;
  }
  for (const [name, column] of [["door", "door"], ["client", "client"], ["session", "session_id"], ["owner", "owner"], ["team", "team"]] as const) {
    const value = query[name];
    if (!value) continue;
    where.push(`${column} = $${name}`);
    params[name] = value;
  }
  if (query.q) {
    where.push("mediagen_fold(prompt) LIKE mediagen_fold($q) ESCAPE '\\'");
    params.q = likePattern(query.q);
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
