import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import type { MediaType } from "../../../server/config/schema.ts";
import { openDatabase } from "../../../server/ledger/database.ts";
import { type CostFigure, SqliteLedger } from "../../../server/ledger/ledger.ts";
import { AppError } from "../../../server/errors.ts";
import type { CostGroup, CostGroupBy } from "../../../server/ledger/schema.ts";
import { costSummary } from "../../../server/costs/summary.ts";

/** No refusals and no billed failures in a group. */
const NONE = { refused_count: 0, billed_failure_count: 0, billed_failure_usd: 0 };

/** Local time in November 2026 (dates in the API are local days). */
const nov = (day: number, hour = 0, minute = 0, second = 0) => new Date(2026, 10, day, hour, minute, second).getTime();

let db: Database;
let clock: number;
let ledger: SqliteLedger;

beforeEach(() => {
  db = openDatabase(":memory:");
  clock = nov(1);
  ledger = new SqliteLedger(db, () => clock);
});
afterEach(() => db.close());

interface Row {
  at: number;
  type: MediaType;
  provider: string;
  model: string;
  outcome: "succeeded" | "failed" | "running";
  cost?: CostFigure;
}

const usd = (costUsd: number): CostFigure => ({ costUsd, source: "upstream" });
const unknownCost: CostFigure = { costUsd: null, source: "unknown" };

/** Records one generation created at `at`, finished a second later. */
async function record({ at, type, provider, model, outcome, cost }: Row): Promise<string> {
  clock = at;
  const id = (await ledger.start({ type, provider, model, prompt: `${model} at ${new Date(at).toISOString()}`, params: {} }));
  clock = at + 1000;
  if (outcome === "succeeded") {
    await ledger.succeed(id, { outputPath: `/out/${id}`, mimeType: "image/png", bytes: 10, cost: cost ?? unknownCost });
  }
  if (outcome === "failed") (await ledger.fail(id, { status: "failed", error: "boom", errorType: "api_error", cost }));
  return id;
}

/** The ledger of a few days: known, unknown and free costs, a charged failure, an uncharged one, a running one. */
async function seed(): Promise<{ unknownId: string }> {
  await record({ at: nov(21, 23, 59, 59), type: "image", provider: "openclacky", model: "or-gpt-image-2", outcome: "succeeded", cost: usd(9) });
  await record({ at: nov(22, 10), type: "image", provider: "openclacky", model: "or-gpt-image-2", outcome: "succeeded", cost: usd(0.04) });
  await record({ at: nov(22, 15), type: "audio", provider: "local", model: "flite", outcome: "succeeded", cost: { costUsd: 0, source: "catalog", unit: "character", quantity: 12, unitPrice: 0 } });
  await record({ at: nov(23, 9), type: "video", provider: "openclacky", model: "or-veo-3-1", outcome: "succeeded", cost: usd(1.2) });
  await record({ at: nov(23, 12), type: "image", provider: "openclacky", model: "or-gpt-image-2", outcome: "failed", cost: usd(0.01) });
  await record({ at: nov(23, 13), type: "image", provider: "openclacky", model: "or-gpt-image-2", outcome: "failed" });
  await record({ at: nov(23, 14), type: "video", provider: "openclacky", model: "or-veo-3-1", outcome: "running" });
  const unknownId = await record({ at: nov(23, 23, 59, 58), type: "image", provider: "openai", model: "gpt-image-1", outcome: "succeeded" });
  await record({ at: nov(24), type: "image", provider: "openclacky", model: "or-gpt-image-2", outcome: "succeeded", cost: usd(5) });
  return { unknownId };
}

/** Groups with cost rounded to cents, so float sums compare exactly. */
const rounded = (groups: CostGroup[]) => groups.map((g) => ({ ...g, cost_usd: Math.round(g.cost_usd * 100) / 100 }));

