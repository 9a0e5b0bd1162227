// Contract tests of the OpenRouter provider against the fake OpenRouter: the seed endpoints end to end, plus the hooks
// (testConnection, resumeVideo, onOperation, abort) that no endpoint drives yet, called on the provider itself.
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { AppError } from "../../../server/errors.ts";
import { openrouter } from "../../../server/providers/openrouter.ts";
import { OpenRouterOptions } from "../../../server/providers/options.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { b64, imageInfo, makeJpeg, makePng } from "../../fakes/media.ts";
import {
  OPENROUTER_KEY_USAGE,
  openrouterImageUsage,
  openrouterVideoCost,
  startFakeOpenRouter,
  type FakeOpenRouter,
  type RecordedRequest,
} from "../../fakes/openrouter.ts";
import { createHarness, type Harness } from "../../helpers.ts";
import { skillUsage } from "../../../server/media/usage.ts";

const IMAGE_MODEL = "google/gemini-2.5-flash-image";
const VIDEO_MODEL = "google/veo-3.1";

let fake: FakeOpenRouter;
let h: Harness;

const apiBase = () => `${fake.url}/api/v1`;
const entry = (type: "image" | "video", model: string, extra: Record<string, unknown> = {}) => ({
  type,
  provider: "openrouter",
  model,
  api_key: fake.key,
  base_url: apiBase(),
  ...extra,
});

/** One attempt per generation: these tests check how each answer is mapped, not the retries (media/retry.ts) around it. */
const ONE_ATTEMPT = { image: { max_attempts: 1 }, video: { max_attempts: 1 } };

beforeAll(() => {
  fake = startFakeOpenRouter();
  h = createHarness({ config: { models: [entry("image", IMAGE_MODEL), entry("video", VIDEO_MODEL)], jobs: ONE_ATTEMPT } });
});
afterAll(async () => {
  h[Symbol.dispose]();
  await fake.close();
});

/** The requests the fake received while `run` ran. */
async function recorded<T>(run: () => Promise<T>): Promise<{ result: T; sent: RecordedRequest[] }> {
  const before = fake.requests.length;
  const result = await run();
  return { result, sent: fake.requests.slice(before) };
}

/** The URL of an `image_url` content part. */
const imageUrlOf = (part: unknown) => (part as { image_url: { url: string } }).image_url.url;
const dataUrl = (mime: string, bytes: Uint8Array) => `data:${mime};base64,${b64(bytes)}`;
const ledgerRow = async (harness: Harness, id: string) => (await harness.get(`/api/generations/${id}`)).body;

