// Cost of a generation: a user's price override, else the provider's own figure, else the price catalogue, else unknown.
import type { ModelEntry } from "../config/schema.ts";
import type { CostFigure } from "../ledger/ledger.ts";
import { MAX_PLAUSIBLE_COST_USD } from "../defaults.ts";
import type { Billed } from "../errors.ts";
import { CATALOG, findPrice, priceMeter } from "./catalog.ts";
import type { CostLine, Meter, PriceEntry, PricedCost } from "./price-schema.ts";
import type { ProviderResult } from "../providers/types.ts";

function figure(priced: PricedCost, source: "catalog" | "override"): CostFigure {
  const main = priced.lines.reduce((best, line) => (line.usd > best.usd ? line : best), priced.lines[0]!);
  const cost: CostFigure = { costUsd: priced.usd, source, unit: main.unit, quantity: main.quantity, unitPrice: main.unit_price_usd, breakdown: priced.lines };
  if (priced.unpriced) cost.note = `${PARTIAL_PRICE}: no ${source === "override" ? "prices: entry" : "catalogue"} rate for ${priced.unpriced.map((kind) => `${kind} tokens`).join(", ")}, left out of this cost`;
  return cost;
}

/** How a cost note starts when some of the usage had no rate (the cost is a lower bound). */
export const PARTIAL_PRICE = "Partial price";

/**
 * The cost of a finished generation with its source and audit trail; never a made-up $0 for an unknown price.
 * `overrides` are the `prices:` of config.yml and win over everything; `catalog` defaults to prices.yml.
 */
export function costOf(entry: ModelEntry, result: ProviderResult, meter: Meter, overrides: readonly PriceEntry[], catalog: readonly PriceEntry[] = CATALOG): CostFigure {
  const override = findPrice(overrides, entry.provider, entry.model);
  const overridden = override && priceMeter(override, meter);
  if (overridden) return figure(overridden, "override");
  if (result.costUsd !== undefined) return upstreamCost(result.costUsd, result.costLines);
  const listed = findPrice(catalog, entry.provider, entry.model);
  const priced = listed && priceMeter(listed, meter);
  if (priced) return figure(priced, "catalog");
  return { costUsd: null, source: "unknown" };
}

/** Why a cost figure from a provider cannot be trusted (negative, not finite, absurd), or undefined when it can. */
export function implausibleCost(usd: number): string | undefined {
  if (!Number.isFinite(usd)) return "not a finite number";
  if (usd < 0) return "negative";
  if (usd > MAX_PLAUSIBLE_COST_USD) return `more than $${MAX_PLAUSIBLE_COST_USD} for one generation`;
  return undefined;
}

/** A cost the provider reported (with its parts, if it gave several): kept when plausible, else unknown with the reason (never a made-up or negative figure). */
export function upstreamCost(usd: number, lines?: CostLine[]): CostFigure {
  const problem = implausibleCost(usd);
  if (!problem) return lines?.length ? { costUsd: usd, source: "upstream", breakdown: lines } : { costUsd: usd, source: "upstream" };
  return { costUsd: null, source: "unknown", note: `The provider reported a cost of ${usd} USD, which is ${problem}; recorded as unknown` };
}

/**
 * The cost of a job the provider finished and billed but mediagen could not complete (download failed, bad
 * bytes, a timeout after the operation ended). Unknown still carries a note, so it is counted as unknown.
 */
export function billedCost(entry: ModelEntry, billed: Billed, meter: Meter, overrides: readonly PriceEntry[], catalog: readonly PriceEntry[] = CATALOG): CostFigure {
  const cost = costOf(entry, { bytes: new Uint8Array(), costUsd: billed.costUsd, usage: billed.usage }, { ...meter, ...billed.meter }, overrides, catalog);
  if (cost.costUsd !== null || cost.note) return cost;
  return { ...cost, note: "The provider finished (and billed) this job, but its price is not in the catalogue; add a prices: entry in config.yml" };
}
