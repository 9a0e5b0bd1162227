// The automatic1111 provider (AUTOMATIC1111 / Forge / SD.Next) through the seed endpoints, against the fake web UI API.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { automatic1111, sizeFor } from "../../../server/providers/automatic1111.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { type FakeAutomatic1111, startFakeAutomatic1111 } from "../../fakes/automatic1111.ts";
import { imageInfo, makePng } from "../../fakes/media.ts";
import { createHarness } from "../../helpers.ts";

let fake: FakeAutomatic1111;

beforeAll(() => {
  fake = startFakeAutomatic1111();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.stepMs = 0;
  fake.auth = null;
  fake.api = true;
});

/** A harness whose only image model is the automatic1111 `model`. */
function a1111Harness(model = "sd_xl_base_1.0", { prices, ...extra }: Record<string, unknown> = {}) {
  const models = [{ type: "image", provider: "automatic1111", model, base_url: fake.url, ...extra }];
  return createHarness({ config: prices ? { models, prices } : { models } });
}

function ctx(model: string, more: Partial<CallContext> = {}, options?: Record<string, unknown>): CallContext {
  const entry: ModelEntry = { type: "image", provider: "automatic1111", model, ...(options ? { options } : {}) };
  return { entry, baseUrl: fake.url, signal: new AbortController().signal, pollIntervalMs: 10, ...more };
}

const lastGeneration = () => fake.requests.filter((r) => r.method === "POST").at(-1)!;

