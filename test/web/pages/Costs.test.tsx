// The Costs page: queries per range, totals, the per-model table, not-priced counts, budget bars, CSV exports, errors.
import { afterEach, expect, test } from "bun:test";
import type { Budget, CostSummary } from "../../../web/src/lib/api.ts";
import { addDays, monthStart } from "../../../web/src/lib/costs.ts";
import { localDate } from "../../../web/src/lib/format.ts";
import { Costs, DEFAULT_RANGE_DAYS } from "../../../web/src/pages/Costs.tsx";
import { button, choose } from "../dom.ts";
import { apiError, fakeFetch, type Route, type SentRequest } from "../history-costs-fetch.ts";
import { mount, until } from "../render.ts";

/** No refusals and no billed failures in a group. */
const NONE = { refused_count: 0, billed_failure_count: 0, billed_failure_usd: 0 };

let restore = () => {};
afterEach(() => restore());

const today = localDate(new Date());
const yesterday = addDays(today, -1);
const rangeStart = addDays(today, 1 - DEFAULT_RANGE_DAYS);

const group = (key: string, cost_usd: number, count: number, unknown_cost_count = 0) => ({ key, count, cost_usd, unknown_cost_count, ...NONE });

function summary(groups: CostSummary["groups"], group_by: CostSummary["group_by"]): CostSummary {
  const total = groups.reduce(
    (sum, g) => ({ count: sum.count + g.count, cost_usd: sum.cost_usd + g.cost_usd, unknown_cost_count: sum.unknown_cost_count + g.unknown_cost_count, ...NONE }),
    { count: 0, cost_usd: 0, unknown_cost_count: 0, ...NONE },
  );
  return { from: "", to: "", group_by, total, groups };
}

/** Spend in the default range: images yesterday and today, a video today, unpriced speech today. */
const DAY_BY_TYPE: Record<string, CostSummary["groups"]> = {
  image: [group(yesterday, 0.08, 2), group(today, 0.04, 1, 1)],
  video: [group(today, 1.2, 1)],
  audio: [group(today, 0, 3, 3)],
};
const BY_MODEL = [group("or-gpt-image-2", 0.12, 3, 1), group("or-veo-3-1", 1.2, 1), group("flite", 0, 3, 3)];

const SPENT = { day: { overall: 1.24, image: 0.04, video: 1.2, audio: 0 }, month: { overall: 9.5, image: 2, video: 7.5, audio: 0 } };

/** The daemon's cost answers, keyed on the query; `budget` is what GET /api/costs/budget reports. */
function daemon(budget: Budget | null, routes: Record<string, Route> = {}) {
  const fake = fakeFetch({
    "GET /api/costs/summary": (r: SentRequest) => {
      const q = Object.fromEntries(r.query);
      if (q.group_by === "day") return summary(DAY_BY_TYPE[q.type ?? ""] ?? [], "day");
      if (q.group_by === "model") return summary(BY_MODEL, "model");
      if (q.from === today) return summary([group("image", 0.04, 1, 1), group("video", 1.2, 1), group("audio", 0, 3, 3)], "type");
      return summary([group("image", 2, 40), group("video", 7.5, 3, 2)], "type");
    },
    "GET /api/costs/budget": { budget, spent: SPENT },
    ...routes,
  });
  restore = fake.restore;
  return fake;
}

const summaries = (sent: SentRequest[]) => sent.filter((r) => r.path === "/api/costs/summary").map((r) => Object.fromEntries(r.query));
const totalCard = (root: HTMLElement, title: string) => [...root.querySelectorAll(".costs-total")].find((c) => c.querySelector("h2")?.textContent === title) as HTMLElement;

async function open() {
  const view = mount(() => <Costs />);
  await until(() => view.root.querySelector("table.costs-models") !== null && view.root.querySelector(".costs-total-value") !== null);
  await until(() => view.root.querySelectorAll(".costs-total-value").length === 3);
  return view;
}

test("asks for the last 30 days per day for each type and per model, and for today's and this month's totals", async () => {
  const { sent } = daemon(null);
  using view = await open();
  expect(view.root.querySelector("h1")?.textContent).toBe("Costs");
  const asked = summaries(sent);
  for (const type of ["image", "video", "audio"]) expect(asked).toContainEqual({ group_by: "day", type, from: rangeStart, to: today });
  expect(asked).toContainEqual({ group_by: "model", from: rangeStart, to: today });
  expect(asked).toContainEqual({ group_by: "type", from: today, to: today });
  expect(asked).toContainEqual({ group_by: "type", from: monthStart(today), to: today });
  expect(asked).toHaveLength(6);
  expect(sent.filter((r) => r.path === "/api/costs/budget")).toHaveLength(1);
});

