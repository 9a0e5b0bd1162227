// The Costs page: queries per range, split and caller, totals with refusals and billed failures, the breakdown table,
// not-priced counts, budget bars and the budget editor, CSV exports, errors.
import { afterEach, expect, test } from "bun:test";
import type { Budget, CostSummary } from "../../../web/src/lib/api.ts";
import { addDays, monthStart, sumTotals } from "../../../web/src/lib/costs.ts";
import { localDate } from "../../../web/src/lib/format.ts";
import { Costs, DEFAULT_RANGE_DAYS } from "../../../web/src/pages/Costs.tsx";
import { button, choose, typeInto } from "../dom.ts";
import { apiError, fakeFetch, type Route, type SentRequest } from "../history-costs-fetch.ts";
import { mount, until } from "../render.ts";

/** No refusals and no billed failures in a group. */
const NONE = { refused_count: 0, billed_failure_count: 0, billed_failure_usd: 0 };

let restore = () => {};
afterEach(() => restore());

const today = localDate(new Date());
const yesterday = addDays(today, -1);
const rangeStart = addDays(today, 1 - DEFAULT_RANGE_DAYS);

type Group = CostSummary["groups"][number];
const group = (key: string, cost_usd: number, count: number, unknown_cost_count = 0, more: Partial<Group> = {}): Group => ({ key, count, cost_usd, unknown_cost_count, ...NONE, ...more });

function summary(groups: CostSummary["groups"], group_by: CostSummary["group_by"]): CostSummary {
  const total = sumTotals(groups);
  return { from: "", to: "", group_by, total, groups };
}

/** Spend in the default range per day and type: images yesterday and today, a video today, unpriced speech today. */
const DAY_BY_TYPE = [
  group(yesterday, 0.08, 2, 0, { series: "image" }),
  group(today, 0.04, 1, 1, { series: "image" }),
  group(today, 1.2, 1, 0, { series: "video" }),
  group(today, 0, 3, 3, { series: "audio" }),
];
/** The same days per door: the MCP door was refused twice today and had a billed failure. */
const DAY_BY_DOOR = [
  group(yesterday, 0.08, 2, 0, { series: "api" }),
  group(today, 1.24, 2, 1, { series: "mcp", refused_count: 2, billed_failure_count: 1, billed_failure_usd: 0.5 }),
  group(today, 0, 3, 3, { series: "cli" }),
];
const BY_TYPE = [group("image", 0.12, 3, 1), group("video", 1.2, 1), group("audio", 0, 3, 3)];
const BY_DOOR = [group("api", 0.08, 2), group("mcp", 1.24, 2, 1, { refused_count: 2, billed_failure_count: 1, billed_failure_usd: 0.5 }), group("cli", 0, 3, 3)];

const SPENT = { day: { overall: 1.24, image: 0.04, video: 1.2, audio: 0 }, month: { overall: 9.5, image: 2, video: 7.5, audio: 0 } };

/** The daemon's cost answers, keyed on the query; `budget` is what GET /api/costs/budget reports. */
function daemon(budget: Budget | null, routes: Record<string, Route> = {}) {
  const fake = fakeFetch({
    "GET /api/costs/summary": (r: SentRequest) => {
      const q = Object.fromEntries(r.query);
      if (q.group_by === "day") return summary(q.series === "door" ? DAY_BY_DOOR : DAY_BY_TYPE, "day");
      if (q.group_by === "door") return summary(BY_DOOR, "door");
      if (q.from === rangeStart || q.from === addDays(today, -6)) return summary(BY_TYPE, "type");
      if (q.from === today) return summary([group("image", 0.04, 1, 1), group("video", 1.2, 1), group("audio", 0, 3, 3)], "type");
      return summary([group("image", 2, 40), group("video", 7.5, 3, 2, { refused_count: 4 })], "type");
    },
    "GET /api/costs/budget": { budget, spent: SPENT },
    ...routes,
  });
  restore = fake.restore;
  return fake;
}

