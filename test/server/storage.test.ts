// Storage as the app uses it, on both backends: a generation, its ledger row, the cost summary, History's search, a
// refusal, an Idempotency-Key replay and a person token; then choosing the backend (config, env, masked URL) and
// migrating (versions, a database newer than the binary refused, tokens of an older schema kept).
import { SQL } from "bun";
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseConfig } from "../../server/config/store.ts";
import { MIGRATIONS, openDatabase } from "../../server/ledger/database.ts";
import { migratePostgres, PG_MIGRATIONS } from "../../server/ledger/postgres-schema.ts";
import { describeTarget, leaseMs, maskSecret, maskUrl, migrateStorage, openStorage as openServerStorage, storageTarget, storageVersions } from "../../server/storage.ts";
import { PostgresTokenStore, SqliteTokenStore } from "../../server/tokens/store.ts";
import { createHarness, tempDir } from "../helpers.ts";
import { testDatabase } from "../postgres.ts";
import { BACKENDS, openStorage } from "../storage.ts";

const withPostgres = BACKENDS.includes("postgres");

describe.each(BACKENDS)("the app on %s", (backend) => {
  test("a generation, its ledger row, the cost summary, History's search, a refusal, a replay and a token", async () => {
    const storage = await openStorage(backend);
    using h = createHarness(backend === "postgres" ? { storage } : {});
    try {
      const made = await h.post("/api/media/audio/speech", { input: "Storage Works On Both Engines.", voice: "slt", output_dir: h.workDir });
      expect(made.status).toBe(200);
      const id = String(made.body.id);
      const row = await h.get(`/api/generations/${id}`);
      expect(row.status).toBe(200);
      expect(row.body).toMatchObject({ id, type: "audio", status: "succeeded", provider: "local", model: "flite", cost_usd: 0, output_path: made.body.audio, door: "api" });
      expect(row.body.latency_ms).toBeGreaterThanOrEqual(0);
      expect((await h.get("/api/health")).body.storage).toEqual({ ok: true, pending_writes: 0, backend });

      const summary = await h.get("/api/costs/summary?group_by=type");
      expect(summary.status).toBe(200);
      expect(summary.body.groups).toEqual([expect.objectContaining({ key: "audio", count: 1, cost_usd: 0, unknown_cost_count: 0 })]);
      expect(summary.body.total).toMatchObject({ count: 1 });

      // History's search: a case-insensitive substring, with LIKE's own characters taken literally.
      expect((await h.get("/api/generations?q=works%20on%20BOTH")).body.items.map((g: { id: string }) => g.id)).toEqual([id]);
      expect((await h.get("/api/generations?q=or")).body.items.map((g: { id: string }) => g.id)).toEqual([id]);
      expect((await h.get("/api/generations?q=%25")).body.items).toEqual([]);
      expect((await h.get("/api/generations?q=nothing%20like%20it")).body.items).toEqual([]);

      const refused = await h.post("/api/media/audio/speech", { input: "x", voice: "Nonexistent", output_dir: h.workDir });
      expect(refused.status).toBe(400);
      const refusals = await h.get("/api/generations?status=refused");
      expect(refusals.body.items).toEqual([expect.objectContaining({ status: "refused", error_type: "invalid_argument", refusal_count: 1 })]);
      expect((await h.get("/api/costs/summary?group_by=type")).body.total).toMatchObject({ count: 1, refused_count: 1 });

      const key = { "idempotency-key": "storage-test-1" };
      const first = await h.post("/api/media/audio/speech", { input: "once only", voice: "slt", output_dir: h.workDir }, key);
      const again = await h.post("/api/media/audio/speech", { input: "once only", voice: "slt", output_dir: h.workDir }, key);
      expect(again.body.id).toBe(first.body.id);
      expect((await h.get("/api/generations?q=once%20only")).body.items).toHaveLength(1);

      const token = await h.post("/api/tokens", { name: "alice", team: "backend", role: "admin" });
      expect(token.status).toBe(201);
      const mine = await h.post("/api/media/audio/speech", { input: "alice speaks", voice: "slt", output_dir: h.workDir }, { authorization: `Bearer ${token.body.token}` });
      expect(mine.status).toBe(200);
      expect((await h.get(`/api/generations/${mine.body.id}`, { authorization: `Bearer ${token.body.token}` })).body).toMatchObject({ owner: "alice", team: "backend" });
      expect((await h.get("/api/costs/summary?group_by=type&team=backend", { authorization: `Bearer ${token.body.token}` })).body.total).toMatchObject({ count: 1 });
    } finally {
      await storage.close();
    }
  });
});

