// How a job reads: the entries it fell back from and why, its caller, its inputs, and the Jobs page's caller filter.
import { describe, expect, test } from "bun:test";
import { callerText, fallbackText, fellBackFrom, fellBackFromAttempts, inputName, matchesCaller } from "../../../web/src/lib/job-display.ts";

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

describe("caller", () => {
  test("callerText: the door in words, the client, the end of a long session id", () => {
    expect(callerText({ door: "mcp", client: "claude-code", session_id: "5d1c0f3e-2b7a-4d8e-9c11-0a1b2c3d4e5f" })).toBe("MCP · claude-code · session 2c3d4e5f");
    expect(callerText({ door: "api", client: null, session_id: "run-42" })).toBe("HTTP API · session run-42");
    expect(callerText({ door: "ui", client: null, session_id: null })).toBe("Web UI");
  });

  test.each([
    ["/home/me/out/assets/generated/img_1.png", "img_1.png"],
    ["C:\\\\pics\\\\cat.jpg", "cat.jpg"],
    ["https://example.com/a/b.webp?x=1", "b.webp"],
    ["inline image", "inline image"],
  ])("inputName(%j) is %j", (source, name) => {
    expect(inputName(source)).toBe(name);
  });

  test("matchesCaller: a door, then text in the client or the session, case-insensitive", () => {
    const job = { door: "mcp" as const, client: "Claude-Code", session_id: "conv-7" };
    expect(matchesCaller(job, { door: "", text: "" })).toBe(true);
    expect(matchesCaller(job, { door: "cli", text: "" })).toBe(false);
    expect(matchesCaller(job, { door: "mcp", text: "claude" })).toBe(true);
    expect(matchesCaller(job, { door: "", text: "CONV" })).toBe(true);
    expect(matchesCaller(job, { door: "", text: "cursor" })).toBe(false);
  });
});
