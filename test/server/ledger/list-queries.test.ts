import { describe, expect, test } from "bun:test";
import { openDatabase } from "../../../server/ledger/database.ts";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import type { Row, TimeRange } from "../../../server/ledger/records.ts";
import type { GenerationQuery } from "../../../server/ledger/schema.ts";

// The catch-all statement list() used before its WHERE clause was built from the filters given.
const OLD_LIST = `SELECT seq FROM generations
  WHERE ($cursor IS NULL OR seq < $cursor) AND ($type IS NULL OR type = $type) AND ($status IS NULL OR status = $status)
    AND ($model IS NULL OR model = $model OR model_name = $model) AND ($q IS NULL OR instr(lower(prompt), lower($q)) > 0)
    AND ($from IS NULL OR created_at >= $from) AND ($to IS NULL OR created_at < $to)
  ORDER BY seq DESC LIMIT $limit`;

// Chinese, ASCII in two cases, non-ASCII capitals that lower() leaves alone but the trigram index folds, quotes.
const PROMPTS = [(i: number) => `一只猫 number ${i}`, (i: number) => `A Cat number ${i}`, (i: number) => `a cat number ${i}`, (i: number) => `ÉCRIRE "L'été" ${i}`, (i: number) => `écrire "l'été" ${i}`, (i: number) => `Ab ${i}`];

/** A ledger of 600 jobs over 60 minutes, with clock jumps backwards, model ids shared with other models' names. */
async function seeded() {
  const db = openDatabase(":memory:");
  let clock = 1_700_000_000_000;
  const ledger = new SqliteLedger(db, () => clock);
  const models = [["m-a", "alpha", "p1"], ["m-b", "beta", "p2"], ["alpha", "gamma", "p1"], ["m-c", undefined, "p3"]] as const;
  const types = ["image", "video", "audio"] as const;
  for (let i = 0; i < 600; i++) {
    clock += i % 97 === 0 ? -30_000 : 6_000;
    const [model, modelName, provider] = models[i % 4]!;
    const id = (await ledger.enqueue({ type: types[i % 3]!, model, modelName, provider, prompt: PROMPTS[i % PROMPTS.length]!(i), params: {} }));
    if (i % 11 === 0) continue;
    await ledger.markRunning(id);
    if (i % 7 === 0) (await ledger.fail(id, { status: "failed", error: "x", errorType: "upstream_error" }));
    else (await ledger.succeed(id, { outputPath: `/o/${i}`, mimeType: "image/png", bytes: 1, cost: i % 13 === 0 ? { costUsd: null, source: "unknown" } : { costUsd: i / 100, source: "catalog" } }));
  }
  return { db, ledger, start: 1_700_000_000_000 };
}

const shared = await seeded();

