import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { MIGRATIONS, migrate } from "../../../server/ledger/database.ts";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import { compare, randomLedger, windows } from "./rollup-compare.ts";

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
});
