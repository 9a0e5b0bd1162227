// The fal provider through the real app and the fake fal queue: what mediagen submits, how it polls and reads the
// output, what each result costs, how fal's errors map into the catalogue, and resuming a request after a restart.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { appRoot, fal } from "../../../server/providers/fal.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { startFakeFal, type FakeFal } from "../../fakes/fal.ts";
import { b64, makePng } from "../../fakes/media.ts";
import { createHarness } from "../../helpers.ts";

let fake: FakeFal;
beforeAll(() => {
  fake = startFakeFal();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.pendingPolls = 2;
});

type MediaKind = "image" | "video" | "audio";
const ONE_ATTEMPT = { image: { max_attempts: 1 }, video: { max_attempts: 1 }, audio: { max_attempts: 1 } };

function harness(type: MediaKind, model: string, options?: Record<string, unknown>, extra: { apiKey?: string } = {}) {
  const entry = { type, provider: "fal", model, api_key: extra.apiKey ?? fake.key, base_url: fake.url, ...(options ? { options } : {}) };
  return createHarness({ config: { models: [entry], jobs: ONE_ATTEMPT } });
}

const since = (from: number) => fake.requests.slice(from);
const png = () => `data:image/png;base64,${b64(makePng(32, 24))}`;

function context(type: MediaKind, model: string, extra: Partial<CallContext> = {}): CallContext {
  const entry = { type, provider: "fal", model } as ModelEntry;
  return { entry, apiKey: fake.key, baseUrl: fake.url, signal: new AbortController().signal, pollIntervalMs: 5, ...extra };
}

describe("request URLs", () => {
  test.each([
    ["fal-ai/flux/dev", "fal-ai/flux"],
    ["fal-ai/flux-pro/v1.1-ultra", "fal-ai/flux-pro"],
    ["fal-ai/kling-video/v2.1/master/text-to-video", "fal-ai/kling-video"],
    ["fal-ai/veo3", "fal-ai/veo3"],
    ["workflows/someone/my-flow", "workflows/someone/my-flow"],
  ])("%s: status, result and cancel under %s (fal-js queue.ts)", (model, root) => {
    expect(appRoot(model)).toBe(root);
  });
});

