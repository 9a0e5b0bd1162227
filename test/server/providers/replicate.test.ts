// The Replicate provider through the real app and the fake Replicate: what mediagen sends (model route or version,
// Prefer: wait), how it polls, cancels and resumes predictions, what each result costs, and how failures map.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { creation, outputUrls, replicate } from "../../../server/providers/replicate.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { SDXL_VERSION, startFakeReplicate, type FakeReplicate, type ReplicateScenario } from "../../fakes/replicate.ts";
import { b64, makePng } from "../../fakes/media.ts";
import { createHarness } from "../../helpers.ts";

let fake: FakeReplicate;
beforeAll(() => {
  fake = startFakeReplicate();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.pendingPolls = 2;
});

type MediaKind = "image" | "video";
const ONE_ATTEMPT = { image: { max_attempts: 1 }, video: { max_attempts: 1 }, audio: { max_attempts: 1 } };

function harness(type: MediaKind, model: string, options?: Record<string, unknown>, extra: { apiKey?: string } = {}) {
  const entry = { type, provider: "replicate", model, api_key: extra.apiKey ?? fake.key, base_url: fake.url, ...(options ? { options } : {}) };
  return createHarness({ config: { models: [entry], jobs: ONE_ATTEMPT } });
}

const since = (from: number) => fake.requests.slice(from);

function context(type: MediaKind, model: string, extra: Partial<CallContext> = {}): CallContext {
  const entry = { type, provider: "replicate", model } as ModelEntry;
  return { entry, apiKey: fake.key, baseUrl: fake.url, signal: new AbortController().signal, pollIntervalMs: 5, ...extra };
}

