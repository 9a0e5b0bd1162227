// prices.yml parsed and validated when the code is bundled (imported as a Bun macro by catalog.ts), so the daemon
// never parses YAML or runs zod over the catalogue at start; an invalid prices.yml fails the build instead.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { PriceEntry } from "./price-schema.ts";

/** The validated entries of prices.yml as plain JSON (what the macro inlines). */
export function bundledPrices(): PriceEntry[] {
  const text = readFileSync(new URL("./prices.yml", import.meta.url), "utf8");
  const entries = z.object({ entries: z.array(PriceEntry) }).parse(parse(text)).entries;
  return JSON.parse(JSON.stringify(entries)) as PriceEntry[];
}
