// PostgresLedger against SqliteLedger on the same rows: the randomized ledger of rollup-compare.ts (whose SQLite answers
// are checked against the row-by-row statements in rollups.test.ts) copied into PostgreSQL, then every cost grouping,
// caller grouping and series, spendSince and a spread of list filters asked of both.
import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { Database } from "bun:sqlite";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import { PostgresLedger, positional } from "../../../server/ledger/postgres.ts";
import { migratePostgres } from "../../../server/ledger/postgres-schema.ts";
import type { CostGroup, GenerationQuery } from "../../../server/ledger/schema.ts";
import type { SpendQuery } from "../../../server/ledger/spend-groups.ts";
import type { TimeRange } from "../../../server/ledger/records.ts";
import { postgresAvailable, testDatabase } from "../../postgres.ts";
import { randomLedger, windows } from "./rollup-compare.ts";

const TYPES = [undefined, "image", "video", "audio"] as const;

/** Copies every generations row of a SQLite ledger into an empty PostgreSQL one, seq included. */
async function copyRows(from: Database, to: SQL): Promise<number> {
  const rows = from.query<Record<string, unknown>, []>("SELECT * FROM generations ORDER BY seq").all();
  const columns = Object.keys(rows[0]!);
  for (const row of rows) {
    const values = columns.map((column) => (typeof row[column] === "number" && Number.isSafeInteger(row[column]) ? BigInt(row[column] as number) : row[column]));
    await to.unsafe(`INSERT INTO generations (${columns.join(", ")}) OVERRIDING SYSTEM VALUE VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`, values);
  }
  await to.unsafe("SELECT setval(pg_get_serial_sequence('generations', 'seq'), (SELECT max(seq) FROM generations))");
  return rows.length;
}

/** Groups as comparable values: costs rounded, so that summation order does not matter. */
const rounded = (groups: Partial<CostGroup>[]) =>
  groups.map((g) => ({ ...g, cost_usd: Math.round((g.cost_usd ?? 0) * 1e6) / 1e6, billed_failure_usd: Math.round((g.billed_failure_usd ?? 0) * 1e6) / 1e6 }));

/** The spend queries asked of both for one window and type. */
function spendQueries(fromMs: number, toMs: number, type: (typeof TYPES)[number]): SpendQuery[] {
  const base = { fromMs, toMs, ...(type ? { type } : {}) };
  return [
    ...(["day", "model", "type", "provider", "door", "client"] as const).map((groupBy): SpendQuery => ({ ...base, groupBy })),
    ...(["type", "model", "provider", "door", "client"] as const).map((series): SpendQuery => ({ ...base, groupBy: "day", series })),
    { ...base, groupBy: "type", door: "mcp" },
    { ...base, groupBy: "client", door: "api" },
    { ...base, groupBy: "day", client: "" },
    { ...base, groupBy: "model", client: "claude-code" },
    { ...base, groupBy: "door", session: "s1" },
  ];
}

const available = await postgresAvailable();

describe.skipIf(!available)("PostgresLedger answers as SqliteLedger on the same rows", () => {
  for (const seed of [1, 2]) {
    test(`randomized ledger ${seed}: cost groups, spend groups, spendSince and lists`, async () => {
      const { db, ledger: sqlite, start, end } = await randomLedger(seed, 700);
      const made = (await testDatabase())!;
      const sql = new SQL(made.url);
      try {
        await migratePostgres(sql);
        expect(await copyRows(db, sql)).toBeGreaterThan(600);
        const postgres = new PostgresLedger(sql);
        for (const [from, to] of windows(seed * 7, start, end, 12)) {
          for (const type of TYPES) {
            for (const groupBy of ["day", "model", "type", "provider"] as const) {
              expect(rounded(await postgres.costGroups(from, to, groupBy, type))).toEqual(rounded(await sqlite.costGroups(from, to, groupBy, type)));
            }
            for (const query of spendQueries(from, to, type)) {
              expect({ query, groups: rounded(await postgres.spendGroups(query)) }).toEqual({ query, groups: rounded(await sqlite.spendGroups(query)) });
            }
            expect(await postgres.spendSince(from, type)).toBeCloseTo(await sqlite.spendSince(from, type), 6);
          }
        }
        await listsAgree(sqlite, postgres, start, end);
      } finally {
        await sql.close();
        await made.drop();
        db.close();
      }
    });
  }
});