const summaries = (sent: SentRequest[]) => sent.filter((r) => r.path === "/api/costs/summary").map((r) => Object.fromEntries(r.query));
const totalCard = (root: HTMLElement, title: string) => [...root.querySelectorAll(".costs-total")].find((c) => c.querySelector("h2")?.textContent === title) as HTMLElement;
const tableRows = (root: HTMLElement) => [...root.querySelectorAll("table.costs-models tbody tr")].map((tr) => [...tr.children].map((c) => c.textContent));

async function open() {
  const view = mount(() => <Costs />);
  await until(() => view.root.querySelector("table.costs-models") !== null && view.root.querySelector(".costs-total-value") !== null);
  await until(() => view.root.querySelectorAll(".costs-total-value").length === 3);
  return view;
}

test("asks for the last 30 days per day split by type and grouped by type, and for today's and this month's totals", async () => {
  const { sent } = daemon(null);
  using view = await open();
  expect(view.root.querySelector("h1")?.textContent).toBe("Costs");
  const asked = summaries(sent);
  expect(asked).toContainEqual({ group_by: "day", series: "type", from: rangeStart, to: today });
  expect(asked).toContainEqual({ group_by: "type", from: rangeStart, to: today });
  expect(asked).toContainEqual({ group_by: "type", from: today, to: today });
  expect(asked).toContainEqual({ group_by: "type", from: monthStart(today), to: today });
  expect(asked).toHaveLength(4);
  expect(sent.filter((r) => r.path === "/api/costs/budget")).toHaveLength(1);
});

test("totals for today, this month and the range, with counts, not-priced counts and refusals", async () => {
  daemon(null);
  using view = await open();
  const todayCard = totalCard(view.root, "Today");
  expect(todayCard.querySelector(".costs-total-value")?.textContent).toBe("$1.24");
  expect(todayCard.querySelector(".costs-total-counts")?.textContent).toBe("5 succeeded · 4 not priced");
  const month = totalCard(view.root, "This month");
  expect(month.querySelector(".costs-total-value")?.textContent).toBe("$9.50");
  expect(month.querySelector(".costs-total-counts")?.textContent).toBe("43 succeeded · 2 not priced");
  expect(month.querySelector(".costs-total-exceptions")?.textContent).toBe("4 refused");
  const range = totalCard(view.root, "Selected range");
  expect(range.querySelector(".costs-total-value")?.textContent).toBe("$1.32");
  expect(range.querySelector(".costs-total-counts")?.textContent).toBe("7 succeeded · 4 not priced");
});

test("the not-priced count is explained", async () => {
  daemon(null);
  using view = await open();
  const note = view.root.querySelector(".costs-unknown")?.textContent ?? "";
  expect(note).toContain("4 generations in this range are not priced");
  expect(note).toContain("never counted as $0");
});

test("the breakdown table by type: most expensive first, with counts, cost, not-priced, refused, billed failures and a total row", async () => {
  daemon(null);
  using view = await open();
  expect(tableRows(view.root)).toEqual([
    ["Video", "1", "$1.20", "0", "0", "0"],
    ["Image", "3", "$0.120", "1", "0", "0"],
    // Nothing of it priced: a dash, not a made-up $0.
    ["Speech", "3", "—", "3", "0", "0"],
  ]);
  expect([...view.root.querySelectorAll("table.costs-models tfoot tr > *")].map((c) => c.textContent)).toEqual(["Total", "7", "$1.32", "4", "0", "0"]);
});

