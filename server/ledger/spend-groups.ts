// Spend grouped by caller or split into series, and the refusals and billed failures of any grouping. Whole UTC days
// (caller groupings) or hours (per-day series, local days) come from the smallest rollup that holds every column the
// query needs (by caller, by model and provider, by person and team, by caller with model, by all of them per hour);
// the partial buckets at both ends and a session's spend are read from the rows. Refusals and billed failures are
// few: read from their covering indexes.
import type { Database } from "bun:sqlite";
import type { MediaType } from "../config/schema.ts";
import { BILLED_FAILURE } from "./database.ts";
import { GROUP_KEY } from "./records.ts";
import type { CostGroup, CostGroupBy, CostSeriesBy, Door } from "./schema.ts";

const HOUR_MS = 3_600_000;

/** What narrows a spend query. */
export interface SpendFilters {
  type?: MediaType;
  door?: Door;
  /** "" for requests without a client. */
  client?: string;
  session?: string;
  /** A person or team token's owner name, and a team. */
  owner?: string;
  team?: string;
}

/** A grouping with its optional split and filters, over [fromMs, toMs). */
export interface SpendQuery extends SpendFilters {
  fromMs: number;
  toMs: number;
  groupBy: CostGroupBy;
  series?: CostSeriesBy;
}

/** SQL of each filter over a generations row. */
const ROW_FILTER: Record<keyof SpendFilters, string> = {
  type: "type = $type",
  door: "door = $door",
  client: "client = $client",
  session: "session_id = $session",
  owner: "owner = $owner",
  team: "team = $team",
};

const DAY_MS = 86_400_000;

/** The rollups, each with its bucket (a UTC hour or day) and the columns it holds besides type; the smallest that fits is used. */
const ROLLUPS = [
  { table: "ledger_caller_days", bucket: "day", unit: DAY_MS, columns: ["door", "client"] },
  { table: "ledger_caller_hours", bucket: "hour", unit: HOUR_MS, columns: ["door", "client"] },
  { table: "ledger_model_hours", bucket: "hour", unit: HOUR_MS, columns: ["model", "provider"] },
  { table: "ledger_people_hours", bucket: "hour", unit: HOUR_MS, columns: ["owner", "team"] },
  { table: "ledger_people_days", bucket: "day", unit: DAY_MS, columns: ["model", "provider", "owner", "team"] },
  { table: "ledger_caller_model_days", bucket: "day", unit: DAY_MS, columns: ["model", "provider", "door", "client"] },
  { table: "ledger_spend_hours", bucket: "hour", unit: HOUR_MS, columns: ["model", "provider", "door", "client", "owner", "team"] },
] as const;
type Rollup = (typeof ROLLUPS)[number];

type Sums = { n_included: number; count: number; cost_usd: number; unknown_cost_count: number };
type Part = Sums & { key: string; series: string | null };

const INCLUDED = "(status = 'succeeded' OR cost_usd IS NOT NULL OR cost_note IS NOT NULL)";
const ROW_SUMS = `sum(${INCLUDED}) AS n_included, sum(status = 'succeeded') AS count, sum(coalesce(cost_usd, 0)) AS cost_usd,
  sum(cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)) AS unknown_cost_count`;
const ROLLUP_SUMS = "sum(included) AS n_included, sum(succeeded) AS count, sum(cost_usd) AS cost_usd, sum(unknown_cost) AS unknown_cost_count";

/** The filters given, as SQL terms and parameters over the rows (or over a rollup, where no client is ""). */
function filterTerms(query: SpendFilters, rollup = false): { terms: string[]; params: Record<string, string> } {
  const terms: string[] = [];
  const params: Record<string, string> = {};
  for (const name of ["type", "door", "client", "session", "owner", "team"] as const) {
    const value = query[name];
    if (value === undefined) continue;
    if (name === "client" && value === "" && !rollup) {
      terms.push("client IS NULL");
      continue;
    }
    terms.push(ROW_FILTER[name]);
    params[name] = value;
  }
  return { terms, params };
}

/** The local date (YYYY-MM-DD) of a time in ms, as the daemon's process sees it; `seen` caches it per instant. */
function localDate(ms: number, seen?: Map<number, string>): string {
  const known = seen?.get(ms);
  if (known !== undefined) return known;
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  seen?.set(ms, date);
  return date;
}

/** Every UTC offset is a whole number of quarter hours, so a local midnight never cuts one of these buckets, in ms. */
const QUARTER_HOUR_MS = 900_000;