describe("POST /api/media/image", () => {
  test("generates through chat completions: Bearer key, modalities, image_config; data URL decoded; usage.cost recorded upstream", async () => {
    const { result, sent } = await recorded(() => h.post("/api/media/image", { prompt: "a fox in the snow", aspect_ratio: "landscape", output_dir: h.workDir }));
    const { status, body } = result;
    expect(status).toBe(200);
    const usage = openrouterImageUsage(IMAGE_MODEL);
    expect(body).toMatchObject({ success: true, model: IMAGE_MODEL, provider: "openrouter", prompt: "a fox in the snow", size: "1344x768", usage: skillUsage(usage), cost_usd: 0.0387243 });
    expect(imageInfo(readFileSync(body.image))).toEqual({ mime: "image/png", width: 1344, height: 768 });

    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe("POST");
    expect(sent[0]!.path).toBe("/api/v1/chat/completions");
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${fake.key}`);
    expect(sent[0]!.headers["content-type"]).toBe("application/json");
    expect(sent[0]!.body).toEqual({
      model: IMAGE_MODEL,
      messages: [{ role: "user", content: [{ type: "text", text: "a fox in the snow" }] }],
      modalities: ["image", "text"],
      image_config: { aspect_ratio: "16:9" },
      stream: false,
    });

    const row = await ledgerRow(h, body.id);
    expect(row).toMatchObject({ status: "succeeded", provider: "openrouter", width: 1344, height: 768, cost_usd: 0.0387243, cost_source: "upstream", usage, error_type: null });
    expect(row.params).toMatchObject({ upstream_provider: "Google AI Studio" });
    expect(row.params.generation_id).toStartWith("gen-");
  });

  test.each([
    ["square", "1:1", "1024x1024"],
    ["portrait", "9:16", "768x1344"],
    ["16:9", "16:9", "1344x768"],
  ])("aspect_ratio %p is sent as %s and measured as %s", async (aspect, ratio, size) => {
    const { result, sent } = await recorded(() => h.post("/api/media/image", { prompt: "p", aspect_ratio: aspect, output_dir: h.workDir }));
    expect(result.status).toBe(200);
    expect(result.body.size).toBe(size);
    expect(sent[0]!.body.image_config).toEqual({ aspect_ratio: ratio });
  });

  test("edits: every input image goes as an image_url data-URL part after the text; input tokens are billed", async () => {
    const png = makePng(40, 30);
    const jpeg = makeJpeg(20, 10);
    const { result, sent } = await recorded(() =>
      h.post("/api/media/image", { prompt: "make it a watercolor", images: [dataUrl("image/png", png), b64(jpeg)], output_dir: h.workDir }),
    );
    expect(result.status).toBe(200);
    const content = (sent[0]!.body.messages as { content: unknown[] }[])[0]!.content;
    expect(content).toHaveLength(3);
    expect(content[0]).toEqual({ type: "text", text: "make it a watercolor" });
    expect(content.slice(1).map((p) => (p as { type: string }).type)).toEqual(["image_url", "image_url"]);
    expect(imageUrlOf(content[1])).toBe(dataUrl("image/png", png));
    expect(imageUrlOf(content[2])).toBe(dataUrl("image/jpeg", jpeg));
    const usage = openrouterImageUsage(IMAGE_MODEL, { inputImages: 2 });
    expect(result.body).toMatchObject({ usage: skillUsage(usage), cost_usd: usage.cost });
  });

  test("image-only models are asked for modalities [image]; options.modalities and options.image_size are sent as configured", async () => {
    using flux = createHarness({ config: { models: [entry("image", "black-forest-labs/flux.2-pro")] } });
    const fluxRun = await recorded(() => flux.post("/api/media/image", { prompt: "a lighthouse", output_dir: flux.workDir }));
    expect(fluxRun.result.status).toBe(200);
    expect(fluxRun.sent[0]!.body.modalities).toEqual(["image"]);
    expect(fluxRun.result.body.cost_usd).toBe(openrouterImageUsage("black-forest-labs/flux.2-pro", { withText: false }).cost);

    using pro = createHarness({ config: { models: [entry("image", "google/gemini-3-pro-image-preview", { options: { image_size: "2K", modalities: ["image"] } })] } });
    const proRun = await recorded(() => pro.post("/api/media/image", { prompt: "a poster", aspect_ratio: "portrait", output_dir: pro.workDir }));
    expect(proRun.result.status).toBe(200);
    expect(proRun.sent[0]!.body).toMatchObject({ modalities: ["image"], image_config: { aspect_ratio: "9:16", image_size: "2K" } });
    expect(proRun.result.body.size).toBe("1536x2688");
  });

  test("a price override prices the token meter: prompt -> input_text, image_tokens -> output_image, the rest -> output_text", async () => {
    using priced = createHarness({
      config: {
        models: [entry("image", IMAGE_MODEL)],
        prices: [{ provider: "openrouter", model: IMAGE_MODEL, tokens: { input_text: 1, output_text: 2, output_image: 30 } }],
      },
    });
    const { body } = await priced.post("/api/media/image", { prompt: "p", output_dir: priced.workDir });
    const row = await ledgerRow(priced, body.id);
    expect(row.cost_source).toBe("override");
    const lines = Object.fromEntries((row.cost_breakdown as { unit: string; quantity: number }[]).map((l) => [l.unit, l.quantity]));
    expect(lines).toEqual({ input_text_token: 6, output_image_token: 1290, output_text_token: 9 });
  });

  test("a JPEG data URL is saved as .jpg with its size read from the bytes", async () => {
    const { status, body } = await h.post("/api/media/image", { prompt: "p [[fake:jpeg]]", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.image).toEndWith(".jpg");
    expect(body.size).toBe("1344x768");
  });

  test.each([
    // scenario, HTTP status, error_type, upstream_status, words of the message, Retry-After
    ["402", 402, "insufficient_credits", 402, "OpenRouter account has insufficient credits", undefined],
    ["401", 502, "auth_required", 401, "OpenRouter rejected the API key (User not found.)", undefined],
    ["403", 422, "content_filtered", 403, "flagged for violence", undefined],
    // metadata.error_type says what a status alone cannot: a 403 that is a permission problem, a 400 that is a refusal.
    ["403_permission", 502, "auth_required", 403, "OpenRouter 403 (permission_denied): This API key is not permitted", undefined],
    ["400_policy", 422, "content_filtered", 400, "OpenRouter 400 (content_policy_violation): Provider returned error", undefined],
    ["429", 429, "rate_limited", 429, "Rate limit exceeded", "7"],
    ["502", 503, "overloaded", 502, "The model is overloaded. Please try again later.", undefined],
    ["503", 503, "overloaded", 503, "No allowed providers are available", "5"],
    ["408", 504, "timeout", 408, "Request timed out", undefined],
    ["500", 502, "api_error", 500, "OpenRouter 500: Internal Server Error", undefined],
    ["400", 502, "api_error", 400, "Invalid image_config", undefined],
    ["error_in_200", 503, "overloaded", 502, "Provider disconnected unexpectedly", undefined],
    ["content_filter", 422, "content_filtered", null, "native_finish_reason IMAGE_SAFETY", undefined],
    ["no_image", 502, "empty_response", null, '"Picture a calm lake at dawn', undefined],
    ["empty", 502, "empty_response", null, "OpenRouter answered without an image (finish_reason stop", undefined],
    ["malformed", 502, "invalid_response", null, "Invalid JSON response from upstream: <html>", undefined],
    ["not_media", 502, "invalid_response", null, "unknown format where an image was expected", undefined],
  ] as const)("%s -> %i %s", async (scenario, status, errorType, upstreamStatus, words, retryAfter) => {
    const response = await h.post("/api/media/image", { prompt: `p [[fake:${scenario}]]`, output_dir: h.workDir });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, image: null, error_type: errorType, model: IMAGE_MODEL, provider: "openrouter" });
    expect(response.body.error).toContain(words);
    expect(response.headers.get("retry-after") ?? undefined).toBe(retryAfter);
    if (retryAfter) expect(response.body.retry_after_seconds).toBe(Number(retryAfter));
    expect(JSON.stringify(response.body)).not.toContain(fake.key);
    const row = await ledgerRow(h, response.body.id);
    expect(row).toMatchObject({ status: "failed", error_type: errorType, upstream_status: upstreamStatus, output_path: null });
    // A 200 without an image, or with bytes that are not one, was still processed: OpenRouter's usage.cost is
    // kept with the failure; errors cost nothing.
    const charged = ["content_filter", "no_image", "empty", "not_media"].includes(scenario);
    expect(row.cost_source).toBe(charged ? "upstream" : "unknown");
    if (charged) expect(row.cost_usd).toBeGreaterThan(0);
    else expect(row.cost_usd).toBeNull();
  });

  test("a wrong key never appears in the answer", async () => {
    using wrong = createHarness({ config: { models: [entry("image", IMAGE_MODEL, { api_key: "sk-or-v1-not-the-right-key-0000" })] } });
    const { status, body } = await wrong.post("/api/media/image", { prompt: "p" });
    expect(status).toBe(502);
    expect(body.error_type).toBe("auth_required");
    expect(JSON.stringify(body)).not.toContain("sk-or-v1-not-the-right-key-0000");
  });

  test("an image-only model asked for text as well: the 404 says which option to change", async () => {
    using flux = createHarness({ config: { models: [entry("image", "black-forest-labs/flux.2-pro", { options: { modalities: ["image", "text"] } })] } });
    const { status, body } = await flux.post("/api/media/image", { prompt: "p" });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error_type: "api_error", upstream_status: 404 });
    expect(body.error).toContain("options.modalities");
  });

  test("a call that never answers times out (504) and is recorded as failed", async () => {
    using slow = createHarness({ config: { models: [entry("image", IMAGE_MODEL)] }, timeoutsSeconds: { image: 0.3, video: 900, audio: 120 } });
    const hung = await slow.post("/api/media/image", { prompt: "p [[fake:hang]]" });
    expect(hung.status).toBe(504);
    expect(hung.body.error_type).toBe("timeout");
    expect(await ledgerRow(slow, hung.body.id)).toMatchObject({ status: "failed", error_type: "timeout" });
  });
});

describe("bring your own key", () => {
  test("usage.cost is only OpenRouter's fee: the cost recorded is the fee plus upstream_inference_cost, both kept as lines", async () => {
    fake.next("byok");
    const { status, body } = await h.post("/api/media/image", { prompt: "byok", output_dir: h.workDir });
    expect(status).toBe(200);
    const usage = openrouterImageUsage(IMAGE_MODEL, { byok: true });
    const upstream = usage.cost_details.upstream_inference_cost!;
    expect(body.cost_usd).toBeCloseTo(upstream + usage.cost, 10);
    expect(body.cost_usd).toBeGreaterThan(upstream);
    const row = await ledgerRow(h, body.id);
    expect(row).toMatchObject({ cost_source: "upstream", usage: { is_byok: true, cost: usage.cost } });
    expect(row.cost_breakdown).toEqual([
      { unit: "upstream_inference", quantity: 1, unit_price_usd: upstream, usd: upstream },
      { unit: "openrouter_byok_fee", quantity: 1, unit_price_usd: usage.cost, usd: usage.cost },
    ]);
  });
});

describe("POST /api/media/video", () => {
  test("submits, polls pending -> in_progress -> completed, downloads with the key; usage.cost recorded upstream", async () => {
    using hv = createHarness({ config: { models: [entry("video", VIDEO_MODEL, { options: { resolution: "1080p" } })] } });
    const frame = makePng(64, 36);
    const { result, sent } = await recorded(() =>
      hv.post("/api/media/video", {
        prompt: "a golden retriever on a beach",
        aspect_ratio: "portrait",
        duration_seconds: 8,
        image: { b64_json: b64(frame), mime_type: "image/png" },
        output_dir: hv.workDir,
      }),
    );
    const { status, body } = result;
    expect(status).toBe(200);
    const cost = openrouterVideoCost(VIDEO_MODEL, 8, "1080p");
    expect(body).toMatchObject({ success: true, model: VIDEO_MODEL, provider: "openrouter", duration_seconds: 8, cost_usd: cost });
    // A video job reports a cost and no token counts: no usage in the answer, OpenRouter's own kept in the ledger.
    expect(body.usage).toBeUndefined();
    expect((await ledgerRow(hv, body.id)).usage).toEqual({ cost, is_byok: false });
    expect(body.video).toEndWith(".mp4");
    expect(Buffer.from(readFileSync(body.video).subarray(4, 8)).toString()).toBe("ftyp");

    // The capability list is read first (once per 10 minutes and base URL, so maybe by an earlier test).
    const [submit, ...rest] = sent.filter((r) => r.path !== "/api/v1/videos/models");
    expect(submit!.method).toBe("POST");
    expect(submit!.path).toBe("/api/v1/videos");
    expect(submit!.body).toEqual({
      model: VIDEO_MODEL,
      prompt: "a golden retriever on a beach",
      aspect_ratio: "9:16",
      duration: 8,
      resolution: "1080p",
      frame_images: [{ type: "image_url", image_url: { url: dataUrl("image/png", frame) }, frame_type: "first_frame" }],
    });
    const jobId = /job-\w+/.exec(rest[0]!.path)![0];
    expect(rest.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v1/videos/${jobId}`,
      `GET /api/v1/videos/${jobId}`,
      `GET /api/v1/videos/${jobId}`,
      `GET /api/v1/videos/${jobId}/content`,
    ]);
    expect(rest.at(-1)!.query).toEqual({ index: "0" });
    for (const r of sent) expect(r.headers.authorization).toBe(`Bearer ${fake.key}`);

    const row = await ledgerRow(hv, body.id);
    expect(row).toMatchObject({ status: "succeeded", type: "video", duration_seconds: 8, cost_usd: cost, cost_source: "upstream", mime_type: "video/mp4" });
    expect(row.params).toMatchObject({ openrouter_job_id: jobId });
    expect(row.operation_id).toBe(jobId);
    expect(row.params.generation_id).toStartWith("gen-");
  });

  test("the meter is seconds at the configured resolution (seen through a per-second price override)", async () => {
    using hv = createHarness({
      config: {
        models: [entry("video", "google/veo-3.1-fast", { options: { resolution: "720p" } })],
        prices: [{ provider: "openrouter", model: "google/veo-3.1-fast", seconds: { "720p": 0.25 } }],
      },
    });
    const { status, body } = await hv.post("/api/media/video", { prompt: "waves", duration_seconds: 6, output_dir: hv.workDir });
    expect(status).toBe(200);
    const row = await ledgerRow(hv, body.id);
    expect(row).toMatchObject({ cost_source: "override", cost_usd: 1.5, cost_unit: "second_720p", cost_quantity: 6 });
  });

  test.each([
    ["video_failed", 422, "content_filtered", "failed: Video generation failed: the provider rejected the request (content policy)."],
    ["video_cancelled", 502, "api_error", "cancelled: Video generation was cancelled."],
    ["video_expired", 502, "api_error", "expired: Video generation expired before it completed."],
  ] as const)("%s -> %i %s with the provider's message, nothing downloaded", async (scenario, status, errorType, words) => {
    const { result, sent } = await recorded(() => h.post("/api/media/video", { prompt: `x [[fake:${scenario}]]`, output_dir: h.workDir }));
    expect(result.status).toBe(status);
    expect(result.body).toMatchObject({ success: false, video: null, error_type: errorType });
    expect(result.body.error).toContain(words);
    expect(sent.some((r) => r.path.endsWith("/content"))).toBe(false);
    expect(await ledgerRow(h, result.body.id)).toMatchObject({ status: "failed", error_type: errorType, cost_usd: null });
  });

  test("what the model's /videos/models entry does not list is a 400 naming the field and what it takes, before any submit", async () => {
    using sora = createHarness({ config: { models: [entry("video", "openai/sora-2-pro", { options: { resolution: "4k" } })] } });
    const { result, sent } = await recorded(() => sora.post("/api/media/video", { prompt: "x", duration_seconds: 6 }));
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error_type: "invalid_argument", field: "duration_seconds", allowed: [4, 8, 12] });
    expect(result.body.error).toBe("openai/sora-2-pro on OpenRouter does not take duration_seconds 6; it takes 4, 8, 12");
    expect(sent.filter((r) => r.method === "POST")).toHaveLength(0);
    const square = await sora.post("/api/media/video", { prompt: "x", duration_seconds: 8, aspect_ratio: "square" });
    expect(square.body).toMatchObject({ error_type: "invalid_argument", field: "aspect_ratio", allowed: ["landscape", "portrait"] });
    // `4k` in config.yml is OpenRouter's `4K`, which sora-2-pro does not list.
    const big = await sora.post("/api/media/video", { prompt: "x", duration_seconds: 8 });
    expect(big.body).toMatchObject({ error_type: "invalid_argument", field: "resolution", allowed: ["720p", "1080p"] });
    expect(big.body.error).toContain("resolution 4K");
  });

  test("resolutions follow OpenRouter's enum: 1K, 2K and 4K are accepted and sent as written there", () => {
    expect(OpenRouterOptions.parse({ resolution: "1K" }).resolution).toBe("1K");
    expect(OpenRouterOptions.parse({ resolution: "4k" }).resolution).toBe("4K");
    expect(OpenRouterOptions.parse({ resolution: "768P" }).resolution).toBe("768p");
    expect(OpenRouterOptions.safeParse({ resolution: "900p" }).success).toBe(false);
  });

  test("submit errors map like image errors: 402 insufficient_credits, 429 rate_limited", async () => {
    fake.next("402");
    const broke = await h.post("/api/media/video", { prompt: "x" });
    expect(broke.status).toBe(402);
    expect(broke.body.error).toContain("OpenRouter account has insufficient credits");
    fake.next("429");
    const limited = await h.post("/api/media/video", { prompt: "x" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
  });

  test("polling and content URLs on another origin are not followed: the key only goes to the configured base URL", async () => {
    // The fake answers with 127.0.0.1 URLs; a base URL naming localhost makes them another origin.
    const port = new URL(fake.url).port;
    using hv = createHarness({ config: { models: [entry("video", VIDEO_MODEL, { base_url: `http://localhost:${port}/api/v1` })] } });
    fake.absolutePollingUrl = true;
    try {
      const { result, sent } = await recorded(() => hv.post("/api/media/video", { prompt: "x", output_dir: hv.workDir }));
      expect(result.status).toBe(200);
      expect(sent.map((r) => r.headers.host)).toEqual(Array(sent.length).fill(`localhost:${port}`));
      expect(sent.at(-1)!.path).toEndWith("/content");
    } finally {
      fake.absolutePollingUrl = false;
    }
  });

  test("a resolution OpenRouter cannot mean is refused when the config loads, naming the field", async () => {
    using hv = createHarness();
    await Bun.write(hv.config.path, stringify({ models: [entry("video", VIDEO_MODEL, { options: { resolution: "1080" } })] }));
    const status = hv.config.status();
    expect(status.ok).toBe(false);
    expect(status.error).toContain("models[0].options.resolution");
  });
});

