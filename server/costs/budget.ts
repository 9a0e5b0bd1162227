// Spending limits: estimate a request's cost before calling, and refuse it if it would pass a limit.
import type { Budget, Limits, MediaType, ModelEntry } from "../config/schema.ts";
import { AppError } from "../errors.ts";
import { findPrice, priceMeter } from "./catalog.ts";
import type { Meter, PriceEntry } from "./price-schema.ts";
import type { Aspect } from "../formats/aspect.ts";

/** What is known about a request before it is sent. */
export interface RequestFacts {
  aspect?: Aspect;
  seconds?: number;
  characters?: number;
}

const ESTIMATE_SIZES: Record<Aspect, string> = { landscape: "1536x1024", square: "1024x1024", portrait: "1024x1536" };
/** Speech estimates: characters per text token, characters spoken per second, audio tokens per second. */
const CHARS_PER_TOKEN = 4;
const CHARS_PER_SECOND = 15;
const AUDIO_TOKENS_PER_SECOND = 25;

function estimateMeter(type: MediaType, entry: ModelEntry, price: PriceEntry, facts: RequestFacts): Meter {
  const options = entry.options ?? {};
  if (type === "video") return { seconds: facts.seconds, resolution: typeof options.resolution === "string" ? options.resolution : "720p" };
  if (type === "audio") {
    const characters = facts.characters ?? 0;
    const tokens = { input_text: Math.ceil(characters / CHARS_PER_TOKEN), output_audio: Math.ceil((characters / CHARS_PER_SECOND) * AUDIO_TOKENS_PER_SECOND) };
    return { characters, tokens };
  }
  const quality = typeof options.quality === "string" && options.quality !== "auto" ? options.quality : "medium";
  return { images: 1, imageSize: ESTIMATE_SIZES[facts.aspect ?? "landscape"], quality, tokens: price.typical?.tokens };
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
  const price = findPrice(overrides, entry.provider, entry.model) ?? findPrice(catalog, entry.provider, entry.model);
  const priced = price && priceMeter(price, estimateMeter(type, entry, price, facts));
  if (priced) return priced.usd;
  return recentAverage() ?? null;
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
