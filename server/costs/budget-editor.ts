// Setting the spending limits from the UI: `PUT /api/costs/budget` writes `budget:` into config.yml field by field,
// so the user's comments on the lines it keeps stay.
import type { Document } from "yaml";
import { Budget, MEDIA_TYPES } from "../config/schema.ts";
import { ConfigError, type ConfigStore } from "../config/store.ts";
import { invalidArgument } from "../errors.ts";
import { parseOrThrow } from "../validate.ts";

const PERIODS = ["daily_usd", "monthly_usd"] as const;

/** Sets or removes one limit at `path`; a map left empty by a removal goes too. */
function writeLimit(doc: Document, path: string[], value: number | undefined): void {
  if (value !== undefined) {
    doc.setIn(path, value);
    return;
  }
  if (doc.hasIn(path)) doc.deleteIn(path);
}

/** Removes the map at `path` when nothing is left in it. */
function dropIfEmpty(doc: Document, path: string[]): void {
  const node = doc.getIn(path, true) as { items?: unknown[] } | undefined;
  if (node && Array.isArray(node.items) && node.items.length === 0) doc.deleteIn(path);
}

/**
 * Replaces the budget with `raw` (every limit optional; one left out is removed), validated by the config's own
 * Budget schema: a bad value is a 400 naming the field, and nothing is written.
 */
export function setBudget(store: ConfigStore, raw: unknown): Budget | undefined {
  const budget = parseOrThrow(Budget, raw ?? {});
  try {
    store.update((doc) => {
      for (const period of PERIODS) writeLimit(doc, ["budget", period], budget[period]);
      for (const type of MEDIA_TYPES) {
        for (const period of PERIODS) writeLimit(doc, ["budget", "per_type", type, period], budget.per_type?.[type]?.[period]);
        dropIfEmpty(doc, ["budget", "per_type", type]);
      }
      dropIfEmpty(doc, ["budget", "per_type"]);
      dropIfEmpty(doc, ["budget"]);
    });
  } catch (error) {
    if (error instanceof ConfigError && error.issue) throw invalidArgument(error.issue.field, error.issue.message, error.issue.allowed);
    throw error;
  }
  return store.get().budget;
}
