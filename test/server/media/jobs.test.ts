// Jobs through the HTTP API: queueing per type, async submission, status, SSE events, cancel,
// idempotency, retries, timeouts and budgets, against the fake openclacky gateway.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { checkConnect, transportError } from "../../../server/providers/http.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";

let fake: FakeClacky;

beforeAll(() => {
  fake = startFakeClacky();
  fake.retryAfter = "0";
});
afterAll(async () => {
  await fake.close();
});

/** A harness on the fake with explicit job settings per type. */
function jobsHarness(jobs: Record<string, unknown>, extra: Record<string, unknown> = {}): Harness {
  return createHarness({ config: { ...clackyConfig(fake.url, fake.key), jobs, ...extra } });
}

async function waitFor<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await Bun.sleep(10);
  }
}

describe("queue and concurrency", () => {
  test("a flood of concurrent clients: every request gets a definite answer, one ledger row each, upstream concurrency never above the limit", async () => {
    using h = jobsHarness({ image: { concurrency: 2, queue: 10, max_attempts: 1 } });
    fake.slowMs = 40;
    fake.maxInFlight = 0;
    const before = fake.requests.length;
    const clients = 30;
    const answers = await Promise.all(
      Array.from({ length: clients }, (_, i) => h.post("/api/media/image", { prompt: `flood ${i} [[fake:slow]]`, output_dir: h.workDir })),
    );
    const ok = answers.filter((a) => a.status === 200);
    const full = answers.filter((a) => a.status === 429);
    expect(ok.length + full.length).toBe(clients);
    expect(ok.length).toBe(12); // 2 running + 10 waiting
    for (const refused of full) {
      expect(refused.body).toMatchObject({ success: false, error_type: "queue_full", image: null });
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
    expect(fake.maxInFlight).toBe(2);
    expect(fake.requests.length - before).toBe(12);
    // The refusals fold into one refused row per caller and error (REFUSAL_FOLD_MS) that counts them all.
    expect((await h.ledger.list({ status: "refused" })).items).toEqual([expect.objectContaining({ error_type: "queue_full", refusal_count: full.length })]);
    const rows = (await h.ledger.list({ limit: 200 })).items.filter((r) => r.status !== "refused");
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.id)).size).toBe(12);
    expect(rows.every((r) => r.status === "succeeded")).toBe(true);
  });

  test("types queue independently: a busy image slot does not hold speech", async () => {
    using h = jobsHarness({ image: { concurrency: 1, max_attempts: 1 }, audio: { concurrency: 2, max_attempts: 1 } });
    fake.slowMs = 400;
    const image = h.post("/api/media/image", { prompt: "slow [[fake:slow]]", output_dir: h.workDir });
    await waitFor(() => h.media.running, (n) => n === 1);
    const started = Date.now();
    const speech = await h.post("/api/media/audio/speech", { input: "quick", output_dir: h.workDir });
    expect(speech.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(350);
    expect((await image).status).toBe(200);
  });
});

