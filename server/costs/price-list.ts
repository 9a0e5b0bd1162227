// What each configured model costs and where that figure comes from, and the whole catalogue: for the prices
// command and the Costs page. Knows nothing about HTTP.
import { z } from "zod";
import { MediaType, type Config } from "../config/schema.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { CATALOG, findPrice, inForce } from "./catalog.ts";
import type { PriceEntry } from "./price-schema.ts";

/** One price entry as people read it: its rates in words, source, dates. */
export const PriceView = z.object({
  provider: z.string(),
  model: z.string(),
  aliases: z.array(z.string()).optional(),
  type: MediaType.optional(),
  rates: z.array(z.string()),
  origin: z.enum(["catalog", "override"]),
  source: z.string().nullable(),
  checked: z.string().nullable(),
  from: z.string().optional(),
  until: z.string().optional(),
  retired: z.string().optional(),
  in_force: z.boolean(),
});
export type PriceView = z.infer<typeof PriceView>;

/** A configured model and how its generations are priced. */
export const ConfiguredPrice = z.object({
  name: z.string().optional(),
  type: MediaType,
  provider: z.string(),
  model: z.string(),
  /** `provider`: the provider states each cost (OpenRouter); `none`: recorded as unknown until a price is added. */
  priced_by: z.enum(["override", "provider", "catalog", "none"]),
  price: PriceView.nullable(),
  /** What the user should act on: no price, a retired model. */
  warning: z.string().optional(),
});
export type ConfiguredPrice = z.infer<typeof ConfiguredPrice>;

/** Body of `GET /api/costs/prices`. */
export const PriceList = z.object({ at: z.string(), configured: z.array(ConfiguredPrice), catalog: z.array(PriceView) });
export type PriceList = z.infer<typeof PriceList>;

const usd = (value: number) => `$${Number(value.toPrecision(6))}`;

/** An entry's rates in words: "output_image $30/M tokens", "1024x1024 high $0.167/image", "720p $0.40/s", "$15/M characters". */
export function rateLines(entry: PriceEntry): string[] {
  const lines: string[] = [];
  for (const [kind, perMillion] of Object.entries(entry.tokens ?? {})) lines.push(`${kind} ${usd(perMillion)}/M tokens`);
  for (const image of entry.images ?? []) {
    const which = [image.size, image.quality].filter((part) => part !== "any").join(" ");
    lines.push(`${which ? `${which} ` : ""}${usd(image.usd)}/image`);
  }
  for (const [resolution, perSecond] of Object.entries(entry.seconds ?? {})) lines.push(`${resolution} ${usd(perSecond)}/s`);
  if (entry.characters !== undefined) lines.push(`${usd(entry.characters * 1_000_000)}/M characters`);
  return lines;
}

/** An entry as the API shows it, keys in the schema's order. */
function view(entry: PriceEntry, origin: "catalog" | "override", at: number): PriceView {
  return {
    provider: entry.provider,
    model: entry.model,
    ...(entry.aliases?.length ? { aliases: entry.aliases } : {}),
    ...(entry.type ? { type: entry.type } : {}),
    rates: rateLines(entry),
    origin,
    source: entry.source ?? null,
    checked: entry.checked === undefined ? null : entry.checked instanceof Date ? entry.checked.toISOString().slice(0, 10) : String(entry.checked),
    ...(entry.from ? { from: entry.from } : {}),
    ...(entry.until ? { until: entry.until } : {}),
    ...(entry.retired ? { retired: entry.retired } : {}),
    in_force: inForce(entry, at),
  };
}

/** How each configured model is priced at `at` (ms), and the catalogue with the config's overrides first. */
export function priceList(config: Config, at = Date.now(), catalog: readonly PriceEntry[] = CATALOG): PriceList {
  const configured = config.models.map((entry): ConfiguredPrice => {
    const override = findPrice(config.prices, entry.provider, entry.model, at);
    const listed = findPrice(catalog, entry.provider, entry.model, at);
    const reports = PROVIDERS[entry.provider]?.reportsCost === true;
    const priced_by = override ? "override" : reports ? "provider" : listed ? "catalog" : "none";
    const price = override ? view(override, "override", at) : listed ? view(listed, "catalog", at) : null;
    const retired = (override ?? listed)?.retired;
    const warning =
      retired && at >= Date.parse(`${retired}T00:00:00Z`)
        ? `${entry.provider} retired ${entry.model} on ${retired}; configure its successor`
        : priced_by === "none"
          ? `no price for ${entry.provider}/${entry.model}: its generations are recorded at an unknown cost; add a prices: entry in config.yml`
          : undefined;
    const result: ConfiguredPrice = {
      ...(entry.name ? { name: entry.name } : {}),
      type: entry.type,
      provider: entry.provider,
      model: entry.model,
      priced_by,
      price,
      ...(warning ? { warning } : {}),
    };
    return result;
  });
  return {
    at: new Date(at).toISOString(),
    configured,
    catalog: [...config.prices.map((entry) => view(entry, "override", at)), ...catalog.map((entry) => view(entry, "catalog", at))],
  };
}
