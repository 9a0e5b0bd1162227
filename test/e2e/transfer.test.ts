// The executable's `mediagen export` and `mediagen import`: a laptop's ledger made by a real daemon, exported while it
// runs (reading is fine), refused as an import target while it runs, then moved into PostgreSQL (password never
// printed; a re-import adds nothing; a running job arrives interrupted), piped through stdout and stdin into another
// SQLite file, a conflict's exit status, and usage errors.
import { SQL } from "bun";
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../server/ledger/database.ts";
import { SqliteLedger } from "../../server/ledger/ledger.ts";
import { tempDir } from "../helpers.ts";
import { postgresAvailable, testDatabase, type TestDatabase } from "../postgres.ts";
import { BUILD_TIMEOUT_MS, cleanEnv, prepareExecutable, startDaemon, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 90_000;
const PASSWORD = "s3cret-pg-pw";
const available = await postgresAvailable();
const root = tempDir("mediagen-e2e-transfer-");
const laptop = join(root.path, "laptop");
const env = cleanEnv({ HOME: root.path });
let binary = "";
let database: TestDatabase | undefined;
let daemon: Daemon | undefined;

beforeAll(async () => {
  ({ binary } = await prepareExecutable(root.path));
  if (available) database = (await testDatabase())!;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await daemon?.dispose();
  await database?.drop();
  root[Symbol.dispose]();
});

/** Runs the executable to its end. */
async function run(args: string[], extraEnv: Record<string, string> = {}, stdin?: ReadableStream<Uint8Array>) {
  const proc = Bun.spawn([binary, ...args], { cwd: root.path, env: { ...env, ...extraEnv }, stdin: stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, stdout, stderr };
}

describe("mediagen export and import (the executable)", () => {
  test(
    "a running daemon's ledger exports, but is not imported into; once stopped it moves to PostgreSQL and back",
    async () => {
      daemon = await startDaemon({ cmd: [binary], cwd: join(root.path, "run"), dataDir: laptop, env });
      const made = (await (
        await fetch(`${daemon.url}/api/media/audio/speech`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: "Made on a laptop.", output_dir: join(root.path, "out") }) })
      ).json()) as { id: string; success: boolean };
      expect(made.success).toBe(true);
      const early = join(root.path, "early.ndjson");
      const exported = await run(["export", "--data-dir", laptop, "--out", early]);
      expect(exported.code).toBe(0);
      expect(exported.stderr).toContain(`exported 1 generation row(s) from sqlite ${join(laptop, "mediagen.db")} to ${early}`);
      const held = await run(["import", early, "--data-dir", laptop]);
      expect(held.code).toBe(1);
      expect(held.stderr).toContain(`a mediagen daemon (PID ${daemon.proc.pid}) is using ${laptop}; stop it before importing into its SQLite ledger`);
      expect(await daemon.stop("SIGTERM")).toBe(0);
      daemon = undefined;

      // A job the laptop was still running when it was stopped hard, and a refusal.
      const db = openDatabase(join(laptop, "mediagen.db"));
      const ledger = new SqliteLedger(db);
      const running = await ledger.start({ type: "video", model: "veo", provider: "google", prompt: "left running", params: {}, estimatedCostUsd: 1.2, door: "cli" });
      await ledger.refuse({ type: "image", model: "m", provider: "p", prompt: "no", errorType: "budget_exceeded", error: "over", door: "mcp" });
      await ledger.close();
      db.close();

      const file = join(root.path, "laptop.ndjson");
      expect((await run(["export", "--data-dir", laptop, "--out", file, "--with-tokens"])).code).toBe(0);
      expect(readFileSync(file, "utf8").trimEnd().split("\n")).toHaveLength(5);
      const again = await run(["export", "--data-dir", laptop, "--out", file]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("already exists");

      // Through stdout and stdin into another SQLite file.
      const copy = join(root.path, "copy", "mediagen.db");
      const producer = Bun.spawn([binary, "export", "--data-dir", laptop, "--out", "-"], { cwd: root.path, env, stdout: "pipe", stderr: "pipe" });
      const piped = await run(["import", "-", "--into", `sqlite:${copy}`], {}, producer.stdout);
      expect(await producer.exited).toBe(0);
      expect(piped.code).toBe(0);
      expect(piped.stdout).toContain("generations: read 3, imported 3, already present 0, conflicts 0");
      expect(piped.stdout).toContain("interrupted: 1 job(s) queued or running at the source were written as interrupted");
      const copied = new Database(copy);
      expect(copied.query("SELECT status, error_type FROM generations WHERE id = ?").get(running)).toEqual({ status: "interrupted", error_type: "interrupted" });
      copied.query("UPDATE generations SET prompt = 'changed' WHERE id = ?").run(made.id);
      copied.close();
      const conflict = await run(["import", file, "--into", `sqlite:${copy}`]);
      expect(conflict.code).toBe(1);
      expect(conflict.stdout).toContain("generations: read 3, imported 0, already present 2, conflicts 1");
      expect(conflict.stdout).toContain(`left as they are: ${made.id}`);

      if (!database) return console.warn("[postgres] SKIPPING the PostgreSQL half of the export/import e2e test");
      const url = new URL(database.url);
      url.username = "postgres";
      url.password = PASSWORD;
      const team = join(root.path, "team");
      const first = await run(["import", file, "--data-dir", team], { MEDIAGEN_DATABASE_URL: url.href });
      expect(first.code).toBe(0);
      expect(first.stdout).toContain("into postgres postgres://postgres:***@");
      expect(first.stdout).toContain("generations: read 3, imported 3, already present 0, conflicts 0");
      const second = await run(["import", file, "--data-dir", team], { MEDIAGEN_DATABASE_URL: url.href });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain("generations: read 3, imported 0, already present 3, conflicts 0");
      const direct = await run(["import", "--from", `sqlite:${join(laptop, "mediagen.db")}`, "--into", url.href]);
      expect(direct.stdout).toContain("generations: read 3, imported 0, already present 3, conflicts 0");
      const unreachable = await run(["export", "--from", `postgres://postgres:${PASSWORD}@127.0.0.1:1/nothing`, "--out", join(root.path, "x.ndjson")]);
      expect(unreachable.code).toBe(1);
      for (const output of [first, second, direct, unreachable]) expect(`${output.stdout}${output.stderr}`).not.toContain(PASSWORD);
      const sql = new SQL(database.url);
      const rows = await sql`SELECT id, status FROM generations ORDER BY seq`;
      await sql.close();
      expect(rows.map((row: { id: string }) => row.id)).toContain(made.id);
      expect(rows.find((row: { id: string }) => row.id === running)).toEqual({ id: running, status: "interrupted" });
    },
    TEST_TIMEOUT_MS,
  );

  test("usage errors exit 2 and name what is wrong", async () => {
    const none = await run(["import"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("import needs a FILE (or - for stdin), or --from a database");
    const missing = await run(["import", join(root.path, "nope.ndjson"), "--into", `sqlite:${join(root.path, "n.db")}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no file");
    const bad = await run(["export", "--from", "mysql://h/db"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--from must be sqlite:PATH or a postgres://user@host/database URL");
    const help = await run(["import", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("mediagen import FILE|-");
    expect(existsSync(join(root.path, "n.db"))).toBe(false);
  });
});