describe("list builds its WHERE clause from the filters given", () => {
  const { db, ledger, start } = shared;
  const cursor = String(db.query<{ seq: number }, []>("SELECT seq FROM generations ORDER BY seq DESC LIMIT 1 OFFSET 200").get()!.seq);
  const filters: Omit<GenerationQuery, "from" | "to">[] = [
    {}, { cursor }, { type: "video" }, { status: "succeeded" }, { status: "queued" }, { model: "alpha" }, { model: "m-c" }, { model: "nothing" },
    { q: "cat" }, { q: "猫" }, { type: "image", status: "failed" }, { model: "alpha", status: "succeeded", cursor }, { model: "m-a", type: "image", q: "1" },
    { limit: 7 }, { limit: 7, model: "beta" }, { type: "audio", q: "CAT", cursor, limit: 3 },
    // q through the trigram index (3 characters or more) and row by row (fewer).
    { q: "a cat" }, { q: "CAT NUMBER 1" }, { q: "一只猫" }, { q: "只猫 n" }, { q: "écrire" }, { q: "ÉCRIRE" }, { q: "crire \"l'" }, { q: "\"" },
    { q: "ab" }, { q: "Ab 1" }, { q: "nothing here" }, { q: "number 3", cursor, limit: 5 }, { q: "number", status: "failed", type: "video" },
    { q: "cat", model: "alpha", cursor }, { q: "été", limit: 2 }, { q: "猫", cursor },
  ];
  const ranges: TimeRange[] = [{}, { fromMs: start + 600_000 }, { toMs: start + 1_200_000 }, { fromMs: start + 300_000, toMs: start + 900_000 }];
  for (const filter of filters) {
    for (const range of ranges) {
      test(`${JSON.stringify(filter)} ${JSON.stringify(range)}`, async () => {
        const limit = filter.limit ?? 50;
        const expected = db.query<Pick<Row, "seq">, Record<string, string | number | null>>(OLD_LIST).all({
          cursor: filter.cursor ? Number(filter.cursor) : null, type: filter.type ?? null, status: filter.status ?? null, model: filter.model ?? null,
          q: filter.q ?? null, from: range.fromMs ?? null, to: range.toMs ?? null, limit: limit + 1,
        });
        const page = (await ledger.list(filter, range));
        const ids = (seqs: number[]) => seqs.map((seq) => db.query<{ id: string }, { seq: number }>("SELECT id FROM generations WHERE seq = $seq").get({ seq })!.id);
        expect(page.items.map((g) => g.id)).toEqual(ids(expected.slice(0, limit).map((r) => r.seq)));
        expect(page.next_cursor).toBe(expected.length > limit ? String(expected[limit - 1]!.seq) : null);
      });
      test(`page() in slices of 7 seqs: ${JSON.stringify(filter)} ${JSON.stringify(range)}`, async () => {
        expect(await ledger.page(filter, range, 7)).toEqual(await ledger.list(filter, range));
      });
    }
  }
});

describe("the indexed ledger queries", () => {
  test("q folds ASCII case only, as lower() does, although the trigram index also folds É to é", async () => {
    const { ledger } = shared;
    const prompts = async (q: string) => (await ledger.list({ q, limit: 200 })).items.map((g) => g.prompt);
    expect((await prompts("écrire")).length).toBeGreaterThan(0);
    expect((await prompts("écrire")).every((p) => p.startsWith("écrire"))).toBe(true);
    expect((await prompts("ÉCRIRE")).every((p) => p.startsWith("ÉCRIRE"))).toBe(true);
    expect(new Set((await prompts("a cat")).map((p) => p.slice(0, 5)))).toEqual(new Set(["A Cat", "a cat"]));
  });

  test("recentCostAverage averages the last 20 succeeded jobs with a cost of one model id, provider and type", async () => {
    const { db, ledger } = shared;
    const expected = db.query<{ a: number | null }, []>(
      "SELECT avg(cost_usd) AS a FROM (SELECT cost_usd FROM generations WHERE model = 'm-a' AND provider = 'p1' AND type = 'image' AND status = 'succeeded' ORDER BY seq DESC LIMIT 20)",
    ).get()!.a;
    expect(expected).not.toBeNull();
    expect(await ledger.recentCostAverage("m-a", "p1", "image")).toBe(expected!);
    expect(await ledger.recentCostAverage("m-a", "p2", "image")).toBeUndefined();
    expect(await ledger.recentCostAverage("new", "p1", "image")).toBeUndefined();
  });

  test("each query reads the index meant for it", () => {
    const { db } = shared;
    const plan = (sql: string) => db.query<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => r.detail).join("; ");
    expect(plan("SELECT cost_usd FROM generations WHERE model = 'm' AND provider = 'p' AND status = 'succeeded' AND type = 'image' ORDER BY seq DESC LIMIT 20")).toContain("generations_model_provider");
    expect(plan("SELECT * FROM generations WHERE status IN ('queued', 'running') ORDER BY seq")).toContain("generations_unfinished");
    // spendSince and the time-range list name generations_spend with INDEXED BY: SQLite refuses the statement if it is missing.
    expect(plan("SELECT seq FROM generations INDEXED BY generations_spend WHERE created_at >= 0 AND type = 'image' ORDER BY seq DESC")).toContain("COVERING INDEX generations_spend");
  });
});