test("grouped by door: the chart, the table and the totals follow, refusals and billed failures shown apart", async () => {
  const { sent } = daemon(null);
  using view = await open();
  choose(view.root.querySelector<HTMLSelectElement>(".costs-split select")!, "door");
  await until(() => view.root.querySelector("#costs-groups-title")?.textContent === "Spend by door");
  await until(() => tableRows(view.root)[0]?.[0] === "MCP");
  expect(summaries(sent)).toContainEqual({ group_by: "day", series: "door", from: rangeStart, to: today });
  expect(summaries(sent)).toContainEqual({ group_by: "door", from: rangeStart, to: today });
  expect(tableRows(view.root)).toEqual([
    ["MCP", "2", "$1.24", "1", "2", "1 ($0.500)"],
    ["HTTP API", "2", "$0.080", "0", "0", "0"],
    ["CLI", "3", "—", "3", "0", "0"],
  ]);
  const headers = [...view.root.querySelectorAll(".costs-daily-table thead th")].map((th) => th.textContent);
  expect(headers).toEqual(["Day", "MCP", "HTTP API", "CLI", "Total"]);
  const note = view.root.querySelector(".costs-exceptions")?.textContent ?? "";
  expect(note).toContain("Refused before any provider call in this range: 2");
  expect(note).toContain("Failed after the provider charged: 1 ($0.500)");
  expect(totalCard(view.root, "Selected range").querySelector(".costs-total-exceptions")?.textContent).toBe("2 refused · 1 billed failures ($0.500)");
});

test("the caller filters narrow every summary", async () => {
  const { sent } = daemon(null);
  using view = await open();
  choose(view.root.querySelector<HTMLSelectElement>(".costs-caller select")!, "mcp");
  await until(() => summaries(sent).filter((q) => q.door === "mcp").length === 4);
  const client = view.root.querySelector<HTMLInputElement>(".costs-caller input[type=search]")!;
  typeInto(client, "claude-code");
  client.dispatchEvent(new Event("change", { bubbles: true }));
  await until(() => summaries(sent).filter((q) => q.client === "claude-code" && q.door === "mcp").length === 4);
});

test("the chart falls back to the table where there is no canvas; the table has every day of the range", async () => {
  daemon(null);
  using view = await open();
  expect(view.root.querySelector(".costs-chart-unavailable")?.textContent).toContain("cannot draw the chart");
  const rows = [...view.root.querySelectorAll(".costs-daily-table tbody tr")];
  expect(rows).toHaveLength(DEFAULT_RANGE_DAYS);
  expect([...rows.at(-1)!.children].map((c) => c.textContent)).toEqual([today, "$0.040", "$1.20", "—", "$1.24"]);
  expect([...rows.at(-2)!.children].map((c) => c.textContent)).toEqual([yesterday, "$0.080", "$0", "$0", "$0.080"]);
  expect([...rows[0]!.children].map((c) => c.textContent)).toEqual([rangeStart, "$0", "$0", "$0", "$0"]);
});

test("budget bars for every limit that is set, as accessible progress bars", async () => {
  daemon({ daily_usd: 2, monthly_usd: 9, per_type: { video: { daily_usd: 1 } } });
  using view = await open();
  const bars = [...view.root.querySelectorAll("[role=progressbar]")];
  expect(bars.map((b) => b.getAttribute("aria-label"))).toEqual(["Today · All types", "Today · Video", "This month · All types"]);
  expect(bars[0]!.getAttribute("aria-valuetext")).toBe("$1.24 of $2.00 (62%)");
  expect(bars[1]!.getAttribute("aria-valuetext")).toBe("$1.20 of $1.00 (120%) · limit reached");
  expect(bars.map((b) => b.closest("li")?.dataset.level)).toEqual(["ok", "over", "over"]);
  // Why the bars may read more than the totals: unknown costs count at their estimate.
  expect(view.root.querySelector(".costs-budget-note")?.textContent).toContain("counts at its estimate (never $0)");
});