describe("automatic1111 images", () => {
  test("txt2img with the aspect's SDXL size, the checkpoint override and no auth; the PNG is saved at $0 (local)", async () => {
    using h = a1111Harness();
    const { status, body } = await h.post("/api/media/image", { prompt: "a castle at dusk", aspect_ratio: "landscape", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = lastGeneration();
    expect(sent.path).toBe("/sdapi/v1/txt2img");
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body.force_task_id).toMatch(/^task\(mediagen-[0-9a-f-]{36}\)$/);
    expect(sent.body).toEqual({
      force_task_id: sent.body.force_task_id,
      prompt: "a castle at dusk",
      width: 1024,
      height: 576,
      seed: -1,
      batch_size: 1,
      n_iter: 1,
      send_images: true,
      save_images: false,
      override_settings: { sd_model_checkpoint: "sd_xl_base_1.0" },
    });
    expect(body).toMatchObject({ success: true, provider: "automatic1111", model: "sd_xl_base_1.0", cost_usd: 0 });
    expect(body.image).toEndWith(".png");
    expect(imageInfo(new Uint8Array(await Bun.file(body.image).arrayBuffer()))).toEqual({ mime: "image/png", width: 1024, height: 576 });
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_usd: 0, cost_source: "upstream" });
  });

  test.each([
    ["sd_xl_base_1.0", "square", [1024, 1024]],
    ["sd_xl_base_1.0", "portrait", [576, 1024]],
    ["v1-5-pruned-emaonly", "landscape", [768, 512]],
    ["v1-5-pruned-emaonly", "portrait", [512, 768]],
  ])("%s %s is sent as %p", async (model, aspect, [width, height]) => {
    using h = a1111Harness(model);
    const { status } = await h.post("/api/media/image", { prompt: "p", aspect_ratio: aspect, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(lastGeneration().body).toMatchObject({ width, height, override_settings: { sd_model_checkpoint: model } });
  });

  test("options: sampler, scheduler, steps, cfg, checkpoint, negative prompt, seed and sizes are sent in the web UI's names", async () => {
    const options = { sampler: "Euler a", scheduler: "Karras", steps: 12, cfg: 5.5, checkpoint: "v1-5-pruned-emaonly", negative_prompt: "blurry", seed: 42, sizes: { landscape: "896 x 512" } };
    using h = a1111Harness("my-sd", { options });
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(lastGeneration().body).toMatchObject({
      sampler_name: "Euler a",
      scheduler: "Karras",
      steps: 12,
      cfg_scale: 5.5,
      negative_prompt: "blurry",
      seed: 42,
      width: 896,
      height: 512,
      override_settings: { sd_model_checkpoint: "v1-5-pruned-emaonly" },
    });
    expect((await h.ledger.get(body.id))!.params).toMatchObject({ seed: 42, sd_model_name: "v1-5-pruned-emaonly" });
  });

  test("model `current` keeps the loaded checkpoint (no override_settings)", async () => {
    using h = a1111Harness("current");
    expect((await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir })).status).toBe(200);
    expect(lastGeneration().body.override_settings).toBeUndefined();
  });

  test("an edit goes to img2img with the input as init image and the default denoising strength; two inputs are refused", async () => {
    using h = a1111Harness("sd_xl_base_1.0", { options: { denoising_strength: 0.4 } });
    const a = join(h.root, "a.png");
    writeFileSync(a, makePng(64, 64));
    const { status } = await h.post("/api/media/image", { prompt: "make it night", images: [a], aspect_ratio: "square", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = lastGeneration();
    expect(sent.path).toBe("/sdapi/v1/img2img");
    expect(sent.body).toMatchObject({ width: 1024, height: 1024, denoising_strength: 0.4, include_init_images: false });
    expect(String((sent.body.init_images as string[])[0])).toStartWith("data:image/png;base64,iVBORw0KGgo");
    const before = fake.requests.length;
    const two = await h.post("/api/media/image", { prompt: "p", images: [a, a], output_dir: h.workDir });
    expect(two.status).toBe(400);
    expect(two.body).toMatchObject({ error_type: "invalid_argument" });
    expect(fake.requests.length).toBe(before);
  });

  test("progress is polled from /sdapi/v1/progress during the blocking call and reported rising, ending at 100", async () => {
    fake.stepMs = 40;
    const progress: number[] = [];
    const result = await automatic1111.image!({ prompt: "p", aspect: "square", inputs: [] }, ctx("sd_xl_base_1.0", { onProgress: (p) => progress.push(p) }, { steps: 10 }));
    expect(result).toMatchObject({ mimeType: "image/png", costUsd: 0, meter: { images: 1, imageSize: "1024x1024" } });
    expect(fake.requests.some((r) => r.path === "/sdapi/v1/progress" && r.query.skip_current_image === "true")).toBe(true);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.slice(0, -1).every((p) => p >= 1 && p <= 99)).toBe(true);
  });

  test("progress of another client's job running first is not reported as ours", async () => {
    fake.stepMs = 30;
    const theirs = fetch(`${fake.url}/sdapi/v1/txt2img`, { method: "POST", body: JSON.stringify({ prompt: "theirs", steps: 10, force_task_id: "task(other)" }) });
    await Bun.sleep(20);
    const progress: number[] = [];
    const ours = automatic1111.image!({ prompt: "p", aspect: "square", inputs: [] }, ctx("sd_xl_base_1.0", { onProgress: (p) => progress.push(p) }, { steps: 10 }));
    await theirs;
    // Theirs is done: anything reported so far was read while ours waited behind it.
    const whileWaiting = [...progress];
    await ours;
    expect(whileWaiting).toEqual([]);
    expect(progress.at(-1)).toBe(100);
  });

  test("a cancel interrupts the web UI only while our task is the one running; a shutdown leaves it running", async () => {
    fake.stepMs = 30;
    fake.interrupted.length = 0;
    // A user cancel (or the job's deadline) while ours runs: POST /sdapi/v1/interrupt.
    const cancel = new AbortController();
    const job = automatic1111.image!({ prompt: "p", aspect: "square", inputs: [] }, ctx("sd_xl_base_1.0", { signal: cancel.signal }, { steps: 20 }));
    await Bun.sleep(150);
    cancel.abort(new Error("cancelled"));
    await expect(job).rejects.toThrow();
    const ownTask = String(lastGeneration().body.force_task_id);
    for (let i = 0; i < 50 && fake.interrupted.length === 0; i++) await Bun.sleep(10);
    expect(fake.interrupted).toEqual([ownTask]);

    // A cancel while another client's job runs and ours waits: nothing is interrupted.
    await Bun.sleep(100);
    const theirs = fetch(`${fake.url}/sdapi/v1/txt2img`, { method: "POST", body: JSON.stringify({ prompt: "theirs", steps: 10, force_task_id: "task(other)" }) });
    await Bun.sleep(20);
    const waiting = new AbortController();
    const queued = automatic1111.image!({ prompt: "p", aspect: "square", inputs: [] }, ctx("sd_xl_base_1.0", { signal: waiting.signal }, { steps: 5 }));
    await Bun.sleep(40);
    waiting.abort(new Error("cancelled"));
    await expect(queued).rejects.toThrow();
    expect((await theirs).status).toBe(200);
    expect(fake.interrupted).toEqual([ownTask]);

    // A shutdown (the job is to resume, or be reported interrupted): the web UI is not interrupted.
    const shutdown = new AbortController();
    const running = automatic1111.image!({ prompt: "p", aspect: "square", inputs: [] }, ctx("sd_xl_base_1.0", { signal: shutdown.signal }, { steps: 10 }));
    await Bun.sleep(100);
    shutdown.abort(new AppError("interrupted", "the daemon is stopping"));
    await expect(running).rejects.toThrow();
    await Bun.sleep(300);
    expect(fake.interrupted).toEqual([ownTask]);
  });

  test("a configured price (prices: override) replaces the $0 and is recorded as such", async () => {
    using h = a1111Harness("sd_xl_base_1.0", { prices: [{ provider: "automatic1111", model: "sd_xl_base_1.0", images: [{ usd: 0.002 }] }] });
    const { body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(body.cost_usd).toBe(0.002);
    expect(await h.ledger.get(body.id)).toMatchObject({ cost_source: "override", cost_unit: "image", cost_quantity: 1, cost_unit_price: 0.002 });
  });

  test("--api-auth: api_key user:password is sent as HTTP Basic; a wrong one is auth_required", async () => {
    fake.auth = "me:secret";
    {
      using h = a1111Harness("sd_xl_base_1.0", { api_key: "me:secret" });
      const { status } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
      expect(status).toBe(200);
      expect(lastGeneration().headers.authorization).toBe(`Basic ${Buffer.from("me:secret").toString("base64")}`);
    }
    using h = a1111Harness("sd_xl_base_1.0", { api_key: "me:wrong" });
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ success: false, error_type: "auth_required" });
    expect(body.error).toMatch(/Incorrect username or password.*--api-auth/);
  });
});

