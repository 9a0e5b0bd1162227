// Export and import on real databases: the randomized ledger of the rollup tests (rollup-compare.ts) written to a
// real SQLite file, exported to NDJSON, imported into PostgreSQL (and into SQLite), exported from there and imported
// back, compared row by row and by the cost summary; idempotent re-imports, conflicts, running jobs becoming
// interrupted, tokens (hashes only), bad and truncated files, and memory that stays bounded over thousands of rows.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS, openDatabase } from "../../../server/ledger/database.ts";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import { PostgresLedger } from "../../../server/ledger/postgres.ts";
import type { Ledger } from "../../../server/ledger/store.ts";
import type { SpendQuery } from "../../../server/ledger/spend-groups.ts";
import type { CostGroup } from "../../../server/ledger/schema.ts";
import type { StorageTarget } from "../../../server/storage.ts";
import { SqliteTokenStore } from "../../../server/tokens/store.ts";
import { openSource, openTarget, parseLocation } from "../../../server/transfer/databases.ts";
import { GENERATION_COLUMNS, LedgerFileError, normalizeGeneration, type GenerationLine } from "../../../server/transfer/format.ts";
import { asImported, exportLedger, importLedger, readLedgerFile, sourceEntries, type ImportSummary } from "../../../server/transfer/transfer.ts";
import { tempDir } from "../../helpers.ts";
import { postgresAvailable, testDatabase, type TestDatabase } from "../../postgres.ts";
import { randomLedger } from "../ledger/rollup-compare.ts";

const dir = tempDir("mediagen-transfer-");
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
  dir[Symbol.dispose]();
});

const available = await postgresAvailable();
let files = 0;
/** A fresh path in the temp folder. */
const fresh = (name: string) => join(dir.path, `${++files}-${name}`);

/** Exports `from` to a new file and returns its path. */
async function exportTo(from: StorageTarget, withTokens = false, now = Date.UTC(2026, 3, 20), onChunk?: () => void): Promise<string> {
  const path = fresh("ledger.ndjson");
  const source = await openSource(from);
  const sink = Bun.file(path).writer();
  try {
    await exportLedger(
      source,
      async (chunk) => {
        sink.write(chunk);
        await sink.flush();
        onChunk?.();
      },
      { withTokens, now },
    );
  } finally {
    await sink.end();
    await source.close();
  }
  return path;
}

/** Imports a file into `into`. */
async function importFile(path: string, into: StorageTarget, onBatch?: (summary: ImportSummary) => void): Promise<ImportSummary> {
  const { input } = await readLedgerFile(Bun.file(path).stream());
  const target = await openTarget(into);
  try {
    return await importLedger(input, target, onBatch);
  } finally {
    await target.close();
  }
}

/** Every generations row of a database by id, as the file carries it. */
async function rowsOf(target: StorageTarget): Promise<Map<string, GenerationLine>> {
  const source = await openSource(target);
  const rows = new Map<string, GenerationLine>();
  try {
    for await (const row of source.generations()) rows.set(row.id, row);
  } finally {
    await source.close();
  }
  return rows;
}

/** A randomized SQLite ledger file with a token and a running job; its path and its rows. */
async function laptopLedger(seed: number, jobs = 600): Promise<{ path: string; location: StorageTarget; running: string; queued: string }> {
  const path = fresh("laptop.db");
  const db = openDatabase(path);
  const { ledger } = await randomLedger(seed, jobs, db);
  const running = await ledger.start({ type: "video", model: "m-a", provider: "p1", prompt: "still running", params: { seconds: 4 }, estimatedCostUsd: 0.4, door: "cli", owner: { tokenId: "tok_a", name: "alice", team: "red" } });
  await ledger.setOperation(running, "op-123");
  const queued = await ledger.enqueue({ type: "image", model: "m-b", provider: "p2", prompt: "still queued 雪", params: {}, door: "mcp", client: "claude-code" });
  await new SqliteTokenStore(db).insert({ id: "tok_a", name: "alice", team: "red", role: "admin", prefix: "mg_abcd", hash: "a".repeat(64), budgetDailyUsd: 5, budgetMonthlyUsd: null, createdAt: Date.UTC(2026, 2, 1), revokedAt: null, lastUsedAt: null });
  await ledger.close();
  db.close();
  return { path, location: { backend: "sqlite", path }, running, queued };
}

