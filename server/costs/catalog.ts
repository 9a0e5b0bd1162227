// The price catalogue (prices.yml) and the arithmetic that turns a provider's usage into dollars.
import { catalogEntries } from "./catalog-data.ts" with { type: "macro" };
import type { CostLine, Meter, PriceEntry, PricedCost, TokenKind } from "./price-schema.ts";

/** The bundled catalogue (prices.yml), validated when the code is bundled or loaded. */
export const CATALOG: readonly PriceEntry[] = catalogEntries();

/** The entry for a provider's model among `entries` (exact id or alias). */
export function findPrice(entries: readonly PriceEntry[], provider: string, model: string): PriceEntry | undefined {
  return entries.find((e) => e.provider === provider && (e.model === model || e.aliases?.includes(model)));
}

const round = (value: number) => Math.round(value * 1e10) / 1e10;

function line(unit: string, quantity: number, unitPrice: number): CostLine {
  return { unit, quantity, unit_price_usd: unitPrice, usd: round(quantity * unitPrice) };
}

function total(lines: CostLine[]): PricedCost {
  return { usd: round(lines.reduce((sum, l) => sum + l.usd, 0)), lines };
}

/** Prices token usage; undefined when a used token kind has no price. */
function byTokens(entry: PriceEntry, tokens: Partial<Record<TokenKind, number>>): PricedCost | undefined {
  if (!entry.tokens) return undefined;
  const used = Object.entries(tokens).filter(([, count]) => (count ?? 0) > 0) as [TokenKind, number][];
  if (used.length === 0) return undefined;
  const lines: CostLine[] = [];
  for (const [kind, count] of used) {
    const perMillion = entry.tokens[kind] ?? (kind === "input_cached_text" ? entry.tokens.input_text : kind === "input_cached_image" ? entry.tokens.input_image : undefined);
    if (perMillion === undefined) return undefined;
    lines.push(line(`${kind}_token`, count, perMillion / 1_000_000));
  }
  return total(lines);
}

function byImages(entry: PriceEntry, meter: Meter): PricedCost | undefined {
  if (!entry.images || !meter.images) return undefined;
  const fits = (want: string, have: string | undefined) => want === "any" || want === have;
  const price = entry.images.find((p) => fits(p.size, meter.imageSize) && fits(p.quality, meter.quality));
  return price ? total([line("image", meter.images, price.usd)]) : undefined;
}

function bySeconds(entry: PriceEntry, meter: Meter): PricedCost | undefined {
  if (!entry.seconds || !meter.seconds) return undefined;
  const rate = entry.seconds[meter.resolution ?? "720p"] ?? entry.seconds.any;
  return rate === undefined ? undefined : total([line(`second_${meter.resolution ?? "720p"}`, meter.seconds, rate)]);
}

function byCharacters(entry: PriceEntry, meter: Meter): PricedCost | undefined {
  if (entry.characters === undefined || meter.characters === undefined) return undefined;
  return total([line("character", meter.characters, entry.characters)]);
}

/**
 * The cost of `meter` under `entry`: token usage first (the most exact), then per image, per second,
 * per character. Undefined when nothing in the meter can be priced by the entry.
 */
export function priceMeter(entry: PriceEntry, meter: Meter): PricedCost | undefined {
  return (
    (meter.tokens ? byTokens(entry, meter.tokens) : undefined) ?? byImages(entry, meter) ?? bySeconds(entry, meter) ?? byCharacters(entry, meter)
  );
}
