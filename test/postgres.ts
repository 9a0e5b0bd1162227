// PostgreSQL for tests: a fresh, uniquely named database on MEDIAGEN_TEST_DATABASE_URL's server when that is set,
// else a throwaway cluster (Debian's initdb and pg_ctl, trust auth, a free port, its socket in a temp folder, fsync
// off) started once per `bun test` run on first use and stopped and removed when the process exits. Without either, the PostgreSQL variants are skipped with a
// visible message, except under CI=true, where a missing PostgreSQL is a failure.
import { SQL } from "bun";
import { afterAll, beforeAll } from "bun:test";
import { migratePostgres } from "../server/ledger/postgres-schema.ts";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A database that exists until `drop`. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A PostgreSQL server tests may create databases on. */
interface Server {
  /** The URL of the server's maintenance database (`postgres`). */
  adminUrl: string;
}

let server: Promise<Server | undefined> | undefined;
let why = "";

/** The newest installed PostgreSQL's bin folder (Debian layout), if any. */
function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

/** A TCP port nobody listens on now. */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Runs a PostgreSQL tool, as the postgres user when we are root (initdb refuses root). */
function run(argv: string[]): { ok: boolean; output: string } {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  return { ok: result.exitCode === 0, output: `${result.stdout.toString()}${result.stderr.toString()}`.trim() };
}

/** Starts a throwaway cluster in a temp folder; undefined (with `why`) when it cannot. */
async function startCluster(): Promise<Server | undefined> {
  const bin = postgresBin();
  if (!bin) {
    why = "no MEDIAGEN_TEST_DATABASE_URL and no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)";
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "mediagen-pg-"));
  if (process.getuid?.() === 0) {
    const owner = Bun.spawnSync(["id", "-u", "postgres"], { stdout: "pipe" });
    const group = Bun.spawnSync(["id", "-g", "postgres"], { stdout: "pipe" });
    if (owner.exitCode !== 0) {
      why = "running as root and there is no postgres user to run initdb as";
      return undefined;
    }
    chownSync(dir, Number(owner.stdout.toString()), Number(group.stdout.toString()));
  }
  const data = join(dir, "data");
  const init = run([join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]);
  if (!init.ok) {
    rmSync(dir, { recursive: true, force: true });
    why = `initdb failed: ${init.output.split("\n").slice(-3).join(" ")}`;
    return undefined;
  }
  const port = freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500`;
  const started = run([join(bin, "pg_ctl"), "-D", data, "-o", options, "-l", join(dir, "log"), "-w", "-t", "30", "start"]);
  if (!started.ok) {
    rmSync(dir, { recursive: true, force: true });
    why = `pg_ctl start failed: ${started.output.split("\n").slice(-3).join(" ")}`;
    return undefined;
  }
  // bun test has no hook after the last file, and a killed test run runs none: a watchdog shell stops the cluster
  // and removes its folder once this process is gone, however it ends.
  const stop = [join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"];
  const stopCommand = (process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...stop] : stop).map((arg) => `'${arg}'`).join(" ");
  const watchdog = Bun.spawn(["sh", "-c", `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; ${stopCommand} >/dev/null 2>&1; rm -rf '${dir}'`], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  watchdog.unref();
  return { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres` };
}

/** The server of MEDIAGEN_TEST_DATABASE_URL, or a throwaway cluster started on first use (one per run). */
function testServer(): Promise<Server | undefined> {
  const given = process.env.MEDIAGEN_TEST_DATABASE_URL;
  server ??= given ? Promise.resolve({ adminUrl: given }) : startCluster();
  return server;
}

/**
 * Drops database `name` on the server of `adminUrl` once this process is gone (bun test runs no exit handler): a
 * watchdog shell waits for it, then runs Bun's client. Only needed on MEDIAGEN_TEST_DATABASE_URL's server; a
 * throwaway cluster goes as a whole.
 */
function dropWhenGone(adminUrl: string, name: string): void {
  const script = `const { SQL } = require("bun"); const sql = new SQL(${JSON.stringify(adminUrl)}); await sql.unsafe(${JSON.stringify(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)}); await sql.close();`;
  const watchdog = Bun.spawn(["sh", "-c", `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; exec "$0" -e "$1"`, process.execPath, script], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  watchdog.unref();
}

/**
 * A new, empty database with a unique name; undefined when no PostgreSQL is available (a failure under CI=true).
 * `untilExit`: nobody drops it; it goes when the test process does.
 */
export async function testDatabase(options: { untilExit?: boolean } = {}): Promise<TestDatabase | undefined> {
  const found = await testServer();
  if (!found) {
    if (process.env.CI === "true") throw new Error(`PostgreSQL is required under CI=true: ${why}`);
    return undefined;
  }
  const name = `mediagen_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new SQL(found.adminUrl);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.close();
  if (options.untilExit && process.env.MEDIAGEN_TEST_DATABASE_URL) dropWhenGone(found.adminUrl, name);
  const url = new URL(found.adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const cleanup = new SQL(found.adminUrl);
      await cleanup.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.close();
    },
  };
}

let warned = false;

/** Whether PostgreSQL tests can run here (starting the cluster if needed); says once why not when they cannot. */
export async function postgresAvailable(): Promise<boolean> {
  const found = await testServer();
  if (found) return true;
  if (process.env.CI === "true") throw new Error(`PostgreSQL is required under CI=true: ${why}`);
  if (!warned) console.warn(`[postgres] SKIPPING the PostgreSQL variants of the storage tests: ${why}`);
  warned = true;
  return false;
}

/** A migrated database for one test file's daemons: made before its tests, dropped after them with every pool. */
export interface FileDatabase {
  /** The database's URL (once the file's tests run). */
  readonly url: string;
  /** A new connection pool on it (a daemon of its own), closed after the file's tests. */
  pool(): SQL;
}

/** Registers beforeAll/afterAll that make and drop a migrated database for this file when PostgreSQL is available. */
export function fileDatabase(available: boolean): FileDatabase {
  let database: TestDatabase | undefined;
  const pools: SQL[] = [];
  beforeAll(async () => {
    if (!available) return;
    database = (await testDatabase())!;
    const sql = new SQL(database.url);
    await migratePostgres(sql);
    await sql.close();
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await database?.drop();
  });
  return {
    get url() {
      return database!.url;
    },
    pool() {
      const sql = new SQL(database!.url);
      pools.push(sql);
      return sql;
    },
  };
}
