// Spending limits: estimate a request's cost before calling, and refuse it if it would pass a limit.
import type { Budget, Limits, MediaType, ModelEntry } from "../config/schema.ts";
import type { RequestFacts } from "../providers/types.ts";
import { AppError } from "../errors.ts";
import { findPrice, priceMeter } from "./catalog.ts";
import type { PriceEntry } from "./price-schema.ts";
import { estimateMeter } from "../providers/registry.ts";
import type { Principal } from "../tokens/access.ts";
import type { LimitsAndSpend } from "../tokens/schema.ts";


/** Where an estimate came from: a user price, the catalogue, this model's recent recorded costs, or nowhere. */
export type EstimateBasis = "override" | "catalog" | "recent" | "unknown";

/** A request's cost before it is sent and where that figure came from; `usd` is null when it cannot be estimated. */
export function estimateCostWithBasis(
  type: MediaType,
  entry: ModelEntry,
  facts: RequestFacts,
  overrides: readonly PriceEntry[],
  catalog: readonly PriceEntry[],
  recentAverage: () => number | undefined,
): { usd: number | null; basis: EstimateBasis } {
  const override = findPrice(overrides, entry.provider, entry.model);
  const price = override ?? findPrice(catalog, entry.provider, entry.model);
  const priced = price && priceMeter(price, estimateMeter(type, entry, facts, price.typical?.tokens));
  if (priced) return { usd: priced.usd, basis: override ? "override" : "catalog" };
  const recent = recentAverage();
  return recent === undefined ? { usd: null, basis: "unknown" } : { usd: recent, basis: "recent" };
}

/**
 * A request's cost before it is sent: priced from the overrides or the catalogue, else the average of
 * this model's recent recorded costs, else null (unknown).
 */
export function estimateCost(
  type: MediaType,
  entry: ModelEntry,
  facts: RequestFacts,
  overrides: readonly PriceEntry[],
  catalog: readonly PriceEntry[],
  recentAverage: () => number | undefined,
): number | null {
  return estimateCostWithBasis(type, entry, facts, overrides, catalog, recentAverage).usd;
}

/** Local midnight today and the first of this month, in ms. */
export function periodStarts(now: number): { day: number; month: number } {
  const date = new Date(now);
  return {
    day: new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime(),
    month: new Date(date.getFullYear(), date.getMonth(), 1).getTime(),
  };
}

const usd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;

/**
 * Refuses (402 budget_exceeded) a request whose estimate would pass a daily or monthly limit, overall or
 * for its type. `spend(from, type?)` is what was spent since `from`, including estimates of unfinished jobs
 * and, for finished jobs billed at an unknown cost, their estimate or ASSUMED_COST_USD. A request whose own
 * cost cannot be estimated is let through unless a limit is already reached.
 */
export function checkBudget(budget: Budget | undefined, type: MediaType, estimate: number | null, spend: (from: number, type?: MediaType) => number, now: number): void {
  if (!budget) return;
  const starts = periodStarts(now);
  const scopes: [string, Limits | undefined, MediaType | undefined][] = [
    ["overall", budget, undefined],
    [type, budget.per_type?.[type], type],
  ];
  for (const [scope, limits, scopeType] of scopes) {
    for (const [period, limit, from] of [
      ["daily", limits?.daily_usd, starts.day],
      ["monthly", limits?.monthly_usd, starts.month],
    ] as const) {
      if (limit === undefined) continue;
      const spent = spend(from, scopeType);
      const cost = estimate ?? 0;
      if (spent + cost <= limit && spent < limit) continue;
      const what = estimate === null ? "its cost cannot be estimated (add a prices: entry for this model)" : `it is estimated at ${usd(cost)}`;
      throw new AppError(
        "budget_exceeded",
        `Refused before calling the provider: the ${period} ${scope === "overall" ? "" : `${scope} `}limit is ${usd(limit)}, ${usd(spent)} is spent or committed ${period === "daily" ? "today" : "this month"}, and ${what}. Raise budget.${scope === "overall" ? "" : `per_type.${scope}.`}${period}_usd in config.yml to allow it.`,
        { limit_usd: limit, spent_usd: Math.round(spent * 1e6) / 1e6, estimated_usd: estimate ?? undefined, period, scope },
      );
    }
  }
}

/**
 * Refuses (402 budget_exceeded, naming whose) a request that would pass its token's own daily or monthly limit or
 * its team's (budget.per_team in config.yml), counted like checkBudget. `spendBy(from, who)` is what that token or
 * team spent since `from`. No limit applies to server.token or to a daemon without tokens.
 */