/** Adds `part` into the group of its key and series. */
function add(into: Map<string, Part>, part: Part): void {
  const id = `${part.key}\u0000${part.series ?? ""}`;
  const sum = into.get(id);
  if (!sum) {
    into.set(id, { ...part });
    return;
  }
  sum.n_included += part.n_included;
  sum.count += part.count;
  sum.cost_usd += part.cost_usd;
  sum.unknown_cost_count += part.unknown_cost_count;
}

/** Sums of the rows in [from, to) grouped by key and series, through the index that suits the filters. */
function rowParts(db: Database, query: SpendQuery, from: number, to: number): Part[] {
  if (from >= to) return [];
  const { terms, params } = filterTerms(query);
  const series = query.series ? GROUP_KEY[query.series] : "NULL";
  // A session's, owner's or team's rows through their own index (they are few); any other window through the covering created_at one.
  const table = query.session || query.owner || query.team ? "generations" : "generations INDEXED BY generations_spend";
  return db
    .query<Part, Record<string, string | number>>(
      `SELECT ${GROUP_KEY[query.groupBy]} AS key, ${series} AS series, ${ROW_SUMS}
       FROM ${table} WHERE ${["created_at >= $from", "created_at < $to", INCLUDED, ...terms].join(" AND ")} GROUP BY 1, 2`,
    )
    .all({ ...params, from, to });
}

/**
 * The rollup holding every column the query groups, splits or filters by; undefined when none does. Local days
 * need hours (a UTC day is not a local one); other groupings take whole UTC days where a daily rollup fits.
 */
function rollupFor(query: SpendQuery): Rollup | undefined {
  // No rollup splits by session (its rows are few, through its index) or tells a missing owner or team from "".
  if (query.session !== undefined || query.owner === "" || query.team === "") return undefined;
  const filters: (string | undefined)[] = (["door", "client", "owner", "team"] as const).map((name) => (query[name] !== undefined ? name : undefined));
  const needed = [query.groupBy, query.series, ...filters].filter(
    (column): column is string => column !== undefined && column !== "day" && column !== "type",
  );
  return ROLLUPS.find((rollup) => (rollup.bucket === "hour" || query.groupBy !== "day") && needed.every((column) => (rollup.columns as readonly string[]).includes(column)));
}

/** Sums of the whole buckets [start, end) of a rollup; by day, each hour goes to its local date (one cut by a local midnight is read from its rows). */
function rollupParts(db: Database, query: SpendQuery, rollup: Rollup, start: number, end: number): Part[] {
  if (start >= end) return [];
  const { terms, params } = filterTerms(query, true);
  const table = rollup.table;
  const where = [`${rollup.bucket} >= $start`, `${rollup.bucket} < $end`, ...terms].join(" AND ");
  const series = query.series ?? "NULL";
  if (query.groupBy !== "day") {
    return db
      .query<Part, Record<string, string | number>>(`SELECT ${query.groupBy} AS key, ${series} AS series, ${ROLLUP_SUMS} FROM ${table} WHERE ${where} GROUP BY 1, 2`)
      .all({ ...params, start, end });
  }
  const hours = db
    .query<Part & { hour: number }, Record<string, string | number>>(`SELECT hour, ${series} AS series, ${ROLLUP_SUMS} FROM ${table} WHERE ${where} GROUP BY 1, 2`)
    .all({ ...params, start, end });
  const parts: Part[] = [];
  const cut = new Set<number>();
  const seen = new Map<number, string>();
  for (const { hour, ...sums } of hours) {
    const first = localDate(hour, seen);
    if (first === localDate(hour + HOUR_MS - 1, seen)) parts.push({ ...sums, key: first });
    else cut.add(hour);
  }
  for (const hour of cut) parts.push(...rowParts(db, query, hour, hour + HOUR_MS));
  return parts;
}

