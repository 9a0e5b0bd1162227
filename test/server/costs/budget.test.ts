// Cost estimates before a call, and the daily/monthly limits overall and per type.
import { describe, expect, test } from "bun:test";
import type { Budget, ModelEntry } from "../../../server/config/schema.ts";
import { CATALOG } from "../../../server/costs/catalog.ts";
import { checkBudget, checkOwnerBudget, estimateCost, ownerSpend, periodStarts } from "../../../server/costs/budget.ts";
import { LOCAL_ADMIN, type Principal } from "../../../server/tokens/access.ts";
import { thrown } from "../../helpers.ts";
import { BACKENDS, openStorage } from "../../storage.ts";

const M = 1_000_000;
const none = () => undefined;

describe("estimateCost", () => {
  test.each([
    // type, entry, facts, expected estimate computed by hand
    ["video", { type: "video", provider: "gemini", model: "veo-3.1-generate-preview" }, { seconds: 8 }, 8 * 0.4],
    ["video 4k", { type: "video", provider: "gemini", model: "veo-3.1-generate-preview", options: { resolution: "4k" } }, { seconds: 8 }, 8 * 0.6],
    ["tts-1 by characters", { type: "audio", provider: "openai", model: "tts-1" }, { characters: 1000 }, (1000 * 15) / M],
    // 1,000 characters: 250 text tokens in at $0.50/M, 1000/15 s x 25 = 1,667 audio tokens out at $10/M.
    ["gemini tts by estimated tokens", { type: "audio", provider: "gemini", model: "gemini-2.5-flash-preview-tts" }, { characters: 1000 }, (250 * 0.5) / M + (1667 * 10) / M],
    // typical usage: 30 text tokens in at $0.30/M and 1,290 image tokens out at $30/M.
    ["gemini image by typical tokens", { type: "image", provider: "gemini", model: "gemini-2.5-flash-image" }, { aspect: "landscape" }, (30 * 0.3) / M + (1290 * 30) / M],
    // no typical tokens listed: the per-image table, medium quality 1536x1024.
    ["gpt-image-1.5 per image, medium landscape", { type: "image", provider: "openai", model: "gpt-image-1.5" }, { aspect: "landscape" }, 0.05],
    ["local speech is free", { type: "audio", provider: "local", model: "flite" }, { characters: 50 }, 0],
    // quality and size set the output tokens: gpt-image-2 at high quality is 7,024 image tokens square and 5,488
    // landscape at $30/M (+50 text tokens at $5/M): $0.17-0.21, not the $0.047 of its typical medium image.
    ["gpt-image-2 at high quality, square", { type: "image", provider: "openai", model: "gpt-image-2", options: { quality: "high" } }, { aspect: "square" }, (50 * 5) / M + (7024 * 30) / M],
    ["gpt-image-2 at high quality, landscape", { type: "image", provider: "openai", model: "gpt-image-2", options: { quality: "high" } }, { aspect: "landscape" }, (50 * 5) / M + (5488 * 30) / M],
    ["gpt-image-2 low square", { type: "image", provider: "openai", model: "gpt-image-2", options: { quality: "low" } }, { aspect: "square" }, (50 * 5) / M + (200 * 30) / M],
    // 4K output is 2,000 image tokens at $120/M (+30 text in at $2/M, 200 thinking out at $12/M).
    ["gemini-3-pro-image at 4K", { type: "image", provider: "gemini", model: "gemini-3-pro-image-preview", options: { image_size: "4K" } }, { aspect: "square" }, (30 * 2) / M + (200 * 12) / M + (2000 * 120) / M],
    // 4K on Gemini 3.1 Flash Image is 2,520 image tokens at $60/M (+30 text in at $0.50/M, 200 thinking out at $3/M).
    ["gemini-3.1-flash-image-preview at 4K", { type: "image", provider: "gemini", model: "gemini-3.1-flash-image-preview", options: { image_size: "4K" } }, { aspect: "square" }, (30 * 0.5) / M + (200 * 3) / M + (2520 * 60) / M],
    ["a models/ resource name is priced as its id", { type: "video", provider: "gemini", model: "models/veo-3.1-generate-preview" }, { seconds: 8 }, 8 * 0.4],
  ] as const)("%s", (_name, entry, facts, expected) => {
    const estimate = estimateCost(entry.type, entry as ModelEntry, facts, [], CATALOG, none);
    expect(estimate).toBeCloseTo(expected, 10);
  });

  test("an unpriced model is estimated from its recent recorded costs, else unknown", () => {
    const entry: ModelEntry = { type: "image", provider: "openclacky", model: "or-gpt-image-2" };
    expect(estimateCost("image", entry, {}, [], CATALOG, () => 0.04)).toBe(0.04);
    expect(estimateCost("image", entry, {}, [], CATALOG, none)).toBeNull();
  });

  test("a price override is used for the estimate", () => {
    const entry: ModelEntry = { type: "image", provider: "openai-compatible", model: "sdxl", base_url: "http://x" };
    expect(estimateCost("image", entry, {}, [{ provider: "openai-compatible", model: "sdxl", images: [{ size: "any", quality: "any", usd: 0.002 }] }], CATALOG, none)).toBe(0.002);
  });
});

