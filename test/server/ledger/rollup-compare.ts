// The cost rollups against the statements they replaced, on a randomized ledger: every grouping and type over
// random windows (hour and day edges, partial windows, empty ones). Imported by rollups.test.ts, and run as a
// script under other time zones (SQLite reads TZ once per process):
// `TZ=Asia/Kolkata bun test/server/ledger/rollup-compare.ts SEED [START_ISO]`.
import type { Database } from "bun:sqlite";
import { ASSUMED_COST_USD } from "../../../server/defaults.ts";
import { openDatabase } from "../../../server/ledger/database.ts";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import type { CostGroup, CostGroupBy, CostSeriesBy, Door } from "../../../server/ledger/schema.ts";
import { spendGroups, type SpendQuery } from "../../../server/ledger/spend-groups.ts";
import { prng } from "../../prng.ts";

const OLD_KEY: Record<CostGroupBy, string> = {
  day: "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch', 'localtime')",
  model: "model",
  type: "type",
  provider: "provider",
  door: "door",
  client: "coalesce(client, '')",
};
// costGroups and spendSince before the rollups (commit a040cff).
const oldGroups = (groupBy: CostGroupBy) => `SELECT ${OLD_KEY[groupBy]} AS key,
    count(*) FILTER (WHERE status = 'succeeded') AS count, coalesce(sum(cost_usd), 0) AS cost_usd,
    count(*) FILTER (WHERE cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)) AS unknown_cost_count
  FROM generations
  WHERE created_at >= $from AND created_at < $to AND (status = 'succeeded' OR cost_usd IS NOT NULL OR cost_note IS NOT NULL)
    AND ($type IS NULL OR type = $type)
  GROUP BY key ORDER BY key`;
const OLD_SPEND = `SELECT coalesce(sum(CASE WHEN status IN ('queued', 'running') THEN coalesce(estimated_cost_usd, 0)
    WHEN cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)
    THEN coalesce(estimated_cost_usd, CASE type WHEN 'image' THEN $image WHEN 'video' THEN $video ELSE $audio END)
    ELSE coalesce(cost_usd, 0) END), 0) AS spend
  FROM generations WHERE created_at >= $from AND ($type IS NULL OR type = $type)`;


const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TYPES = ["image", "video", "audio"] as const;
const MODELS = [["m-a", "p1"], ["m-b", "p2"], ["m-a", "p2"], ["m-c", "p3"]] as const;
const CALLERS: [Door, string | undefined][] = [["api", "curl/8"], ["mcp", "claude-code"], ["ui", undefined], ["cli", "mediagen-cli/1"]];
/** People with their team (one without), and requests without a person token. */
const PEOPLE = [{ tokenId: "tok_ann", name: "ann", team: "red" }, { tokenId: "tok_bob", name: "bob", team: "red" }, { tokenId: "tok_cy", name: "cy", team: "blue" }, { tokenId: "tok_dee", name: "dee", team: null }, undefined];

/**
 * A ledger of `jobs` jobs over about 12 days around `start` written through the Ledger (some left unfinished,
 * some with unknown costs with or without a note, no estimate), then changed behind its back: costs corrected,
 * statuses and times rewritten, rows deleted.
 */
