// The ledger's rows: the SQLite row, its API shape, and the facts written into it at each step of a job.
import type { CostLine } from "../costs/price-schema.ts";
import type { MediaType } from "../config/schema.ts";
import type { Attempt, CostGroupBy, CostSource, Door, Generation, GenerationStatus, Usage } from "./schema.ts";

/** Bounds of a time window in ms since the epoch, `toMs` exclusive; either may be open. */
export type TimeRange = { fromMs?: number; toMs?: number };

/** A row of the generations table as SQLite returns it. */
export type Row = {
  seq: number;
  id: string;
  type: MediaType;
  status: GenerationStatus;
  model: string;
  model_name: string | null;
  provider: string;
  prompt: string;
  params: string;
  output_path: string | null;
  mime_type: string | null;
  bytes: number | null;
  width: number | null;
  height: number | null;
  duration_seconds: number | null;
  thumbnail: string | null;
  thumbnail_error: string | null;
  usage: string | null;
  cost_usd: number | null;
  cost_source: CostSource;
  cost_unit: string | null;
  cost_quantity: number | null;
  cost_unit_price: number | null;
  cost_breakdown: string | null;
  cost_note: string | null;
  estimated_cost_usd: number | null;
  error: string | null;
  error_type: string | null;
  upstream_status: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  latency_ms: number | null;
  session_id: string | null;
  client: string | null;
  door: Door;
  refusal_count: number | null;
  token_id: string | null;
  owner: string | null;
  team: string | null;
  operation_id: string | null;
  progress: number | null;
  attempts: string;
  idempotency_key: string | null;
  request_hash: string | null;
  response: string | null;
  response_status: number | null;
};

/** What is known about a generation before the provider is called. */
export interface NewGeneration {
  type: MediaType;
  model: string;
  modelName?: string;
  provider: string;
  prompt: string;
  params: Record<string, unknown>;
  sessionId?: string;
  client?: string;
  /** The front door the request came through; default `api`. */
  door?: Door;
  /** The token the request came with: its id, its owner's name and team (absent without a person token). */
  owner?: { tokenId: string; name: string; team: string | null };
  /** Cost estimated before the call, counted against budgets while the job is unfinished. */
  estimatedCostUsd?: number | null;
  idempotencyKey?: string;
  requestHash?: string;
}

/** The cost of a generation with everything needed to audit it. */
export interface CostFigure {
  costUsd: number | null;
  source: CostSource;
  /** The main component (the largest line of a computed cost). */
  unit?: string;
  quantity?: number;
  unitPrice?: number;
  /** Every component of a computed cost. */
  breakdown?: CostLine[];
  /** Why the cost is unknown although the provider may have billed: a rejected figure, a billed job that failed. */
  note?: string;
}

/** The output file of a generation, as written to disk. */
export interface SavedOutput {
  outputPath: string;
  mimeType: string;
  bytes: number;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

/** What a successful generation produced. */
export interface GenerationSuccess extends SavedOutput {
  usage?: Usage;
  cost: CostFigure;
  params?: Record<string, unknown>;
}

/** A finished job's answer, kept so that a repeated Idempotency-Key or a job poll can replay it. */
export interface StoredResponse {
  status: number;
  body: Record<string, unknown>;
}

/** What a failed generation left behind. */
export interface GenerationFailure {
  status: "failed" | "interrupted" | "cancelled";
  error: string;
  errorType: string;
  upstreamStatus?: number;
  cost?: CostFigure;
}

/** A time in ms as ISO 8601, or null when there is none. */
export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** A database row as the API shape. */
export function toGeneration(row: Row): Generation {
  return {
    id: row.id,
    type: row.type,
    // A refused request is stored as failed (the status CHECK predates it) and marked by its refusal_count.
    status: row.refusal_count === null ? row.status : "refused",
    model: row.model,
    model_name: row.model_name,
    provider: row.provider,
    prompt: row.prompt,
    params: JSON.parse(row.params) as Record<string, unknown>,
    output_path: row.output_path,
    mime_type: row.mime_type,
    bytes: row.bytes,
    width: row.width,
    height: row.height,
    duration_seconds: row.duration_seconds,
    has_thumbnail: row.thumbnail !== null,
    usage: row.usage === null ? null : (JSON.parse(row.usage) as Usage),
    cost_usd: row.cost_usd,
    cost_source: row.cost_source,
    cost_unit: row.cost_unit,
    cost_quantity: row.cost_quantity,
    cost_unit_price: row.cost_unit_price,
    cost_breakdown: row.cost_breakdown === null ? null : (JSON.parse(row.cost_breakdown) as CostLine[]),
    cost_note: row.cost_note,
    estimated_cost_usd: row.estimated_cost_usd,
    error: row.error,
    error_type: row.error_type,
    upstream_status: row.upstream_status,
    operation_id: row.operation_id,
    progress: row.progress,
    attempts: JSON.parse(row.attempts) as Attempt[],
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    latency_ms: row.latency_ms,
    session_id: row.session_id,
    client: row.client,
    door: row.door,
    refusal_count: row.refusal_count,
    billed_failure: isBilledFailure(row),
    owner: row.owner,
    team: row.team,
  };
}

/** Whether a row failed after its provider charged (or may have): the same test as BILLED_FAILURE in SQL. */
export function isBilledFailure(row: Pick<Row, "status" | "cost_usd" | "cost_note">): boolean {
  return (row.status === "failed" || row.status === "cancelled" || row.status === "interrupted") && ((row.cost_usd ?? 0) > 0 || row.cost_note !== null);
}

/** SQL of the local date (YYYY-MM-DD) of a time in seconds since the epoch. */
export const LOCAL_DAY = (seconds: string) => `strftime('%Y-%m-%d', ${seconds}, 'unixepoch', 'localtime')`;

/** SQL of each cost grouping. */
export const GROUP_KEY: Record<CostGroupBy, string> = {
  day: LOCAL_DAY("created_at / 1000"),
  model: "model",
  type: "type",
  provider: "provider",
  door: "door",
  client: "coalesce(client, '')",
};

/** The cost columns of an update, from a cost figure. */
export function costColumns(cost: CostFigure) {
  return {
    costUsd: cost.costUsd,
    costSource: cost.source,
    costUnit: cost.unit ?? null,
    costQuantity: cost.quantity ?? null,
    costUnitPrice: cost.unitPrice ?? null,
    costBreakdown: cost.breakdown ? JSON.stringify(cost.breakdown) : null,
    costNote: cost.note ?? null,
  };
}

/** The named parameters of a new generations row (both backends' INSERT bind these; started now when `running`). */
export function insertParams(id: string, at: number, input: NewGeneration, status: "queued" | "running") {
  return {
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
    door: input.door ?? "api",
    estimate: input.estimatedCostUsd ?? null,
    idempotencyKey: input.idempotencyKey ?? null,
    requestHash: input.requestHash ?? null,
    tokenId: input.owner?.tokenId ?? null,
    owner: input.owner?.name ?? null,
    team: input.owner?.team ?? null,
  };
}