test("totals for today, this month and the range, with counts and not-priced counts", async () => {
  daemon(null);
  using view = await open();
  const todayCard = totalCard(view.root, "Today");
  expect(todayCard.querySelector(".costs-total-value")?.textContent).toBe("$1.24");
  expect(todayCard.querySelector(".costs-total-counts")?.textContent).toBe("5 succeeded · 4 not priced");
  expect(totalCard(view.root, "This month").querySelector(".costs-total-value")?.textContent).toBe("$9.50");
  expect(totalCard(view.root, "This month").querySelector(".costs-total-counts")?.textContent).toBe("43 succeeded · 2 not priced");
  const range = totalCard(view.root, "Selected range");
  expect(range.querySelector(".costs-total-value")?.textContent).toBe("$1.32");
  expect(range.querySelector(".costs-total-counts")?.textContent).toBe("7 succeeded · 4 not priced");
  expect([...range.querySelectorAll(".costs-by-type li")].map((li) => li.textContent)).toEqual(["Image $0.120", "Video $1.20", "Speech —"]);
});

test("the not-priced count is explained", async () => {
  daemon(null);
  using view = await open();
  const note = view.root.querySelector(".costs-unknown")?.textContent ?? "";
  expect(note).toContain("4 generations in this range are not priced");
  expect(note).toContain("the provider reported no cost and the model is not in the price catalogue");
  expect(note).toContain("never counted as $0");
});

test("the per-model table: most expensive first, with counts, cost, not-priced counts and a total row", async () => {
  daemon(null);
  using view = await open();
  const rows = [...view.root.querySelectorAll("table.costs-models tbody tr")].map((tr) => [...tr.children].map((c) => c.textContent));
  expect(rows).toEqual([
    ["or-veo-3-1", "1", "$1.20", "0"],
    ["or-gpt-image-2", "3", "$0.120", "1"],
    // Nothing of it priced: a dash, not a made-up $0.
    ["flite", "3", "—", "3"],
  ]);
  expect([...view.root.querySelectorAll("table.costs-models tfoot tr > *")].map((c) => c.textContent)).toEqual(["Total", "7", "$1.32", "4"]);
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
  expect(bars.map((b) => [b.getAttribute("aria-valuemin"), b.getAttribute("aria-valuenow"), b.getAttribute("aria-valuemax")])).toEqual([
    ["0", "1.24", "2"],
    ["0", "1", "1"],
    ["0", "9", "9"],
  ]);
  expect(bars[0]!.getAttribute("aria-valuetext")).toBe("$1.24 of $2.00 (62%)");
  expect(bars[1]!.getAttribute("aria-valuetext")).toBe("$1.20 of $1.00 (120%) · limit reached");
  expect(bars.map((b) => b.closest("li")?.dataset.level)).toEqual(["ok", "over", "over"]);
  expect((bars[0]!.firstElementChild as HTMLElement).style.width).toBe("62%");
  expect((bars[1]!.firstElementChild as HTMLElement).style.width).toBe("100%");
});

test("without a budget the page says how to set one", async () => {
  daemon(null);
  using view = await open();
  expect(view.root.querySelector("[role=progressbar]")).toBeNull();
  expect(view.root.textContent).toContain("No budget is set.");
});

test("CSV exports of the per-day-per-type and per-model data download through a Blob URL", async () => {
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
    button(view.root, "Export per model (CSV)").click();
    expect(downloads).toEqual([`mediagen-costs-per-day-${rangeStart}-to-${today}.csv blob:test/1`, `mediagen-costs-per-model-${rangeStart}-to-${today}.csv blob:test/2`]);
    const daily = (await blobs[0]!.text()).split("\r\n");
    expect(blobs[0]!.type).toStartWith("text/csv");
    expect(daily[0]).toBe("date,type,count,cost_usd,unknown_cost_count");
    expect(daily).toHaveLength(1 + DEFAULT_RANGE_DAYS * 3 + 1);
    expect(daily.slice(-7)).toEqual([
      `${yesterday},image,2,0.08,0`,
      `${yesterday},video,0,0,0`,
      `${yesterday},audio,0,0,0`,
      `${today},image,1,0.04,1`,
      `${today},video,1,1.2,0`,
      `${today},audio,3,,3`,
      "",
    ]);
    expect(await blobs[1]!.text()).toBe("model,count,cost_usd,unknown_cost_count\r\nor-veo-3-1,1,1.2,0\r\nor-gpt-image-2,3,0.12,1\r\nflite,3,,3\r\n");
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
  await until(() => summaries(sent).length === before + 4);
  expect(summaries(sent).slice(-4).every((q) => q.from === addDays(today, -6) && q.to === today)).toBe(true);
  choose(from!, addDays(today, 1));
  await until(() => view.root.querySelector(".costs-range + [role=alert]") !== null);
  expect(view.root.textContent).toContain("The start date must be on or before the end date.");
  await Bun.sleep(20);
  expect(summaries(sent)).toHaveLength(before + 4);
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