/** What the summary queries of the Costs page answer, rounded so that summation order does not matter. */
async function costSummary(ledger: Ledger): Promise<unknown[]> {
  const base = { fromMs: 0, toMs: Date.UTC(2030, 0, 1) };
  const queries: SpendQuery[] = [
    ...(["day", "model", "type", "provider", "door", "client"] as const).map((groupBy): SpendQuery => ({ ...base, groupBy })),
    { ...base, groupBy: "day", series: "model" },
    { ...base, groupBy: "type", door: "mcp" },
  ];
  const rounded = (groups: CostGroup[]) => groups.map((g) => ({ ...g, cost_usd: Math.round(g.cost_usd * 1e6) / 1e6, billed_failure_usd: Math.round(g.billed_failure_usd * 1e6) / 1e6 }));
  return await Promise.all(queries.map(async (query) => rounded(await ledger.spendGroups(query))));
}

/** The cost summary the laptop's ledger would give with its queued and running jobs interrupted (as imported). */
async function interruptedSummaryOf(path: string): Promise<unknown[]> {
  const copy = fresh("expected.db");
  writeFileSync(copy, readFileSync(path));
  const db = new Database(copy);
  db.run("UPDATE generations SET status = 'interrupted' WHERE status IN ('queued', 'running')");
  db.close();
  return await summaryOf({ backend: "sqlite", path: copy });
}

/** The cost summary of a database, through its own Ledger implementation. */
async function summaryOf(target: StorageTarget): Promise<unknown[]> {
  if (target.backend === "sqlite") {
    const db = new Database(target.path);
    try {
      return await costSummary(new SqliteLedger(db));
    } finally {
      db.close();
    }
  }
  const sql = new SQL(target.url);
  try {
    return await costSummary(new PostgresLedger(sql));
  } finally {
    await sql.close();
  }
}

/** Expects `actual` to hold exactly the rows of `expected`, column by column, queued and running ones interrupted. */
function expectSameRows(actual: Map<string, GenerationLine>, expected: Map<string, GenerationLine>): void {
  expect(actual.size).toBe(expected.size);
  const differences: string[] = [];
  for (const [id, row] of expected) {
    const want = asImported(row);
    const got = actual.get(id);
    if (!got) differences.push(`${id}: missing`);
    else for (const column of GENERATION_COLUMNS) if (got[column] !== want[column]) differences.push(`${id}.${column}: ${JSON.stringify(got[column])} != ${JSON.stringify(want[column])}`);
  }
  expect(differences.slice(0, 10)).toEqual([]);
}

/** A new empty database of `backend`. */
async function emptyTarget(backend: "sqlite" | "postgres"): Promise<StorageTarget> {
  if (backend === "sqlite") return { backend, path: fresh("target.db") };
  const made = (await testDatabase())!;
  databases.push(made);
  return { backend, url: made.url };
}

const TARGETS = available ? (["sqlite", "postgres"] as const) : (["sqlite"] as const);

