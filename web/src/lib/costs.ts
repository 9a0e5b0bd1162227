// Cost aggregation for the Costs page: summary groups into zero-filled daily series (per type, model, provider or
// caller), stacking, totals, budget bars and CSV. Pure: no DOM, no fetch.
import type { Budget, CostSummary, SpendSoFar, Whoami } from "./api.ts";
import { MEDIA_TYPES, type Door, type MediaType } from "./enums.ts";
import { t } from "./i18n.ts";
import { ownerParams } from "./owners.ts";

type CostGroup = CostSummary["groups"][number];

/** Count, spend, not-priced count, refusals and billed failures of a set of generations. */
export interface Totals {
  count: number;
  cost_usd: number;
  unknown_cost_count: number;
  refused_count: number;
  billed_failure_count: number;
  billed_failure_usd: number;
}

/** What the chart splits each day by and the breakdown table groups by: a type, model, provider or caller. */
export const SPLITS = ["type", "model", "provider", "door", "client"] as const;
export type Split = (typeof SPLITS)[number];

/** The key of the layer that gathers the series past MAX_LAYERS. */
export const OTHER = "\u0000other";
/** Most layers the chart stacks; the cheapest series past it are added up as one "other" layer. */
export const MAX_LAYERS = 6;

/** One stacked layer: a series (a type, model, provider, door or client) with one entry per day. */
export interface Layer {
  key: string;
  values: Totals[];
}