describe("async jobs", () => {
  test('"async": true answers 202 at once; the job goes queued -> running -> succeeded with the blocking body', async () => {
    using h = jobsHarness({ image: { concurrency: 1, max_attempts: 1 } });
    fake.slowMs = 300;
    const blocking = h.post("/api/media/image", { prompt: "first [[fake:slow]]", output_dir: h.workDir });
    await waitFor(() => h.media.running, (n) => n === 1);
    const accepted = await h.post("/api/media/image", { prompt: "second [[fake:slow]]", output_dir: h.workDir, async: true });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ success: true, status: "queued", position: 1, type: "image", provider: "openclacky" });
    const id = accepted.body.task_id;
    expect(accepted.headers.get("location")).toBe(`/api/media/jobs/${id}`);

    const queued = await h.get(`/api/media/jobs/${id}`);
    expect(queued.body).toMatchObject({ id, status: "queued", position: 1 });
    const running = await waitFor(() => h.get(`/api/media/jobs/${id}`), (r) => r.body.status === "running");
    expect(running.body.elapsed_seconds).toBeGreaterThanOrEqual(0);
    const done = await waitFor(() => h.get(`/api/media/jobs/${id}`), (r) => r.body.status === "succeeded");
    expect(done.body.result).toMatchObject({ success: true, id, prompt: "second [[fake:slow]]", size: "1536x1024", cost_usd: 0.04 });
    expect(done.body.attempts).toHaveLength(1);
    expect((await blocking).status).toBe(200);
  });

  test("Prefer: respond-async works like async: true", async () => {
    using h = jobsHarness({});
    const accepted = await h.post("/api/media/audio/speech", { input: "hello", output_dir: h.workDir }, { prefer: "respond-async" });
    expect(accepted.status).toBe(202);
    const done = await waitFor(() => h.get(`/api/media/jobs/${accepted.body.task_id}`), (r) => r.body.status === "succeeded");
    expect(done.body.result.audio).toMatch(/tts_.*\.wav$/);
  });

  test("SSE events report each state until the end", async () => {
    using h = jobsHarness({ image: { concurrency: 1, max_attempts: 1 } });
    fake.slowMs = 200;
    const first = h.post("/api/media/image", { prompt: "ahead [[fake:slow]]", output_dir: h.workDir });
    await waitFor(() => h.media.running, (n) => n === 1);
    const { body } = await h.post("/api/media/image", { prompt: "watched [[fake:slow]]", output_dir: h.workDir, async: true });
    const response = await h.call(`/api/media/jobs/${body.task_id}/events`);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]!) }));
    expect(events.map((e) => e.event)).toEqual(["queued", "running", "succeeded"]);
    expect(events[0]!.data.position).toBe(1);
    expect(events[2]!.data.result.success).toBe(true);
    await first;
  });

  test("GET /api/media/video/status answers in the original server's shape", async () => {
    using h = jobsHarness({});
    const accepted = await h.post("/api/media/video", { prompt: "clip", output_dir: h.workDir, async: true });
    const id = accepted.body.task_id;
    const done = await waitFor(() => h.get(`/api/media/video/status?task_id=${id}`), (r) => r.body.status !== "running");
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ success: true, status: "succeeded", task_id: id, provider: "openclacky", model: "or-veo-3-1", cost_usd: 2.688 });
    expect(done.body.video).toMatch(/vid_.*\.mp4$/);
    const failed = await h.post("/api/media/video", { prompt: "broken [[fake:500]]", output_dir: h.workDir, async: true });
    const failure = await waitFor(() => h.get(`/api/media/video/status?task_id=${failed.body.task_id}`), (r) => r.body.status !== "running");
    expect(failure.body).toMatchObject({ success: false, status: "failed", error_type: "api_error" });
    expect((await h.get("/api/media/video/status")).body).toMatchObject({ error_type: "invalid_argument", field: "task_id" });
    expect((await h.get("/api/media/video/status?task_id=nope")).status).toBe(404);
  });

  test("DELETE cancels a queued job (nothing charged) but not a running one", async () => {
    using h = jobsHarness({ image: { concurrency: 1, max_attempts: 1 } });
    fake.slowMs = 300;
    const running = await h.post("/api/media/image", { prompt: "running [[fake:slow]]", output_dir: h.workDir, async: true });
    await waitFor(() => fake.inFlight, (n) => n === 1);
    const queued = await h.post("/api/media/image", { prompt: "queued", output_dir: h.workDir, async: true });
    const before = fake.requests.length;
    const cancelled = await h.call(`/api/media/jobs/${queued.body.task_id}`, { method: "DELETE" });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: "cancelled", error_type: "cancelled" });
    const refused = await h.call(`/api/media/jobs/${running.body.task_id}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error_type: "not_cancellable" });
    await waitFor(() => h.get(`/api/media/jobs/${running.body.task_id}`), (r) => r.body.status === "succeeded");
    expect(fake.requests.length).toBe(before);
    expect(await h.ledger.get(queued.body.task_id)).toMatchObject({ status: "cancelled", cost_usd: null, started_at: null });
    expect((await h.call("/api/media/jobs/nope", { method: "DELETE" })).status).toBe(404);
  });

  test("GET /api/media/jobs lists the live queue", async () => {
    using h = jobsHarness({ image: { concurrency: 1, max_attempts: 1 } });
    fake.slowMs = 200;
    const a = await h.post("/api/media/image", { prompt: "a [[fake:slow]]", output_dir: h.workDir, async: true });
    const b = await h.post("/api/media/image", { prompt: "b [[fake:slow]]", output_dir: h.workDir, async: true });
    const { body } = await h.get("/api/media/jobs");
    expect(body.items.map((j: { id: string; status: string }) => [j.id, j.status])).toEqual([
      [a.body.task_id, "running"],
      [b.body.task_id, "queued"],
    ]);
    await waitFor(() => h.get("/api/media/jobs"), (r) => r.body.items.length === 0);
  });
});

describe("idempotency", () => {
  test("a retrying client with the same key and body gets the same job; the provider is called once", async () => {
    using h = jobsHarness({ image: { concurrency: 1, max_attempts: 1 } });
    fake.slowMs = 200;
    const before = fake.requests.length;
    const body = { prompt: "once [[fake:slow]]", output_dir: h.workDir };
    const headers = { "idempotency-key": "retry-client-1" };
    // The client "times out" and retries while the first request is still running, then once more after it finished.
    const [first, second] = await Promise.all([h.post("/api/media/image", body, headers), Bun.sleep(50).then(() => h.post("/api/media/image", body, headers))]);
    const third = await h.post("/api/media/image", body, headers);
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    expect(fake.requests.length - before).toBe(1);
    expect((await h.ledger.list({})).items).toHaveLength(1);
  });

  test("the key in the body works too; a different body with the same key is a 409", async () => {
    using h = jobsHarness({});
    const first = await h.post("/api/media/image", { prompt: "a", output_dir: h.workDir, idempotency_key: "k-2" });
    expect(first.status).toBe(200);
    const conflict = await h.post("/api/media/image", { prompt: "b", output_dir: h.workDir, idempotency_key: "k-2" });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error_type: "idempotency_conflict" });
  });

  test("a failed job is replayed as the same failure, not retried", async () => {
    using h = jobsHarness({ image: { max_attempts: 1 } });
    const before = fake.requests.length;
    const body = { prompt: "fails [[fake:500]]", output_dir: h.workDir };
    const first = await h.post("/api/media/image", body, { "idempotency-key": "k-3" });
    const again = await h.post("/api/media/image", body, { "idempotency-key": "k-3" });
    expect(first.status).toBe(502);
    expect(again.status).toBe(502);
    expect(again.body).toEqual(first.body);
    expect(fake.requests.length - before).toBe(1);
  });

  test("an async retry with the same key returns the same task id", async () => {
    using h = jobsHarness({});
    const a = await h.post("/api/media/audio/speech", { input: "x", output_dir: h.workDir, async: true }, { "idempotency-key": "k-4" });
    const b = await h.post("/api/media/audio/speech", { input: "x", output_dir: h.workDir, async: true }, { "idempotency-key": "k-4" });
    expect(b.body.task_id).toBe(a.body.task_id);
    await waitFor(() => h.get(`/api/media/jobs/${a.body.task_id}`), (r) => r.body.status === "succeeded");
  });
});

describe("retries", () => {
  test("429 then success: retried after the provider's Retry-After, every attempt recorded", async () => {
    using h = jobsHarness({ image: { max_attempts: 3 } });
    fake.next("429");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    const row = (await h.ledger.get(body.id))!;
    expect(row.attempts.map((a) => a.outcome)).toEqual(["rate_limited", "succeeded"]);
    expect(row.attempts[0]!.upstream_status).toBe(429);
    expect(row.attempts[0]!.retry_in_ms).toBeGreaterThanOrEqual(500);
  });

  test("503 overloaded and 500 are retried; attempts are bounded", async () => {
    using h = jobsHarness({ image: { max_attempts: 2 } });
    fake.next("503", "500", "500");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body.error_type).toBe("api_error");
    expect((await h.ledger.get(body.id))!.attempts.map((a) => a.outcome)).toEqual(["overloaded", "api_error"]);
    fake.next(); // the third queued 500 is consumed by the next test's first call otherwise
    await h.post("/api/media/image", { prompt: "drain", output_dir: h.workDir });
  });

  test("a refused connection is retried (nothing was sent); a dropped one after sending is not", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    using down = createHarness({ config: { ...clackyConfig(url, fake.key), jobs: { image: { max_attempts: 2 } } } });
    const refused = await down.post("/api/media/image", { prompt: "p", output_dir: down.workDir });
    expect(refused.body.error_type).toBe("network_error");
    expect((await down.ledger.get(refused.body.id))!.attempts.map((a) => a.outcome)).toEqual(["network_error", "network_error"]);

    using h = jobsHarness({ image: { max_attempts: 3 } });
    fake.next("reset");
    const dropped = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(dropped.body.error_type).toBe("network_error");
    expect((await h.ledger.get(dropped.body.id))!.attempts).toHaveLength(1);
  }, 15_000);

  test("a timeout is never retried and ends the job as timeout", async () => {
    using h = jobsHarness({ image: { max_attempts: 3, timeout_seconds: 0.3 } });
    fake.next("hang");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(504);
    expect(await h.ledger.get(body.id)).toMatchObject({ status: "failed", error_type: "timeout" });
    expect((await h.ledger.get(body.id))!.attempts).toHaveLength(1);
  });

  test("a Retry-After longer than the time left gives up at once instead of waiting past the deadline", async () => {
    using h = jobsHarness({ image: { max_attempts: 3, timeout_seconds: 2 } });
    fake.retryAfter = "30";
    fake.next("429");
    try {
      const started = Date.now();
      const { status } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
      expect(status).toBe(429);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      fake.retryAfter = "0";
    }
  });

  test("a provider that cannot be connected to within the connect timeout fails fast, provably unsent", async () => {
    const never = () => new Promise<never>(() => {});
    const started = Date.now();
    const error = await checkConnect("http://203.0.113.9:443/x", 150, never).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({ code: "ConnectTimeout" });
    const mapped = transportError(error, { signal: new AbortController().signal } as never);
    expect(mapped).toMatchObject({ type: "network_error", requestNotSent: true });
    expect(mapped.message).toContain("within 150 ms");
  });
});

describe("budgets", () => {
  test("a request whose estimate would pass the daily limit is refused before any provider call", async () => {
    using h = jobsHarness({}, { budget: { daily_usd: 0.1 } });
    const before = fake.requests.length;
    // The first image records $0.04 (the gateway's figure); that becomes the model's estimate.
    expect((await h.post("/api/media/image", { prompt: "1", output_dir: h.workDir })).status).toBe(200);
    expect((await h.post("/api/media/image", { prompt: "2", output_dir: h.workDir })).status).toBe(200);
    const refused = await h.post("/api/media/image", { prompt: "3", output_dir: h.workDir });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ error_type: "budget_exceeded", limit_usd: 0.1, spent_usd: 0.08, estimated_usd: 0.04, period: "daily", scope: "overall" });
    expect(refused.body.error).toContain("daily limit is $0.1000");
    expect(fake.requests.length - before).toBe(2);
    expect((await h.ledger.list({})).items.filter((r) => r.status !== "refused")).toHaveLength(2);
    expect((await h.ledger.list({ status: "refused" })).items).toEqual([expect.objectContaining({ error_type: "budget_exceeded", cost_usd: null })]);
  });

  test("per-type monthly limits use the price catalogue's estimate and count running jobs' estimates", async () => {
    using h = createHarness({
      config: {
        models: [{ type: "video", provider: "gemini", model: "veo-3.1-fast-generate-preview", api_key: "k", base_url: fake.url }],
        budget: { per_type: { video: { monthly_usd: 1 } } },
        jobs: { video: { max_attempts: 1 } },
      },
    });
    // 8 s of Veo 3.1 Fast at 720p is 8 x $0.10 = $0.80: under the limit; a 4 s clip more ($0.40) would pass it,
    // because the first job's estimate still counts while it is unfinished.
    await h.ledger.enqueue({ type: "video", model: "veo-3.1-fast-generate-preview", provider: "gemini", prompt: "running", params: {}, estimatedCostUsd: 0.8 });
    const refused = await h.post("/api/media/video", { prompt: "clip", duration_seconds: 4, output_dir: h.workDir });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ error_type: "budget_exceeded", scope: "video", period: "monthly", spent_usd: 0.8, estimated_usd: 0.4 });
  });
});