describe("choosing the storage", () => {
  test("no storage is the SQLite file in the data folder; storage: or MEDIAGEN_DATABASE_URL (which wins) is PostgreSQL", () => {
    expect(storageTarget("/data", undefined, {})).toEqual({ backend: "sqlite", path: join("/data", "mediagen.db") });
    expect(storageTarget("/data", "postgres://a@db/x", {})).toEqual({ backend: "postgres", url: "postgres://a@db/x" });
    expect(storageTarget("/data", "postgres://a@db/x", { MEDIAGEN_DATABASE_URL: "postgresql://b@other/y" })).toEqual({ backend: "postgres", url: "postgresql://b@other/y" });
    expect(storageTarget("/data", undefined, { MEDIAGEN_DATABASE_URL: "" })).toMatchObject({ backend: "sqlite" });
  });

  test("storage: in config.yml must be a postgres URL, and the error does not repeat it", () => {
    expect(parseConfig("storage: postgresql://mediagen:pw@db.lan:5432/mediagen\n", "config.yml").storage).toBe("postgresql://mediagen:pw@db.lan:5432/mediagen");
    for (const bad of ["mysql://u:s3cret-pw@db/x", "s3cret-pw", "postgres://"]) {
      let message = "";
      try {
        parseConfig(`storage: "${bad}"\n`, "config.yml");
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      expect(message).toContain("storage");
      expect(message).toContain("postgres://");
      expect(message).not.toContain("s3cret-pw");
    }
  });

  test("a URL's password is masked wherever it is shown", () => {
    expect(maskUrl("postgres://mediagen:s3cret@db.lan:5432/mediagen")).toBe("postgres://mediagen:***@db.lan:5432/mediagen");
    expect(maskUrl("postgresql://db.lan/mediagen?user=m&password=s3cret")).not.toContain("s3cret");
    expect(maskUrl("postgres://db.lan/mediagen")).toBe("postgres://db.lan/mediagen");
    expect(describeTarget({ backend: "postgres", url: "postgres://u:p%40ss@h/d" })).toBe("postgres://u:***@h/d");
    expect(maskSecret('connect failed for "postgres://u:p@ss@h/d" (p@ss)', "postgres://u:p%40ss@h/d")).not.toContain("p@ss");
  });

  test("a PostgreSQL server that cannot be reached is an error without the password", async () => {
    const url = `postgres://mediagen:s3cret-pw@127.0.0.1:${unusedPort()}/mediagen?connectionTimeout=2`;
    let message = "";
    try {
      await openServerStorage({ backend: "postgres", url });
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message.length).toBeGreaterThan(0);
    expect(message).not.toContain("s3cret-pw");
  });
});

describe("job leases on PostgreSQL", () => {
  test("last 30 s unless MEDIAGEN_LEASE_SECONDS names whole seconds from 2 to 3600; anything else is refused naming the variable", () => {
    expect(leaseMs({})).toBe(30_000);
    expect(leaseMs({ MEDIAGEN_LEASE_SECONDS: "" })).toBe(30_000);
    expect(leaseMs({ MEDIAGEN_LEASE_SECONDS: "3" })).toBe(3000);
    expect(leaseMs({ MEDIAGEN_LEASE_SECONDS: "3600" })).toBe(3_600_000);
    for (const bad of ["1", "0", "-5", "2.5", "abc", "3601"]) {
      expect(() => leaseMs({ MEDIAGEN_LEASE_SECONDS: bad })).toThrow(`MEDIAGEN_LEASE_SECONDS must be a whole number of seconds from 2 to 3600, got "${bad}"`);
    }
  });
});

describe("migrations", () => {
  test("SQLite: versions before and after, and a database newer than the binary refused", async () => {
    using dir = tempDir();
    const target = { backend: "sqlite" as const, path: join(dir.path, "mediagen.db") };
    expect(await storageVersions(target)).toEqual({ current: 0, target: MIGRATIONS.length });
    expect(await migrateStorage(target)).toEqual({ current: 0, target: MIGRATIONS.length });
    expect(await storageVersions(target)).toEqual({ current: MIGRATIONS.length, target: MIGRATIONS.length });
  });

  test.skipIf(!withPostgres)("PostgreSQL: applied once by daemons starting together, then refused when newer than the binary", async () => {
    const made = (await testDatabase())!;
    const target = { backend: "postgres" as const, url: made.url };
    try {
      expect(await storageVersions(target)).toEqual({ current: 0, target: PG_MIGRATIONS.length });
      const opened = await Promise.all([0, 1, 2, 3].map(() => openServerStorage(target)));
      for (const storage of opened) await storage.close();
      expect(await storageVersions(target)).toEqual({ current: PG_MIGRATIONS.length, target: PG_MIGRATIONS.length });
      const sql = new SQL(made.url);
      expect(Number((await sql`SELECT count(*) AS n FROM mediagen_schema_version`)[0].n)).toBe(PG_MIGRATIONS.length);
      await sql`INSERT INTO mediagen_schema_version (version) VALUES (${PG_MIGRATIONS.length + 1})`;
      await sql.close();
      expect(openServerStorage(target)).rejects.toThrow(`database schema version ${PG_MIGRATIONS.length + 1} is newer than this mediagen`);
      expect(migrateStorage(target)).rejects.toThrow("upgrade mediagen");
    } finally {
      await made.drop();
    }
  });

  test("SQLite: tokens made before last_used_at (migration 9) are listed as never used, then touched", async () => {
    using dir = tempDir();
    const path = join(dir.path, "mediagen.db");
    const old = new Database(path, { create: true, strict: true });
    for (const migration of MIGRATIONS.slice(0, 8)) old.exec(migration);
    old.exec("PRAGMA user_version = 8");
    old.exec(TOKEN_ROW_V8);
    old.close();
    const db = openDatabase(path);
    const store = new SqliteTokenStore(db);
    expect((await store.list()).map((t) => [t.name, t.lastUsedAt])).toEqual([["old-alice", null]]);
    await store.touch("tok_old", 1_800_000_000_000);
    expect((await store.list())[0]!.lastUsedAt).toBe(1_800_000_000_000);
    db.close();
  });

  test.skipIf(!withPostgres)("PostgreSQL: tokens made before last_used_at (migration 4) are listed as never used, then touched", async () => {
    const made = (await testDatabase())!;
    const sql = new SQL(made.url);
    try {
      await sql`CREATE TABLE mediagen_schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;
      for (const [index, migration] of PG_MIGRATIONS.slice(0, 2).entries()) {
        await sql.unsafe(migration);
        await sql`INSERT INTO mediagen_schema_version (version) VALUES (${index + 1})`;
      }
      await sql.unsafe(TOKEN_ROW_V8);
      expect(await migratePostgres(sql)).toEqual({ current: 2, target: PG_MIGRATIONS.length });
      const store = new PostgresTokenStore(sql);
      expect((await store.list()).map((t) => [t.name, t.lastUsedAt])).toEqual([["old-alice", null]]);
      await store.touch("tok_old", 1_800_000_000_000);
      expect((await store.list())[0]!.lastUsedAt).toBe(1_800_000_000_000);
    } finally {
      await sql.close();
      await made.drop();
    }
  });
});

/** A token as SQLite schema 8 and PostgreSQL schema 2 hold it: no last_used_at yet. */
const TOKEN_ROW_V8 = `INSERT INTO tokens (id, name, team, role, prefix, hash, created_at) VALUES ('tok_old', 'old-alice', 'red', 'member', 'mg_Old1', '${"b".repeat(64)}', 1700000000000)`;

/** `mediagen migrate` run from source with `args` and `env`: its exit code and output. */
async function migrateCommand(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../../server/main.ts"), "migrate", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, out, err };
}

describe("mediagen migrate", () => {
  test("SQLite: --dry-run prints the versions and changes nothing; then it applies them; then nothing to do", async () => {
    using dir = tempDir();
    const dry = await migrateCommand(["--dry-run", "--data-dir", dir.path], {});
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.out).toContain(`schema version: 0 (this mediagen: ${MIGRATIONS.length})`);
    expect(dry.out).toContain("--dry-run: nothing changed");
    expect(await storageVersions({ backend: "sqlite", path: join(dir.path, "mediagen.db") })).toMatchObject({ current: 0 });
    const applied = await migrateCommand(["--data-dir", dir.path], {});
    expect(applied.code).toBe(0);
    expect(applied.out).toContain(`applied ${MIGRATIONS.length} migration(s): now at ${MIGRATIONS.length}`);
    expect((await migrateCommand(["--data-dir", dir.path], {})).out).toContain("up to date");
  });

  test.skipIf(!withPostgres)("PostgreSQL through MEDIAGEN_DATABASE_URL: applied, and the password never printed", async () => {
    using dir = tempDir();
    const made = (await testDatabase())!;
    try {
      // Trust authentication ignores the password; it is there to be masked.
      const url = new URL(made.url);
      url.password = "s3cret-pw";
      const env = { MEDIAGEN_DATABASE_URL: url.href };
      const dry = await migrateCommand(["--dry-run", "--data-dir", dir.path], env);
      expect(dry.code).toBe(0);
      expect(dry.out).toContain(`schema version: 0 (this mediagen: ${PG_MIGRATIONS.length})`);
      const applied = await migrateCommand(["--data-dir", dir.path], env);
      expect(applied.code).toBe(0);
      expect(applied.out).toContain(`now at ${PG_MIGRATIONS.length}`);
      expect(applied.out).toContain(":***@");
      expect(`${dry.out}${dry.err}${applied.out}${applied.err}`).not.toContain("s3cret-pw");
    } finally {
      await made.drop();
    }
  });
});

/** A port nothing listens on. */
function unusedPort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
