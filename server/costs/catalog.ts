// The price catalogue (prices.yml) and the arithmetic that turns a provider's usage into dollars.
import { bundledPrices } from "./bundled-prices.ts" with { type: "macro" };
import { canonicalModelId } from "../config/schema.ts";
import type { CostLine, Meter, PriceEntry, PricedCost, TokenKind } from "./price-schema.ts";

/** The bundled catalogue: prices.yml, validated and inlined when the code is bundled. */
export const CATALOG: readonly PriceEntry[] = bundledPrices();

/** Midnight UTC of a YYYY-MM-DD day, in ms. */
const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** Whether `entry` is in force at `at` (ms): from its `from` day (inclusive) to its `until` day (exclusive). */
export function inForce(entry: PriceEntry, at: number): boolean {
  return (!entry.from || at >= dayStart(entry.from)) && (!entry.until || at < dayStart(entry.until));
}

/** The entry for a provider's model among `entries` (exact id or alias, `models/` prefix ignored) in force at `at` (ms). */
export function findPrice(entries: readonly PriceEntry[], provider: string, model: string, at = Date.now()): PriceEntry | undefined {
  const id = canonicalModelId(provider, model);
  return entries.find((e) => e.provider === provider && (e.model === id || e.aliases?.includes(id)) && inForce(e, at));
}

const round = (value: number) => Math.round(value * 1e10) / 1e10;

function line(unit: string, quantity: number, unitPrice: number): CostLine {
  return { unit, quantity, unit_price_usd: unitPrice, usd: round(quantity * unitPrice) };
}

function total(lines: CostLine[]): PricedCost {
  return { usd: round(lines.reduce((sum, l) => sum + l.usd, 0)), lines };
}

/**
 * Prices token usage: every kind that has a rate (cached input at the uncached rate when the entry gives none). A
 * kind without a rate is left out and named in `unpriced`; undefined when no used kind has a rate.
 */
function byTokens(entry: PriceEntry, tokens: Partial<Record<TokenKind, number>>): PricedCost | undefined {
  if (!entry.tokens) return undefined;
  const used = Object.entries(tokens).filter(([, count]) => (count ?? 0) > 0) as [TokenKind, number][];
  const lines: CostLine[] = [];
  const unpriced: TokenKind[] = [];
  for (const [kind, count] of used) {
    const perMillion = entry.tokens[kind] ?? (kind === "input_cached_text" ? entry.tokens.input_text : kind === "input_cached_image" ? entry.tokens.input_image : undefined);
    if (perMillion === undefined) unpriced.push(kind);
    else lines.push(line(`${kind}_token`, count, perMillion / 1_000_000));
  }
  if (lines.length === 0) return undefined;
  const priced = total(lines);
  return unpriced.length > 0 ? { ...priced, unpriced } : priced;
}

function byImages(entry: PriceEntry, meter: Meter): PricedCost | undefined {
  if (!entry.images || !meter.images) return undefined;
  const fits = (want: string, have: string | undefined) => want === "any" || want === have;
  const price = entry.images.find((p) => fits(p.size, meter.imageSize) && fits(p.quality, meter.quality));
  return price ? total([line("image", meter.images, price.usd)]) : undefined;
}

function bySeconds(entry: PriceEntry, meter: Meter): PricedCost | undefined {
  if (!entry.seconds || !meter.seconds) return undefined;
  const resolution = meter.resolution ?? "720p";
  // Resolutions are compared without case: OpenRouter says 4K where Veo says 4k.
  const key = Object.keys(entry.seconds).find((k) => k.toLowerCase() === resolution.toLowerCase());
  const rate = (key === undefined ? undefined : entry.seconds[key]) ?? entry.seconds.any;
  return rate === undefined ? undefined : total([line(`second_${resolution}`, meter.seconds, rate)]);
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
