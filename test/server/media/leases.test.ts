// Two media services (two daemons) on one PostgreSQL database, in this process: a type's slot is shared (the fake
// never sees more calls at once than the limit), an Idempotency-Key is one job whichever daemon gets it, and a daemon
// that finds its job's lease taken over stops writing that job and answers its caller so.
import { SQL } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PostgresLedger } from "../../../server/ledger/postgres.ts";
import { migratePostgres } from "../../../server/ledger/postgres-schema.ts";
import { PostgresTokenStore } from "../../../server/tokens/store.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness } from "../../helpers.ts";
import { postgresAvailable, testDatabase, type TestDatabase } from "../../postgres.ts";

const available = await postgresAvailable();
let fake: FakeClacky;
let database: TestDatabase | undefined;
const pools: SQL[] = [];

beforeAll(async () => {
  if (!available) return;
  fake = startFakeClacky();
  database = (await testDatabase())!;
  const sql = new SQL(database.url);
  await migratePostgres(sql);
  await sql.close();
});

afterAll(async () => {
  await fake?.close();
  await Promise.all(pools.map((pool) => pool.close()));
  await database?.drop();
});

/** A daemon named `name` on the shared database: its own data folder, config and connection pool. */
function daemon(name: string) {
  const sql = new SQL(database!.url);
  pools.push(sql);
  const config = { ...clackyConfig(fake.url, fake.key), jobs: { image: { concurrency: 1, queue: 10 } } };
  return createHarness({ config, storage: { ledger: new PostgresLedger(sql, Date.now, () => {}, name), tokens: new PostgresTokenStore(sql) } });
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await Bun.sleep(20);
  }
}

describe.skipIf(!available)("media services sharing one PostgreSQL database", () => {
  test("one image slot is shared by both: the provider never sees two calls at once, and both jobs succeed", async () => {
    using a = daemon("test:a");
    using b = daemon("test:b");
    fake.slowMs = 300;
    fake.maxInFlight = 0;
    const answers = await Promise.all([
      a.post("/api/media/image", { prompt: "first [[fake:slow]]", output_dir: a.workDir }),
      b.post("/api/media/image", { prompt: "second [[fake:slow]]", output_dir: b.workDir }),
      a.post("/api/media/image", { prompt: "third [[fake:slow]]", output_dir: a.workDir }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(fake.maxInFlight).toBe(1);
  });

  test("an Idempotency-Key sent to both daemons at once is one job and one provider call", async () => {
    using a = daemon("test:c");
    using b = daemon("test:d");
    fake.slowMs = 300;
    const before = fake.requests.length;
    const headers = { "idempotency-key": "shared-key-1" };
    const body = (dir: string) => ({ prompt: "once only [[fake:slow]]", output_dir: dir });
    // The same body (and so the same request hash) on both: one output folder.
    const [one, two] = await Promise.all([a.post("/api/media/image", body(a.workDir), headers), b.post("/api/media/image", body(a.workDir), headers)]);
    expect(one.status).toBe(200);
    expect(two.status).toBe(200);
    expect(two.body.id).toBe(one.body.id);
    expect(fake.requests.length - before).toBe(1);
  });

  test("a daemon whose job was taken over stops writing it and tells its caller", async () => {
    using a = daemon("test:e");
    fake.slowMs = 600;
    const pending = a.post("/api/media/image", { prompt: "taken away [[fake:slow]]", output_dir: a.workDir });
    await until(() => fake.inFlight > 0);
    const sql = new SQL(database!.url);
    try {
      const [row] = await sql`UPDATE generations SET daemon = 'test:elsewhere' WHERE daemon = 'test:e' AND status = 'running' RETURNING id`;
      const id = (row as { id: string }).id;
      await a.media.keepLeases();
      const answer = await pending;
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ success: false, error_type: "interrupted" });
      expect(answer.body.error).toContain("another daemon took it over");
      await until(() => fake.inFlight === 0);
      await (a.ledger as PostgresLedger).settled();
      const [after] = await sql`SELECT status, output_path, response, daemon FROM generations WHERE id = ${id}`;
      expect(after).toMatchObject({ status: "running", output_path: null, response: null, daemon: "test:elsewhere" });
      expect(a.log.lines.some((line) => line.includes(`job ${id}: lease lost`))).toBe(true);
    } finally {
      await sql.close();
    }
  });
});
