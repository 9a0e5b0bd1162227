// PostgreSQL's cost rollups (PG_ROLLUPS, kept by a trigger) against the rows they sum: after writes
// through the ledger (inserts, costs and statuses, refusal folds, deletes), changes made behind its back, an import
// from a SQLite ledger, and the migration's backfill of a ledger written before it. Both the rollup tables themselves
// and the summaries read through them are compared with sums computed from the rows by the statements below.
import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../../server/ledger/database.ts";
import { PostgresLedger } from "../../../server/ledger/postgres.ts";
import { migratePostgres, PG_MIGRATIONS, PG_ROLLUPS, type PgRollup } from "../../../server/ledger/postgres-schema.ts";
import type { CostGroup } from "../../../server/ledger/schema.ts";
import type { SpendQuery } from "../../../server/ledger/spend-groups.ts";
import { openSource, openTarget } from "../../../server/transfer/databases.ts";
import { importLedger, sourceEntries } from "../../../server/transfer/transfer.ts";
import { postgresAvailable, testDatabase } from "../../postgres.ts";
import { prng } from "../../prng.ts";
import { randomLedger, windows } from "./rollup-compare.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TYPES = ["image", "video", "audio"] as const;
const MODELS = [["m-a", "p1"], ["m-b", "p2"], ["m-a", "p2"]] as const;
const CALLERS = [["api", "curl/8"], ["mcp", "claude-code"], ["ui", undefined], ["cli", undefined]] as const;
const PEOPLE = [{ tokenId: "t1", name: "ann", team: "red" }, { tokenId: "t2", name: "bo", team: null }, undefined];

const INCLUDED = "(status = 'succeeded' OR cost_usd IS NOT NULL OR cost_note IS NOT NULL)";
const BILLED = "(status IN ('failed', 'cancelled', 'interrupted') AND (cost_usd > 0 OR cost_note IS NOT NULL))";
const UNKNOWN = "(cost_usd IS NULL AND (status = 'succeeded' OR cost_note IS NOT NULL))";
const KEY: Record<string, string> = { model: "model", type: "type", provider: "provider", door: "door", client: "coalesce(client, '')" };

/** A rollup table's rows with something in them, in key order, costs rounded. */
async function stored(sql: SQL, { table, bucket, keys }: PgRollup): Promise<Record<string, unknown>[]> {
  const rows = (await sql.unsafe(
    `SELECT ${bucket}::float8 AS bucket, ${keys.join(", ")}, rows::int, included::int, succeeded::int, cost_usd, unknown_cost::int, refused::int, billed::int, billed_usd
     FROM ${table} WHERE NOT (rows = 0 AND included = 0 AND succeeded = 0 AND abs(cost_usd) < 1e-9 AND unknown_cost = 0 AND refused = 0 AND billed = 0 AND abs(billed_usd) < 1e-9)
     ORDER BY ${keys.map((_, i) => i + 2).join(", ")}, 1`,
  )) as Record<string, unknown>[];
  return rows.map(roundCosts);
}

/** What a rollup should hold, summed from the rows. */
async function fromRows(sql: SQL, { unit, keys }: PgRollup): Promise<Record<string, unknown>[]> {
  const rows = (await sql.unsafe(
    `SELECT (created_at / ${unit} * ${unit})::float8 AS bucket, ${keys.map((k) => `coalesce(${k}, '') AS ${k}`).join(", ")}, count(*)::int AS rows,
       count(*) FILTER (WHERE ${INCLUDED})::int AS included, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
       coalesce(sum(cost_usd) FILTER (WHERE ${INCLUDED}), 0)::float8 AS cost_usd, count(*) FILTER (WHERE ${UNKNOWN})::int AS unknown_cost,
       coalesce(sum(refusal_count), 0)::int AS refused, count(*) FILTER (WHERE ${BILLED})::int AS billed, coalesce(sum(cost_usd) FILTER (WHERE ${BILLED}), 0)::float8 AS billed_usd
     FROM generations WHERE ${INCLUDED} OR refusal_count IS NOT NULL OR ${BILLED}
     GROUP BY ${keys.map((_, i) => i + 2).join(", ")}, 1 ORDER BY ${keys.map((_, i) => i + 2).join(", ")}, 1`,
  )) as Record<string, unknown>[];
  return rows.map(roundCosts);
}

