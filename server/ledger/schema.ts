// Shapes of ledger records and of the generations/costs API, shared with the web UI via `import type`.
import { z } from "zod";
import { MediaType } from "../config/schema.ts";
import { MAX_NAME_CHARS, MAX_PAGE_SIZE, MAX_QUERY_TEXT_CHARS } from "../defaults.ts";

/** Lifecycle of one generation in the ledger; `refused`: turned away before any provider call (no cost). */
export const GenerationStatus = z.enum(["queued", "running", "succeeded", "failed", "cancelled", "interrupted", "refused"]);
export type GenerationStatus = z.infer<typeof GenerationStatus>;

/** The front door a request came through: the seed HTTP API, the web UI, MCP, the OpenAI-compatible API, the CLI. */
export const Door = z.enum(["api", "ui", "mcp", "openai", "cli"]);
export type Door = z.infer<typeof Door>;

const FINISHED: ReadonlySet<GenerationStatus> = new Set(["succeeded", "failed", "cancelled", "interrupted", "refused"]);
/** Whether a job in this status has ended (nothing will change it any more). */
export const isFinished = (status: GenerationStatus): boolean => FINISHED.has(status);

/** Where a cost figure came from: reported by the provider, computed from the price catalogue, a user override, or unknown. */
export const CostSource = z.enum(["upstream", "catalog", "override", "unknown"]);
export type CostSource = z.infer<typeof CostSource>;

/** Token or unit counts as reported by a provider. */
export const Usage = z.record(z.string(), z.unknown());
export type Usage = z.infer<typeof Usage>;

/** One call to the provider: when, how it ended, and (since fallbacks; older rows lack it) which model entry made it. */
export const Attempt = z.object({
  n: z.number(),
  started_at: z.string(),
  finished_at: z.string(),
  outcome: z.string(),
  error_type: z.string().optional(),
  upstream_status: z.number().optional(),
  retry_in_ms: z.number().optional(),
  model: z.string().optional(),
  provider: z.string().optional(),
  /** The entry's `name` in config.yml, when it has one. */
  entry: z.string().optional(),
});
export type Attempt = z.infer<typeof Attempt>;

/** One row of the ledger as the API returns it. */
export const Generation = z.object({
  id: z.string(),
  type: MediaType,
  status: GenerationStatus,
  model: z.string(),
  model_name: z.string().nullable(),
  provider: z.string(),
  prompt: z.string(),
  params: z.record(z.string(), z.unknown()),
  output_path: z.string().nullable(),
  mime_type: z.string().nullable(),
  bytes: z.number().nullable(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  duration_seconds: z.number().nullable(),
  /** Whether a small WebP of the picture is served at /api/generations/:id/thumbnail. */
  has_thumbnail: z.boolean(),
  usage: Usage.nullable(),
  cost_usd: z.number().nullable(),
  cost_source: CostSource,
  cost_unit: z.string().nullable(),
  cost_quantity: z.number().nullable(),
  cost_unit_price: z.number().nullable(),
  cost_breakdown: z.array(z.object({ unit: z.string(), quantity: z.number(), unit_price_usd: z.number(), usd: z.number() })).nullable(),
  /** Why the cost is unknown although the provider may have billed (an implausible figure, a billed job that failed). */
  cost_note: z.string().nullable(),
  estimated_cost_usd: z.number().nullable(),
  error: z.string().nullable(),
  error_type: z.string().nullable(),
  upstream_status: z.number().nullable(),
  operation_id: z.string().nullable(),
  progress: z.number().nullable(),
  attempts: z.array(Attempt),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  latency_ms: z.number().nullable(),
  /** The caller's session: the MCP session, the `X-Mediagen-Session` header or the body's `session_id`. */
  session_id: z.string().nullable(),
  /** The caller's program: its User-Agent, or the MCP client's name. */
  client: z.string().nullable(),
  door: Door,
  /** For a refused row, how many refusals of the same caller, type and error it stands for (floods are folded). */
  refusal_count: z.number().nullable(),
  /** The provider charged (or may have) but the job failed afterwards: counted apart in the costs. */
  billed_failure: z.boolean(),
  /** The name on the person or team token the request came with; null without one (server.token or no token). */
  owner: z.string().nullable().optional(),
  /** That token's team, if it has one. */
  team: z.string().nullable().optional(),
  /** On the generations API (added by its routes, last): a succeeded record whose file is no longer on disk. */
  file_missing: z.boolean().optional(),
});
export type Generation = z.infer<typeof Generation>;

const dateOrTime = z
  .string()
  .max(64, "must be a date (YYYY-MM-DD) or an ISO 8601 time")
  .refine((v) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(v) && !Number.isNaN(Date.parse(v)), "must be a date (YYYY-MM-DD) or an ISO 8601 time");

/** Query of `GET /api/generations`; `from`/`to` are local dates (`to` inclusive) or ISO times, like the cost summary's. */
export const GenerationQuery = z
  .object({
    type: MediaType.optional(),
    status: GenerationStatus.optional(),
    model: z.string().min(1).max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`).optional(),
    door: Door.optional(),
    client: z.string().min(1).max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`).optional(),
    session: z.string().min(1).max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`).optional(),
    owner: z.string().min(1).max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`).optional(),
    team: z.string().min(1).max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`).optional(),
    q: z.string().min(1).max(MAX_QUERY_TEXT_CHARS, `must be at most ${MAX_QUERY_TEXT_CHARS} characters`).optional(),
    from: dateOrTime.optional(),
    to: dateOrTime.optional(),
    cursor: z.string().regex(/^\d{1,19}$/, "must be the next_cursor of a previous page (at most 19 digits)").optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  })
  .strict();
export type GenerationQuery = z.infer<typeof GenerationQuery>;

/** One page of `GET /api/generations`, newest first. */
export const GenerationPage = z.object({ items: z.array(Generation), next_cursor: z.string().nullable() });
export type GenerationPage = z.infer<typeof GenerationPage>;

/** Body of `DELETE /api/generations/:id`. */
export const Deleted = z.object({ success: z.literal(true), id: z.string(), file_removed: z.boolean() });
export type Deleted = z.infer<typeof Deleted>;

/** How `GET /api/costs/summary` groups spend: by day, model, type, provider, or caller (door, client). */
export const CostGroupBy = z.enum(["day", "model", "type", "provider", "door", "client"]);
export type CostGroupBy = z.infer<typeof CostGroupBy>;

/** What a day-grouped summary splits each day by (`series`), for the stacked chart. */
export const CostSeriesBy = z.enum(["type", "model", "provider", "door", "client"]);
export type CostSeriesBy = z.infer<typeof CostSeriesBy>;

const filterText = z.string().max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`);