/** Spend per day (zero-filled) of each series over a range of local days, bottom layer first. */
export interface DailySeries {
  /** Every local day of the range, `YYYY-MM-DD`, oldest first. */
  days: string[];
  split: Split;
  layers: Layer[];
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

/** No generations. */
export const ZERO: Totals = { count: 0, cost_usd: 0, unknown_cost_count: 0, refused_count: 0, billed_failure_count: 0, billed_failure_usd: 0 };

/** The spend to show for a group: null (an em dash, never a made-up $0) when nothing in it was priced or charged. */
export function knownCost(totals: Pick<Totals, "count" | "cost_usd" | "unknown_cost_count">): number | null {
  return totals.cost_usd === 0 && totals.unknown_cost_count > 0 && totals.unknown_cost_count >= totals.count ? null : totals.cost_usd;
}

/** A chart axis label: `$0`, `$0.25`, `$1.5`, `$12`. */
export function axisUsd(value: number): string {
  return value === 0 ? "$0" : `$${Number(value.toPrecision(4))}`;
}

/** Sums counts, spend, not-priced counts, refusals and billed failures. */
export function sumTotals(items: readonly Totals[]): Totals {
  return items.reduce(
    (sum, g) => ({
      count: sum.count + g.count,
      cost_usd: sum.cost_usd + g.cost_usd,
      unknown_cost_count: sum.unknown_cost_count + g.unknown_cost_count,
      refused_count: sum.refused_count + g.refused_count,
      billed_failure_count: sum.billed_failure_count + g.billed_failure_count,
      billed_failure_usd: sum.billed_failure_usd + g.billed_failure_usd,
    }),
    ZERO,
  );
}

/** The totals of a summary group. */
export function totalsOf(group: Totals | undefined): Totals {
  if (!group) return { ...ZERO };
  return {
    count: group.count,
    cost_usd: group.cost_usd,
    unknown_cost_count: group.unknown_cost_count,
    refused_count: group.refused_count,
    billed_failure_count: group.billed_failure_count,
    billed_failure_usd: group.billed_failure_usd,
  };
}

/**
 * Zero-filled daily layers from a `group_by=day` summary split by `split` (`series` on each group); days outside
 * `days` are dropped. Types stack in MEDIA_TYPES order; other splits most expensive first, the series past
 * MAX_LAYERS - 1 added up as one OTHER layer on top.
 */
export function dailySeries(days: readonly string[], split: Split, groups: readonly CostGroup[]): DailySeries {
  const inRange = new Set(days);
  const bySeries = new Map<string, Map<string, Totals>>();
  for (const group of groups) {
    if (!inRange.has(group.key)) continue;
    const key = group.series ?? "";
    const perDay = bySeries.get(key) ?? new Map<string, Totals>();
    perDay.set(group.key, sumTotals([perDay.get(group.key) ?? ZERO, totalsOf(group)]));
    bySeries.set(key, perDay);
  }
  const layerOf = (key: string, perDay: Map<string, Totals> | undefined): Layer => ({ key, values: days.map((day) => totalsOf(perDay?.get(day))) });
  if (split === "type") return { days: [...days], split, layers: MEDIA_TYPES.map((type) => layerOf(type, bySeries.get(type))) };
  const ranked = [...bySeries.entries()]
    .map(([key, perDay]) => ({ key, perDay, total: sumTotals([...perDay.values()]) }))
    .sort((a, b) => b.total.cost_usd - a.total.cost_usd || b.total.count - a.total.count || a.key.localeCompare(b.key));
  const kept = ranked.length > MAX_LAYERS ? ranked.slice(0, MAX_LAYERS - 1) : ranked;
  const layers = kept.map(({ key, perDay }) => layerOf(key, perDay));
  const rest = ranked.slice(kept.length);
  if (rest.length > 0) layers.push({ key: OTHER, values: days.map((day) => sumTotals(rest.map(({ perDay }) => perDay.get(day) ?? ZERO))) });
  return { days: [...days], split, layers };
}

/** The name a series is shown under: a type or door in the page's language, "no client", "other", or the key itself. */
export function seriesLabel(split: Split, key: string): string {
  if (key === OTHER) return t("costs.other");
  if (split === "type") return t(`common.${key}`);
  if (split === "door") return t(`door.${key}`);
  if (split === "client" && key === "") return t("costs.noClient");
  return key;
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

/** Spend per layer stacked day by day: the last layer is each day's total. */
export function stackedCosts(series: DailySeries): number[][] {
  return stack(series.layers.map((layer) => layer.values.map((t) => t.cost_usd)));
}

/** Totals of all layers on day number `d` of the series. */
export function dayTotals(series: DailySeries, d: number): Totals {
  return sumTotals(series.layers.map((layer) => layer.values[d] ?? ZERO));
}

/** Totals of each layer (in layer order) and of all of them over the whole series. */
export function seriesTotals(series: DailySeries): { layers: Totals[]; all: Totals } {
  const layers = series.layers.map((layer) => sumTotals(layer.values));
  return { layers, all: sumTotals(layers) };
}

/** The caller the Costs page is narrowed to; empty strings mean "any". */
export interface CostFilters {
  door: "" | Door;
  client: string;
  session: string;
  /** Whose spend: "" (everyone), owner:<name> or team:<name> (a token's owner, a team). */
  who: string;
}

/** No caller filter. */
export const NO_COST_FILTERS: CostFilters = { door: "", client: "", session: "", who: "" };

/** The summary query fields of the filters that are set. */
export function costFilterQuery(filters: CostFilters): { door?: Door; client?: string; session?: string; owner?: string; team?: string } {
  return {
    ...(filters.door ? { door: filters.door } : {}),
    ...(filters.client ? { client: filters.client } : {}),
    ...(filters.session ? { session: filters.session } : {}),
    ...ownerParams(filters.who),
  };
}

/** One group's spend in the breakdown table. */
export interface GroupRow extends Totals {
  key: string;
}

/** Summary groups as rows, most expensive first, then most used, then by name. */
export function groupRows(groups: readonly CostGroup[]): GroupRow[] {
  return groups
    .map((g) => ({ key: g.key, ...totalsOf(g) }))
    .sort((a, b) => b.cost_usd - a.cost_usd || b.count - a.count || a.key.localeCompare(b.key));
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

/** One of a token holder's own figures: today's or this month's spend, the token's or its team's, against its limit (null: none). */
export interface OwnSpendRow {
  scope: "token" | "team";
  period: "day" | "month";
  spent: number;
  limit: number | null;
}

/** The rows of a token holder's own spend (GET /api/tokens/me): the token's today and this month, then its team's when a limit names it. */
export function ownSpendRows(me: Pick<Whoami, "spend" | "team_spend">): OwnSpendRow[] {
  return (["token", "team"] as const).flatMap((scope) => {
    const figures = scope === "token" ? me.spend : me.team_spend;
    if (!figures) return [];
    return [
      { scope, period: "day" as const, spent: figures.spent_today_usd, limit: figures.daily_usd },
      { scope, period: "month" as const, spent: figures.spent_month_usd, limit: figures.monthly_usd },
    ];
  });
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

/** The per-day CSV: one row per day and series, zero-filled; a cost nothing priced is left empty, not 0. */
export function dailyCsv(series: DailySeries, label: (key: string) => string = (key) => key): string {
  const rows = series.days.flatMap((day, d) =>
    series.layers.map((layer) => {
      const t = layer.values[d] ?? ZERO;
      return [day, label(layer.key), t.count, knownCost(t), t.unknown_cost_count, t.refused_count, t.billed_failure_count, t.billed_failure_usd];
    }),
  );
  return toCsv(["date", series.split, "count", "cost_usd", "unknown_cost_count", "refused_count", "billed_failure_count", "billed_failure_usd"], rows);
}

/** The breakdown CSV (per model, provider, type, door or client); a cost nothing priced is left empty, not 0. */
export function groupCsv(split: Split, rows: readonly GroupRow[]): string {
  return toCsv(
    [split, "count", "cost_usd", "unknown_cost_count", "refused_count", "billed_failure_count", "billed_failure_usd"],
    rows.map((r) => [r.key, r.count, knownCost(r), r.unknown_cost_count, r.refused_count, r.billed_failure_count, r.billed_failure_usd]),
  );
}

/** The limits of the budget form, keyed `overall.daily_usd`, `video.monthly_usd`, ...: text as typed. */
export type BudgetForm = Record<string, string>;

/** The form's fields in display order: overall, then each type; daily then monthly. */
export const BUDGET_FIELDS = (["overall", ...MEDIA_TYPES] as const).flatMap((scope) => (["daily_usd", "monthly_usd"] as const).map((period) => ({ scope, period, key: `${scope}.${period}` })));

/** The form's text for a budget (empty where no limit is set). */
export function budgetForm(budget: Budget | null): BudgetForm {
  return Object.fromEntries(
    BUDGET_FIELDS.map(({ scope, period, key }) => {
      const value = scope === "overall" ? budget?.[period] : budget?.per_type?.[scope]?.[period];
      return [key, value === undefined ? "" : String(value)];
    }),
  );
}

/**
 * The budget a form describes (an empty field is no limit), or the first field that is not an amount above 0 in
 * the API's own naming (`daily_usd`, `per_type.video.monthly_usd`).
 */
export function budgetFromForm(form: BudgetForm): { budget: Budget } | { invalid: string } {
  const budget: Budget = {};
  for (const { scope, period, key } of BUDGET_FIELDS) {
    const text = (form[key] ?? "").trim();
    if (text === "") continue;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) return { invalid: scope === "overall" ? period : `per_type.${scope}.${period}` };
    if (scope === "overall") budget[period] = value;
    else budget.per_type = { ...budget.per_type, [scope]: { ...budget.per_type?.[scope], [period]: value } };
  }
  return { budget };
}