describe("export and import", () => {
  for (const backend of TARGETS) {
    test(`SQLite -> file -> ${backend} -> file -> SQLite: the same rows and the same cost summary; a re-import adds nothing`, async () => {
      const laptop = await laptopLedger(backend === "sqlite" ? 3 : 4);
      const original = await rowsOf(laptop.location);
      expect(original.size).toBeGreaterThan(500);
      expect([...original.values()].some((row) => row.refusal_count !== null)).toBe(true);
      const file = await exportTo(laptop.location, true);
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      expect(JSON.parse(lines[0]!)).toMatchObject({ format: "mediagen-ledger", version: 1, source: { backend: "sqlite", schema_version: MIGRATIONS.length }, with_tokens: true });
      expect(JSON.parse(lines.at(-1)!)).toEqual({ end: { generations: original.size, tokens: 1 } });
      expect(lines.length).toBe(original.size + 3);

      const team = await emptyTarget(backend);
      const first = await importFile(file, team);
      expect(first).toMatchObject({ generations: { read: original.size, imported: original.size, skipped: 0, conflicts: 0 }, tokens: { read: 1, imported: 1 }, complete: true });
      expect(first.interrupted).toBe([...original.values()].filter((row) => row.status === "queued" || row.status === "running").length);
      const imported = await rowsOf(team);
      expectSameRows(imported, original);
      expect(imported.get(laptop.running)).toMatchObject({ status: "interrupted", error_type: "interrupted", operation_id: "op-123", owner: "alice", team: "red", door: "cli", finished_at: null });
      expect(imported.get(laptop.queued)).toMatchObject({ status: "interrupted", prompt: "still queued 雪", client: "claude-code" });
      const expectedSummary = await interruptedSummaryOf(laptop.path);
      expect(await summaryOf(team)).toEqual(expectedSummary);

      const again = await importFile(file, team);
      expect(again.generations).toMatchObject({ read: original.size, imported: 0, skipped: original.size, conflicts: 0 });
      expect(again.tokens).toMatchObject({ imported: 0, skipped: 1, conflicts: 0 });
      expect((await rowsOf(team)).size).toBe(original.size);

      // And back: the team database exported and imported into a new SQLite file.
      const back = await exportTo(team, true);
      expect(JSON.parse(readFileSync(back, "utf8").split("\n", 1)[0]!)).toMatchObject({ source: { backend } });
      const home = await emptyTarget("sqlite");
      expect((await importFile(back, home)).generations).toMatchObject({ imported: original.size, conflicts: 0 });
      expect(await importFile(back, home)).toMatchObject({ generations: { imported: 0, skipped: original.size }, interrupted: 0 });
      expectSameRows(await rowsOf(home), original);
      expect(await summaryOf(home)).toEqual(expectedSummary);
    }, 120_000);

    test(`${backend}: a row whose id holds a different row is a conflict, reported and left alone`, async () => {
      const laptop = await laptopLedger(5, 80);
      const file = await exportTo(laptop.location, true);
      const team = await emptyTarget(backend);
      await importFile(file, team);
      const original = await rowsOf(laptop.location);
      const victim = [...original.values()].find((row) => row.status === "succeeded")!;
      const change = "UPDATE generations SET cost_usd = 123.5 WHERE id = $1";
      const retoken = "UPDATE tokens SET budget_daily_usd = 9 WHERE id = $1";
      if (team.backend === "sqlite") {
        const db = new Database(team.path);
        db.query(change).run(victim.id);
        db.query(retoken).run("tok_a");
        db.close();
      } else {
        const sql = new SQL(team.url);
        await sql.unsafe(change, [victim.id]);
        await sql.unsafe(retoken, ["tok_a"]);
        await sql.close();
      }
      const again = await importFile(file, team);
      expect(again.generations).toMatchObject({ imported: 0, skipped: original.size - 1, conflicts: 1, conflictIds: [victim.id] });
      expect(again.tokens).toMatchObject({ conflicts: 1, conflictIds: ["tok_a"] });
      expect((await rowsOf(team)).get(victim.id)!.cost_usd).toBe(123.5);
    }, 60_000);

    test(`${backend}: import straight from a SQLite file, no file in between`, async () => {
      const laptop = await laptopLedger(6, 120);
      const team = await emptyTarget(backend);
      const source = await openSource(laptop.location);
      const target = await openTarget(team);
      const summary = await importLedger({ entries: sourceEntries(source, false), expectTrailer: false }, target);
      await target.close();
      await source.close();
      const original = await rowsOf(laptop.location);
      expect(summary).toMatchObject({ generations: { read: original.size, imported: original.size }, tokens: { read: 0 }, complete: true });
      expectSameRows(await rowsOf(team), original);
    }, 60_000);
  }

  test("a file that is not an export, a newer format, a bad row and a truncated file are refused clearly", async () => {
    const laptop = await laptopLedger(7, 40);
    const file = await exportTo(laptop.location);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    const write = (text: string) => {
      const path = fresh("bad.ndjson");
      writeFileSync(path, text);
      return path;
    };
    const into = () => ({ backend: "sqlite", path: fresh("t.db") }) as const;
    await expect(importFile(write('{"hello":1}\n'), into())).rejects.toThrow("line 1: not a mediagen ledger export header: format");
    await expect(importFile(write(`${lines[0]!.replace('"version":1', '"version":9')}\n`), into())).rejects.toThrow("format version 9 is newer");
    const bad = lines.slice();
    bad[3] = bad[3]!.replace(/"door":"\w+"/, '"door":"fax"');
    await expect(importFile(write(bad.join("\n")), into())).rejects.toThrow('line 4: generation.door: Invalid option: expected one of "api"|"ui"|"mcp"|"openai"|"cli"');
    const target = into();
    let seen: ImportSummary | undefined;
    const truncated = importFile(write(lines.slice(0, -1).join("\n")), target, (s) => (seen = s));
    await expect(truncated).rejects.toBeInstanceOf(LedgerFileError);
    await expect(truncated).rejects.toThrow("truncated");
    expect(seen!.generations.imported).toBe(lines.length - 2);
  });

  test("streaming: thousands of rows export and import with memory growth bounded", async () => {
    const path = fresh("big.db");
    const db = openDatabase(path);
    const prompt = "x".repeat(4000);
    const insert = db.query(`INSERT INTO generations (id, type, status, model, provider, prompt, created_at, cost_usd, cost_source) VALUES (?, 'image', 'succeeded', 'm', 'p', ?, ?, 0.01, 'catalog')`);
    db.transaction(() => {
      for (let i = 0; i < 6000; i++) insert.run(`g${i}`, `${i} ${prompt}`, Date.UTC(2026, 0, 1) + i * 1000);
    })();
    db.close();
    Bun.gc(true);
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let calls = 0;
    const sample = () => {
      if (++calls % 5 !== 0) return;
      Bun.gc(true);
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    };
    const file = await exportTo({ backend: "sqlite", path }, false, undefined, sample);
    const size = Bun.file(file).size;
    expect(size).toBeGreaterThan(24_000_000);
    const exportCalls = calls;
    const summary = await importFile(file, { backend: "sqlite", path: fresh("big-target.db") }, sample);
    expect(summary.generations).toMatchObject({ read: 6000, imported: 6000 });
    expect(calls - exportCalls).toBeGreaterThanOrEqual(12);
    // The whole ledger is ~24 MB of text (~48 MB as JS strings): a loose bound well under it.
    expect(peak).toBeLessThan(size / 2);
  }, 60_000);

  test("locations: sqlite:PATH and postgres:// URLs, nothing else", () => {
    expect(parseLocation("sqlite:/tmp/a.db")).toEqual({ backend: "sqlite", path: "/tmp/a.db" });
    expect(parseLocation("postgres://u:p@h/db")).toEqual({ backend: "postgres", url: "postgres://u:p@h/db" });
    expect(parseLocation("postgresql://h/db")?.backend).toBe("postgres");
    for (const bad of ["/tmp/a.db", "sqlite:", "mysql://h/db", "postgres://"]) expect(parseLocation(bad)).toBeUndefined();
  });

  test("normalized rows keep every column", () => {
    const row = normalizeGeneration({ id: "x", created_at: "12", cost_usd: "0.5", prompt: "p" });
    expect(Object.keys(row)).toEqual(GENERATION_COLUMNS as string[]);
    expect(row).toMatchObject({ created_at: 12, cost_usd: 0.5, bytes: null });
  });
});