async function startPrediction(model: string, input: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${fake.url}/v1/models/${model}/predictions`, {
    method: "POST",
    headers: { authorization: `Bearer ${fake.key}`, "content-type": "application/json" },
    body: JSON.stringify({ input }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

describe("model ids", () => {
  test("owner/name uses the model's route; owner/name:version and a bare version go to /predictions", () => {
    expect(creation("black-forest-labs/flux-schnell")).toEqual({ path: "models/black-forest-labs/flux-schnell/predictions" });
    expect(creation(`stability-ai/sdxl:${SDXL_VERSION}`)).toEqual({ path: "predictions", version: SDXL_VERSION });
    expect(() => creation("stability-ai/sdxl:latest")).toThrow(AppError);
    expect(creation(SDXL_VERSION)).toEqual({ path: "predictions", version: SDXL_VERSION });
    expect(() => creation("flux-schnell")).toThrow(AppError);
  });

  test("outputs may be a URL, a list of URLs or an object of them; text is not a file", () => {
    expect(outputUrls("https://replicate.delivery/a.webp")).toEqual(["https://replicate.delivery/a.webp"]);
    expect(outputUrls(["https://x/1.png", "https://x/2.png"])).toEqual(["https://x/1.png", "https://x/2.png"]);
    expect(outputUrls({ video: "https://x/v.mp4" })).toEqual(["https://x/v.mp4"]);
    expect(outputUrls("a caption")).toEqual([]);
    expect(outputUrls(null)).toEqual([]);
  });
});

describe("images", () => {
  test("an official model: POST to its route with Prefer: wait, the output downloaded at once without the token, priced per image", async () => {
    using h = harness("image", "black-forest-labs/flux-schnell");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "a t-rex on a skateboard", aspect_ratio: "portrait", output_dir: h.workDir });
    expect(status).toBe(200);
    const [created, fetched, ...others] = since(before);
    expect(others).toHaveLength(0);
    expect(created).toMatchObject({ method: "POST", path: "/v1/models/black-forest-labs/flux-schnell/predictions" });
    expect(created!.headers.authorization).toBe(`Bearer ${fake.key}`);
    expect(created!.headers.prefer).toBe("wait=60");
    expect(created!.body).toEqual({ input: { prompt: "a t-rex on a skateboard", aspect_ratio: "9:16" } });
    expect(fetched!.path).toMatch(/^\/xezq\/[a-z0-9]+\/out-0\.webp$/);
    expect(fetched!.headers.authorization).toBeUndefined();
    expect(body).toMatchObject({ success: true, provider: "replicate", model: "black-forest-labs/flux-schnell" });
    expect(readFileSync(body.image).subarray(1, 4).toString()).toBe("PNG");
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", cost_source: "catalog", cost_usd: 0.003 });
  });

  test("a version: POST /v1/predictions with the version; options.input and image_field are sent; an unpriced model costs unknown", async () => {
    using h = harness("image", `stability-ai/sdxl:${SDXL_VERSION}`, { input: { num_inference_steps: 20 }, image_field: "image", wait_seconds: 10 });
    const before = fake.requests.length;
    const png = `data:image/png;base64,${b64(makePng(32, 24))}`;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", aspect_ratio: "square", images: [png], output_dir: h.workDir });
    expect(status).toBe(200);
    const created = since(before)[0]!;
    expect(created).toMatchObject({ method: "POST", path: "/v1/predictions" });
    expect(created.headers.prefer).toBe("wait=10");
    expect(created.body.version).toBe(SDXL_VERSION);
    expect(created.body.input).toMatchObject({ prompt: "p", aspect_ratio: "1:1", num_inference_steps: 20 });
    expect(String((created.body.input as Record<string, unknown>).image)).toStartWith("data:image/png;base64,");
    expect((await h.ledger.get(body.id))!.cost_source).toBe("unknown");
  });

  test("when the wait runs out the prediction is polled until it succeeds, and its id is recorded at once", async () => {
    const seen: string[] = [];
    const before = fake.requests.length;
    const result = await replicate.image!({ prompt: "p [[fake:slow_prediction]]", aspect: "landscape", inputs: [] }, context("image", "black-forest-labs/flux-dev", { onOperation: (id) => seen.push(id) }));
    expect(seen).toHaveLength(1);
    const polls = since(before).filter((r) => r.method === "GET" && r.path.startsWith("/v1/predictions/"));
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(polls.every((r) => r.path === `/v1/predictions/${seen[0]}`)).toBe(true);
    expect(result.meter).toEqual({ images: 1 });
    expect(result.extra).toMatchObject({ prediction_id: seen[0], predict_time: 1.2 });
  });

  test("several outputs: metrics.image_count is billed, the first file is kept", async () => {
    const result = await replicate.image!({ prompt: "p [[fake:multi]]", aspect: "square", inputs: [] }, context("image", "black-forest-labs/flux-pro"));
    expect(result.meter).toEqual({ images: 2 });
    expect(result.extra).toMatchObject({ outputs: 2 });
  });

  test("succeeded without output is empty_response with the image's cost kept", async () => {
    using h = harness("image", "black-forest-labs/flux-schnell");
    const { body } = await h.post("/api/media/image", { prompt: "p [[fake:no_output]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "empty_response" });
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", cost_usd: 0.003 });
  });

  test("an output URL already gone is an api_error that says outputs expire, with the cost kept", async () => {
    using h = harness("image", "black-forest-labs/flux-schnell");
    const { body } = await h.post("/api/media/image", { prompt: "p [[fake:expired]]", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "api_error", upstream_status: 404 });
    expect(body.error).toContain("deleted an hour");
    expect((await h.ledger.list({})).items[0]).toMatchObject({ status: "failed", cost_usd: 0.003 });
  });
});

describe("video", () => {
  test("no Prefer header; polled to the end; the asked seconds billed; unpriced model costs unknown", async () => {
    using h = harness("video", "minimax/video-01");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/video", { prompt: "waves", duration_seconds: 6, output_dir: h.workDir });
    expect(status).toBe(200);
    const [created, ...rest] = since(before);
    expect(created).toMatchObject({ method: "POST", path: "/v1/models/minimax/video-01/predictions" });
    expect(created!.headers.prefer).toBeUndefined();
    expect(created!.body).toEqual({ input: { prompt: "waves", aspect_ratio: "16:9", duration: 6 } });
    expect(rest.filter((r) => r.method === "GET" && r.path.startsWith("/v1/predictions/"))).toHaveLength(3);
    expect(body.success).toBe(true);
    expect((await h.ledger.get(body.id))!.cost_source).toBe("unknown");
  });

  test("options.duration_field renames the seconds' field, or null leaves it out", async () => {
    const before = fake.requests.length;
    await replicate.video!({ prompt: "p", aspect: "square", durationSeconds: 5 }, { ...context("video", "minimax/video-01"), entry: { type: "video", provider: "replicate", model: "minimax/video-01", options: { duration_field: "seconds" } } as ModelEntry });
    expect(since(before)[0]!.body.input).toEqual({ prompt: "p", aspect_ratio: "1:1", seconds: 5 });
    const again = fake.requests.length;
    const result = await replicate.video!({ prompt: "p", aspect: "square", durationSeconds: 5 }, { ...context("video", "minimax/video-01"), entry: { type: "video", provider: "replicate", model: "minimax/video-01", options: { duration_field: null } } as ModelEntry });
    expect(since(again)[0]!.body.input).toEqual({ prompt: "p", aspect_ratio: "1:1" });
    expect(result.meter).toEqual({ seconds: 5 });
  });

  test("resumeVideo finishes a video prediction started earlier, billing the seconds it was asked", async () => {
    const id = await startPrediction("minimax/video-01", { prompt: "p", duration: 7 });
    const result = await replicate.resumeVideo!(id, context("video", "minimax/video-01"));
    expect(result.meter).toEqual({ seconds: 7 });
    expect(result.durationSeconds).toBe(7);
    expect(Buffer.from(result.bytes!).subarray(4, 8).toString()).toBe("ftyp");
  });

  test("an image prediction is resumed as an image (the runner resumes every recorded operation through resumeVideo)", async () => {
    const id = await startPrediction("black-forest-labs/flux-schnell", { prompt: "p" });
    const result = await replicate.resumeVideo!(id, context("image", "black-forest-labs/flux-schnell"));
    expect(result.meter).toEqual({ images: 1 });
    expect(Buffer.from(result.bytes!).subarray(1, 4).toString()).toBe("PNG");
  });

  test("resuming a prediction Replicate does not know is an error", async () => {
    const error = await replicate.resumeVideo!("nosuchprediction", context("video", "minimax/video-01")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ type: "api_error" });
    expect((error as AppError).message).toContain("does not know prediction nosuchprediction");
  });

  test("a shutdown (interrupted) while polling leaves the prediction running, to be resumed at the next start", async () => {
    fake.pendingPolls = 1000;
    const controller = new AbortController();
    const seen: string[] = [];
    const running = replicate.video!({ prompt: "p", aspect: "landscape", durationSeconds: 5 }, context("video", "minimax/video-01", { signal: controller.signal, onOperation: (id) => seen.push(id) }));
    await Bun.sleep(50);
    controller.abort(new AppError("interrupted", "The daemon stopped"));
    expect(await running.catch((e: unknown) => e)).toMatchObject({ type: "interrupted" });
    expect(fake.canceled).not.toContain(seen[0]!);
  });

  test("a cancel (timeout) while polling cancels the prediction upstream", async () => {
    fake.pendingPolls = 1000;
    const controller = new AbortController();
    const seen: string[] = [];
    const running = replicate.video!({ prompt: "p", aspect: "landscape", durationSeconds: 5 }, context("video", "minimax/video-01", { signal: controller.signal, onOperation: (id) => seen.push(id) }));
    await Bun.sleep(50);
    controller.abort(new AppError("timeout"));
    const error = await running.catch((e: unknown) => e);
    expect(error).toMatchObject({ type: "timeout" });
    expect(fake.canceled).toContain(seen[0]!);
  });
});

describe("errors", () => {
  test.each([
    ["402", 402, "insufficient_credits"],
    ["404", 400, "unknown_model"],
    ["422", 502, "api_error"],
    ["429", 429, "rate_limited"],
    ["500", 502, "api_error"],
    ["failed", 502, "api_error"],
    ["nsfw", 422, "content_filtered"],
    ["canceled", 502, "api_error"],
  ] as [ReplicateScenario, number, string][])("%s -> %i %s", async (scenario, status, errorType) => {
    using h = harness("image", "black-forest-labs/flux-schnell");
    const response = await h.post("/api/media/image", { prompt: `p [[fake:${scenario}]]`, output_dir: h.workDir });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, error_type: errorType });
  });

  test("429 carries Retry-After", async () => {
    using h = harness("image", "black-forest-labs/flux-schnell");
    const { body } = await h.post("/api/media/image", { prompt: "p [[fake:429]]", output_dir: h.workDir });
    expect(body).toMatchObject({ error_type: "rate_limited", retry_after_seconds: 30 });
  });

  test("a wrong token is auth_required (502) naming REPLICATE_API_TOKEN; the token is never echoed", async () => {
    using h = harness("image", "black-forest-labs/flux-schnell", undefined, { apiKey: "r8_wrong_token_123456" });
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error_type: "auth_required" });
    expect(body.error).toContain("REPLICATE_API_TOKEN");
    expect(JSON.stringify(body)).not.toContain("r8_wrong_token_123456");
  });

  test("a model id without owner/ is refused before anything is sent", async () => {
    using h = harness("image", "flux-schnell");
    const before = fake.requests.length;
    const { body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(body).toMatchObject({ success: false, error_type: "invalid_argument" });
    expect(since(before)).toHaveLength(0);
  });
});

describe("test connection", () => {
  test("GET /v1/account proves the token, GET the model proves the model id", async () => {
    const before = fake.requests.length;
    const message = await replicate.testConnection!(context("image", "black-forest-labs/flux-schnell"));
    expect(message).toContain("fake-user");
    expect(since(before).map((r) => r.path)).toEqual(["/v1/account", "/v1/models/black-forest-labs/flux-schnell"]);
    expect(await replicate.testConnection!(context("image", `stability-ai/sdxl:${SDXL_VERSION}`))).toContain("Connected");
  });

  test("an unknown model is unknown_model; a bad token is auth_required", async () => {
    const unknown = await replicate.testConnection!(context("image", "nobody/nothing")).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ type: "unknown_model" });
    const bad = await replicate.testConnection!(context("image", "black-forest-labs/flux-schnell", { apiKey: "r8_bad" })).catch((e: unknown) => e);
    expect(bad).toMatchObject({ type: "auth_required" });
  });
});

describe("restart recovery", () => {
  test.each([
    ["image", "black-forest-labs/flux-schnell", { prompt: "p" }, 0.003],
    ["video", "minimax/video-01", { prompt: "p", duration: 6 }, null],
  ] as [MediaKind, string, Record<string, unknown>, number | null][])(
    "a %s job left running with a recorded prediction is resumed by polling it, not submitted again",
    async (type, model, input, cost) => {
      using h = harness(type, model);
      const predictionId = await startPrediction(model, input);
      const id = (await h.ledger.enqueue({ type, model, provider: "replicate", prompt: "p", params: { output_dir: h.workDir } }));
      await h.ledger.markRunning(id);
      await h.ledger.setOperation(id, predictionId);
      const before = fake.requests.length;
      expect(await h.media.recover()).toEqual({ resumed: 1, interrupted: 0 });
      let row = (await h.ledger.get(id))!;
      for (let i = 0; i < 200 && row.status === "running"; i++) {
        await Bun.sleep(20);
        row = (await h.ledger.get(id))!;
      }
      expect(row).toMatchObject({ status: "succeeded", operation_id: predictionId, cost_usd: cost });
      expect(readFileSync(row.output_path!).length).toBeGreaterThan(0);
      expect(since(before).filter((r) => r.method === "POST")).toHaveLength(0);
      expect(since(before).some((r) => r.path === `/v1/predictions/${predictionId}`)).toBe(true);
    },
  );
});

describe("the Models page", () => {
  test("the catalogue offers replicate with its key variable, types and known models", async () => {
    using h = createHarness();
    const { body } = await h.get("/api/config/catalog");
    const offered = body.providers.find((p: { id: string }) => p.id === "replicate");
    expect(offered).toMatchObject({ key_required: true, key_env: "REPLICATE_API_TOKEN", default_base_url: "https://api.replicate.com", types: ["image", "video"] });
    expect(offered.models.image).toContain("black-forest-labs/flux-schnell");
    expect(offered.models.video).toContain("minimax/video-01");
  });

  test("Test connection checks the token and the model through the API", async () => {
    using h = createHarness();
    const entry = { name: "flux", type: "image", provider: "replicate", model: "black-forest-labs/flux-schnell", api_key: fake.key, base_url: fake.url };
    const ok = await h.post("/api/config/models/test", entry);
    expect(ok.body).toMatchObject({ ok: true });
    expect(JSON.stringify(ok.body)).toContain("fake-user");
    const unknown = await h.post("/api/config/models/test", { ...entry, model: "nobody/nothing" });
    expect(JSON.stringify(unknown.body)).toContain("unknown_model");
  });
});