test("the budget editor shows the limits in force, saves them through PUT /api/costs/budget and shows the new bars", async () => {
  let current: Budget | null = { daily_usd: 2 };
  const { sent } = daemon(null, {
    "GET /api/costs/budget": () => ({ budget: current, spent: SPENT }),
    "PUT /api/costs/budget": (r: SentRequest) => {
      current = r.body as Budget;
      return { budget: current, spent: SPENT };
    },
  });
  using view = await open();
  await until(() => view.root.querySelector<HTMLInputElement>("input[name='overall.daily_usd']") !== null);
  const input = (name: string) => view.root.querySelector<HTMLInputElement>(`input[name='${name}']`)!;
  expect(input("overall.daily_usd").value).toBe("2");
  expect(input("overall.monthly_usd").value).toBe("");
  typeInto(input("overall.daily_usd"), "");
  typeInto(input("overall.monthly_usd"), "50");
  typeInto(input("video.daily_usd"), "3.5");
  button(view.root, "Save limits").click();
  await until(() => view.root.textContent?.includes("Limits saved to config.yml.") === true);
  expect(sent.find((r) => r.method === "PUT")?.body).toEqual({ monthly_usd: 50, per_type: { video: { daily_usd: 3.5 } } });
  await until(() => [...view.root.querySelectorAll("[role=progressbar]")].map((b) => b.getAttribute("aria-label")).join() === "Today · Video,This month · All types");
});

test("a limit that is not an amount is refused before sending, naming the field; the daemon's own error is shown too", async () => {
  const { sent } = daemon(null, {
    "PUT /api/costs/budget": () => Response.json({ success: false, error: "per_type.audio.daily_usd: must be at most 1000000", error_type: "invalid_argument", field: "per_type.audio.daily_usd" }, { status: 400 }),
  });
  using view = await open();
  await until(() => view.root.querySelector("input[name='audio.daily_usd']") !== null);
  const audio = view.root.querySelector<HTMLInputElement>("input[name='audio.daily_usd']")!;
  typeInto(audio, "-1");
  button(view.root, "Save limits").click();
  await until(() => view.root.querySelector(".costs-budget-form [role=alert]") !== null);
  expect(view.root.querySelector(".costs-budget-form [role=alert]")?.textContent).toContain("per_type.audio.daily_usd: enter an amount in US dollars above 0");
  expect(sent.some((r) => r.method === "PUT")).toBe(false);
  typeInto(audio, "5000000");
  button(view.root, "Save limits").click();
  await until(() => view.root.querySelector(".costs-budget-form [role=alert]")?.textContent?.includes("must be at most 1000000") === true);
});

test("CSV exports of the per-day and the breakdown data download through a Blob URL", async () => {
  daemon(null);
  const blobs: Blob[] = [];
  const downloads: string[] = [];
  const realCreate = URL.createObjectURL;
  const realRevoke = URL.revokeObjectURL;
  const realClick = HTMLAnchorElement.prototype.click;
  URL.createObjectURL = (blob: Blob) => (blobs.push(blob), `blob:test/${blobs.length}`);
  URL.revokeObjectURL = () => {};
  HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
    downloads.push(`${this.download} ${this.href}`);
  };
  try {
    using view = await open();
    button(view.root, "Export per day (CSV)").click();
    button(view.root, "Export by type (CSV)").click();
    expect(downloads).toEqual([`mediagen-costs-per-day-by-type-${rangeStart}-to-${today}.csv blob:test/1`, `mediagen-costs-per-type-${rangeStart}-to-${today}.csv blob:test/2`]);
    const daily = (await blobs[0]!.text()).split("\r\n");
    expect(blobs[0]!.type).toStartWith("text/csv");
    expect(daily[0]).toBe("date,type,count,cost_usd,unknown_cost_count,refused_count,billed_failure_count,billed_failure_usd");
    expect(daily).toHaveLength(1 + DEFAULT_RANGE_DAYS * 3 + 1);
    expect(daily.slice(-4)).toEqual([`${today},Image,1,0.04,1,0,0,0`, `${today},Video,1,1.2,0,0,0,0`, `${today},Speech,3,,3,0,0,0`, ""]);
    expect(await blobs[1]!.text()).toBe(
      "type,count,cost_usd,unknown_cost_count,refused_count,billed_failure_count,billed_failure_usd\r\nvideo,1,1.2,0,0,0,0\r\nimage,3,0.12,1,0,0,0\r\naudio,3,,3,0,0,0\r\n",
    );
  } finally {
    URL.createObjectURL = realCreate;
    URL.revokeObjectURL = realRevoke;
    HTMLAnchorElement.prototype.click = realClick;
  }
});

