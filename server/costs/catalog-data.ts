// The bundled price catalogue read and validated at build time (a Bun macro): the executable carries the checked
// entries as a literal, so the daemon parses no YAML and runs no zod over the catalogue when it starts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { PriceEntry } from "./price-schema.ts";

/** prices.yml's entries, validated by PriceEntry; throws (failing the build) when the file is invalid. */
export function catalogEntries(): PriceEntry[] {
  const text = readFileSync(join(import.meta.dir, "prices.yml"), "utf8");
  return z.object({ entries: z.array(PriceEntry) }).parse(parse(text)).entries;
}