export async function randomLedger(seed: number, jobs = 1500, db: Database = openDatabase(":memory:"), start = Date.UTC(2026, 2, 26, 20, 0, 0)) {
  // The default start puts the clock changes of Europe (29 March), Chile (midnight, 5 April) and Lord Howe
  // (5 April) inside the ledger, the dense days 8 to 11 the last two.
  const random = prng(seed);
  let clock = start;
  const ledger = new SqliteLedger(db, () => clock);
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) {
    const r = random();
    clock += r < 0.05 ? -Math.floor(random() * 3 * HOUR) : r < 0.1 ? Math.floor(random() * DAY) : Math.floor(random() * 20 * 60_000);
    const [model, provider] = MODELS[Math.floor(random() * MODELS.length)]!;
    const type = TYPES[Math.floor(random() * 3)]!;
    const estimate = random() < 0.2 ? null : Math.round(random() * 1000) / 100;
    const [door, client] = CALLERS[Math.floor(random() * CALLERS.length)]!;
    const sessionId = random() < 0.5 ? `s${Math.floor(random() * 5)}` : undefined;
    const owner = PEOPLE[Math.floor(random() * PEOPLE.length)];
    if (random() < 0.05) {
      // Sometimes a burst from one caller, folded into one row with a count.
      const burst = random() < 0.3 ? 4 : 1;
      for (let k = 0; k < burst; k++) await ledger.refuse({ type, model, provider, prompt: `refused ${i}`, errorType: "budget_exceeded", error: "over", door, client, sessionId, owner });
      continue;
    }
    const id = (await ledger.enqueue({ type, model, provider, prompt: `job ${i}`, params: {}, estimatedCostUsd: estimate, door, client, sessionId, owner }));
    ids.push(id);
    const fate = random();
    if (fate < 0.05) continue;
    await ledger.markRunning(id);
    if (fate < 0.1) continue;
    if (fate < 0.7) {
      const unknown = random() < 0.15;
      await ledger.succeed(id, { outputPath: `/o/${i}`, mimeType: "image/png", bytes: 1, cost: unknown ? { costUsd: null, source: "unknown", note: random() < 0.5 ? "implausible" : undefined } : { costUsd: Math.round(random() * 500) / 100, source: "catalog" } });
    } else {
      const billed = random() < 0.3;
      await ledger.fail(id, { status: random() < 0.5 ? "failed" : "interrupted", error: "x", errorType: "upstream_error", cost: billed ? { costUsd: random() < 0.5 ? null : 0.5, source: "unknown", note: "may have billed" } : undefined });
    }
  }
  // A job every 7 minutes from day 8 to day 11, so that every hour around a clock change has rows.
  for (clock = start + 8 * DAY; clock < start + 11 * DAY; clock += 7 * 60_000) {
    const id = (await ledger.start({ type: TYPES[Math.floor(random() * 3)]!, model: "m-d", provider: "p1", prompt: "dense", params: {}, estimatedCostUsd: 0.1 }));
    await ledger.succeed(id, { outputPath: "/o/d", mimeType: "image/png", bytes: 1, cost: { costUsd: Math.round(random() * 100) / 100, source: "catalog" } });
  }
  for (let i = 0; i < jobs / 10; i++) {
    const id = ids[Math.floor(random() * ids.length)]!;
    const change = random();
    if (change < 0.3) (await ledger.remove(id));
    else if (change < 0.5) db.query("UPDATE generations SET cost_usd = $cost, cost_note = NULL WHERE id = $id").run({ id, cost: Math.round(random() * 300) / 100 });
    else if (change < 0.6) db.query("UPDATE generations SET cost_usd = NULL, cost_note = 'rejected' WHERE id = $id").run({ id });
    else if (change < 0.7) db.query("UPDATE generations SET status = 'succeeded' WHERE id = $id").run({ id });
    else if (change < 0.8) db.query("UPDATE generations SET created_at = created_at + $shift WHERE id = $id").run({ id, shift: Math.floor((random() - 0.5) * DAY) });
    else if (change < 0.9) db.query("UPDATE generations SET estimated_cost_usd = NULL, model = 'm-z' WHERE id = $id").run({ id });
    else if (change < 0.95) db.query("UPDATE generations SET owner = 'eve', team = CASE WHEN team IS NULL THEN 'blue' END, client = NULL WHERE id = $id").run({ id });
    else db.query("UPDATE generations SET progress = 50, attempts = '[]' WHERE id = $id").run({ id });
  }
  return { db, ledger, start, end: clock };
}

/** Windows over the ledger: random instants, whole hours and days (UTC and local), a partial hour, an empty one. */
export function windows(seed: number, start: number, end: number, count = 60): [number, number][] {
  const random = prng(seed);
  const localMidnight = (ms: number) => {
    const d = new Date(ms);
    return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  };
  const span = end - start + 2 * DAY;
  const at = () => start - DAY + Math.floor(random() * span);
  const list: [number, number][] = [[start - DAY, end + DAY], [0, end + 10 * DAY], [start + 5 * HOUR, start + 5 * HOUR + 1], [start + HOUR + 17, start + HOUR + 600_000]];
  for (let i = 0; i < count; i++) {
    const a = at();
    const kind = i % 5;
    if (kind === 0) list.push([a, a + Math.floor(random() * 5 * DAY)]);
    if (kind === 1) list.push([Math.floor(a / HOUR) * HOUR, Math.floor(a / HOUR) * HOUR + Math.ceil(random() * 50) * HOUR]);
    if (kind === 2) list.push([Math.floor(a / DAY) * DAY, Math.floor(a / DAY) * DAY + Math.ceil(random() * 4) * DAY]);
    if (kind === 3) list.push([localMidnight(a), localMidnight(a) + Math.ceil(random() * 3) * DAY]);
    if (kind === 4) list.push([a, a + Math.floor(random() * 2 * HOUR)]);
  }
  return list;
}

