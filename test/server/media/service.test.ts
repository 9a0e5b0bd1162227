// The job runner when the world misbehaves: a broken database, an unusable output folder, a provider whose
// cost figures or bytes cannot be trusted. Nothing paid is lost, no cost is dropped, the daemon stays up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness } from "../../helpers.ts";

let fake: FakeClacky;
beforeAll(() => {
  fake = startFakeClacky();
});
afterAll(() => fake.close());

const harness = (extra: Record<string, unknown> = {}) => createHarness({ config: { ...clackyConfig(fake.url, fake.key), ...extra } });

/** Waits until `check` holds, polling every 20 ms, for at most `ms`. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await Bun.sleep(20);
  }
}

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.(png|mp4|wav)$/.test(f)) : []);

describe("a database that cannot be written", () => {
  test("mid-job: the daemon answers a clear error, keeps the paid file, reports it on health, and records the job once the disk recovers", async () => {
    using h = harness();
    fake.slowMs = 400;
    const pending = h.post("/api/media/image", { prompt: "cover [[fake:slow]]", output_dir: h.workDir });
    await until(() => fake.inFlight > 0);
    h.db.exec("PRAGMA query_only = ON"); // every write now fails with SQLITE_READONLY, as on a read-only or full disk
    const { status, body } = await pending;
    expect(status).toBe(503);
    expect(body).toMatchObject({ success: false, error_type: "storage_error", cost_usd: 0.04 });
    expect(body.image).toStartWith(join(h.workDir, "assets", "generated"));
    expect(existsSync(body.image)).toBe(true);
    expect(body.error).toContain("Do not submit it again");

    const health = await h.get("/api/health");
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(false);
    expect(health.body.storage).toMatchObject({ ok: false, pending_writes: expect.any(Number) });
    expect(health.body.storage.error).toContain("readonly");
    // New work is refused before any provider call while the ledger cannot record it.
    const calls = fake.requests.length;
    const refused = await h.post("/api/media/image", { prompt: "another", output_dir: h.workDir });
    expect(refused.status).toBe(503);
    expect(refused.body.error_type).toBe("storage_error");
    expect(fake.requests.length).toBe(calls);

    h.db.exec("PRAGMA query_only = OFF");
    const recovered = await h.get("/api/health");
    expect(recovered.body.ok).toBe(true);
    expect(recovered.body.storage).toEqual({ ok: true, pending_writes: 0, backend: "sqlite" });
    const row = (await h.ledger.list({})).items[0]!;
    expect(row).toMatchObject({ status: "succeeded", output_path: body.image, cost_usd: 0.04, cost_source: "upstream" });
    expect((await h.ledger.list({})).items).toHaveLength(1);
    expect(h.log.lines.some((line) => line.includes("writable again"))).toBe(true);
  });

  test("a database file deleted while running is reported and new jobs are refused (their records would be lost)", async () => {
    using h = harness();
    rmSync(join(h.dataDir, "mediagen.db"));
    const health = await h.get("/api/health");
    expect(health.body.ok).toBe(false);
    expect(health.body.storage.error).toContain("was deleted");
    const calls = fake.requests.length;
    const refused = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ success: false, error_type: "storage_error" });
    expect(fake.requests.length).toBe(calls);
  });
});

describe("an output folder that cannot receive the result", () => {
  test.each([
    ["a file", (root: string) => writeFileSync(join(root, "a-file"), "user data"), (root: string) => join(root, "a-file"), /is a file, not a folder/],
    ["below a file", (root: string) => writeFileSync(join(root, "a-file"), "user data"), (root: string) => join(root, "a-file", "sub"), /is a file, not a folder/],
    ["a named pipe", (root: string) => Bun.spawnSync(["mkfifo", join(root, "fifo")]), (root: string) => join(root, "fifo"), /named pipe/],
    ["in /proc", () => {}, () => "/proc/self/mediagen-out", /virtual file system|not writable|cannot be read/],
    ["with a NUL byte", () => {}, (root: string) => `${root}/a\u0000b`, /NUL/],
  ] as const)("%s: 400 naming output_dir before any provider call", async (_name, setup, dirOf, words) => {
    using h = harness();
    mkdirSync(h.workDir, { recursive: true });
    setup(h.workDir);
    const calls = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: dirOf(h.workDir) });
    expect(status).toBe(400);
    expect(body).toMatchObject({ success: false, error_type: "invalid_argument", field: "output_dir", image: null });
    expect(body.error).toMatch(words);
    expect(fake.requests.length).toBe(calls);
    expect((await h.ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
  });

  /** Sends an image request into `<work>/project`, and replaces that folder with a file while the provider works. */
  async function folderBreaksMidCall(h: ReturnType<typeof harness>, alsoBreak: () => void = () => {}) {
    const target = join(h.workDir, "project");
    mkdirSync(target, { recursive: true });
    fake.slowMs = 400;
    const pending = h.post("/api/media/image", { prompt: "p [[fake:slow]]", output_dir: target });
    await until(() => fake.inFlight > 0);
    rmSync(target, { recursive: true });
    writeFileSync(target, "the user replaced the folder with a file");
    alsoBreak();
    return { target, ...(await pending) };
  }

  test("a folder that breaks after the provider answered: the paid result goes to the default output folder and the answer says so", async () => {
    using h = harness();
    const { target, status, body } = await folderBreaksMidCall(h);
    expect(status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.saved_to_default_dir).toBe(true);
    expect(body.warning).toContain(target);
    expect(body.image).toStartWith(join(h.dataDir, "output", "assets", "generated"));
    expect(existsSync(body.image)).toBe(true);
    expect(body.cost_usd).toBe(0.04);
    expect(await h.ledger.get(body.id)).toMatchObject({ status: "succeeded", output_path: body.image, cost_usd: 0.04 });
  });

  test("when no folder can take it, the job fails with its cost recorded (never a 500, never a dropped cost)", async () => {
    using h = harness();
    const { status, body } = await folderBreaksMidCall(h, () => writeFileSync(join(h.dataDir, "output"), "the default folder is a file too"));
    expect(status).toBe(503);
    expect(body).toMatchObject({ success: false, error_type: "storage_error", cost_usd: 0.04 });
    expect(body.error).toContain("nor in the default output folder");
    expect(await h.ledger.get(body.id)).toMatchObject({ status: "failed", error_type: "storage_error", cost_usd: 0.04, cost_source: "upstream" });
  });

  test("an edit without output_dir whose input folder is unusable goes to the default folder instead of failing", async () => {
    using h = harness();
    const { status, body } = await h.post("/api/media/image", { prompt: "p", image: "/proc/self/mediagen-missing.png" });
    // The input itself cannot be read: still a 400 about the image, not a 500.
    expect(status).toBe(400);
    expect(body.field).toBe("image");
    expect(files(h.workDir)).toHaveLength(0);
  });
});

