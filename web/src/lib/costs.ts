// Cost aggregation for the Costs page: summary groups into zero-filled daily series per type, stacking,
// totals, budget bars and CSV. Pure: no DOM, no fetch.
import type { Budget, CostSummary, SpendSoFar } from "./api.ts";
import { MEDIA_TYPES, type MediaType } from "./enums.ts";

type CostGroup = CostSummary["groups"][number];

/** Count, spend and not-priced count of a set of generations. */
export interface Totals {
  count: number;
  cost_usd: number;
  unknown_cost_count: number;
}

/** Spend per day (zero-filled) of each type over a range of local days. */
export interface DailySeries {
  /** Every local day of the range, `YYYY-MM-DD`, oldest first. */
  days: string[];
  /** Per type, one entry per day. */
  byType: Record<MediaType, Totals[]>;
}

const DAY_MS = 86_400_000;

function parseDay(day: string): [number, number, number] {
  const [y, m, d] = day.split("-").map(Number);
  return [y ?? 1970, m ?? 1, d ?? 1];
}

/** Adds `n` calendar days to a `YYYY-MM-DD` date (calendar arithmetic: daylight-saving changes do not shift it). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = parseDay(day);
  return new Date(Date.UTC(y, m - 1, d) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both included; empty when `from` is after `to`. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** Local midnight of a `YYYY-MM-DD` day in seconds since the epoch (uPlot's time unit). */
export function dayToSeconds(day: string): number {
  const [y, m, d] = parseDay(day);
  return new Date(y, m - 1, d).getTime() / 1000;
}

/** The first day of the month of a `YYYY-MM-DD` day. */
export function monthStart(day: string): string {
  return `${day.slice(0, 7)}-01`;
}

const ZERO: Totals = { count: 0, cost_usd: 0, unknown_cost_count: 0 };

/** The spend to show for a group: null (an em dash, never a made-up $0) when nothing in it was priced or charged. */
export function knownCost(totals: Totals): number | null {
  return totals.cost_usd === 0 && totals.unknown_cost_count > 0 && totals.unknown_cost_count >= totals.count ? null : totals.cost_usd;
}

/** A chart axis label: `$0`, `$0.25`, `$1.5`, `$12`. */
export function axisUsd(value: number): string {
  return value === 0 ? "$0" : `$${Number(value.toPrecision(4))}`;
}

/** Sums counts, spend and not-priced counts. */
export function sumTotals(items: readonly Totals[]): Totals {
  return items.reduce(
    (sum, g) => ({
      count: sum.count + g.count,
      cost_usd: sum.cost_usd + g.cost_usd,
      unknown_cost_count: sum.unknown_cost_count + g.unknown_cost_count,
    }),
    ZERO,
  );
}

/** Zero-filled daily series from one `group_by=day` summary per type; days outside `days` are dropped. */
export function dailySeries(days: readonly string[], perType: Partial<Record<MediaType, readonly CostGroup[]>>): DailySeries {
  const byType = Object.fromEntries(
    MEDIA_TYPES.map((type) => {
      const byDay = new Map((perType[type] ?? []).map((g) => [g.key, g]));
      return [type, days.map((day) => totalsOf(byDay.get(day)))];
    }),
  ) as Record<MediaType, Totals[]>;
  return { days: [...days], byType };
}

function totalsOf(group: CostGroup | undefined): Totals {
  if (!group) return { ...ZERO };
  return { count: group.count, cost_usd: group.cost_usd, unknown_cost_count: group.unknown_cost_count };
}

/** Cumulative sums of `layers` (bottom first): result[i][d] is the top of layer i on day d. */
export function stack(layers: readonly (readonly number[])[]): number[][] {
  const out: number[][] = [];
  layers.forEach((layer, i) => {
    const below = out[i - 1];
    out.push(layer.map((value, d) => value + (below?.[d] ?? 0)));
  });
  return out;
}

/** Spend per type (MEDIA_TYPES order) stacked day by day: the last layer is each day's total. */
export function stackedCosts(series: DailySeries): number[][] {
  return stack(MEDIA_TYPES.map((type) => series.byType[type].map((t) => t.cost_usd)));
}

/** Totals of all types on day number `d` of the series. */
export function dayTotals(series: DailySeries, d: number): Totals {
  return sumTotals(MEDIA_TYPES.map((type) => series.byType[type][d] ?? ZERO));
}

/** Totals of each type and of all types over the whole series. */
export function seriesTotals(series: DailySeries): Record<MediaType | "all", Totals> {
  const perType = Object.fromEntries(MEDIA_TYPES.map((type) => [type, sumTotals(series.byType[type])])) as Record<MediaType, Totals>;
  return { ...perType, all: sumTotals(Object.values(perType)) };
}

/** A model's spend; sorted by the page, most expensive first. */
export interface ModelRow extends Totals {
  model: string;
}

/** `group_by=model` groups as rows, most expensive first, then most used, then by name. */
export function modelRows(groups: readonly CostGroup[]): ModelRow[] {
  return groups
    .map((g) => ({ model: g.key, count: g.count, cost_usd: g.cost_usd, unknown_cost_count: g.unknown_cost_count }))
    .sort((a, b) => b.cost_usd - a.cost_usd || b.count - a.count || a.model.localeCompare(b.model));
}

/** One budget limit and the spend against it. */
export interface BudgetBar {
  period: "day" | "month";
  scope: "overall" | MediaType;
  limit: number;
  spent: number;
  /** spent / limit, not capped (over 1 when the limit is exceeded). */
  ratio: number;
}

/** A bar for every limit that is set: daily then monthly, overall then per type. */
export function budgetBars(budget: Budget | null, spent: SpendSoFar): BudgetBar[] {
  if (!budget) return [];
  const bars: BudgetBar[] = [];
  for (const period of ["day", "month"] as const) {
    const key = period === "day" ? "daily_usd" : "monthly_usd";
    for (const scope of ["overall", ...MEDIA_TYPES] as const) {
      const limit = scope === "overall" ? budget[key] : budget.per_type?.[scope]?.[key];
      if (limit === undefined) continue;
      const used = spent[period][scope];
      bars.push({ period, scope, limit, spent: used, ratio: limit > 0 ? used / limit : 0 });
    }
  }
  return bars;
}

/** The level a budget bar is drawn at: fine, close to the limit (80 % or more) or at/over it. */
export function budgetLevel(ratio: number): "ok" | "warn" | "over" {
  if (ratio >= 1) return "over";
  return ratio >= 0.8 ? "warn" : "ok";
}

/**
 * One CSV field: quoted when it holds a comma, quote or line break; text a spreadsheet would run as a formula
 * is prefixed with `'`; null is empty.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(Number.isFinite(value) ? Number(value.toFixed(8)) : "");
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Rows as CSV text (CRLF line ends, as RFC 4180 says). */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** The per-day-per-type CSV: one row per day and type, zero-filled; a cost nothing priced is left empty, not 0. */
export function dailyCsv(series: DailySeries): string {
  const rows = series.days.flatMap((day, d) =>
    MEDIA_TYPES.map((type) => {
      const t = series.byType[type][d] ?? ZERO;
      return [day, type, t.count, knownCost(t), t.unknown_cost_count];
    }),
  );
  return toCsv(["date", "type", "count", "cost_usd", "unknown_cost_count"], rows);
}

/** The per-model CSV; a cost nothing priced is left empty, not 0. */
export function modelCsv(rows: readonly ModelRow[]): string {
  return toCsv(
    ["model", "count", "cost_usd", "unknown_cost_count"],
    rows.map((r) => [r.model, r.count, knownCost(r), r.unknown_cost_count]),
  );
}
