// Two media services (two daemons) on one PostgreSQL database, in this process: a type's slot is shared (the fake
// never sees more calls at once than the limit), an Idempotency-Key is one job whichever daemon gets it, and a daemon
// that finds its job's lease taken over stops writing that job and answers its caller so. A daemon restarted with
// resumable videos of its own resumes them only as video slots free up, never above the shared limit.
import { SQL } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PostgresLedger } from "../../../server/ledger/postgres.ts";
import { PostgresTokenStore } from "../../../server/tokens/store.ts";
import { startFakeGemini } from "../../fakes/gemini.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness } from "../../helpers.ts";
import { fileDatabase, postgresAvailable } from "../../postgres.ts";

const available = await postgresAvailable();
const database = fileDatabase(available);
let fake: FakeClacky;

beforeAll(() => {
  if (available) fake = startFakeClacky();
});

afterAll(async () => {
  await fake?.close();
});

/** A daemon named `name` on the shared database: its own data folder, config and connection pool. */
function daemon(name: string) {
  const sql = database.pool();
  const config = { ...clackyConfig(fake.url, fake.key), jobs: { image: { concurrency: 1, queue: 10 } } };
  return createHarness({ config, storage: { ledger: new PostgresLedger(sql, Date.now, () => {}, name), tokens: new PostgresTokenStore(sql) } });
}

/** A daemon named `name` with one Veo model (through `gemini`) whose video slots number `videos`, polling every `pollSeconds`. */
function veoDaemon(name: string, gemini: { url: string; key: string }, videos: number, pollSeconds = 0.01) {
  const sql = database.pool();
  const config = {
    models: [{ name: "veo", type: "video", provider: "gemini", model: "veo-3.1-generate-preview", api_key: gemini.key, base_url: gemini.url }],
    jobs: { video: { concurrency: videos, queue: 10 } },
  };
  return createHarness({ config, pollIntervalSeconds: pollSeconds, storage: { ledger: new PostgresLedger(sql, Date.now, () => {}, name), tokens: new PostgresTokenStore(sql) } });
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
    const sql = new SQL(database.url);
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

  test("a daemon restarted with two resumable videos resumes them only as the shared video slot frees, without submitting them again", async () => {
    const gemini = startFakeGemini();
    const sql = new SQL(database.url);
    try {
      // Its first run: two Veo operations submitted (a limit of 2 then), left running at the provider when it stopped.
      const ids: string[] = [];
      {
        using first = veoDaemon("test:g", gemini, 2, 60);
        for (const prompt of ["resumed one", "resumed two"]) {
          const answer = await first.post("/api/media/video", { prompt, output_dir: first.workDir, async: true });
          expect(answer.status).toBe(202);
          ids.push(answer.body.id);
        }
        await until(() => gemini.requests.filter((r) => r.path.endsWith(":predictLongRunning")).length === 2);
        const withOperations = async () => (await sql`SELECT count(*)::int AS n FROM generations WHERE id IN ${sql(ids)} AND operation_id IS NOT NULL`)[0].n as number;
        const end = Date.now() + 10_000;
        while ((await withOperations()) < 2 && Date.now() < end) await Bun.sleep(20);
        expect(await first.media.drain(0)).toBe(0);
        await (first.ledger as PostgresLedger).settled();
      }
      // It stayed down longer than a lease: its rows' leases expired (nobody else has taken them over yet).
      await sql`UPDATE generations SET lease_until = 0 WHERE id IN ${sql(ids)}`;
      const [before] = await sql`SELECT count(*)::int AS n FROM generations WHERE id IN ${sql(ids)} AND status = 'running' AND daemon = 'test:g'`;
      expect(before.n).toBe(2);

      // Every request from now on is slow, so that two videos polling at once would overlap at the fake.
      gemini.pendingPolls = 3;
      gemini.slowMs = 60;
      gemini.next(...Array.from({ length: 200 }, () => "slow" as const));
      gemini.maxInFlight = 0;
      using other = veoDaemon("test:h", gemini, 1);
      using again = veoDaemon("test:g", gemini, 1);
      const running = other.post("/api/media/video", { prompt: "the other daemon's", output_dir: other.workDir });
      await until(() => gemini.inFlight > 0);
      expect(await again.media.recover()).toEqual({ resumed: 2, interrupted: 0 });
      expect((await running).status).toBe(200);
      const finished = async () =>
        (await sql`SELECT id, status, finished_at FROM generations WHERE id IN ${sql(ids)} ORDER BY seq`) as { id: string; status: string; finished_at: unknown }[];
      const end = Date.now() + 20_000;
      while ((await finished()).some((row) => row.status !== "succeeded") && Date.now() < end) await Bun.sleep(50);
      const rows = await finished();
      expect(rows.map((row) => row.status)).toEqual(["succeeded", "succeeded"]);
      // One at a time at the provider across both daemons, in seq order; only the other daemon's video was created anew.
      expect(gemini.maxInFlight).toBe(1);
      expect(Number(rows[0]!.finished_at)).toBeLessThanOrEqual(Number(rows[1]!.finished_at));
      expect(gemini.requests.filter((r) => r.path.endsWith(":predictLongRunning")).length).toBe(3);
      expect(again.log.lines.some((line) => line.includes("once a slot is free"))).toBe(true);
    } finally {
      await sql.close();
      await gemini.close();
    }
  });
});