const round = (value: unknown) => Math.round(Number(value) * 1e6) / 1e6;
const roundCosts = (row: Record<string, unknown>) => ({ ...row, cost_usd: round(row.cost_usd), billed_usd: round(row.billed_usd) });
const roundGroups = (groups: CostGroup[]) => groups.map((g) => ({ ...g, cost_usd: round(g.cost_usd), billed_failure_usd: round(g.billed_failure_usd) }));

/** The cost summary's groups of `query` summed from the rows (the statement PostgresLedger ran before the rollups). */
async function groupsFromRows(sql: SQL, query: SpendQuery): Promise<CostGroup[]> {
  const values: unknown[] = [BigInt(query.fromMs), BigInt(query.toMs)];
  const terms = ["created_at >= $1", "created_at < $2"];
  const key = query.groupBy === "day" ? `to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE $${values.push(Intl.DateTimeFormat().resolvedOptions().timeZone)}, 'YYYY-MM-DD')` : KEY[query.groupBy];
  for (const [name, column] of [["type", "type"], ["door", "door"], ["session", "session_id"], ["owner", "owner"], ["team", "team"]] as const) {
    if (query[name] === undefined) continue;
    terms.push(`${column} = $${values.push(query[name])}`);
  }
  if (query.client !== undefined) terms.push(query.client === "" ? "client IS NULL" : `client = $${values.push(query.client)}`);
  const rows = (await sql.unsafe(
    `SELECT ${key} AS key, ${query.series ? KEY[query.series] : "NULL"} AS series, count(*) FILTER (WHERE status = 'succeeded')::int AS count,
       coalesce(sum(cost_usd) FILTER (WHERE ${INCLUDED}), 0)::float8 AS cost_usd, count(*) FILTER (WHERE ${UNKNOWN})::int AS unknown_cost_count,
       coalesce(sum(refusal_count), 0)::int AS refused_count, count(*) FILTER (WHERE ${BILLED})::int AS billed_failure_count,
       coalesce(sum(cost_usd) FILTER (WHERE ${BILLED}), 0)::float8 AS billed_failure_usd
     FROM generations WHERE ${terms.join(" AND ")} AND (${INCLUDED} OR refusal_count IS NOT NULL OR ${BILLED}) GROUP BY 1, 2`,
    values,
  )) as (CostGroup & { series: string | null })[];
  return rows
    .map(({ series, ...group }) => ({ ...group, ...(query.series ? { series: series ?? "" } : {}) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.series ?? "").localeCompare(b.series ?? "")));
}

/** The summaries asked for one window and type. */
function queries(fromMs: number, toMs: number, type: (typeof TYPES)[number] | undefined): SpendQuery[] {
  const base = { fromMs, toMs, ...(type ? { type } : {}) };
  return [
    ...(["day", "model", "type", "provider", "door", "client"] as const).map((groupBy): SpendQuery => ({ ...base, groupBy })),
    ...(["type", "model", "door", "client"] as const).map((series): SpendQuery => ({ ...base, groupBy: "day", series })),
    { ...base, groupBy: "model", door: "mcp" },
    { ...base, groupBy: "day", client: "" },
    { ...base, groupBy: "provider", client: "claude-code" },
    { ...base, groupBy: "model", owner: "ann" },
    { ...base, groupBy: "type", owner: "bo" },
    { ...base, groupBy: "day", owner: "ann" },
    { ...base, groupBy: "day", team: "red" },
    { ...base, groupBy: "day", series: "type", team: "red" },
    { ...base, groupBy: "provider", team: "red" },
    { ...base, groupBy: "door", owner: "ann" },
    { ...base, groupBy: "model", owner: "" },
    { ...base, groupBy: "model", session: "s1" },
  ];
}