describe.skipIf(!available)("PostgreSQL reads the index meant for each query", () => {
  test("prompt search, spend windows, idempotency keys, unfinished jobs and a token's spend, with the values bound as the ledger binds them", async () => {
    const made = (await testDatabase())!;
    const sql = new SQL(made.url);
    try {
      await migratePostgres(sql);
      await sql`SET enable_seqscan = off`;
      const plan = async (text: string, params: Record<string, string | number>) => {
        const { text: statement, values } = positional(`EXPLAIN ${text}`, params);
        const rows = (await sql.unsafe(statement, values)) as { "QUERY PLAN": string }[];
        return rows.map((row) => row["QUERY PLAN"]).join("\n");
      };
      expect(await plan("SELECT * FROM generations WHERE mediagen_fold(prompt) LIKE mediagen_fold($q) ORDER BY seq DESC LIMIT 51", { q: "%red fox%" })).toContain("generations_prompt_trgm");
      expect(await plan("SELECT sum(cost_usd) FROM generations WHERE created_at >= $from AND created_at < $to", { from: 1_700_000_000_000, to: 1_700_086_400_000 })).toContain("generations_spend");
      expect(await plan("SELECT id FROM generations WHERE idempotency_key = $key AND created_at >= $since ORDER BY seq DESC LIMIT 1", { key: "k", since: 1_700_000_000_000 })).toContain("generations_idempotency");
      expect(await plan("SELECT * FROM generations WHERE status IN ('queued', 'running') ORDER BY seq", {})).toMatch(/generations_(unfinished|leases)/);
      expect(await plan("SELECT sum(cost_usd) FROM generations WHERE token_id = $who AND created_at >= $from", { who: "t", from: 1_700_000_000_000 })).toContain("generations_token_spend");
    } finally {
      await sql.close();
      await made.drop();
    }
  });
});

/** The same pages (by prompt and cursor) for a spread of filters, ranges and prompt searches. */
async function listsAgree(sqlite: SqliteLedger, postgres: PostgresLedger, start: number, end: number): Promise<void> {
  const filters: Omit<GenerationQuery, "from" | "to">[] = [
    {}, { type: "video" }, { status: "succeeded" }, { status: "refused" }, { status: "failed" }, { status: "queued" }, { model: "m-a" }, { door: "mcp" },
    { client: "claude-code" }, { session: "s1" }, { q: "job 1" }, { q: "JOB 12" }, { q: "refused" }, { q: "b" }, { q: "%" }, { q: "_" }, { limit: 7 },
    { type: "image", status: "succeeded", limit: 3 }, { q: "dense", limit: 5 },
  ];
  const ranges: TimeRange[] = [{}, { fromMs: start + 3 * 86_400_000 }, { fromMs: start, toMs: Math.floor((start + end) / 2) }];
  for (const filter of filters) {
    for (const range of ranges) {
      let query = filter;
      for (let page = 0; page < 3; page++) {
        const [a, b] = [await sqlite.list(query, range), await postgres.list(query, range)];
        expect({ filter, range, page, items: b.items.map((g) => g.prompt), next: b.next_cursor }).toEqual({ filter, range, page, items: a.items.map((g) => g.prompt), next: a.next_cursor });
        if (!a.next_cursor) break;
        query = { ...filter, cursor: a.next_cursor };
      }
    }
  }
}

describe.skipIf(!available)("daemons sharing one PostgreSQL ledger", () => {
  test("each daemon's recovery takes only the jobs it recorded itself (and unnamed ones, once), never another daemon's", async () => {
    const made = (await testDatabase())!;
    const sql = new SQL(made.url);
    try {
      await migratePostgres(sql);
      const job = { type: "image" as const, model: "m", provider: "p", prompt: "x", params: {} };
      const a = new PostgresLedger(sql, Date.now, () => {}, "host-a:/data");
      const b = new PostgresLedger(sql, Date.now, () => {}, "host-b:/data");
      const aRunning = await a.start(job);
      const aQueued = await a.enqueue(job);
      const bRunning = await b.start(job);
      const unnamed = await new PostgresLedger(sql).start(job);
      const done = await a.start(job);
      await a.succeed(done, { outputPath: "/o.png", mimeType: "image/png", bytes: 1, cost: { costUsd: 0, source: "catalog" } });
      expect((await a.unfinished()).map((g) => g.id)).toEqual([aRunning, aQueued, unnamed]);
      // The unnamed job is A's now: recovery claims what it returns.
      expect((await b.unfinished()).map((g) => g.id)).toEqual([bRunning]);
      // A restart of A (a new ledger object, the same name) finds its jobs again.
      expect((await new PostgresLedger(sql, Date.now, () => {}, "host-a:/data").unfinished()).map((g) => g.id)).toEqual([aRunning, aQueued, unnamed]);
    } finally {
      await sql.close();
      await made.drop();
    }
  });
});