describe("provider hooks", () => {
  const context = (type: "image" | "video", model: string, extra: Partial<CallContext> = {}): CallContext => ({
    entry: { type, provider: "openrouter", model },
    apiKey: fake.key,
    baseUrl: apiBase(),
    signal: new AbortController().signal,
    pollIntervalMs: 10,
    ...extra,
  });

  test("video reports the job id at once and resumeVideo finishes the same job after a 'restart'", async () => {
    const controller = new AbortController();
    let operation: string | undefined;
    const first = openrouter.video!(
      { prompt: "x", aspect: "landscape", durationSeconds: 8 },
      context("video", VIDEO_MODEL, {
        signal: controller.signal,
        pollIntervalMs: 60_000,
        onOperation: (id) => {
          operation = id;
          controller.abort(new AppError("interrupted", "stopped"));
        },
      }),
    );
    const started = performance.now();
    await expect(first).rejects.toMatchObject({ type: "interrupted" });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(operation).toMatch(/^job-\w+$/);

    const { result, sent } = await recorded(() => openrouter.resumeVideo!(operation!, context("video", VIDEO_MODEL)));
    expect(sent[0]!.path).toBe(`/api/v1/videos/${operation}`);
    expect(result.costUsd).toBe(openrouterVideoCost(VIDEO_MODEL, 8, "720p"));
    expect(result.extra).toMatchObject({ openrouter_job_id: operation });
    expect(result.bytes!.length).toBeGreaterThan(0);
  });

  test("resumeVideo of an unknown job is the provider's 404", async () => {
    await expect(openrouter.resumeVideo!("job-unknown", context("video", VIDEO_MODEL))).rejects.toMatchObject({
      type: "api_error",
      details: { upstream_status: 404 },
    });
  });

  test("testConnection: GET /key then the model list; the credit left is quoted", async () => {
    const { result, sent } = await recorded(() => openrouter.testConnection!(context("image", IMAGE_MODEL)));
    expect(result).toBe(`Connected; model '${IMAGE_MODEL}' is available (credit left: $${(10 - OPENROUTER_KEY_USAGE).toFixed(2)}).`);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/v1/key", "GET /api/v1/models"]);
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${fake.key}`);
    expect(sent[1]!.query).toEqual({ output_modalities: "image" });

    expect(await openrouter.testConnection!(context("image", "black-forest-labs/flux.2-pro"))).toContain("black-forest-labs/flux.2-pro");
    const video = await recorded(() => openrouter.testConnection!(context("video", VIDEO_MODEL)));
    expect(video.sent[1]!.path).toBe("/api/v1/videos/models");

    fake.keyLimit = null;
    try {
      expect(await openrouter.testConnection!(context("image", IMAGE_MODEL))).toContain("(no credit limit on this key)");
    } finally {
      fake.keyLimit = 10;
    }
  });

  test("testConnection: unknown or text-only model -> not_found; bad key -> auth_required", async () => {
    await expect(openrouter.testConnection!(context("image", "google/no-such-model"))).rejects.toMatchObject({ type: "not_found" });
    await expect(openrouter.testConnection!(context("image", "openai/gpt-4o-mini"))).rejects.toMatchObject({ type: "not_found" });
    await expect(openrouter.testConnection!(context("video", IMAGE_MODEL))).rejects.toMatchObject({ type: "not_found" });
    const bad = openrouter.testConnection!(context("image", IMAGE_MODEL, { apiKey: "sk-or-v1-wrong-key-000000" }));
    await expect(bad).rejects.toMatchObject({ type: "auth_required", status: 502, details: { upstream_status: 401 } });
  });
});
