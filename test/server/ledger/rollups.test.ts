import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { MIGRATIONS, migrate, openDatabase } from "../../../server/ledger/database.ts";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import { openSource, openTarget } from "../../../server/transfer/databases.ts";
import { importLedger, sourceEntries } from "../../../server/transfer/transfer.ts";
import { tempDir } from "../../helpers.ts";
import { compare, randomLedger, rollupMismatches, windows } from "./rollup-compare.ts";

const SCRIPT = join(import.meta.dir, "rollup-compare.ts");

describe("cost rollups give what the row-by-row statements gave", () => {
  for (const seed of [1, 2, 3]) {
    test(`randomized ledger ${seed}: every grouping, type and window, and spendSince`, async () => {
      const { db, ledger, start, end } = await randomLedger(seed);
      expect(await compare(db, ledger, windows(seed * 11, start, end))).toEqual([]);
    });
  }

  // SQLite reads the time zone once per process, so each zone runs in its own: whole-hour offsets with and without
  // daylight saving, half and three-quarter hour offsets, half-hour ones with daylight saving (Newfoundland) and
  // Lord Howe's half-hour daylight saving, Chile's changes at midnight (a local date that comes back); ledgers
  // around the spring and the autumn clock changes.
  const zones = ["Europe/Berlin", "America/New_York", "America/Santiago", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe"];
  for (const [timeZone, startAt] of zones.flatMap((zone): [string, string][] => [[zone, "2026-03-26T20:00:00Z"], [zone, "2026-10-22T20:00:00Z"]])) {
    test(`the day grouping in ${timeZone} from ${startAt}`, async () => {
      const proc = Bun.spawn([process.execPath, SCRIPT, "5", startAt], { env: { ...process.env, TZ: timeZone }, stdout: "pipe", stderr: "inherit" });
      const result = JSON.parse(await new Response(proc.stdout).text()) as { timeZone: string; problems: string[]; count: number };
      expect(await proc.exited).toBe(0);
      expect(result.timeZone).toBe(timeZone);
      expect(result.problems).toEqual([]);
    });
  }

  test("the migration builds the rollups and the prompt index of an existing ledger", async () => {
    const db = new Database(":memory:", { strict: true });
    for (const [version, sql] of MIGRATIONS.slice(0, 3).entries()) {
      db.exec(sql);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
    // Filled through today's Ledger (which writes the later `door`, `refusal_count` and owner columns), then back to
    // schema 3's columns (refused rows become plain failures); migrations 4 on then build every rollup.
    const later = ["door TEXT NOT NULL DEFAULT 'api'", "refusal_count INTEGER", "token_id TEXT", "owner TEXT", "team TEXT"];
    for (const column of later) db.exec(`ALTER TABLE generations ADD COLUMN ${column}`);
    const { ledger, start, end } = await randomLedger(4, 600, db);
    for (const column of later) db.exec(`ALTER TABLE generations DROP COLUMN ${column.split(" ")[0]}`);
    migrate(db);
    expect(await compare(db, ledger, windows(44, start, end, 20))).toEqual([]);
    expect((await new SqliteLedger(db).list({ q: "job 12" })).items.map((g) => g.prompt).sort()).toEqual(
      db.query<{ prompt: string }, []>("SELECT prompt FROM generations WHERE instr(prompt, 'job 12') > 0").all().map((r) => r.prompt).sort(),
    );
  });

  test("every rollup holds the rows' sums after inserts, cost and status updates, moved rows, deletes and refusal folds", async () => {
    const { db } = await randomLedger(6);
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM generations WHERE refusal_count > 1").get()!.n).toBeGreaterThan(0);
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM ledger_people_days WHERE owner = 'eve'").get()!.n).toBeGreaterThan(0);
    expect(rollupMismatches(db)).toEqual([]);
  });

  test("a person's, a team's and a client's spend are read from their rollups", async () => {
    const { db, ledger, start, end } = await randomLedger(7, 600);
    const wide = windows(77, start, end, 0).slice(0, 2);
    expect(await compare(db, ledger, wide)).toEqual([]);
    // A bucket changed behind the triggers' back shows in exactly the queries that read that rollup.
    db.exec("UPDATE ledger_people_days SET cost_usd = cost_usd + 1000 WHERE owner = 'ann'");
    db.exec("UPDATE ledger_people_hours SET succeeded = succeeded + 1 WHERE team = 'red'");
    db.exec("UPDATE ledger_caller_model_days SET cost_usd = cost_usd + 1000 WHERE client = 'claude-code' AND door = 'mcp'");
    db.exec("UPDATE ledger_spend_hours SET cost_usd = cost_usd + 1000 WHERE team = 'red' AND model = 'm-b'");
    const problems = await compare(db, ledger, wide);
    expect(problems.some((p) => p.includes(`"groupBy":"day","series":"model","team":"red"`))).toBe(true);
    expect(problems.some((p) => p.includes(`"groupBy":"model","owner":"ann"`))).toBe(true);
    expect(problems.some((p) => p.includes(`"groupBy":"day","team":"red"`))).toBe(true);
    expect(problems.some((p) => p.includes(`"groupBy":"model","client":"claude-code"`))).toBe(true);
    expect(problems.some((p) => p.includes(`"owner":"cy"`) || p.includes(`"team":"blue"`))).toBe(false);
  });

  test("migration 10 builds the person, team and caller-by-model rollups of a ledger at schema 9", async () => {
    const db = new Database(":memory:", { strict: true });
    for (const [version, sql] of MIGRATIONS.slice(0, 9).entries()) {
      db.exec(sql);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
    const { ledger, start, end } = await randomLedger(8, 600, db);
    expect(migrate(db)).toBe(MIGRATIONS.length);
    expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version).toBeGreaterThanOrEqual(10);
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM ledger_people_hours").get()!.n).toBeGreaterThan(0);
    expect(rollupMismatches(db)).toEqual([]);
    expect(await compare(db, ledger, windows(88, start, end, 20))).toEqual([]);
    // The triggers keep the backfilled rollups: more jobs after the migration.
    const id = await ledger.start({ type: "image", model: "m-a", provider: "p1", prompt: "after", params: {}, owner: { tokenId: "tok_ann", name: "ann", team: "red" } });
    await ledger.succeed(id, { outputPath: "/o/after", mimeType: "image/png", bytes: 1, cost: { costUsd: 0.25, source: "catalog" } });
    expect(rollupMismatches(db)).toEqual([]);
  });

  test("an import into a ledger with rows of its own keeps every rollup equal to the rows", async () => {
    using dir = tempDir("mediagen-rollup-import-");
    const laptop = join(dir.path, "laptop.db");
    const team = join(dir.path, "team.db");
    const source = await randomLedger(9, 500, openDatabase(laptop));
    source.db.close();
    const own = await randomLedger(10, 300, openDatabase(team), Date.UTC(2026, 3, 2));
    own.db.close();
    const from = await openSource({ backend: "sqlite", path: laptop });
    const into = await openTarget({ backend: "sqlite", path: team });
    const summary = await importLedger({ entries: sourceEntries(from, false), expectTrailer: false }, into);
    await into.close();
    await from.close();
    expect(summary.generations.imported).toBeGreaterThan(0);
    const db = openDatabase(team);
    try {
      expect(rollupMismatches(db)).toEqual([]);
      expect(await compare(db, new SqliteLedger(db), windows(99, source.start, own.end, 15))).toEqual([]);
    } finally {
      db.close();
    }
  });
});