describe("images", () => {
  test("flux/dev: submitted with Key auth under the full id, polled with logs under {owner}/{app}, the CDN file fetched without the key; one megapixel billed", async () => {
    using h = harness("image", "fal-ai/flux/dev");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "a tea house poster", aspect_ratio: "landscape", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before);
    expect(sent[0]).toMatchObject({ method: "POST", path: "/fal-ai/flux/dev" });
    expect(sent[0]!.headers.authorization).toBe(`Key ${fake.key}`);
    expect(sent[0]!.body).toEqual({ prompt: "a tea house poster", image_size: "landscape_16_9", num_images: 1 });
    const polls = sent.filter((r) => r.path.endsWith("/status"));
    expect(polls).toHaveLength(3);
    expect(polls[0]!.path).toMatch(/^\/fal-ai\/flux\/requests\/[0-9a-f-]{36}\/status$/);
    expect(polls[0]!.query.logs).toBe("1");
    const result = sent.find((r) => /^\/fal-ai\/flux\/requests\/[0-9a-f-]{36}$/.test(r.path));
    expect(result?.method).toBe("GET");
    const file = sent.at(-1)!;
    expect(file.path).toMatch(/^\/files\/[a-z0-9]+\/abc\.png$/);
    expect(file.headers.authorization).toBeUndefined();
    expect(body).toMatchObject({ success: true, provider: "fal", model: "fal-ai/flux/dev" });
    expect(readFileSync(body.image).subarray(1, 4).toString()).toBe("PNG");
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", cost_source: "catalog", cost_usd: 0.025 });
    expect(row.operation_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test.each([
    ["square", "square_hd"],
    ["portrait", "portrait_16_9"],
  ])("aspect %s asks image_size %s", async (aspect, preset) => {
    using h = harness("image", "fal-ai/flux/schnell");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", aspect_ratio: aspect, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(since(before)[0]!.body.image_size).toBe(preset);
    expect((await h.ledger.get(body.id))!.cost_usd).toBe(0.003);
  });

  test("options: image_size {width, height}, priority and extra input fields; a size above one megapixel is cost unknown", async () => {
    using h = harness("image", "fal-ai/flux/dev", { image_size: { width: 1536, height: 1024 }, priority: "low", input: { num_inference_steps: 12, enable_safety_checker: false } });
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before)[0]!;
    expect(sent.headers["x-fal-queue-priority"]).toBe("low");
    expect(sent.body).toEqual({ prompt: "p", image_size: { width: 1536, height: 1024 }, num_images: 1, num_inference_steps: 12, enable_safety_checker: false });
    expect((await h.ledger.get(body.id))!.cost_source).toBe("unknown");
  });

  test("input images go as data URLs in image_urls (edit models)", async () => {
    using h = harness("image", "fal-ai/bytedance/seedream/v4/edit");
    const before = fake.requests.length;
    const { status } = await h.post("/api/media/image", { prompt: "put the cat on the sofa", images: [png(), png()], output_dir: h.workDir });
    expect(status).toBe(200);
    const urls = since(before)[0]!.body.image_urls as string[];
    expect(urls).toHaveLength(2);
    expect(urls[0]).toStartWith("data:image/png;base64,");
  });

  test("per-image pricing", async () => {
    using h = harness("image", "fal-ai/flux-pro/v1.1-ultra");
    const { body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_source: "catalog", cost_usd: 0.06 });
  });

  test("an output without a file is empty_response naming the keys it had", async () => {
    using h = harness("image", "fal-ai/flux/dev");
    const { body } = await h.post("/api/media/image", { prompt: "p [[fake:empty]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "empty_response" });
    expect(body.error).toContain("seed");
  });

  test("a CDN file that is gone is an api_error with the image's cost kept", async () => {
    using h = harness("image", "fal-ai/flux/dev");
    const { body } = await h.post("/api/media/image", { prompt: "p [[fake:gone]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "api_error", upstream_status: 404 });
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", cost_usd: 0.025 });
  });
});

describe("errors", () => {
  test.each([
    ["content_policy", "content_filtered"],
    ["validation", "api_error"],
    ["locked", "insufficient_credits"],
    ["rate_limited", "rate_limited"],
    ["runner", "overloaded"],
    ["request_timeout", "timeout"],
    ["unknown_model", "unknown_model"],
  ])("%s is %s", async (scenario, type) => {
    using h = harness("image", "fal-ai/flux/dev");
    const { body } = await h.post("/api/media/image", { prompt: `p [[fake:${scenario}]]`, output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: type });
  });

  test("a content refusal names fal's type; a runner failure its X-Fal-Error-Type", async () => {
    using h = harness("image", "fal-ai/flux/dev");
    const refused = await h.post("/api/media/image", { prompt: "p [[fake:content_policy]]", output_dir: h.workDir });
    expect(refused.body.error).toContain("content_policy_violation");
    expect(refused.body.upstream_status).toBe(422);
    const runner = await h.post("/api/media/image", { prompt: "p [[fake:runner]]", output_dir: h.workDir });
    expect(runner.body.error).toContain("runner_scheduling_failure");
  });

  test("a wrong key is auth_required naming FAL_KEY and Key auth; the key is never echoed", async () => {
    using h = harness("image", "fal-ai/flux/dev", undefined, { apiKey: "wrong-key-0123456789" });
    const { body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "auth_required" });
    expect(body.error).toContain("FAL_KEY");
    expect(JSON.stringify(body)).not.toContain("wrong-key-0123456789");
  });

  test("rate limiting while polling is rate_limited", async () => {
    const ctx = context("image", "fal-ai/flux/dev");
    let id = "";
    const started = fal.image!({ prompt: "p", aspect: "square", inputs: [] }, { ...ctx, pollIntervalMs: 20, onOperation: (op) => { id = op; fake.next("rate_limited"); } });
    const error = await started.catch((e: unknown) => e);
    expect(id).not.toBe("");
    expect((error as AppError).type).toBe("rate_limited");
  });

  test("an abandoned call cancels its fal request (PUT …/cancel)", async () => {
    fake.pendingPolls = 1_000_000;
    const controller = new AbortController();
    let id = "";
    const run = fal.image!({ prompt: "p", aspect: "square", inputs: [] }, { ...context("image", "fal-ai/flux/dev"), signal: controller.signal, onOperation: (op) => (id = op) });
    while (!id) await Bun.sleep(5);
    await Bun.sleep(30);
    controller.abort();
    await run.catch(() => undefined);
    for (let i = 0; i < 100 && !fake.cancelled.has(id); i++) await Bun.sleep(10);
    expect(fake.cancelled.has(id)).toBe(true);
    expect(fake.requests.some((r) => r.method === "PUT" && r.path === `/fal-ai/flux/requests/${id}/cancel`)).toBe(true);
  });

  test("a shutdown (interrupted) while polling leaves the request in fal's queue, to be resumed at the next start", async () => {
    fake.pendingPolls = 1_000_000;
    const controller = new AbortController();
    let id = "";
    const run = fal.image!({ prompt: "p", aspect: "square", inputs: [] }, { ...context("image", "fal-ai/flux/dev"), signal: controller.signal, onOperation: (op) => (id = op) });
    while (!id) await Bun.sleep(5);
    await Bun.sleep(30);
    controller.abort(new AppError("interrupted", "The daemon stopped"));
    expect(await run.catch((e: unknown) => e)).toMatchObject({ type: "interrupted" });
    await Bun.sleep(100);
    expect(fake.cancelled.has(id)).toBe(false);
    expect(fake.requests.some((r) => r.method === "PUT" && r.path.endsWith(`/requests/${id}/cancel`))).toBe(false);
  });
});

describe("video", () => {
  test("text-to-video: prompt, aspect_ratio and duration as fal's models take them; billed per second", async () => {
    using h = harness("video", "fal-ai/kling-video/v2.1/master/text-to-video");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/video", { prompt: "waves", duration_seconds: 10, aspect_ratio: "portrait", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(since(before)[0]!.body).toEqual({ prompt: "waves", aspect_ratio: "9:16", duration: "10" });
    expect(body).toMatchObject({ success: true, duration_seconds: 10 });
    const row = (await h.ledger.get(body.id))!;
    expect(row.cost_source).toBe("catalog");
    expect(row.cost_usd).toBeCloseTo(2.8, 10);
  });

  test("image-to-video: the first frame as image_url; Veo durations written as 8s", async () => {
    using h = harness("video", "fal-ai/veo3/fast/image-to-video");
    const before = fake.requests.length;
    const { status } = await h.post("/api/media/video", { prompt: "p", duration_seconds: 8, image: png(), output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before)[0]!.body;
    expect(sent.duration).toBe("8s");
    expect(String(sent.image_url)).toStartWith("data:image/png;base64,");
  });

  test("resumeVideo finishes a request submitted earlier, from its request id alone", async () => {
    const ctx = context("video", "fal-ai/kling-video/v2.1/master/text-to-video");
    let id = "";
    const abandoned = new AbortController();
    fake.pendingPolls = 1_000_000;
    const first = fal.video!({ prompt: "p", aspect: "landscape", durationSeconds: 5 }, { ...ctx, signal: abandoned.signal, onOperation: (op) => (id = op) });
    while (!id) await Bun.sleep(5);
    fake.pendingPolls = 2;
    const result = await fal.resumeVideo!(id, ctx);
    abandoned.abort();
    await first.catch(() => undefined);
    // Kling's output states no duration: the runner bills the seconds the job asked for (kept in its params).
    expect(result).toMatchObject({ mimeType: "video/mp4", meter: {}, extra: { request_id: id } });
  });

  test("an image request is resumed as an image (the runner resumes every recorded operation through resumeVideo)", async () => {
    const ctx = context("image", "fal-ai/flux/dev");
    let id = "";
    fake.pendingPolls = 1_000_000;
    const abandoned = new AbortController();
    const first = fal.image!({ prompt: "p", aspect: "square", inputs: [] }, { ...ctx, signal: abandoned.signal, onOperation: (op) => (id = op) });
    while (!id) await Bun.sleep(5);
    fake.pendingPolls = 0;
    const result = await fal.resumeVideo!(id, ctx);
    abandoned.abort();
    await first.catch(() => undefined);
    expect(result.meter).toEqual({ images: 1, imageSize: "1024x1024" });
    expect(result.mimeType).toBe("image/png");
  });

  test("resuming a request fal does not know is an api_error", async () => {
    const error = await fal.resumeVideo!("no-such-request", context("video", "fal-ai/veo3")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).details.upstream_status).toBe(404);
  });
});

describe("speech", () => {
  test("MiniMax speech: text and voice_setting.voice_id; billed per character", async () => {
    using h = harness("audio", "fal-ai/minimax/speech-02-hd");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/audio/speech", { input: "Hello there, friend.", voice: "Wise_Woman", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(since(before)[0]!.body).toEqual({ text: "Hello there, friend.", voice_setting: { voice_id: "Wise_Woman" } });
    const row = (await h.ledger.get(body.id))!;
    expect(row.cost_source).toBe("catalog");
    expect(row.cost_usd).toBeCloseTo(20 * 0.0001, 10);
  });

  test("the skill's Gemini voice names leave the model's default voice", async () => {
    using h = harness("audio", "fal-ai/minimax/speech-02-hd");
    const before = fake.requests.length;
    const { status } = await h.post("/api/media/audio/speech", { input: "Hi.", voice: "Kore", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(since(before)[0]!.body).toEqual({ text: "Hi." });
  });

  test("Kokoro takes prompt and voice", async () => {
    using h = harness("audio", "fal-ai/kokoro/american-english");
    const before = fake.requests.length;
    const { status } = await h.post("/api/media/audio/speech", { input: "Hi.", voice: "af_heart", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(since(before)[0]!.body).toEqual({ prompt: "Hi.", voice: "af_heart" });
  });
});

describe("estimates", () => {
  test("an image is estimated at the preset fal will be asked for, so per-megapixel prices apply before the call", () => {
    const entry = { type: "image", provider: "fal", model: "fal-ai/flux/dev" } as ModelEntry;
    expect(fal.estimateTuning!(entry, { aspect: "portrait" })).toEqual({ imageSize: "576x1024" });
    expect(fal.estimateTuning!({ ...entry, options: { image_size: { width: 2048, height: 2048 } } }, {})).toEqual({ imageSize: "2048x2048" });
    expect(fal.estimateTuning!({ ...entry, type: "video", options: { resolution: "1080P" } }, {})).toEqual({ resolution: "1080p" });
  });
});

describe("connection test and Models page", () => {
  test("testConnection proves the key with a free status lookup; a wrong key is auth_required", async () => {
    const message = await fal.testConnection!(context("image", "fal-ai/flux/dev"));
    expect(message).toContain("accepted the key");
    const error = await fal.testConnection!(context("image", "fal-ai/flux/dev", { apiKey: "bad" })).catch((e: unknown) => e);
    expect((error as AppError).type).toBe("auth_required");
  });

  test("Test connection on the Models page (POST /api/config/models/test) answers ok for the key, and names a bad one", async () => {
    using h = harness("image", "fal-ai/flux/dev");
    const entry = { type: "image", provider: "fal", model: "fal-ai/flux/dev", base_url: fake.url };
    const good = await h.post("/api/config/models/test", { ...entry, api_key: fake.key });
    expect(good.body).toMatchObject({ ok: true, provider: "fal", model: "fal-ai/flux/dev" });
    expect(good.body.message).toContain("fal accepted the key");
    const bad = await h.post("/api/config/models/test", { ...entry, api_key: "not-the-key" });
    expect(bad.body).toMatchObject({ ok: false, error_type: "auth_required" });
    expect(bad.body.message).not.toContain("not-the-key");
  });

  test("the Models page lists fal with FAL_KEY and its known models for each type", async () => {
    using h = createHarness();
    const { body } = await h.get("/api/config/catalog");
    const provider = (body.providers as { id: string; key_env?: string; default_base_url: string; types: string[]; models: Record<string, string[]> }[]).find((p) => p.id === "fal")!;
    expect(provider).toMatchObject({ key_env: "FAL_KEY", default_base_url: "https://queue.fal.run" });
    expect(provider.types).toEqual(["image", "video", "audio"]);
    expect(provider.models.image).toContain("fal-ai/flux/dev");
    expect(provider.models.video).toContain("fal-ai/kling-video/v2.1/master/text-to-video");
    expect(provider.models.audio).toContain("fal-ai/minimax/speech-02-hd");
  });
});