/** The rollup tables equal the rows, and every summary read through them equals the one summed from the rows. */
async function expectRollupsMatch(sql: SQL, ledger: PostgresLedger, start: number, end: number, seed: number): Promise<void> {
  await ledger.settled();
  for (const rollup of PG_ROLLUPS) expect({ table: rollup.table, rows: await stored(sql, rollup) }).toEqual({ table: rollup.table, rows: await fromRows(sql, rollup) });
  for (const [from, to] of windows(seed, start, end, 10)) {
    for (const type of [undefined, ...TYPES]) {
      for (const query of queries(from, to, type)) {
        expect({ query, groups: roundGroups(await ledger.spendGroups(query)) }).toEqual({ query, groups: roundGroups(await groupsFromRows(sql, query)) });
      }
    }
  }
}

/** Jobs, refusal floods and changes over about ten days from `start`, written through the ledger and behind its back. */
async function writeHistory(sql: SQL, seed: number, start: number): Promise<{ ledger: PostgresLedger; end: number }> {
  const random = prng(seed);
  let clock = start;
  const ledger = new PostgresLedger(sql, () => clock);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const ids: string[] = [];
  for (let i = 0; i < 400; i++) {
    clock += Math.floor(random() * 40 * 60_000);
    const [model, provider] = pick(MODELS);
    const [door, client] = pick(CALLERS);
    const job = { type: pick(TYPES), model, provider, prompt: `job ${i}`, params: {}, door, client, owner: pick(PEOPLE), sessionId: random() < 0.5 ? "s1" : undefined, estimatedCostUsd: random() < 0.2 ? null : 0.25 };
    if (random() < 0.08) {
      // A flood: repeats within a minute fold into one row with a count.
      for (let n = 0; n < 1 + Math.floor(random() * 5); n++) await ledger.refuse({ ...job, errorType: "budget_exceeded", error: "over" });
      continue;
    }
    const id = random() < 0.5 ? await ledger.start(job) : await ledger.enqueue(job);
    ids.push(id);
    const fate = random();
    if (fate < 0.05) continue;
    await ledger.markRunning(id);
    if (fate < 0.1) continue;
    if (fate < 0.7) {
      const unknown = random() < 0.15;
      await ledger.succeed(id, { outputPath: `/o/${i}`, mimeType: "image/png", bytes: 1, cost: unknown ? { costUsd: null, source: "unknown", note: random() < 0.5 ? "implausible" : undefined } : { costUsd: Math.round(random() * 500) / 100, source: "catalog" } });
    } else {
      const billed = random() < 0.4;
      await ledger.fail(id, { status: pick(["failed", "interrupted", "cancelled"] as const), error: "x", errorType: "upstream_error", cost: billed ? { costUsd: random() < 0.5 ? null : 0.5, source: "unknown", note: "may have billed" } : undefined });
    }
  }
  for (let i = 0; i < 60; i++) {
    const id = pick(ids);
    const change = random();
    if (change < 0.2) await ledger.remove(id);
    else if (change < 0.35) await sql`UPDATE generations SET cost_usd = ${Math.round(random() * 300) / 100}, cost_note = NULL WHERE id = ${id}`;
    else if (change < 0.45) await sql`UPDATE generations SET cost_usd = NULL, cost_note = 'rejected' WHERE id = ${id}`;
    else if (change < 0.55) await sql`UPDATE generations SET status = 'succeeded' WHERE id = ${id}`;
    else if (change < 0.65) await sql`UPDATE generations SET status = 'failed', cost_usd = 0 WHERE id = ${id}`;
    else if (change < 0.75) await sql`UPDATE generations SET created_at = created_at + ${BigInt(Math.floor((random() - 0.5) * DAY))} WHERE id = ${id}`;
    else if (change < 0.85) await sql`UPDATE generations SET model = 'm-z', provider = 'p9', door = 'mcp', client = NULL WHERE id = ${id}`;
    else if (change < 0.92) await sql`UPDATE generations SET client = 'codex', type = 'video' WHERE id = ${id}`;
    else await sql`UPDATE generations SET progress = 50, attempts = '[]', thumbnail = 'x.webp' WHERE id = ${id}`;
  }
  await sql`UPDATE generations SET refusal_count = refusal_count + 3 WHERE refusal_count IS NOT NULL AND seq % 2 = 0`;
  return { ledger, end: clock };
}

