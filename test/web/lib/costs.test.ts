// Cost aggregation: days, zero-filled series per type, model or caller, stacking, totals, budget bars and its form, CSV.
import { describe, expect, test } from "bun:test";

/** No refusals and no billed failures in a group. */
const NONE = { refused_count: 0, billed_failure_count: 0, billed_failure_usd: 0 };
import {
  addDays,
  axisUsd,
  budgetBars,
  budgetLevel,
  csvField,
  dailyCsv,
  budgetForm,
  budgetFromForm,
  costFilterQuery,
  dailySeries,
  dayToSeconds,
  dayTotals,
  daysBetween,
  groupCsv,
  groupRows,
  knownCost,
  MAX_LAYERS,
  monthStart,
  NO_COST_FILTERS,
  OTHER,
  ownSpendRows,
  seriesTotals,
  stack,
  stackedCosts,
  sumTotals,
  toCsv,
} from "../../../web/src/lib/costs.ts";

const group = (key: string, cost_usd: number, count = 1, unknown_cost_count = 0, series?: string) => ({ key, count, cost_usd, unknown_cost_count, ...NONE, ...(series ? { series } : {}) });

describe("days", () => {
  test.each([
    ["2026-11-23", 1, "2026-11-24"],
    ["2026-11-30", 1, "2026-12-01"],
    ["2026-12-31", 1, "2027-01-01"],
    ["2028-02-28", 1, "2028-02-29"],
    ["2026-03-01", -1, "2026-02-28"],
    ["2026-11-23", -29, "2026-10-25"],
  ])("%s %+d day(s) is %s", (day, n, expected) => {
    expect(addDays(day, n)).toBe(expected);
  });

  test("daysBetween includes both ends, crosses months and daylight-saving changes, and is empty when reversed", () => {
    expect(daysBetween("2026-10-30", "2026-11-02")).toEqual(["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]);
    expect(daysBetween("2026-03-28", "2026-03-30")).toHaveLength(3);
    expect(daysBetween("2026-11-23", "2026-11-23")).toEqual(["2026-11-23"]);
    expect(daysBetween("2026-11-24", "2026-11-23")).toEqual([]);
  });

  test("a day in uPlot seconds is its local midnight; monthStart is the first of the month", () => {
    expect(dayToSeconds("2026-11-23")).toBe(new Date(2026, 10, 23).getTime() / 1000);
    expect(monthStart("2026-11-23")).toBe("2026-11-01");
  });
});

describe("series", () => {
  const days = daysBetween("2026-11-21", "2026-11-24");
  const series = dailySeries(days, "type", [
    group("2026-11-21", 9, 1, 0, "image"),
    group("2026-11-23", 0.04, 2, 1, "image"),
    group("2026-11-23", 1.2, 1, 0, "video"),
    group("2026-11-22", 0, 3, 0, "audio"),
    // A day outside the range (an answer for a wider window) is ignored.
    group("2026-11-30", 5, 1, 0, "audio"),
  ]);
  const layer = (key: string) => series.layers.find((l) => l.key === key)!.values;

  test("every day of the range is present for every type, in type order, missing days as zeros", () => {
    expect(series.days).toEqual(days);
    expect(series.layers.map((l) => l.key)).toEqual(["image", "video", "audio"]);
    expect(layer("image").map((d) => d.cost_usd)).toEqual([9, 0, 0.04, 0]);
    expect(layer("video").map((d) => d.cost_usd)).toEqual([0, 0, 1.2, 0]);
    expect(layer("audio").map((d) => d.count)).toEqual([0, 3, 0, 0]);
    expect(layer("image")[2]).toEqual({ count: 2, cost_usd: 0.04, unknown_cost_count: 1, ...NONE });
  });

  test("a type with no group at all is all zeros", () => {
    const empty = dailySeries(["2026-11-23"], "type", []);
    expect(empty.layers).toEqual(["image", "video", "audio"].map((key) => ({ key, values: [{ count: 0, cost_usd: 0, unknown_cost_count: 0, ...NONE }] })));
  });

  test("other splits: most expensive first; past MAX_LAYERS the cheapest are added up as one OTHER layer on top", () => {
    const models = Array.from({ length: MAX_LAYERS + 2 }, (_, i) => group("2026-11-23", i + 1, 1, 0, `m${i}`));
    const byModel = dailySeries(["2026-11-23"], "model", [...models, { ...group("2026-11-23", 0, 0, 0, "m0"), refused_count: 2 }]);
    expect(byModel.layers.map((l) => l.key)).toEqual(["m7", "m6", "m5", "m4", "m3", OTHER]);
    expect(byModel.layers.at(-1)!.values[0]).toEqual({ count: 3, cost_usd: 1 + 2 + 3, unknown_cost_count: 0, ...NONE, refused_count: 2 });
    expect(dailySeries(["2026-11-23"], "door", [group("2026-11-23", 1, 1, 0, "mcp")]).layers.map((l) => l.key)).toEqual(["mcp"]);
  });

  test("stacking: each layer sits on the ones below; the last is the daily total", () => {
    expect(stack([[1, 2], [10, 0], [100, 5]])).toEqual([[1, 2], [11, 2], [111, 7]]);
    expect(stack([])).toEqual([]);
    const stacked = stackedCosts(series);
    expect(stacked[0]).toEqual([9, 0, 0.04, 0]);
    expect(stacked[1]).toEqual([9, 0, 0.04 + 1.2, 0]);
    expect(stacked[2]).toEqual([9, 0, 0.04 + 1.2, 0]);
  });

  test("totals per layer and overall (what the chart's legend shows at rest); out-of-range groups are not counted", () => {
    const totals = seriesTotals(series);
    expect(totals.layers[0]).toEqual({ count: 3, cost_usd: 9.04, unknown_cost_count: 1, ...NONE });
    expect(totals.layers[2]).toEqual({ count: 3, cost_usd: 0, unknown_cost_count: 0, ...NONE });
    expect(totals.all.count).toBe(7);
    expect(totals.all.cost_usd).toBeCloseTo(10.24, 10);
    expect(totals.all.unknown_cost_count).toBe(1);
    expect(sumTotals([])).toEqual({ count: 0, cost_usd: 0, unknown_cost_count: 0, ...NONE });
  });

  test("dayTotals sums the layers of one day", () => {
    expect(dayTotals(series, 2)).toEqual({ count: 3, cost_usd: 0.04 + 1.2, unknown_cost_count: 1, ...NONE });
    expect(dayTotals(series, 3)).toEqual({ count: 0, cost_usd: 0, unknown_cost_count: 0, ...NONE });
  });

  test.each([
    [{ count: 0, cost_usd: 0, unknown_cost_count: 0, ...NONE }, 0],
    [{ count: 3, cost_usd: 0, unknown_cost_count: 0, ...NONE }, 0],
    [{ count: 3, cost_usd: 0, unknown_cost_count: 3, ...NONE }, null],
    [{ count: 3, cost_usd: 0, unknown_cost_count: 1, ...NONE }, 0],
    [{ count: 1, cost_usd: 0.01, unknown_cost_count: 1, ...NONE }, 0.01],
  ])("knownCost of %j is %p: null only when nothing in the group was priced or charged", (totals, expected) => {
    expect(knownCost(totals)).toBe(expected);
  });

  test.each([
    [0, "$0"],
    [0.25, "$0.25"],
    [0.75, "$0.75"],
    [1.5, "$1.5"],
    [12, "$12"],
    [0.1 + 0.2, "$0.3"],
  ])("axis label of %d is %s", (value, expected) => {
    expect(axisUsd(value)).toBe(expected);
  });

  test("group rows: most expensive first, then most used, then by name", () => {
    const rows = groupRows([group("b", 1, 1), group("a", 1, 1), group("c", 1, 5), group("d", 3, 1, 2)]);
    expect(rows.map((r) => r.key)).toEqual(["d", "c", "a", "b"]);
    expect(rows[0]).toEqual({ key: "d", count: 1, cost_usd: 3, unknown_cost_count: 2, ...NONE });
  });

  test("caller filters: only the ones set go into the query", () => {
    expect(costFilterQuery(NO_COST_FILTERS)).toEqual({});
    expect(costFilterQuery({ door: "mcp", client: "", session: "s-1", who: "" })).toEqual({ door: "mcp", session: "s-1" });
    expect(costFilterQuery({ ...NO_COST_FILTERS, who: "team:backend" })).toEqual({ team: "backend" });
  });
});

describe("budget bars", () => {
  const spent = { day: { overall: 4, image: 1, video: 3, audio: 0 }, month: { overall: 40, image: 10, video: 30, audio: 0 } };

  test("a bar for each limit that is set, daily before monthly, overall before types", () => {
    const bars = budgetBars({ daily_usd: 5, monthly_usd: 30, per_type: { video: { daily_usd: 2 } } }, spent);
    expect(bars).toEqual([
      { period: "day", scope: "overall", limit: 5, spent: 4, ratio: 0.8 },
      { period: "day", scope: "video", limit: 2, spent: 3, ratio: 1.5 },
      { period: "month", scope: "overall", limit: 30, spent: 40, ratio: 40 / 30 },
    ]);
  });

  test("no budget, or one without limits, gives no bars", () => {
    expect(budgetBars(null, spent)).toEqual([]);
    expect(budgetBars({}, spent)).toEqual([]);
  });

  test("a token holder's own rows: the token's today and this month, then its team's when a limit names the team", () => {
    const mine = { daily_usd: 2, monthly_usd: null, spent_today_usd: 0.5, spent_month_usd: 3 };
    const team = { daily_usd: null, monthly_usd: 50, spent_today_usd: 1, spent_month_usd: 12 };
    expect(ownSpendRows({ spend: mine, team_spend: team })).toEqual([
      { scope: "token", period: "day", spent: 0.5, limit: 2 },
      { scope: "token", period: "month", spent: 3, limit: null },
      { scope: "team", period: "day", spent: 1, limit: null },
      { scope: "team", period: "month", spent: 12, limit: 50 },
    ]);
    expect(ownSpendRows({ spend: mine, team_spend: null }).map((row) => row.scope)).toEqual(["token", "token"]);
    expect(ownSpendRows({ spend: null, team_spend: null })).toEqual([]);
  });

  test.each([
    [0, "ok"],
    [0.79, "ok"],
    [0.8, "warn"],
    [1, "over"],
    [2.5, "over"],
  ] as const)("ratio %d is %s", (ratio, level) => {
    expect(budgetLevel(ratio)).toBe(level);
  });
});

describe("CSV", () => {
  test.each([
    ["plain", "plain"],
    ["with,comma", '"with,comma"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["=HYPERLINK(1)", "'=HYPERLINK(1)"],
    ["+1", "'+1"],
    ["@sum", "'@sum"],
    ["-x,y", `"'-x,y"`],
    ["gpt-image-1", "gpt-image-1"],
    ["", ""],
  ])("text %j is written as %s", (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  test.each([
    [0, "0"],
    [0.04, "0.04"],
    [0.1 + 0.2, "0.3"],
    [-1.5, "-1.5"],
    [12, "12"],
    [Number.NaN, ""],
    [null, ""],
  ])("number %p is written as %j", (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  test("toCsv: header, rows, CRLF line ends", () => {
    expect(toCsv(["a", "b"], [["x", 1], ["y,z", 2]])).toBe('a,b\r\nx,1\r\n"y,z",2\r\n');
  });

  test("per day per type: every day and type, zero-filled, with refusals and billed failures", () => {
    const series = dailySeries(["2026-11-22", "2026-11-23"], "type", [group("2026-11-23", 0.04, 2, 1, "image"), { ...group("2026-11-22", 1.2, 1, 0, "video"), billed_failure_count: 1, billed_failure_usd: 0.2 }]);
    expect(dailyCsv(series).split("\r\n")).toEqual([
      "date,type,count,cost_usd,unknown_cost_count,refused_count,billed_failure_count,billed_failure_usd",
      "2026-11-22,image,0,0,0,0,0,0",
      "2026-11-22,video,1,1.2,0,0,1,0.2",
      "2026-11-22,audio,0,0,0,0,0,0",
      "2026-11-23,image,2,0.04,1,0,0,0",
      "2026-11-23,video,0,0,0,0,0,0",
      "2026-11-23,audio,0,0,0,0,0,0",
      "",
    ]);
  });

  test("per day: a cost nothing was priced for is empty, not 0", () => {
    const series = dailySeries(["2026-11-23"], "type", [group("2026-11-23", 0, 2, 2, "audio")]);
    expect(dailyCsv(series).split("\r\n")[3]).toBe("2026-11-23,audio,2,,2,0,0,0");
  });

  test("per model, with model names escaped; an unpriced model's cost is empty", () => {
    const csv = groupCsv("model", groupRows([group("or-gpt-image-2", 0.08, 2), group('my "fast", model', 0, 1, 1), group("free", 0, 4)]));
    expect(csv).toBe(
      'model,count,cost_usd,unknown_cost_count,refused_count,billed_failure_count,billed_failure_usd\r\nor-gpt-image-2,2,0.08,0,0,0,0\r\nfree,4,0,0,0,0,0\r\n"my ""fast"", model",1,,1,0,0,0\r\n',
    );
  });
});

describe("budget form", () => {
  test("shows the limits in force, empty where none is set", () => {
    const form = budgetForm({ daily_usd: 5, per_type: { video: { monthly_usd: 20 } } });
    expect(form["overall.daily_usd"]).toBe("5");
    expect(form["overall.monthly_usd"]).toBe("");
    expect(form["video.monthly_usd"]).toBe("20");
    expect(Object.keys(form)).toHaveLength(8);
  });

  test("turns the text into a budget; an empty field is no limit", () => {
    expect(budgetFromForm({ "overall.daily_usd": " 2.5 ", "audio.monthly_usd": "1", "video.daily_usd": "" })).toEqual({ budget: { daily_usd: 2.5, per_type: { audio: { monthly_usd: 1 } } } });
    expect(budgetFromForm({})).toEqual({ budget: {} });
  });

  test.each([
    ["overall.daily_usd", "0", "daily_usd"],
    ["overall.monthly_usd", "-3", "monthly_usd"],
    ["image.daily_usd", "ten", "per_type.image.daily_usd"],
  ])("%s = %j is refused naming %s", (key, value, field) => {
    expect(budgetFromForm({ [key]: value })).toEqual({ invalid: field });
  });
});
