// Spend summaries over the ledger.
import { z } from "zod";
import { Budget, MEDIA_TYPES, type MediaType } from "../config/schema.ts";
import type { Ledger, TimeRange } from "../ledger/ledger.ts";
import type { SpendQuery } from "../ledger/spend-groups.ts";
import { periodStarts } from "./budget.ts";
import { DEFAULT_COST_WINDOW_DAYS } from "../defaults.ts";
import { invalidArgument } from "../errors.ts";
import type { CostQuery, CostSummary } from "../ledger/schema.ts";

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Local midnight of a YYYY-MM-DD date, in ms. */
function localMidnight(date: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

/**
 * The window between `from` and `to`: local dates (`YYYY-MM-DD`, `to` inclusive: `to=2026-11-23` covers
 * that whole day) or ISO times (exact instants). Throws invalid_argument when `from` is not before `to`.
 */
export function timeRange(from: string | undefined, to: string | undefined): TimeRange {
  const toMs = to === undefined ? undefined : DATE_ONLY.test(to) ? localMidnight(to) + DAY_MS : Date.parse(to);
  const fromMs = from === undefined ? undefined : DATE_ONLY.test(from) ? localMidnight(from) : Date.parse(from);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw invalidArgument("from", `from (${from}) must be before to (${to})`);
  return { fromMs, toMs };
}

/**
 * Spend between `from` and `to` (see `timeRange`) grouped by day, model, type, provider, door or client (a day
 * grouping optionally split into `series`), narrowed by type and caller, with refusals and billed failures.
 * Without `from`, the last 30 days; without `to`, up to now.
 */
export async function costSummary(ledger: Ledger, query: CostQuery, now = Date.now()): Promise<CostSummary> {
  const range = timeRange(query.from, query.to);
  const toMs = range.toMs ?? now + 1;
  const fromMs = range.fromMs ?? toMs - DEFAULT_COST_WINDOW_DAYS * DAY_MS;
  if (fromMs >= toMs) throw invalidArgument("from", `from (${query.from}) must be before to (${query.to ?? "now"})`);
  const spend: SpendQuery = { fromMs, toMs, groupBy: query.group_by, series: query.series, type: query.type, door: query.door, client: query.client, session: query.session, owner: query.owner, team: query.team };
  const groups = await ledger.spendGroups(spend);
  const total = groups.reduce(
    (sum, g) => ({
      count: sum.count + g.count,
      cost_usd: sum.cost_usd + g.cost_usd,
      unknown_cost_count: sum.unknown_cost_count + g.unknown_cost_count,
      refused_count: sum.refused_count + g.refused_count,
      billed_failure_count: sum.billed_failure_count + g.billed_failure_count,
      billed_failure_usd: sum.billed_failure_usd + g.billed_failure_usd,
    }),
    { count: 0, cost_usd: 0, unknown_cost_count: 0, refused_count: 0, billed_failure_count: 0, billed_failure_usd: 0 },
  );
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    group_by: query.group_by,
    ...(query.series ? { series: query.series } : {}),
    total,
    groups,
  };
}

const SpendByScope = z.object({ overall: z.number(), image: z.number(), video: z.number(), audio: z.number() });

/** Spend so far today and this month, overall and per type (finished costs plus estimates of unfinished jobs). */
export const SpendSoFar = z.object({ day: SpendByScope, month: SpendByScope });
export type SpendSoFar = z.infer<typeof SpendSoFar>;

/** Body of `GET /api/costs/budget`: the configured limits and what has been spent against them. */
export const BudgetStatus = z.object({ budget: Budget.nullable(), spent: SpendSoFar });
export type BudgetStatus = z.infer<typeof BudgetStatus>;

/** The configured limits and what has been spent against them (`GET /api/costs/budget`). */
export async function budgetStatus(ledger: Ledger, budget: Budget | undefined, now = Date.now()): Promise<BudgetStatus> {
  const starts = periodStarts(now);
  const spentSince = async (from: number) => ({
    overall: await ledger.spendSince(from),
    ...(Object.fromEntries(await Promise.all(MEDIA_TYPES.map(async (type) => [type, await ledger.spendSince(from, type)]))) as Record<MediaType, number>),
  });
  return { budget: budget ?? null, spent: { day: await spentSince(starts.day), month: await spentSince(starts.month) } };
}
