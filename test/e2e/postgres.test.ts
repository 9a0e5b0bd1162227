// The executable on PostgreSQL: two daemons (separate data folders) given one database through MEDIAGEN_DATABASE_URL
// share the ledger and the tokens; a restart keeps them; the password is never printed; `mediagen migrate` reports
// the version; a database newer than the binary is refused at start with a clear message.
import { SQL } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PG_MIGRATIONS } from "../../server/ledger/postgres-schema.ts";
import { tempDir } from "../helpers.ts";
import { postgresAvailable, testDatabase, type TestDatabase } from "../postgres.ts";
import { BUILD_TIMEOUT_MS, cleanEnv, exitWithin, freePort, prepareExecutable, startDaemon, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 90_000;
const PASSWORD = "s3cret-pg-pw";
const available = await postgresAvailable();
const root = tempDir("mediagen-e2e-pg-");
let binary = "";
let database: TestDatabase | undefined;
let url = "";
const daemons: Daemon[] = [];

beforeAll(async () => {
  if (!available) return;
  ({ binary } = await prepareExecutable(root.path));
  database = (await testDatabase())!;
  // Trust authentication ignores the password; it is there to be masked.
  const withPassword = new URL(database.url);
  withPassword.username = "postgres";
  withPassword.password = PASSWORD;
  url = withPassword.href;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(daemons.map((daemon) => daemon.dispose()));
  await database?.drop();
  root[Symbol.dispose]();
});

/** Starts the binary on its own data folder with the shared database. */
async function launch(name: string): Promise<Daemon> {
  const daemon = await startDaemon({ cmd: [binary], cwd: join(root.path, "run"), dataDir: join(root.path, name), env: cleanEnv({ HOME: root.path, MEDIAGEN_DATABASE_URL: url }) });
  daemons.push(daemon);
  return daemon;
}

const json = async (response: Response) => (await response.json()) as Record<string, any>;

describe.skipIf(!available)("the executable on PostgreSQL", () => {
  test(
    "two daemons share one ledger and its tokens; a restart keeps them; the password is never printed",
    async () => {
      const a = await launch("a");
      expect((await json(await fetch(`${a.url}/api/health`))).storage).toEqual({ ok: true, pending_writes: 0, backend: "postgres" });
      const made = await json(
        await fetch(`${a.url}/api/media/audio/speech`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: "Shared by two daemons.", output_dir: join(root.path, "out") }) }),
      );
      expect(made).toMatchObject({ success: true, provider: "local" });
      const token = await json(await fetch(`${a.url}/api/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "alice", role: "admin" }) }));
      expect(token.token).toStartWith("mg_");

      const b = await launch("b");
      const auth = { authorization: `Bearer ${token.token}` };
      // B read the token at start, so it is required and accepted there too.
      expect((await fetch(`${b.url}/api/generations`)).status).toBe(401);
      const seen = await json(await fetch(`${b.url}/api/generations?q=shared%20BY`, { headers: auth }));
      expect(seen.items.map((g: { id: string }) => g.id)).toEqual([made.id]);
      const summary = await json(await fetch(`${b.url}/api/costs/summary?group_by=type`, { headers: auth }));
      expect(summary.total).toMatchObject({ count: 1 });

      expect(await a.stop("SIGTERM")).toBe(0);
      const again = await launch("a");
      expect((await json(await fetch(`${again.url}/api/generations/${made.id}`, { headers: auth }))).prompt).toBe("Shared by two daemons.");
      for (const daemon of [a, b, again]) {
        const output = `${daemon.stdout()}${daemon.stderr()}`;
        expect(output).toContain("ledger: postgres postgres://postgres:***@");
        expect(output).not.toContain(PASSWORD);
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "mediagen migrate reports the version; a database newer than the binary is refused at start",
    async () => {
      const env = cleanEnv({ HOME: root.path, MEDIAGEN_DATABASE_URL: url });
      const migrate = Bun.spawn([binary, "migrate", "--dry-run", "--data-dir", join(root.path, "m")], { env, stdout: "pipe", stderr: "pipe" });
      const [out, err] = await Promise.all([new Response(migrate.stdout).text(), new Response(migrate.stderr).text()]);
      expect(await migrate.exited).toBe(0);
      expect(out).toContain(`schema version: ${PG_MIGRATIONS.length} (this mediagen: ${PG_MIGRATIONS.length})`);
      expect(`${out}${err}`).not.toContain(PASSWORD);

      const sql = new SQL(database!.url);
      await sql`INSERT INTO mediagen_schema_version (version) VALUES (${PG_MIGRATIONS.length + 1})`;
      await sql.close();
      const proc = Bun.spawn([binary, "serve", "--port", String(freePort()), "--data-dir", join(root.path, "newer")], { env, stdout: "pipe", stderr: "pipe" });
      const code = await exitWithin(proc, 30_000);
      const stderr = await new Response(proc.stderr).text();
      expect(code).toBe(1);
      expect(stderr).toContain(`database schema version ${PG_MIGRATIONS.length + 1} is newer than this mediagen (${PG_MIGRATIONS.length}); upgrade mediagen`);
      expect(stderr).not.toContain(PASSWORD);
    },
    TEST_TIMEOUT_MS,
  );
});