/** Closes the earlier tests' unfinished jobs (one "taken over" by a daemon that does not exist would hold the image slot). */
async function closeLeftovers(): Promise<void> {
  const sql = new SQL(database.url);
  await sql`UPDATE generations SET status = 'interrupted' WHERE status IN ('queued', 'running')`;
  await sql.close();
}

describe.skipIf(!available)("a job followed and cancelled through another daemon than the one that took it", () => {
  test("another daemon lists the job, follows its events to the end, and a queued job cancelled there never reaches the provider", async () => {
    await closeLeftovers();
    using a = daemon("test:follow-a");
    using b = daemon("test:follow-b");
    fake.slowMs = 800;
    const before = fake.requests.length;
    const first = await a.post("/api/media/image", { prompt: "runs [[fake:slow]]", output_dir: a.workDir, async: true });
    const second = await a.post("/api/media/image", { prompt: "waits [[fake:slow]]", output_dir: a.workDir, async: true });
    expect([first.status, second.status]).toEqual([202, 202]);
    await until(() => fake.inFlight > 0);

    // b does not run either job: its event streams read the rows until they end.
    const events = async (id: string) => {
      const response = await b.call(`/api/media/jobs/${id}/events`);
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      return [...(await response.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    };
    // b lists a's jobs among the service's unfinished ones (the Jobs page, whichever daemon serves it).
    const listed = (await b.get("/api/media/jobs")).body.items.map((item: { id: string; status: string }) => [item.id, item.status]);
    expect(listed).toEqual([[first.body.id, "running"], [second.body.id, "queued"]]);
    const firstEvents = events(first.body.id);
    const secondEvents = events(second.body.id);

    const cancelled = await b.call(`/api/media/jobs/${second.body.id}`, { method: "DELETE" });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { status: string }).status).toBe("cancelled");
    expect((await secondEvents).at(-1)).toBe("cancelled");
    expect((await firstEvents).at(-1)).toBe("succeeded");
    // a let go of the cancelled job: one provider call in all, and the row says cancelled by whom it was taken.
    await Bun.sleep(300);
    expect(fake.requests.length - before).toBe(1);
    expect((await a.get(`/api/media/jobs/${second.body.id}`)).body).toMatchObject({ status: "cancelled", error_type: "cancelled" });
    expect(a.media.queued).toBe(0);
    // A running job is not cancellable from anywhere.
    const late = await b.call(`/api/media/jobs/${first.body.id}`, { method: "DELETE" });
    expect(late.status).toBe(409);
  });

  test("a queued job cancelled through another daemon keeps its answer: its Idempotency-Key replays the cancellation anywhere, never a new paid job", async () => {
    await closeLeftovers();
    using a = daemon("test:replay-a");
    using b = daemon("test:replay-b");
    fake.slowMs = 800;
    const before = fake.requests.length;
    const key = { "idempotency-key": "cancel-then-retry" };
    const body = { prompt: "waits then cancelled [[fake:slow]]", output_dir: a.workDir };
    const running = a.post("/api/media/image", { prompt: "holds the slot [[fake:slow]]", output_dir: a.workDir });
    await until(() => fake.inFlight > 0);
    // A blocking caller waits on a for the keyed job; it is cancelled through b.
    const waiting = a.post("/api/media/image", body, key);
    let id = "";
    const end = Date.now() + 5000;
    while (!id && Date.now() < end) {
      const listed = (await b.get("/api/media/jobs")).body.items as { id: string; status: string }[];
      id = listed.find((item) => item.status === "queued")?.id ?? "";
      if (!id) await Bun.sleep(20);
    }
    expect(id).not.toBe("");
    expect((await b.call(`/api/media/jobs/${id}`, { method: "DELETE" })).status).toBe(200);
    const answered = await waiting;
    expect(answered.status).toBe(409);
    expect(answered.body).toMatchObject({ success: false, error_type: "cancelled", id });
    // The same key again, on either daemon: the cancellation, not a new job.
    for (const again of [b, a]) {
      const replayed = await again.post("/api/media/image", body, key);
      expect(replayed.status).toBe(409);
      expect(replayed.body).toMatchObject({ error_type: "cancelled", id });
    }
    expect((await running).status).toBe(200);
    expect(fake.requests.length - before).toBe(1);
  });
});