describe("costs that cannot be trusted", () => {
  test.each([
    ["negative", -1e308, /negative/],
    ["absurd", 1e6, /more than \$100/],
  ])("a %s upstream cost without a price override: unknown, noted, counted in unknown_cost_count and at its estimate in budgets", async (_name, reported, words) => {
    using h = harness();
    fake.reportedCost = reported;
    try {
      const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
      expect(status).toBe(200);
      expect(body.cost_usd).toBeUndefined();
      const row = (await h.ledger.get(body.id))!;
      expect(row).toMatchObject({ status: "succeeded", cost_usd: null, cost_source: "unknown" });
      expect(row.cost_note).toMatch(words);
      const costs = await h.get("/api/costs/summary");
      expect(JSON.stringify(costs.body)).not.toContain("e+308");
      expect(await h.ledger.spendSince(0)).toBeGreaterThanOrEqual(0);
    } finally {
      fake.reportedCost = undefined;
    }
  });

  test("wrong bytes after the provider answered: 502 invalid_response; the job was billed, so its unknown cost is counted as unknown", async () => {
    using h = harness();
    const { status, body } = await h.post("/api/media/image", { prompt: "p [[fake:not_media]]", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ success: false, error_type: "invalid_response" });
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "failed", cost_usd: null, cost_source: "unknown" });
    expect(row.cost_note).toContain("billed");
    expect(files(h.workDir)).toHaveLength(0);
    const summary = await h.get("/api/costs/summary");
    expect(JSON.stringify(summary.body)).toContain('"unknown_cost_count":1');
  });

  test("a failed row with an unknown cost is not a plain failure: refusals before any work stay out of unknown_cost_count", async () => {
    using h = harness();
    await h.post("/api/media/image", { prompt: "p [[fake:400]]", output_dir: h.workDir });
    const summary = await h.get("/api/costs/summary");
    expect(JSON.stringify(summary.body)).not.toContain('"unknown_cost_count":1');
  });

  test("a result the gateway generated but whose download failed keeps its reported cost and is not retried", async () => {
    using h = createHarness({ config: { ...clackyConfig(fake.url, fake.key), jobs: { image: { max_attempts: 3 } } } });
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p [[fake:url_missing]]", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body.cost_usd).toBe(0.04);
    expect(fake.requests.length - before).toBe(1);
    expect(await h.ledger.get(body.id)).toMatchObject({ status: "failed", cost_usd: 0.04, cost_source: "upstream" });
  });
});

describe("an answer lost after the request reached the provider", () => {
  test("a timeout records an unknown cost that may have been billed (counted as unknown), not a free failure", async () => {
    using h = createHarness({ config: clackyConfig(fake.url, fake.key), timeoutsSeconds: { image: 0.3, video: 5, audio: 5 } });
    const { status, body } = await h.post("/api/media/image", { prompt: "p [[fake:hang]]", output_dir: h.workDir });
    expect(status).toBe(504);
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "failed", error_type: "timeout", cost_usd: null, cost_source: "unknown" });
    expect(row.cost_note).toContain("may have billed");
  });

  test("a job the previous daemon left running is recovered as interrupted with the same note; a queued one without", async () => {
    using h = harness();
    const running = (await h.ledger.enqueue({ type: "image", model: "or-gpt-image-2", provider: "openclacky", prompt: "p", params: { output_dir: h.workDir } }));
    await h.ledger.markRunning(running);
    const queued = (await h.ledger.enqueue({ type: "image", model: "or-gpt-image-2", provider: "openclacky", prompt: "q", params: { output_dir: h.workDir } }));
    expect(await h.media.recover()).toEqual({ resumed: 0, interrupted: 2 });
    expect((await h.ledger.get(running))!.cost_note).toContain("may have billed");
    expect((await h.ledger.get(queued))!.cost_note).toBeNull();
  });
});