/**
 * Query of `GET /api/costs/summary`: `type`, `door`, `client` (`""` for requests without one), `session`, `owner`
 * and `team` (a token's owner name, a team) narrow the spend; `series` splits a day-grouped summary.
 */
export const CostQuery = z
  .object({
    from: dateOrTime.optional(),
    to: dateOrTime.optional(),
    group_by: CostGroupBy.default("day"),
    series: CostSeriesBy.optional(),
    type: MediaType.optional(),
    door: Door.optional(),
    client: filterText.optional(),
    session: filterText.min(1).optional(),
    owner: filterText.min(1).optional(),
    team: filterText.min(1).optional(),
  })
  .strict()
  .refine((q) => q.series === undefined || q.group_by === "day", { message: "series needs group_by=day", path: ["series"] });
export type CostQuery = z.infer<typeof CostQuery>;

/** Spend of one group (a day, model, type, provider, door or client; with `series`, one series of one day). */
export const CostGroup = z.object({
  key: z.string(),
  series: z.string().optional(),
  /** Succeeded generations. */
  count: z.number(),
  /** Known spend, billed failures included. */
  cost_usd: z.number(),
  unknown_cost_count: z.number(),
  /** Requests refused before any provider call (not configured, over budget, bad input, queue full, ...). */
  refused_count: z.number(),
  /** Jobs the provider charged (or may have) that failed afterwards, and their known cost. */
  billed_failure_count: z.number(),
  billed_failure_usd: z.number(),
});
export type CostGroup = z.infer<typeof CostGroup>;

/** Body of `GET /api/costs/summary`. */
export const CostSummary = z.object({
  from: z.string(),
  to: z.string(),
  group_by: CostGroupBy,
  series: CostSeriesBy.optional(),
  total: CostGroup.omit({ key: true, series: true }),
  groups: z.array(CostGroup),
});
export type CostSummary = z.infer<typeof CostSummary>;

/** Whether the ledger database can be written (`storage` in /api/health). */
export const StorageStatus = z.object({
  ok: z.boolean(),
  /** What is wrong and what to do, when not ok. */
  error: z.string().optional(),
  /** Ledger writes waiting for the disk to recover. */
  pending_writes: z.number(),
  /** Which database holds the ledger (never its URL or password). */
  backend: z.enum(["sqlite", "postgres"]).optional(),
});
export type StorageStatus = z.infer<typeof StorageStatus>;