describe("a person's and a team's History pages", async () => {
  const { db, ledger, start } = await seeded();
  // Owners and teams given behind the ledger's back (the indexes and rollups follow any update): some rows without.
  db.exec(`UPDATE generations SET owner = CASE seq % 5 WHEN 0 THEN NULL WHEN 1 THEN 'ann' WHEN 2 THEN 'bob' WHEN 3 THEN 'cy' ELSE 'ann' END,
    team = CASE seq % 5 WHEN 0 THEN NULL WHEN 3 THEN 'blue' ELSE 'red' END`);
  const cursor = String(db.query<{ seq: number }, []>("SELECT seq FROM generations ORDER BY seq DESC LIMIT 1 OFFSET 150").get()!.seq);
  const filters: Omit<GenerationQuery, "from" | "to">[] = [
    { owner: "ann" }, { team: "red" }, { team: "blue", type: "video" }, { owner: "bob", model: "alpha" }, { owner: "ann", team: "red", status: "failed" },
    { team: "red", cursor, limit: 9 }, { owner: "nobody" }, { owner: "cy", q: "cat" }, { team: "red", q: "ab" }, { owner: "ann", client: "x" },
  ];
  const ranges: TimeRange[] = [{}, { fromMs: start + 600_000 }, { fromMs: start + 300_000, toMs: start + 900_000 }];
  for (const filter of filters) {
    for (const range of ranges) {
      test(`${JSON.stringify(filter)} ${JSON.stringify(range)}: the same rows as a plain scan, newest first`, async () => {
        const limit = filter.limit ?? 50;
        const terms = ["1 = 1"];
        if (filter.owner) terms.push(`owner = '${filter.owner}'`);
        if (filter.team) terms.push(`team = '${filter.team}'`);
        if (filter.type) terms.push(`type = '${filter.type}'`);
        if (filter.status) terms.push(`status = '${filter.status}'`);
        if (filter.model) terms.push(`(model = '${filter.model}' OR model_name = '${filter.model}')`);
        if (filter.client) terms.push(`client = '${filter.client}'`);
        if (filter.q) terms.push(`instr(lower(prompt), '${filter.q}') > 0`);
        if (filter.cursor) terms.push(`seq < ${filter.cursor}`);
        if (range.fromMs !== undefined) terms.push(`created_at >= ${range.fromMs}`);
        if (range.toMs !== undefined) terms.push(`created_at < ${range.toMs}`);
        const expected = db.query<{ id: string }, []>(`SELECT id FROM generations NOT INDEXED WHERE ${terms.join(" AND ")} ORDER BY seq DESC LIMIT ${limit}`).all().map((r) => r.id);
        const page = await ledger.list(filter, range);
        expect(page.items.map((g) => g.id)).toEqual(expected);
        expect(await ledger.page(filter, range, 7)).toEqual(page);
      });
    }
  }

  test("a person's or team's newest rows come from its (owner|team) index without a sort; spend sums keep the created_at one", () => {
    const plan = (sql: string) => db.query<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => r.detail).join("; ");
    const newest = plan("SELECT * FROM generations INDEXED BY generations_team_seq WHERE team = 'red' ORDER BY seq DESC LIMIT 51");
    expect(newest).toContain("generations_team_seq");
    expect(newest).not.toContain("TEMP B-TREE");
    expect(plan("SELECT * FROM generations INDEXED BY generations_owner_seq WHERE owner = 'ann' AND type = 'image' ORDER BY seq DESC LIMIT 51")).not.toContain("TEMP B-TREE");
    expect(plan("SELECT sum(cost_usd) FROM generations WHERE team = 'red' AND created_at >= 0")).toContain("generations_team ");
    expect(plan("SELECT sum(cost_usd) FROM generations WHERE owner = 'ann' AND created_at >= 0")).toContain("generations_owner ");
  });
});