describe("costSummary", () => {
  const byGroup: [CostGroupBy, CostGroup[]][] = [
    [
      "day",
      [
        { key: "2026-11-22", count: 2, cost_usd: 0.04, unknown_cost_count: 0, ...NONE },
        { key: "2026-11-23", count: 2, cost_usd: 1.21, unknown_cost_count: 1, ...NONE, billed_failure_count: 1, billed_failure_usd: 0.01 },
      ],
    ],
    [
      "model",
      [
        { key: "flite", count: 1, cost_usd: 0, unknown_cost_count: 0, ...NONE },
        { key: "gpt-image-1", count: 1, cost_usd: 0, unknown_cost_count: 1, ...NONE },
        { key: "or-gpt-image-2", count: 1, cost_usd: 0.05, unknown_cost_count: 0, ...NONE, billed_failure_count: 1, billed_failure_usd: 0.01 },
        { key: "or-veo-3-1", count: 1, cost_usd: 1.2, unknown_cost_count: 0, ...NONE },
      ],
    ],
    [
      "type",
      [
        { key: "audio", count: 1, cost_usd: 0, unknown_cost_count: 0, ...NONE },
        { key: "image", count: 2, cost_usd: 0.05, unknown_cost_count: 1, ...NONE, billed_failure_count: 1, billed_failure_usd: 0.01 },
        { key: "video", count: 1, cost_usd: 1.2, unknown_cost_count: 0, ...NONE },
      ],
    ],
    [
      "provider",
      [
        { key: "local", count: 1, cost_usd: 0, unknown_cost_count: 0, ...NONE },
        { key: "openai", count: 1, cost_usd: 0, unknown_cost_count: 1, ...NONE },
        { key: "openclacky", count: 2, cost_usd: 1.25, unknown_cost_count: 0, ...NONE, billed_failure_count: 1, billed_failure_usd: 0.01 },
      ],
    ],
  ];
  test.each(byGroup)("group_by %s over 2026-11-22..2026-11-23", async (groupBy, groups) => {
    await seed();
    const summary = (await costSummary(ledger, { from: "2026-11-22", to: "2026-11-23", group_by: groupBy }, nov(30)));
    expect(summary.group_by).toBe(groupBy);
    expect(rounded(summary.groups)).toEqual(groups);
    expect(summary.total.count).toBe(4);
    expect(summary.total.cost_usd).toBeCloseTo(1.25, 10);
    expect(summary.total.unknown_cost_count).toBe(1);
    // The failure the provider charged for is in the spend and counted apart.
    expect(summary.total).toMatchObject({ billed_failure_count: 1, billed_failure_usd: 0.01, refused_count: 0 });
  });

  test("a succeeded generation of unknown cost stays null in the ledger and is counted, not priced at $0", async () => {
    const { unknownId } = await seed();
    expect(await ledger.get(unknownId)).toMatchObject({ cost_usd: null, cost_source: "unknown" });
    const summary = (await costSummary(ledger, { from: new Date(nov(23, 20)).toISOString(), to: "2026-11-23", group_by: "provider" }, nov(30)));
    expect(summary.groups).toEqual([{ key: "openai", count: 1, cost_usd: 0, unknown_cost_count: 1, ...NONE }]);
    expect(summary.total).toEqual({ count: 1, cost_usd: 0, unknown_cost_count: 1, ...NONE });
  });

  test("`to` as a date covers that whole local day; the next midnight is out", async () => {
    await seed();
    const summary = (await costSummary(ledger, { from: "2026-11-23", to: "2026-11-23", group_by: "day" }, nov(30)));
    expect(summary.from).toBe(new Date(nov(23)).toISOString());
    expect(summary.to).toBe(new Date(nov(24)).toISOString());
    expect(rounded(summary.groups)).toEqual([{ key: "2026-11-23", count: 2, cost_usd: 1.21, unknown_cost_count: 1, ...NONE, billed_failure_count: 1, billed_failure_usd: 0.01 }]);

    const withNextDay = (await costSummary(ledger, { from: "2026-11-23", to: "2026-11-24", group_by: "day" }, nov(30)));
    expect(withNextDay.groups.map((g) => g.key)).toEqual(["2026-11-23", "2026-11-24"]);
  });

  test("ISO times are exact instants: from inclusive, to exclusive", async () => {
    await seed();
    const at9 = new Date(nov(23, 9)).toISOString();
    const included = (await costSummary(ledger, { from: at9, to: new Date(nov(23, 9) + 1).toISOString(), group_by: "model" }, nov(30)));
    expect(included.groups).toEqual([{ key: "or-veo-3-1", count: 1, cost_usd: 1.2, unknown_cost_count: 0, ...NONE }]);
    const excluded = (await costSummary(ledger, { from: new Date(nov(22)).toISOString(), to: at9, group_by: "model" }, nov(30)));
    expect(excluded.groups.map((g) => g.key)).toEqual(["flite", "or-gpt-image-2"]);
  });

  test("without from and to: the last 30 days up to now", async () => {
    const now = nov(30, 12);
    await record({ at: now - 31 * 86_400_000, type: "image", provider: "openai", model: "old", outcome: "succeeded", cost: usd(1) });
    await record({ at: now - 29 * 86_400_000, type: "image", provider: "openai", model: "recent", outcome: "succeeded", cost: usd(2) });
    await record({ at: now, type: "image", provider: "openai", model: "now", outcome: "succeeded", cost: usd(3) });
    const summary = (await costSummary(ledger, { group_by: "model" }, now));
    expect(summary.groups.map((g) => g.key)).toEqual(["now", "recent"]);
    expect(summary.total).toEqual({ count: 2, cost_usd: 5, unknown_cost_count: 0, ...NONE });
    expect(Date.parse(summary.to)).toBe(now + 1);
    expect(Date.parse(summary.to) - Date.parse(summary.from)).toBe(30 * 86_400_000);
  });

  test("an empty window gives zero totals and no groups", async () => {
    await seed();
    const summary = (await costSummary(ledger, { from: "2026-10-01", to: "2026-10-31", group_by: "day" }, nov(30)));
    expect(summary.groups).toEqual([]);
    expect(summary.total).toEqual({ count: 0, cost_usd: 0, unknown_cost_count: 0, ...NONE });
  });

  test.each([
    ["from after to", "2026-11-24", "2026-11-22"],
    ["the same instant", "2026-11-23T10:00:00.000Z", "2026-11-23T10:00:00.000Z"],
    ["from the day after a date to", "2026-11-24", "2026-11-23"],
  ])("%s is an invalid_argument on from", async (_name, from, to) => {
    let error: unknown;
    try {
      await costSummary(ledger, { from, to, group_by: "day" }, nov(30));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).type).toBe("invalid_argument");
    expect((error as AppError).details.field).toBe("from");
    expect((error as AppError).message).toContain(from);
  });
});