const available = await postgresAvailable();

describe.skipIf(!available)("PostgreSQL cost rollups equal the rows they sum", () => {
  test("after inserts, costs and statuses, refusal folds, deletes, changes behind the ledger's back, an import and a truncate", async () => {
    const made = (await testDatabase())!;
    const sql = new SQL(made.url);
    const dir = mkdtempSync(join(tmpdir(), "mediagen-rollups-"));
    try {
      await migratePostgres(sql);
      const start = Date.UTC(2026, 2, 26, 20, 0, 0);
      const { ledger, end } = await writeHistory(sql, 3, start);
      expect(Number((await sql`SELECT count(*) AS n FROM generations WHERE refusal_count > 1`)[0].n)).toBeGreaterThan(0);
      await expectRollupsMatch(sql, ledger, start, end, 5);

      // An import from a SQLite ledger (rows already finished, some changed behind its back) adds its rows to the buckets.
      const file = join(dir, "mediagen.db");
      const { db } = await randomLedger(6, 300, openDatabase(file), start + 2 * DAY);
      db.close();
      const source = await openSource({ backend: "sqlite", path: file });
      const target = await openTarget({ backend: "postgres", url: made.url });
      const summary = await importLedger({ entries: sourceEntries(source, false), expectTrailer: false }, target);
      await source.close();
      await target.close();
      expect(summary.generations.imported).toBeGreaterThan(250);
      await expectRollupsMatch(sql, ledger, start, end + 5 * DAY, 7);
      await ledger.close();
      // Emptying the ledger empties its rollups (a TRUNCATE fires no row trigger).
      await sql`TRUNCATE generations`;
      for (const { table } of PG_ROLLUPS) expect(Number((await sql.unsafe(`SELECT count(*) AS n FROM ${table}`))[0].n)).toBe(0);
    } finally {
      await sql.close();
      await made.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the migration builds the rollups of a ledger written before it, and the trigger keeps them from then on", async () => {
    const made = (await testDatabase())!;
    const sql = new SQL(made.url);
    try {
      const before = PG_MIGRATIONS.findIndex((migration) => migration.includes("CREATE TABLE spend_hours"));
      expect(before).toBeGreaterThan(0);
      await sql.begin(async (tx) => {
        await tx`CREATE TABLE mediagen_schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
        for (let version = 0; version < before; version++) {
          await tx.unsafe(PG_MIGRATIONS[version]!);
          await tx`INSERT INTO mediagen_schema_version (version) VALUES (${version + 1})`;
        }
      });
      const start = Date.UTC(2026, 9, 22, 20, 0, 0);
      const { ledger, end } = await writeHistory(sql, 8, start);
      await ledger.settled();
      expect(await migratePostgres(sql)).toEqual({ current: before, target: PG_MIGRATIONS.length });
      await expectRollupsMatch(sql, ledger, start, end, 9);
      const later = await writeHistory(sql, 10, end);
      await expectRollupsMatch(sql, later.ledger, start, later.end, 11);
      await ledger.close();
      await later.ledger.close();
    } finally {
      await sql.close();
      await made.drop();
    }
  });
});