describe("automatic1111 failures", () => {
  test.each([
    ["500", 502, "api_error", /Upstream 500: RuntimeError: Expected all tensors/],
    ["oom", 503, "overloaded", /OutOfMemoryError: CUDA out of memory/],
    ["empty", 502, "empty_response", /no image data/],
    ["malformed", 502, "invalid_response", /./],
  ])("%s is answered %i %s", async (scenario, status, type, message) => {
    using h = a1111Harness();
    const { body, status: got } = await h.post("/api/media/image", { prompt: `p [[fake:${scenario}]]`, output_dir: h.workDir });
    expect(got).toBe(status);
    expect(body).toMatchObject({ success: false, error_type: type, provider: "automatic1111" });
    expect(body.error).toMatch(message);
  });

  test("an unknown sampler (the web UI's 404 HTTPException) is invalid_argument naming options.sampler", async () => {
    using h = a1111Harness("sd_xl_base_1.0", { options: { sampler: "Nope" } });
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_type: "invalid_argument" });
    expect(body.error).toMatch(/Sampler not found.*options\.sampler/);
  });

  test("a checkpoint the web UI does not have (404 Model not found) is unknown_model, not retried", async () => {
    using h = a1111Harness("flux1-dev");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error_type: "unknown_model" });
    expect(body.error).toMatch(/Model not found.*sd-models/);
    expect(fake.requests.slice(before).filter((r) => r.method === "POST")).toHaveLength(1);
  });

  test("a web UI started without --api (FastAPI's 404 Not Found) says to start it with --api", async () => {
    fake.api = false;
    using h = a1111Harness();
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error_type: "api_error" });
    expect(body.error).toMatch(/--api/);
  });

  test("nothing listening is network_error", async () => {
    using h = createHarness({ config: { models: [{ type: "image", provider: "automatic1111", model: "sd_xl_base_1.0", base_url: "http://127.0.0.1:9" }] } });
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error_type: "network_error" });
  });

  test("an invalid options value is refused when the config loads", () => {
    expect(() => a1111Harness("sd_xl_base_1.0", { options: { steps: 0 } })).toThrow();
    expect(() => a1111Harness("sd_xl_base_1.0", { options: { sizes: { landscape: "wide" } } })).toThrow();
  });
});

describe("automatic1111 on the Models page", () => {
  test("the catalogue offers it keyless at 127.0.0.1:7860 with its known checkpoints", async () => {
    using h = createHarness();
    const { body } = await h.get("/api/config/catalog");
    const info = (body.providers as { id: string }[]).find((p) => p.id === "automatic1111");
    expect(info).toMatchObject({ key_required: false, default_base_url: "http://127.0.0.1:7860", types: ["image"] });
    expect((info as unknown as { models: { image: string[] } }).models.image).toContain("sd_xl_base_1.0");
  });

  test("Test connection lists /sdapi/v1/sd-models: ok for an installed checkpoint, says which are installed otherwise", async () => {
    using h = createHarness();
    const good = await h.post("/api/config/models/test", { type: "image", provider: "automatic1111", model: "sd_xl_base_1.0", base_url: fake.url });
    expect(good.body).toMatchObject({ ok: true });
    expect(String(good.body.message)).toMatch(/checkpoint 'sd_xl_base_1.0' is installed/);
    expect(fake.requests.at(-1)!.path).toBe("/sdapi/v1/sd-models");
    const byTitle = await h.post("/api/config/models/test", { type: "image", provider: "automatic1111", model: "v1-5-pruned-emaonly.safetensors", base_url: fake.url });
    expect(byTitle.body).toMatchObject({ ok: true });
    const missing = await h.post("/api/config/models/test", { type: "image", provider: "automatic1111", model: "flux1-dev", base_url: fake.url });
    expect(missing.body.ok).toBe(false);
    expect(JSON.stringify(missing.body)).toMatch(/not installed.*sd_xl_base_1.0/);
  });

  test("sizes: a configured size wins over the family default", () => {
    const entry: ModelEntry = { type: "image", provider: "automatic1111", model: "sd_xl_base_1.0", options: { sizes: { portrait: "832x1216" } } };
    expect(sizeFor(entry, "portrait")).toBe("832x1216");
    expect(sizeFor(entry, "landscape")).toBe("1024x576");
  });
});