/** Differences between the rollup queries and the old statements; empty when they agree. */
export async function compare(db: Database, ledger: SqliteLedger, windowList: [number, number][]): Promise<string[]> {
  const problems: string[] = [];
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  for (const [from, to] of windowList) {
    for (const type of [undefined, ...TYPES]) {
      for (const groupBy of ["day", "model", "type", "provider"] as const) {
        const expected = db.query<CostGroup, Record<string, string | number | null>>(oldGroups(groupBy)).all({ from, to, type: type ?? null });
        const actual = (await ledger.costGroups(from, to, groupBy, type));
        const same = expected.length === actual.length && expected.every((e, i) => {
          const a = actual[i]!;
          return a.key === e.key && a.count === e.count && a.unknown_cost_count === e.unknown_cost_count && close(a.cost_usd, e.cost_usd);
        });
        if (!same) problems.push(`costGroups(${from}, ${to}, ${groupBy}, ${type}): ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
      }
      for (const query of callerQueries(from, to, type)) {
        const expected = expectedGroups(db, query);
        const actual = spendGroups(db, query);
        const same = expected.length === actual.length && expected.every((e, i) => {
          const a = actual[i]!;
          return a.key === e.key && (a.series ?? null) === (e.series ?? null) && a.count === e.count && a.unknown_cost_count === e.unknown_cost_count &&
            close(a.cost_usd, e.cost_usd) && a.refused_count === e.refused_count && a.billed_failure_count === e.billed_failure_count && close(a.billed_failure_usd, e.billed_failure_usd);
        });
        if (!same) problems.push(`spendGroups(${JSON.stringify(query)}): ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
      }
      const spend = db.query<{ spend: number }, Record<string, string | number | null>>(OLD_SPEND).get({ from, type: type ?? null, ...ASSUMED_COST_USD })!.spend;
      const actual = (await ledger.spendSince(from, type));
      if (!close(actual, spend)) problems.push(`spendSince(${from}, ${type}): ${actual} != ${spend}`);
    }
  }
  return problems;
}

/** The caller groupings, series and filters checked for one window and type. */
function callerQueries(fromMs: number, toMs: number, type: (typeof TYPES)[number] | undefined): SpendQuery[] {
  const base = { fromMs, toMs, ...(type ? { type } : {}) };
  const series: CostSeriesBy[] = ["type", "model", "provider", "door", "client"];
  return [
    { ...base, groupBy: "door" },
    { ...base, groupBy: "client" },
    ...series.map((by): SpendQuery => ({ ...base, groupBy: "day", series: by })),
    { ...base, groupBy: "type", door: "mcp" },
    { ...base, groupBy: "client", door: "api" },
    { ...base, groupBy: "day", client: "" },
    { ...base, groupBy: "model", client: "claude-code" },
    { ...base, groupBy: "door", session: "s1" },
    { ...base, groupBy: "model", owner: "ann" },
    { ...base, groupBy: "day", owner: "bob" },
    { ...base, groupBy: "type", owner: "eve" },
    { ...base, groupBy: "day", team: "red" },
    { ...base, groupBy: "provider", team: "blue" },
    { ...base, groupBy: "day", series: "model", team: "red" },
    { ...base, groupBy: "model", owner: "ann", team: "red" },
    { ...base, groupBy: "door", owner: "cy" },
    { ...base, groupBy: "client", team: "red", client: "claude-code" },
    { ...base, groupBy: "provider", door: "mcp", client: "claude-code" },
    { ...base, groupBy: "model", client: "" },
  ];
}

/** What spendGroups should answer, straight from the rows. */
function expectedGroups(db: Database, query: SpendQuery): CostGroup[] {
  const terms = ["created_at >= $from", "created_at < $to"];
  const params: Record<string, string | number> = { from: query.fromMs, to: query.toMs };
  for (const name of ["type", "door", "session", "owner", "team"] as const) {
    if (query[name] === undefined) continue;
    terms.push(`${name === "session" ? "session_id" : name} = $${name}`);
    params[name] = query[name]!;
  }
  if (query.client !== undefined) {
    terms.push("coalesce(client, '') = $client");
    params.client = query.client;
  }
  const included = "(status = 'succeeded' OR cost_usd IS NOT NULL OR cost_note IS NOT NULL)";
  const billed = "(status IN ('failed', 'cancelled', 'interrupted') AND (cost_usd > 0 OR cost_note IS NOT NULL))";
  const rows = db
    .query<CostGroup & { series: string | null }, Record<string, string | number>>(
      `SELECT ${OLD_KEY[query.groupBy]} AS key, ${query.series ? OLD_KEY[query.series] : "NULL"} AS series,
         count(*) FILTER (WHERE status = 'succeeded') AS count, coalesce(sum(cost_usd) FILTER (WHERE ${included}), 0) AS cost_usd,
         count(*) FILTER (WHERE cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)) AS unknown_cost_count,
         coalesce(sum(refusal_count), 0) AS refused_count, count(*) FILTER (WHERE ${billed}) AS billed_failure_count,
         coalesce(sum(cost_usd) FILTER (WHERE ${billed}), 0) AS billed_failure_usd
       FROM generations WHERE ${terms.join(" AND ")} AND (${included} OR refusal_count IS NOT NULL OR ${billed})
       GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    .all(params);
  return rows.map(({ series, ...group }) => ({ ...group, ...(query.series ? { series: series ?? "" } : {}) }));
}

/** The rollups kept by triggers, each with its bucket in ms and its key columns as SQL of a generations row. */
const ROLLUP_TABLES: [table: string, bucket: string, unit: number, columns: string[], keys: string[]][] = [
  ["ledger_caller_days", "day", DAY, ["door", "client"], ["door", "coalesce(client, '')"]],
  ["ledger_caller_hours", "hour", HOUR, ["door", "client"], ["door", "coalesce(client, '')"]],
  ["ledger_model_hours", "hour", HOUR, ["model", "provider"], ["model", "provider"]],
  ["ledger_people_hours", "hour", HOUR, ["owner", "team"], ["coalesce(owner, '')", "coalesce(team, '')"]],
  ["ledger_people_days", "day", DAY, ["model", "provider", "owner", "team"], ["model", "provider", "coalesce(owner, '')", "coalesce(team, '')"]],
  ["ledger_caller_model_days", "day", DAY, ["model", "provider", "door", "client"], ["model", "provider", "door", "coalesce(client, '')"]],
  ["ledger_spend_hours", "hour", HOUR, ["model", "provider", "door", "client", "owner", "team"], ["model", "provider", "door", "coalesce(client, '')", "coalesce(owner, '')", "coalesce(team, '')"]],
];

/** Buckets of each rollup table that differ from the same sums over the rows (a bucket emptied by deletes has zeros); empty when they agree. */
export function rollupMismatches(db: Database): string[] {
  const problems: string[] = [];
  type Bucket = { id: string; included: number; succeeded: number; cost_usd: number; unknown_cost: number };
  for (const [table, bucket, unit, columns, keys] of ROLLUP_TABLES) {
    const stored = db
      .query<Bucket, []>(
        `SELECT json_array(${bucket}, type, ${columns.join(", ")}) AS id, included, succeeded, cost_usd, unknown_cost FROM ${table}
         WHERE included <> 0 OR succeeded <> 0 OR abs(cost_usd) > 1e-9 OR unknown_cost <> 0 ORDER BY id`,
      )
      .all();
    const rows = db
      .query<Bucket, []>(
        `SELECT json_array(created_at / ${unit} * ${unit}, type, ${keys.join(", ")}) AS id, count(*) AS included, sum(status = 'succeeded') AS succeeded,
           sum(coalesce(cost_usd, 0)) AS cost_usd, sum(cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL)) AS unknown_cost
         FROM generations WHERE (status = 'succeeded' OR cost_usd IS NOT NULL OR cost_note IS NOT NULL) GROUP BY 1 ORDER BY 1`,
      )
      .all();
    const byId = new Map(rows.map((row) => [row.id, row]));
    if (stored.length !== rows.length) problems.push(`${table}: ${stored.length} buckets, the rows make ${rows.length}`);
    for (const sums of stored) {
      const expected = byId.get(sums.id);
      const same = expected && expected.included === sums.included && expected.succeeded === sums.succeeded && expected.unknown_cost === sums.unknown_cost &&
        Math.abs(expected.cost_usd - sums.cost_usd) <= 1e-9 * Math.max(1, Math.abs(expected.cost_usd));
      if (!same) problems.push(`${table} ${sums.id}: ${JSON.stringify(sums)} != ${JSON.stringify(expected)}`);
    }
  }
  return problems;
}

if (import.meta.main) {
  const [seed, startAt] = process.argv.slice(2);
  const { db, ledger, start, end } = await randomLedger(Number(seed ?? 1), 800, undefined, startAt ? Date.parse(startAt) : undefined);
  const problems = await compare(db, ledger, windows(7, start, end));
  console.log(JSON.stringify({ timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, problems: problems.slice(0, 5), count: problems.length }));
}
