// How a generation's cost source is labelled and explained, from what the ledger recorded.
import { expect, test } from "bun:test";
import { costSourceText } from "../../../web/src/lib/cost-source.ts";

test.each([
  ["a catalogue price", { status: "succeeded", cost_source: "catalog", cost_usd: 0.04, cost_note: null }, "history.source.catalog", "history.sourceHelp.catalog"],
  ["a billed failure with its price", { status: "failed", cost_source: "catalog", cost_usd: 0.4, cost_note: null }, "history.source.catalog", "history.sourceHelp.catalog"],
  ["a failure that charged nothing", { status: "failed", cost_source: "unknown", cost_usd: null, cost_note: null }, "history.source.noCharge", "history.sourceHelp.noCharge"],
  ["a cancelled job", { status: "cancelled", cost_source: "unknown", cost_usd: null, cost_note: null }, "history.source.noCharge", "history.sourceHelp.noCharge"],
  ["a failure that may have been billed", { status: "failed", cost_source: "unknown", cost_usd: null, cost_note: "may have been billed" }, "history.source.unknown", "history.sourceHelp.unknownNoted"],
  ["a success without a price", { status: "succeeded", cost_source: "unknown", cost_usd: null, cost_note: null }, "history.source.unknown", "history.sourceHelp.unknown"],
] as const)("%s", (_name, row, label, help) => {
  expect(costSourceText(row)).toEqual({ label, help });
});
