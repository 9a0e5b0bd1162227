// Cost of a generation: a user's price override, else the provider's own figure, else the price catalogue, else unknown.
import type { ModelEntry } from "../config/schema.ts";
import type { CostFigure } from "../db/generations.ts";
import { CATALOG, findPrice, priceMeter } from "../pricing/catalog.ts";
import type { Meter, PriceEntry, PricedCost } from "../pricing/schema.ts";
import type { ProviderResult } from "../providers/types.ts";

function figure(priced: PricedCost, source: "catalog" | "override"): CostFigure {
  const main = priced.lines.reduce((best, line) => (line.usd > best.usd ? line : best), priced.lines[0]!);
  return { costUsd: priced.usd, source, unit: main.unit, quantity: main.quantity, unitPrice: main.unit_price_usd, breakdown: priced.lines };
}

/**
 * The cost of a finished generation with its source and audit trail; never a made-up $0 for an unknown price.
 * `overrides` are the `prices:` of config.yml and win over everything; `catalog` defaults to prices.yml.
 */
export function costOf(entry: ModelEntry, result: ProviderResult, meter: Meter, overrides: readonly PriceEntry[], catalog: readonly PriceEntry[] = CATALOG): CostFigure {
  const override = findPrice(overrides, entry.provider, entry.model);
  const overridden = override && priceMeter(override, meter);
  if (overridden) return figure(overridden, "override");
  if (result.costUsd !== undefined) return { costUsd: result.costUsd, source: "upstream" };
  const listed = findPrice(catalog, entry.provider, entry.model);
  const priced = listed && priceMeter(listed, meter);
  if (priced) return figure(priced, "catalog");
  return { costUsd: null, source: "unknown" };
}
