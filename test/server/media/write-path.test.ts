// The ledger writes of one generation: an insert (as running when a slot is free, before the provider is called)
// and one final update that carries the outcome, the stored answer and the last attempt. Counted on the real
// SQLite connection (every INSERT/UPDATE/DELETE statement run), with the facts recorded checked field by field.
import type { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { createApp } from "../../../server/app.ts";
import { ConfigStore } from "../../../server/config/store.ts";
import { openDatabase } from "../../../server/ledger/database.ts";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import { memoryLogger } from "../../../server/log.ts";
import { MediaService } from "../../../server/media/service.ts";
import { SqliteTokenStore } from "../../../server/tokens/store.ts";
import { TokenService } from "../../../server/tokens/service.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, tempDir } from "../../helpers.ts";

let fake: FakeClacky;
beforeAll(() => {
  fake = startFakeClacky();
  fake.retryAfter = "0";
});
afterAll(() => fake.close());

/** The write statements run on `db`, in order, as "INSERT" or "UPDATE <columns set first>". */
function countWrites(db: Database): { db: Database; writes: string[] } {
  const writes: string[] = [];
  const counted = (sql: string) => {
    const statement = db.query(sql);
    const verb = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i.exec(sql)?.[1]?.toUpperCase();
    if (!verb) return statement;
    const what = verb === "UPDATE" ? `UPDATE ${/SET\s+(\w+)/i.exec(sql)?.[1] ?? ""}` : verb;
    return new Proxy(statement, {
      get(target, key) {
        if (key === "run") return (...args: unknown[]) => {
          writes.push(what);
          return (target.run as (...a: unknown[]) => unknown)(...args);
        };
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  const proxy = new Proxy(db, {
    get(target, key) {
      if (key === "query" || key === "prepare") return counted;
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: proxy, writes };
}

/** The app on a temp data folder whose ledger writes are counted. */
function countedHarness(jobs: Record<string, unknown>, idle: { collectGarbage?: () => void; idleGcDelayMs?: number } = {}) {
  const dir = tempDir();
  const dataDir = join(dir.path, "data");
  Bun.spawnSync(["mkdir", "-p", dataDir]);
  writeFileSync(join(dataDir, "config.yml"), stringify({ ...clackyConfig(fake.url, fake.key), jobs: { image: jobs } }));
  const config = ConfigStore.open(dataDir);
  const raw = openDatabase(join(dataDir, "mediagen.db"));
  const { db, writes } = countWrites(raw);
  const log = memoryLogger();
  const ledger = new SqliteLedger(db, Date.now);
  const media = new MediaService({ config, ledger, log, pollIntervalSeconds: 0.01, ...idle });
  const app = createApp({ config, ledger, media, tokens: new TokenService(new SqliteTokenStore(raw)), log, version: "test", startedAt: Date.now(), bindHost: "127.0.0.1" });
  const post = async (body: unknown) => {
    const response = await app.handle(new Request("http://127.0.0.1:7070/api/media/image", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  return {
    app,
    raw,
    ledger,
    media,
    writes,
    post,
    workDir: join(dir.path, "work"),
    [Symbol.dispose]() {
      void ledger.close();
      raw.close();
      dir[Symbol.dispose]();
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await Bun.sleep(10);
  }
}

describe("ledger writes per generation", () => {
  test("a generation with a free slot: one insert as running and one update with outcome, answer and attempt", async () => {
    using h = countedHarness({ concurrency: 2, max_attempts: 1 });
    const { status, body } = await h.post({ prompt: "a cover", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(h.writes).toEqual(["INSERT", "UPDATE status"]);
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", output_path: body.image, mime_type: "image/png", width: 1536, height: 1024, cost_usd: 0.04, cost_source: "upstream" });
    expect(row.started_at).not.toBeNull();
    expect(row.finished_at).not.toBeNull();
    expect(row.latency_ms).toBeGreaterThanOrEqual(0);
    expect(row.attempts).toEqual([{ n: 1, started_at: expect.any(String), finished_at: expect.any(String), outcome: "succeeded", model: "or-gpt-image-2", provider: "openclacky", entry: "img" }]);
    // The stored answer is the service's; the route adds the file's download_url on the way out.
    const { download_url, ...stored } = body;
    expect(download_url).toBe(`http://127.0.0.1:7070/api/generations/${body.id}/file`);
    expect(await h.ledger.response(body.id)).toEqual({ status: 200, body: stored });
  });

  test("the row is running before the provider answers (recorded before the call)", async () => {
    using h = countedHarness({ concurrency: 1, max_attempts: 1 });
    fake.slowMs = 300;
    const pending = h.post({ prompt: "slow [[fake:slow]]", output_dir: h.workDir });
    await until(() => fake.inFlight > 0);
    const [live] = (await h.ledger.list({})).items;
    expect(live).toMatchObject({ status: "running", attempts: [] });
    expect(live!.started_at).not.toBeNull();
    expect(h.writes).toEqual(["INSERT"]);
    await pending;
    expect(h.writes).toEqual(["INSERT", "UPDATE status"]);
  });

  test("a job that waits for a slot: insert as queued, markRunning when it starts, one final update", async () => {
    using h = countedHarness({ concurrency: 1, max_attempts: 1 });
    fake.slowMs = 200;
    const first = h.post({ prompt: "first [[fake:slow]]", output_dir: h.workDir });
    await until(() => fake.inFlight > 0);
    const second = h.post({ prompt: "second", output_dir: h.workDir });
    await until(async () => (await h.ledger.list({ status: "queued" })).items.length === 1);
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(h.writes.toSorted()).toEqual(["INSERT", "INSERT", "UPDATE status", "UPDATE status", "UPDATE status"].toSorted());
    expect(await h.ledger.get(b.body.id)).toMatchObject({ status: "succeeded", attempts: [expect.objectContaining({ outcome: "succeeded" })] });
  });

  test("a failure is one update too: status, error, upstream status, answer and attempt", async () => {
    using h = countedHarness({ concurrency: 1, max_attempts: 1 });
    // The fake's 400 says "unknown image model": the skill's 400 unknown_model.
    const { status, body } = await h.post({ prompt: "refused [[fake:400]]", output_dir: h.workDir });
    expect(status).toBe(400);
    expect(h.writes).toEqual(["INSERT", "UPDATE status"]);
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "failed", error_type: body.error_type, upstream_status: 400, output_path: null });
    expect(row.attempts).toEqual([expect.objectContaining({ n: 1, outcome: body.error_type, upstream_status: 400 })]);
    expect(await h.ledger.response(body.id)).toEqual({ status: 400, body });
  });

  test("a retried call is recorded before the wait; the last one goes with the outcome", async () => {
    using h = countedHarness({ concurrency: 1, max_attempts: 2 });
    fake.next("503");
    const pending = h.post({ prompt: "retried", output_dir: h.workDir });
    await until(async () => (await h.ledger.list({})).items[0]?.attempts.length === 1);
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "running", attempts: [expect.objectContaining({ n: 1, outcome: "overloaded", upstream_status: 503, retry_in_ms: expect.any(Number) })] });
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(h.writes).toEqual(["INSERT", "UPDATE attempts", "UPDATE status"]);
    expect((await h.ledger.get(body.id))!.attempts.map((a) => [a.n, a.outcome])).toEqual([[1, "overloaded"], [2, "succeeded"]]);
  });

  test("a cancelled queued job: its outcome and answer in one update", async () => {
    using h = countedHarness({ concurrency: 1, max_attempts: 1 });
    fake.slowMs = 200;
    const first = h.post({ prompt: "first [[fake:slow]]", output_dir: h.workDir });
    await until(() => fake.inFlight > 0);
    const queued = await h.media.submit("image", { prompt: "queued", output_dir: h.workDir }, {}, { async: true, urls: { status: (id) => id, events: (id) => id } });
    const id = String(queued.body.id);
    await h.media.cancel(id);
    await first;
    expect(await h.ledger.get(id)).toMatchObject({ status: "cancelled", error_type: "cancelled", attempts: [] });
    expect((await h.ledger.response(id))?.body).toMatchObject({ success: false, error_type: "cancelled", id });
    // first: insert + final; queued: insert + final (no markRunning, no separate answer write).
    expect(h.writes.filter((w) => w === "INSERT")).toHaveLength(2);
    expect(h.writes).toHaveLength(4);
  });

  test("a final write the disk refuses is deferred as one write and replayed with every fact", async () => {
    using h = countedHarness({ concurrency: 1, max_attempts: 1 });
    fake.slowMs = 300;
    const pending = h.post({ prompt: "disk [[fake:slow]]", output_dir: h.workDir });
    await until(() => fake.inFlight > 0);
    h.raw.exec("PRAGMA query_only = ON");
    const { status, body } = await pending;
    expect(status).toBe(503);
    expect(h.ledger.storage()).toMatchObject({ ok: false, pending_writes: 1 });
    h.raw.exec("PRAGMA query_only = OFF");
    expect(h.ledger.storage()).toEqual({ ok: true, pending_writes: 0 });
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", output_path: body.image, cost_usd: 0.04, attempts: [expect.objectContaining({ outcome: "succeeded" })] });
    // What is stored for replays is the success the job produced, as before the disk failed.
    expect(await h.ledger.response(body.id)).toMatchObject({ status: 200, body: { success: true, image: body.image, id: body.id } });
  });
});

describe("recovery at start", () => {
  test("a job the previous run left running is closed as interrupted with its answer in one update", async () => {
    using h = countedHarness({ concurrency: 1, max_attempts: 1 });
    const id = (await h.ledger.start({ type: "image", model: "or-gpt-image-2", provider: "openclacky", prompt: "lost", params: { output_dir: h.workDir } }));
    h.writes.length = 0;
    expect(await h.media.recover()).toEqual({ resumed: 0, interrupted: 1 });
    expect(h.writes).toEqual(["UPDATE status"]);
    expect(await h.ledger.get(id)).toMatchObject({ status: "interrupted", error_type: "interrupted", cost_note: expect.stringContaining("may have billed") });
    expect(await h.ledger.response(id)).toMatchObject({ status: 503, body: { success: false, error_type: "interrupted" } });
  });
});

describe("memory once idle", () => {
  test("one full collection runs after the last job of a burst ends and the daemon stays idle, none while jobs run", async () => {
    let collections = 0;
    using h = countedHarness({ concurrency: 2, max_attempts: 1 }, { collectGarbage: () => collections++, idleGcDelayMs: 150 });
    fake.slowMs = 100;
    const burst = [1, 2, 3].map((i) => h.post({ prompt: `burst ${i} [[fake:slow]]`, output_dir: h.workDir }));
    await Bun.sleep(120);
    expect(collections).toBe(0);
    await Promise.all(burst);
    expect(collections).toBe(0);
    await Bun.sleep(300);
    expect(collections).toBe(1);
    // A job that starts within the delay cancels the pending collection; the next quiet moment runs one.
    await h.post({ prompt: "one more", output_dir: h.workDir });
    const next = h.post({ prompt: "and another [[fake:slow]]", output_dir: h.workDir });
    await Bun.sleep(60);
    expect(collections).toBe(1);
    await next;
    await Bun.sleep(300);
    expect(collections).toBe(2);
  });
});
