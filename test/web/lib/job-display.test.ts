// How a job that fell back reads: the entries it left and why, from a live view or from a ledger row's attempts.
import { describe, expect, test } from "bun:test";
import { fallbackText, fellBackFrom, fellBackFromAttempts } from "../../../web/src/lib/job-display.ts";

const at = (outcome: string, model?: string, entry?: string) => ({ n: 1, started_at: "", finished_at: "", outcome, ...(model ? { model, provider: "openclacky" } : {}), ...(entry ? { entry } : {}) });

describe("fallbacks", () => {
  test("a live view's fallback_from, labelled by provider and name", () => {
    const entries = fellBackFrom({ fallback_from: [{ model: "m1", provider: "openclacky", name: "first", error_type: "overloaded" }] });
    expect(fallbackText(entries)).toBe("openclacky · first (overloaded)");
    expect(fellBackFrom({})).toEqual([]);
  });

  test("a row's attempts: every entry but the one the row names, with its last outcome; old attempts name none", () => {
    const row = { model: "m2", provider: "openclacky", model_name: "second", attempts: [at("succeeded"), at("rate_limited", "m1", "first"), at("overloaded", "m1", "first"), at("succeeded", "m2", "second")] };
    expect(fellBackFromAttempts(row)).toEqual([{ label: "openclacky · first", errorType: "overloaded" }]);
    expect(fellBackFromAttempts({ ...row, attempts: [at("succeeded", "m2", "second")] })).toEqual([]);
  });
});