export function checkOwnerBudget(
  principal: Principal | undefined,
  perTeam: Budget["per_team"],
  estimate: number | null,
  spendBy: (from: number, who: { tokenId: string } | { team: string }) => number,
  now: number,
): void {
  if (!principal?.tokenId) return;
  const starts = periodStarts(now);
  const team = principal.team ? perTeam?.[principal.team] : undefined;
  const scopes = [
    { who: { tokenId: principal.tokenId }, limits: { daily_usd: principal.budgetDailyUsd ?? undefined, monthly_usd: principal.budgetMonthlyUsd ?? undefined }, label: `token "${principal.name}"`, details: { owner: principal.name } },
    ...(team && principal.team ? [{ who: { team: principal.team }, limits: team, label: `team "${principal.team}"`, details: { team: principal.team } }] : []),
  ];
  for (const scope of scopes) {
    for (const [period, limit, from] of [
      ["daily", scope.limits.daily_usd, starts.day],
      ["monthly", scope.limits.monthly_usd, starts.month],
    ] as const) {
      if (limit === undefined) continue;
      const spent = spendBy(from, scope.who);
      const cost = estimate ?? 0;
      if (spent + cost <= limit && spent < limit) continue;
      const what = estimate === null ? "its cost cannot be estimated (add a prices: entry for this model)" : `it is estimated at ${usd(cost)}`;
      const raise = "tokenId" in scope.who ? "an admin can give this person a token with a higher limit" : `an admin can raise budget.per_team.${principal.team}.${period}_usd in config.yml`;
      throw new AppError(
        "budget_exceeded",
        `Refused before calling the provider: the ${period} limit of ${scope.label} is ${usd(limit)}, ${usd(spent)} is spent or committed ${period === "daily" ? "today" : "this month"}, and ${what}. ${raise[0]!.toUpperCase()}${raise.slice(1)}.`,
        { limit_usd: limit, spent_usd: Math.round(spent * 1e6) / 1e6, estimated_usd: estimate ?? undefined, period, scope: "tokenId" in scope.who ? "token" : "team", ...scope.details },
      );
    }
  }
}

/** A key of one spend figure: a period's start and its scope. */
const spendKey = (from: number, scope: string | undefined) => `${from}:${scope ?? ""}`;

/**
 * The figures checkBudget asks for (today and this month, overall and for `type`, where a limit is set), read from
 * the ledger ahead of the check so that the check itself stays synchronous; 0 for the rest.
 */
export async function spentTable(budget: Budget | undefined, spend: (from: number, type?: MediaType) => Promise<number>, now: number, type: MediaType): Promise<(from: number, type?: MediaType) => number> {
  if (!budget) return () => 0;
  const starts = periodStarts(now);
  const known = new Map<string, number>();
  for (const [limits, scope] of [[budget, undefined], [budget.per_type?.[type], type]] as const) {
    if (limits?.daily_usd !== undefined) known.set(spendKey(starts.day, scope), await spend(starts.day, scope));
    if (limits?.monthly_usd !== undefined) known.set(spendKey(starts.month, scope), await spend(starts.month, scope));
  }
  return (from, scope) => known.get(spendKey(from, scope)) ?? 0;
}

/** The figures checkOwnerBudget asks for (the token's and its team's, today and this month, where a limit is set), read ahead of the check. */
export async function spentByTable(
  principal: Principal | undefined,
  perTeam: Budget["per_team"],
  spendBy: (from: number, who: { tokenId: string } | { team: string }) => Promise<number>,
  now: number,
): Promise<(from: number, who: { tokenId: string } | { team: string }) => number> {
  if (!principal?.tokenId) return () => 0;
  const starts = periodStarts(now);
  const team = principal.team ? perTeam?.[principal.team] : undefined;
  const scopes: [{ tokenId: string } | { team: string }, number | null | undefined, number | null | undefined][] = [
    [{ tokenId: principal.tokenId }, principal.budgetDailyUsd, principal.budgetMonthlyUsd],
    ...(team && principal.team ? [[{ team: principal.team }, team.daily_usd, team.monthly_usd] as [{ team: string }, number | undefined, number | undefined]] : []),
  ];
  const scopeOf = (who: { tokenId: string } | { team: string }) => ("tokenId" in who ? `token:${who.tokenId}` : `team:${who.team}`);
  const known = new Map<string, number>();
  for (const [who, daily, monthly] of scopes) {
    if (daily !== undefined && daily !== null) known.set(spendKey(starts.day, scopeOf(who)), await spendBy(starts.day, who));
    if (monthly !== undefined && monthly !== null) known.set(spendKey(starts.month, scopeOf(who)), await spendBy(starts.month, who));
  }
  return (from, who) => known.get(spendKey(from, scopeOf(who))) ?? 0;
}

/**
 * What a token's holder sees of their own budget: the token's limits and its spend today and this month, and its
 * team's when budget.per_team names the team, counted by `spendBy` (the ledger's spendSinceBy, as checkOwnerBudget
 * counts) from the same local day and month; nulls for server.token and a daemon without tokens.
 */
export async function ownerSpend(
  principal: Principal,
  perTeam: Budget["per_team"],
  spendBy: (from: number, who: { tokenId: string } | { team: string }) => Promise<number>,
  now: number,
): Promise<{ spend: LimitsAndSpend | null; team_spend: LimitsAndSpend | null }> {
  if (!principal.tokenId) return { spend: null, team_spend: null };
  const starts = periodStarts(now);
  const of = async (who: { tokenId: string } | { team: string }, daily: number | null | undefined, monthly: number | null | undefined): Promise<LimitsAndSpend> => {
    const [today, month] = await Promise.all([spendBy(starts.day, who), spendBy(starts.month, who)]);
    const micro = (usd: number) => Math.round(usd * 1e6) / 1e6;
    return { daily_usd: daily ?? null, monthly_usd: monthly ?? null, spent_today_usd: micro(today), spent_month_usd: micro(month) };
  };
  const team = principal.team ? perTeam?.[principal.team] : undefined;
  const [spend, teamSpend] = await Promise.all([
    of({ tokenId: principal.tokenId }, principal.budgetDailyUsd, principal.budgetMonthlyUsd),
    team && principal.team ? of({ team: principal.team }, team.daily_usd, team.monthly_usd) : null,
  ]);
  return { spend, team_spend: teamSpend };
}
