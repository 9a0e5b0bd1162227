// How a generation's cost source reads: its label and the sentence explaining it, from what the ledger recorded.
import type { Generation } from "./api.ts";

/** The i18n keys of a cost source's label and explanation. */
export interface CostSourceText {
  label: string;
  help: string;
}

/**
 * The label and explanation of a generation's cost. An unknown cost is explained by what is known: a job that ended
 * without a charge (not succeeded, no cost, no note that it may have been billed) says so; one with a note points at
 * it; a success without a price says that no rate applied, which is true whether or not the model is in the catalogue.
 */
export function costSourceText(g: Pick<Generation, "status" | "cost_source" | "cost_usd" | "cost_note">): CostSourceText {
  if (g.cost_source !== "unknown") return { label: `history.source.${g.cost_source}`, help: `history.sourceHelp.${g.cost_source}` };
  if (g.cost_note) return { label: "history.source.unknown", help: "history.sourceHelp.unknownNoted" };
  if (g.status !== "succeeded" && g.cost_usd === null) return { label: "history.source.noCharge", help: "history.sourceHelp.noCharge" };
  return { label: "history.source.unknown", help: "history.sourceHelp.unknown" };
}
