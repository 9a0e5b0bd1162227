// `mediagen prices`: how each configured model is priced, from config.yml in the data folder, without a daemon.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PricesCommand } from "../cli.ts";
import type { Config } from "../config/schema.ts";
import { ConfigError, parseConfig } from "../config/store.ts";
import { priceList, type PriceView } from "./price-list.ts";

const PRICED_BY = { override: "your prices: entry", provider: "stated by the provider with each answer", catalog: "catalogue", none: "NO PRICE" } as const;

function describe(price: PriceView): string {
  const dates = [price.from && `from ${price.from}`, price.until && `until ${price.until}`, price.retired && `retired ${price.retired}`].filter(Boolean).join(", ");
  return [`    ${price.rates.join("; ")}`, `    source: ${price.source ?? "none given"}${price.checked ? ` (checked ${price.checked})` : ""}${dates ? `; ${dates}` : ""}`].join("\n");
}

/** Prints the configured models' prices (and the catalogue with `--all`); exits 1 when config.yml is invalid. */
export function printPrices(command: PricesCommand): void {
  const path = join(command.dataDir, "config.yml");
  let config: Config;
  try {
    // No file yet reads like the empty file the daemon would write: the built-in offline voice.
    config = parseConfig(existsSync(path) ? readFileSync(path, "utf8") : "", path);
  } catch (error) {
    console.error(`mediagen: invalid configuration\n${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(1);
  }
  const list = priceList(config);
  if (command.json) {
    console.log(JSON.stringify(list, null, 2));
    return;
  }
  console.log(`Prices in force on ${list.at.slice(0, 10)} for the models in ${path}:`);
  if (list.configured.length === 0) console.log("  (no models configured)");
  for (const model of list.configured) {
    console.log(`  ${model.type} ${model.name ? `"${model.name}" ` : ""}${model.provider}/${model.model}: ${PRICED_BY[model.priced_by]}`);
    if (model.price && model.priced_by !== "provider") console.log(describe(model.price));
    if (model.warning) console.log(`    ! ${model.warning}`);
  }
  if (command.all) {
    console.log("\nCatalogue (prices: entries of config.yml first):");
    for (const price of list.catalog) console.log(`  ${price.provider}/${price.model}${price.aliases ? ` (also ${price.aliases.join(", ")})` : ""}${price.origin === "override" ? " [override]" : ""}${price.in_force ? "" : " [not in force today]"}\n${describe(price)}`);
  } else {
    console.log("\nmediagen prices --all lists the whole catalogue. Add or correct a price under prices: in config.yml (README: Costs).");
  }
}