describe("checkBudget", () => {
  const now = new Date(2026, 10, 23, 15, 0).getTime();
  const spent = (amounts: Record<string, number>) => (from: number, type?: string) => amounts[`${from === periodStarts(now).day ? "day" : "month"}:${type ?? "all"}`] ?? 0;

  test("under every limit passes", () => {
    expect(() => checkBudget({ daily_usd: 5, monthly_usd: 50 }, "image", 1, spent({ "day:all": 3, "month:all": 20 }), now)).not.toThrow();
  });

  test.each([
    ["overall daily", { daily_usd: 5 }, { "day:all": 4.5 }, "daily", "overall"],
    ["overall monthly", { monthly_usd: 50 }, { "month:all": 49.5 }, "monthly", "overall"],
    ["per-type daily", { per_type: { video: { daily_usd: 3 } } }, { "day:video": 2.5 }, "daily", "video"],
  ] as const)("%s limit refuses with the limit, the spend and the estimate", (_name, budget, amounts, period, scope) => {
    let error: unknown;
    try {
      checkBudget(budget as Budget, "video", 1, spent(amounts), now);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ type: "budget_exceeded", status: 402, details: { period, scope, estimated_usd: 1 } });
  });

  test("an unknown estimate passes unless the limit is already reached", () => {
    expect(() => checkBudget({ daily_usd: 5 }, "image", null, spent({ "day:all": 4.99 }), now)).not.toThrow();
    expect(() => checkBudget({ daily_usd: 5 }, "image", null, spent({ "day:all": 5 }), now)).toThrow(/cannot be estimated \(add a prices: entry/);
  });

  test("periods start at local midnight and the first of the month", () => {
    const starts = periodStarts(now);
    expect(new Date(starts.day).getHours()).toBe(0);
    expect(new Date(starts.month).getDate()).toBe(1);
  });
});

describe("checkOwnerBudget", () => {
  const now = new Date(2026, 10, 15, 12).getTime();
  const alice: Principal = { via: "token", role: "member", tokenId: "t1", name: "alice", team: "backend", budgetDailyUsd: 1, budgetMonthlyUsd: 10 };
  const perTeam = { backend: { daily_usd: 3 } };
  /** Spend by who: the token's and the team's figures, whatever the period. */
  const spent = (token: number, team: number) => (_from: number, who: { tokenId: string } | { team: string }) => ("tokenId" in who ? token : team);

  test.each([
    // token spent, team spent, estimate, refused scope (or pass)
    [0, 0, 0.5, "pass"],
    [0.5, 0.5, 0.5, "pass"],
    [0.6, 0.6, 0.5, "token"],
    [1, 1, null, "token"],
    [0.2, 2.8, 0.5, "team"],
    [0.2, 3, null, "team"],
  ] as const)("token spent %p, team spent %p, estimate %p: %p", (token, team, estimate, expected) => {
    const run = () => checkOwnerBudget(alice, perTeam, estimate, spent(token, team), now);
    if (expected === "pass") return expect(run()).toBeUndefined();
    const error = thrown(run);
    expect(error.type).toBe("budget_exceeded");
    expect(error.details.scope).toBe(expected);
    expect(expected === "token" ? error.details.owner : error.details.team).toBe(expected === "token" ? "alice" : "backend");
  });

  test("the monthly limit of the token counts too", () => {
    const error = thrown(() => checkOwnerBudget({ ...alice, budgetDailyUsd: null }, undefined, 0.5, (from) => (from >= periodStarts(now).day ? 0 : 9.8), now));
    expect(error.details).toMatchObject({ period: "monthly", scope: "token", owner: "alice", limit_usd: 10 });
  });

  test("server.token, the local admin and a token without limits or team are never held", () => {
    const never = () => {
      throw new Error("no spend should be read");
    };
    expect(checkOwnerBudget({ via: "server-token", role: "admin" }, perTeam, 100, never, now)).toBeUndefined();
    expect(checkOwnerBudget(undefined, perTeam, 100, never, now)).toBeUndefined();
    expect(checkOwnerBudget({ ...alice, team: null, budgetDailyUsd: null, budgetMonthlyUsd: null }, perTeam, 100, never, now)).toBeUndefined();
  });
});

describe.each(BACKENDS)("ownerSpend on %s", (backend) => {
  test("a token's and its team's limits and spend since the budget check's local day and month starts", async () => {
    const now = new Date(2026, 10, 15, 12).getTime();
    let clock = now;
    const storage = await openStorage(backend, () => clock);
    const job = async (at: number, usd: number, owner?: { tokenId: string; name: string; team: string | null }) => {
      clock = at;
      await storage.ledger.start({ type: "image", model: "m", provider: "p", prompt: "unfinished, counted at its estimate", params: {}, estimatedCostUsd: usd, owner });
    };
    const alice = { tokenId: "tok_a", name: "alice", team: "red" };
    await job(now - 60_000, 1, alice);
    await job(new Date(2026, 10, 14, 23).getTime(), 2, alice);
    await job(new Date(2026, 9, 31, 23).getTime(), 4, alice);
    await job(now, 8, { tokenId: "tok_b", name: "bob", team: "red" });
    await job(now, 16);
    const principal: Principal = { via: "token", role: "member", tokenId: "tok_a", name: "alice", team: "red", budgetDailyUsd: 3, budgetMonthlyUsd: null };
    const spendBy = (from: number, who: { tokenId: string } | { team: string }) => storage.ledger.spendSinceBy(from, who);
    expect(await ownerSpend(principal, { red: { monthly_usd: 50 } }, spendBy, now)).toEqual({
      spend: { daily_usd: 3, monthly_usd: null, spent_today_usd: 1, spent_month_usd: 3 },
      team_spend: { daily_usd: null, monthly_usd: 50, spent_today_usd: 9, spent_month_usd: 11 },
    });
    expect((await ownerSpend(principal, { blue: { daily_usd: 1 } }, spendBy, now)).team_spend).toBeNull();
    expect(await ownerSpend({ via: "server-token", role: "admin" }, { red: { daily_usd: 1 } }, spendBy, now)).toEqual({ spend: null, team_spend: null });
    expect(await ownerSpend(LOCAL_ADMIN, undefined, spendBy, now)).toEqual({ spend: null, team_spend: null });
    await storage.close();
  });
});