/** Refused requests and billed failures in [from, to), grouped like the spend, read from their partial indexes. */
function exceptions(db: Database, query: SpendQuery): Map<string, Pick<CostGroup, "refused_count" | "billed_failure_count" | "billed_failure_usd"> & { key: string; series: string | null }> {
  const { terms, params } = filterTerms(query);
  const series = query.series ? GROUP_KEY[query.series] : "NULL";
  const range = ["created_at >= $from", "created_at < $to", ...terms];
  // A session's few rows through its index; otherwise the covering partial indexes of refusals and billed failures.
  const refusedFrom = query.session ? "generations INDEXED BY generations_session" : "generations INDEXED BY generations_refused";
  const billedFrom = query.session ? "generations INDEXED BY generations_session" : "generations INDEXED BY generations_billed_failures";
  // By day: quarter hours, dated here (a localtime conversion per row is most of the time otherwise).
  const key = query.groupBy === "day" ? `created_at / ${QUARTER_HOUR_MS} * ${QUARTER_HOUR_MS}` : GROUP_KEY[query.groupBy];
  const rows = db
    .query<{ key: string; series: string | null; refused_count: number; billed_failure_count: number; billed_failure_usd: number }, Record<string, string | number>>(
      `SELECT ${key} AS key, ${series} AS series, sum(refusal_count) AS refused_count, 0 AS billed_failure_count, 0 AS billed_failure_usd
         FROM ${refusedFrom} WHERE ${["refusal_count IS NOT NULL", ...range].join(" AND ")} GROUP BY 1, 2
       UNION ALL
       SELECT ${key}, ${series}, 0, count(*), sum(coalesce(cost_usd, 0))
         FROM ${billedFrom} WHERE ${[BILLED_FAILURE, ...range].join(" AND ")} GROUP BY 1, 2`,
    )
    .all({ ...params, from: query.fromMs, to: query.toMs });
  const found = new Map<string, { key: string; series: string | null; refused_count: number; billed_failure_count: number; billed_failure_usd: number }>();
  const seen = new Map<number, string>();
  for (const row of rows) {
    const groupKey = query.groupBy === "day" ? localDate(Number(row.key), seen) : row.key;
    const id = `${groupKey}\u0000${row.series ?? ""}`;
    const sum = found.get(id) ?? { key: groupKey, series: row.series, refused_count: 0, billed_failure_count: 0, billed_failure_usd: 0 };
    sum.refused_count += row.refused_count;
    sum.billed_failure_count += row.billed_failure_count;
    sum.billed_failure_usd += row.billed_failure_usd;
    found.set(id, sum);
  }
  return found;
}

/** Whether the day and model rollups of Ledger.costGroups answer this query alone (no caller, no series). */
export function plainGrouping(query: SpendQuery): query is SpendQuery & { groupBy: "day" | "model" | "type" | "provider" } {
  return query.groupBy !== "door" && query.groupBy !== "client" && !query.series && query.door === undefined && query.client === undefined && query.session === undefined && query.owner === undefined && query.team === undefined;
}

/**
 * Spend of a query not answered by Ledger.costGroups: grouped by caller, split into series, or filtered by caller.
 * `plain` gives the spend groups when `plainGrouping` holds; refusals and billed failures are added to either.
 */
export function spendGroups(db: Database, query: SpendQuery, plain?: Pick<CostGroup, "key" | "count" | "cost_usd" | "unknown_cost_count">[]): CostGroup[] {
  const sums = new Map<string, Part>();
  if (plain) {
    for (const group of plain) add(sums, { ...group, series: null, n_included: 1 });
  } else {
    const rollup = rollupFor(query);
    const unit = rollup?.unit ?? HOUR_MS;
    let start = Math.ceil(query.fromMs / unit) * unit;
    let end = Math.floor(query.toMs / unit) * unit;
    if (!rollup || start >= end) start = end = query.toMs;
    const parts = [...rowParts(db, query, query.fromMs, start), ...(rollup ? rollupParts(db, query, rollup, start, end) : []), ...rowParts(db, query, end, query.toMs)];
    for (const part of parts) add(sums, part);
  }
  const extra = exceptions(db, query);
  for (const [id, row] of extra) if (!sums.has(id)) sums.set(id, { key: row.key, series: row.series, n_included: 0, count: 0, cost_usd: 0, unknown_cost_count: 0 });
  return [...sums.entries()]
    .filter(([id, part]) => part.n_included > 0 || extra.has(id))
    .map(([id, part]): CostGroup => {
      const more = extra.get(id);
      return {
        key: part.key,
        ...(query.series ? { series: part.series ?? "" } : {}),
        count: part.count,
        cost_usd: part.cost_usd,
        unknown_cost_count: part.unknown_cost_count,
        refused_count: more?.refused_count ?? 0,
        billed_failure_count: more?.billed_failure_count ?? 0,
        billed_failure_usd: more?.billed_failure_usd ?? 0,
      };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.series ?? "").localeCompare(b.series ?? "")));
}
