// Cost of a generation: the provider's own figure when it reports one, else the price catalogue, else unknown.
import type { ModelEntry } from "../config/schema.ts";
import type { CostFigure } from "../db/generations.ts";
import type { ProviderResult } from "../providers/types.ts";

/** What was generated, for pricing. */
export interface PricedJob {
  entry: ModelEntry;
  result: ProviderResult;
  /** Characters of speech input, seconds of video, images produced. */
  characters?: number;
}

/** The cost of a finished generation with its source; never a made-up $0 for an unknown price. */
export function costOf({ entry, result, characters }: PricedJob): CostFigure {
  if (result.costUsd !== undefined) return { costUsd: result.costUsd, source: "upstream" };
  if (entry.provider === "local") {
    return { costUsd: 0, source: "catalog", unit: "character", quantity: characters ?? 0, unitPrice: 0 };
  }
  return { costUsd: null, source: "unknown" };
}