test("changing the range asks again; a reversed range is refused without a request", async () => {
  const { sent } = daemon(null);
  using view = await open();
  const [from, to] = [...view.root.querySelectorAll<HTMLInputElement>(".costs-range input[type=date]")];
  expect([from!.value, to!.value]).toEqual([rangeStart, today]);
  const before = summaries(sent).length;
  button(view.root, "Last 7 days").click();
  await until(() => summaries(sent).length === before + 2);
  expect(summaries(sent).slice(-2).every((q) => q.from === addDays(today, -6) && q.to === today)).toBe(true);
  choose(from!, addDays(today, 1));
  await until(() => view.root.querySelector(".costs-range + [role=alert]") !== null);
  expect(view.root.textContent).toContain("The start date must be on or before the end date.");
  await Bun.sleep(20);
  expect(summaries(sent)).toHaveLength(before + 2);
});

test("an API error is a readable message with a retry, and the rest of the page still works", async () => {
  let fail = true;
  daemon(null, {
    "GET /api/costs/budget": () => (fail ? apiError(500, "Internal error; see the daemon's log.", "internal") : { budget: null, spent: SPENT }),
  });
  using view = mount(() => <Costs />);
  await until(() => view.root.querySelector("[role=alert]") !== null && view.root.querySelector("table.costs-models") !== null);
  expect(view.root.querySelector("[role=alert]")?.textContent).toBe("Error: Internal error; see the daemon's log. (internal)Retry");
  expect(view.root.querySelector("h1")?.textContent).toBe("Costs");
  fail = false;
  button(view.root, "Retry").click();
  await until(() => view.root.querySelector("[role=alert]") === null && view.root.textContent?.includes("No budget is set.") === true);
});

test("a token's holder sees their own spend today and this month against their token's and their team's limits", async () => {
  daemon(null, {
    "GET /api/tokens/me": {
      via: "token",
      role: "member",
      name: "kim",
      team: "ops",
      spend: { daily_usd: 2, monthly_usd: null, spent_today_usd: 0.5, spent_month_usd: 3 },
      team_spend: { daily_usd: null, monthly_usd: 10, spent_today_usd: 1, spent_month_usd: 12 },
    },
  });
  using view = await open();
  await until(() => view.root.querySelector("#costs-mine-title") !== null);
  const panel = view.root.querySelector("#costs-mine-title")!.closest("section")!;
  expect(panel.querySelector("h2")?.textContent).toBe("Your spend");
  const items = [...panel.querySelectorAll(".costs-budget-item")].map((li) => li.querySelector(".costs-budget-label")?.textContent);
  expect(items).toEqual(["Today · Your token (kim)$0.500 of $2.00 (25%)", "This month · Your token (kim)$3.00, no limit", "Today · Team ops$1.00, no limit", "This month · Team ops$12.00 of $10.00 (120%) · limit reached"]);
  const bars = [...panel.querySelectorAll("[role=progressbar]")];
  expect(bars.map((b) => b.getAttribute("aria-label"))).toEqual(["Today · Your token (kim)", "This month · Team ops"]);
  expect(bars.map((b) => b.closest("li")?.dataset.level)).toEqual(["ok", "over"]);
});

test("the local admin and server.token see no panel of their own", async () => {
  daemon(null, { "GET /api/tokens/me": { via: "local", role: "admin", name: null, team: null, spend: null, team_spend: null } });
  using view = await open();
  await Bun.sleep(50);
  expect(view.root.querySelector("#costs-mine-title")).toBeNull();
  expect(view.root.textContent).not.toContain("Your spend");
});
