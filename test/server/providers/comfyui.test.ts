// The ComfyUI provider through the real app and the fake ComfyUI: the workflow filled and queued, progress from the
// websocket's step events, outputs read from /history and /view, failures mapped, GPU time priced, resume by prompt id.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { comfyui, FORGOTTEN_READS, fillWorkflow, gpuSeconds, pickOutput, placeholders, SHIPPED_WORKFLOWS } from "../../../server/providers/comfyui.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { startFakeComfyUI, type ComfyUIScenario, type FakeComfyUI } from "../../fakes/comfyui.ts";
import { b64, makePng } from "../../fakes/media.ts";
import { createHarness, tempDir } from "../../helpers.ts";

let fake: FakeComfyUI;
beforeAll(() => {
  fake = startFakeComfyUI();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.steps = 4;
  fake.gpuMs = 2500;
  fake.lateHistoryPolls = 0;
  fake.websockets = true;
  fake.held = false;
  fake.promptAnswerDelayMs = 0;
  fake.stepMs = 5;
});

type MediaKind = "image" | "video" | "audio";
const ONE_ATTEMPT = { image: { max_attempts: 1 }, video: { max_attempts: 1 }, audio: { max_attempts: 1 } };

function harness(type: MediaKind, model: string, options?: Record<string, unknown>) {
  const entry = { type, provider: "comfyui", model, base_url: fake.url, ...(options ? { options } : {}) };
  return createHarness({ config: { models: [entry], jobs: ONE_ATTEMPT } });
}

const since = (from: number) => fake.requests.slice(from);
const png = () => `data:image/png;base64,${b64(makePng(32, 24))}`;

function context(type: MediaKind, model: string, options?: Record<string, unknown>, extra: Partial<CallContext> = {}): CallContext {
  const entry = { type, provider: "comfyui", model, ...(options ? { options } : {}) } as ModelEntry;
  return { entry, baseUrl: fake.url, signal: new AbortController().signal, pollIntervalMs: 5, ...extra };
}

/** Resolves once `check` holds, polling every 5 ms (the test's own timeout bounds it). */
async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await Bun.sleep(5);
}

/** A workflow file in API format written to a temp folder; answers its absolute path. */
function workflowFile(dir: string, name: string, graph: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(graph));
  return path;
}

describe("text-to-image (shipped workflow)", () => {
  test("uploads nothing, queues the filled graph under a client id over a websocket opened first, reads /history, fetches /view", async () => {
    using h = harness("image", "text-to-image", { seed: 42, negative_prompt: "blurry" });
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "a lighthouse at dusk", aspect_ratio: "portrait", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before);
    const ws = sent.find((r) => r.path === "/ws")!;
    const queued = sent.find((r) => r.path === "/prompt")!;
    expect(sent.indexOf(ws)).toBeLessThan(sent.indexOf(queued));
    expect(queued.body.client_id).toBe(ws.query.clientId);
    const graph = queued.body.prompt as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    expect(graph["6"]!.inputs.text).toBe("a lighthouse at dusk");
    expect(graph["7"]!.inputs.text).toBe("blurry");
    expect(graph["3"]!.inputs.seed).toBe(42);
    expect(graph["5"]!.inputs).toMatchObject({ width: 576, height: 1024 });
    expect(graph["4"]!.inputs.ckpt_name).toBe("v1-5-pruned-emaonly-fp16.safetensors");
    const view = sent.find((r) => r.path === "/view")!;
    expect(view.query).toMatchObject({ type: "output", subfolder: "" });
    expect(view.query.filename).toMatch(/^mediagen_\d{5}_\.png$/);
    expect(readFileSync(body.image).subarray(1, 4).toString()).toBe("PNG");
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", provider: "comfyui", cost_usd: 0 });
    expect(row.params).toMatchObject({ seed: 42, gpu_seconds: 2.5 });
    expect(row.params.prompt_id).toBe(sent.find((r) => r.path.startsWith("/history/"))!.path.split("/").pop());
  });

  test("progress comes from the websocket's step events; the prompt id is reported at once", async () => {
    fake.steps = 5;
    const progress: number[] = [];
    const operations: string[] = [];
    const result = await comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", undefined, { onProgress: (p) => progress.push(p), onOperation: (id) => operations.push(id) }));
    expect(progress).toEqual([20, 40, 60, 80, 99]);
    expect(operations).toHaveLength(1);
    expect(result.extra!.prompt_id).toBe(operations[0]);
    expect(result.mimeType).toBe("image/png");
  });

  test("an async job's recorded progress (what the Playground, SSE and MCP show) follows the step events", async () => {
    fake.steps = 10;
    fake.stepMs = 30;
    try {
      using h = harness("image", "text-to-image");
      const accepted = await h.post("/api/media/image", { prompt: "p", async: true, output_dir: h.workDir });
      expect(accepted.status).toBe(202);
      const seen = new Set<number>();
      for (let i = 0; i < 300 && (await h.ledger.get(accepted.body.id))!.status === "running"; i++) {
        const progress = (await h.ledger.get(accepted.body.id))!.progress;
        if (progress !== null) seen.add(progress);
        await Bun.sleep(5);
      }
      expect((await h.ledger.get(accepted.body.id))!.status).toBe("succeeded");
      expect([...seen].some((p) => p > 0 && p < 99)).toBe(true);
      expect((await h.ledger.get(accepted.body.id))!.operation_id).toBeTruthy();
    } finally {
      fake.stepMs = 5;
    }
  });

  test("options.size and options.checkpoint fill width/height and the checkpoint; the seed is random when unset", async () => {
    const before = fake.requests.length;
    const result = await comfyui.image!({ prompt: "p", aspect: "landscape", inputs: [] }, context("image", "text-to-image", { size: "1024x1024", checkpoint: "sdxl.safetensors" }));
    const graph = since(before).find((r) => r.path === "/prompt")!.body.prompt as Record<string, { inputs: Record<string, unknown> }>;
    expect(graph["5"]!.inputs).toMatchObject({ width: 1024, height: 1024 });
    expect(graph["4"]!.inputs.ckpt_name).toBe("sdxl.safetensors");
    expect(typeof graph["3"]!.inputs.seed).toBe("number");
    expect(result.extra!.seed).toBe(graph["3"]!.inputs.seed);
  });

  test("a text-to-image workflow refuses input images before anything is sent", async () => {
    using h = harness("image", "text-to-image");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", images: [png()], output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body.error).toContain("image-edit");
    expect(since(before)).toHaveLength(0);
  });
});

describe("image edit (shipped workflow)", () => {
  test("uploads the input through /upload/image and names it in the LoadImage node", async () => {
    using h = harness("image", "image-edit");
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "make it winter", images: [png()], aspect_ratio: "landscape", output_dir: h.workDir });
    expect(status).toBe(200);
    const sent = since(before);
    const upload = sent.find((r) => r.path === "/upload/image")!;
    expect(upload.method).toBe("POST");
    const part = upload.parts!.find((p) => p.name === "image")!;
    expect(part.filename).toMatch(/^mediagen-.+-1\.png$/);
    expect(upload.body).toMatchObject({ type: "input", overwrite: "true" });
    const graph = sent.find((r) => r.path === "/prompt")!.body.prompt as Record<string, { inputs: Record<string, unknown> }>;
    expect(graph["10"]!.inputs.image).toBe(part.filename!);
    expect(graph["11"]!.inputs).toMatchObject({ width: 1024, height: 576 });
    expect(fake.uploads.get(part.filename!)).toEqual(makePng(32, 24));
    expect((await h.ledger.get(body.id))!.status).toBe("succeeded");
  });

  test("an edit workflow without an input image is refused", async () => {
    using h = harness("image", "image-edit");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(400);
    expect(body.error_type).toBe("invalid_argument");
  });
});

describe("video and audio workflows (from a file)", () => {
  test("a video workflow fills duration and frames; the video node's output (VHS gifs .mp4) is fetched", async () => {
    using dir = tempDir();
    const path = workflowFile(dir.path, "t2v.json", {
      "1": { class_type: "TextPrompt", inputs: { text: "{{prompt}}, cinematic" } },
      "2": { class_type: "EmptyLatentVideo", inputs: { width: "{{width}}", height: "{{height}}", length: "{{frames}}", seconds: "{{duration}}", fps: "{{fps}}" } },
      "3": { class_type: "VHS_VideoCombine", inputs: { frame_count: 121, filename_prefix: "clip", images: ["2", 0] } },
      "4": { class_type: "PreviewImage", inputs: { images: ["2", 0] } },
    });
    using h = harness("video", "wan-local", { workflow: path });
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/video", { prompt: "a fox", duration_seconds: 5, aspect_ratio: "landscape", output_dir: h.workDir });
    expect(status).toBe(200);
    const graph = since(before).find((r) => r.path === "/prompt")!.body.prompt as Record<string, { inputs: Record<string, unknown> }>;
    expect(graph["1"]!.inputs.text).toBe("a fox, cinematic");
    expect(graph["2"]!.inputs).toMatchObject({ width: 1024, height: 576, length: 121, seconds: 5, fps: 24 });
    expect(since(before).find((r) => r.path === "/view")!.query.filename).toMatch(/^clip_\d{5}\.mp4$/);
    expect(body.video ?? body.path ?? body.output_path).toBeDefined();
    expect((await h.ledger.get(body.id))!).toMatchObject({ status: "succeeded", cost_usd: 0 });
  });

  test("an audio workflow's SaveAudio output (.flac under `audio`) is fetched", async () => {
    using dir = tempDir();
    const path = workflowFile(dir.path, "tts.json", {
      "1": { class_type: "SomeTTS", inputs: { text: "{{prompt}}", speaker: "{{voice}}" } },
      "2": { class_type: "SaveAudio", inputs: { filename_prefix: "audio/speech", audio: ["1", 0] } },
    });
    const before = fake.requests.length;
    const result = await comfyui.speech!({ input: "hello", voice: "alba" }, context("audio", "tts", { workflow: path }));
    expect(result.mimeType).toBe("audio/flac");
    expect(since(before).find((r) => r.path === "/view")!.query.filename).toMatch(/\.flac$/);
    expect((since(before).find((r) => r.path === "/prompt")!.body.prompt as Record<string, { inputs: Record<string, unknown> }>)["1"]!.inputs).toEqual({ text: "hello", speaker: "alba" });
  });

  test("pickOutput: saved outputs before temp previews; SaveVideo's images+animated read as video", () => {
    const outputs = {
      "4": { images: [{ filename: "ComfyUI_temp_1.png", subfolder: "", type: "temp" }] },
      "9": { images: [{ filename: "a_00001_.png", subfolder: "x", type: "output" }] },
      "12": { images: [{ filename: "v_00001_.mp4", subfolder: "video", type: "output" }], animated: [true] },
    };
    expect(pickOutput(outputs, "image")).toMatchObject({ filename: "a_00001_.png", subfolder: "x" });
    expect(pickOutput(outputs, "video")).toMatchObject({ filename: "v_00001_.mp4", subfolder: "video" });
    expect(pickOutput(outputs, "audio")).toBeUndefined();
  });
});

describe("placeholders and workflows", () => {
  test("a whole-string placeholder keeps the value's type; one inside text is replaced as text; an unknown one is refused", () => {
    expect(fillWorkflow({ a: "{{seed}}", b: "x {{prompt}} y", c: ["{{ width }}", 3] }, { seed: 7, prompt: "p", width: 64 })).toEqual({ a: 7, b: "x p y", c: [64, 3] });
    expect(() => fillWorkflow({ a: "{{mystery}}" }, {})).toThrow(/mystery/);
    expect([...placeholders(SHIPPED_WORKFLOWS["image-edit"])].sort()).toEqual(["checkpoint", "height", "image", "negative_prompt", "prompt", "seed", "width"]);
  });

  test("a relative path, a missing file, and a UI-format (not API) workflow are refused with a hint", async () => {
    using dir = tempDir();
    const ui = workflowFile(dir.path, "ui.json", { nodes: [{ id: 1, type: "KSampler" }], links: [] });
    for (const [workflow, said] of [["my.json", "absolute path"], [join(dir.path, "nope.json"), "cannot read"], [ui, "Export (API)"]]) {
      const error = await comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "x", { workflow })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).type).toBe("invalid_argument");
      expect((error as AppError).message).toContain(said!);
    }
  });

  test("gpuSeconds reads execution_start to execution_success, else the wall time", () => {
    const entry = { status: { messages: [["execution_start", { timestamp: 1000 }], ["execution_success", { timestamp: 4250 }]] } };
    expect(gpuSeconds(entry)).toBe(3.25);
    expect(gpuSeconds({}, 1500)).toBe(1.5);
  });
});

describe("failures", () => {
  test.each([
    ["invalid", 502, "api_error", "prompt_outputs_failed_validation"],
    ["exec_error", 502, "api_error", "CUDA out of memory"],
    ["interrupted", 502, "api_error", "interrupted"],
    ["no_output", 502, "empty_response", "without a image output"],
  ] as [ComfyUIScenario, number, string, string][])("%s -> %i %s", async (scenario, status, errorType, said) => {
    using h = harness("image", "text-to-image");
    const response = await h.post("/api/media/image", { prompt: `p [[fake:${scenario}]]`, output_dir: h.workDir });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, error_type: errorType });
    expect(response.body.error).toContain(said);
  });

  test("an unknown checkpoint is ComfyUI's validation 400, told with the node and the details", async () => {
    const error = await comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", { checkpoint: "missing.safetensors" })).catch((e: unknown) => e);
    expect((error as AppError).type).toBe("api_error");
    expect((error as AppError).message).toContain("node 4 (CheckpointLoaderSimple): Value not in list - ckpt_name: 'missing.safetensors'");
  });

  test("nothing listening is a network_error marked not sent", async () => {
    const error = await comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", undefined, { baseUrl: "http://127.0.0.1:9" })).catch((e: unknown) => e);
    expect((error as AppError).type).toBe("network_error");
    expect((error as AppError).requestNotSent).toBe(true);
  });

  test("a cancelled job deletes its prompt from the queue and interrupts it when it is the one running", async () => {
    fake.steps = 50;
    const abort = new AbortController();
    const before = fake.requests.length;
    const started = comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", undefined, { signal: abort.signal, onProgress: () => abort.abort() }));
    const error = await started.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const sent = since(before);
    const deleted = sent.find((r) => r.method === "POST" && r.path === "/queue")!.body.delete as string[];
    expect(deleted).toHaveLength(1);
    expect(sent.some((r) => r.method === "GET" && r.path === "/queue")).toBe(true);
    expect(sent.find((r) => r.path === "/interrupt")!.body).toEqual({ prompt_id: deleted[0] });
    await Bun.sleep(100);
    expect(fake.events.some((e) => e.type === "execution_interrupted" && (e.data as { prompt_id: string }).prompt_id === deleted[0])).toBe(true);
  });

  test("a shutdown (interrupted) leaves the prompt in ComfyUI's queue, to be resumed at the next start", async () => {
    fake.held = true;
    const abort = new AbortController();
    const operations: string[] = [];
    const before = fake.requests.length;
    const progress: number[] = [];
    const started = comfyui.image!(
      { prompt: "p", aspect: "square", inputs: [] },
      context("image", "text-to-image", undefined, { signal: abort.signal, onOperation: (id) => operations.push(id), onProgress: (p) => progress.push(p) }),
    );
    await waitFor(() => progress.length > 0);
    abort.abort(new AppError("interrupted", "The daemon stopped"));
    expect(await started.catch((e: unknown) => e)).toMatchObject({ type: "interrupted" });
    const sent = since(before);
    expect(sent.some((r) => r.method === "POST" && (r.path === "/queue" || r.path === "/interrupt"))).toBe(false);
    // ComfyUI finishes it; the next start's resume reads the result.
    fake.held = false;
    const result = await comfyui.resumeVideo!(operations[0]!, context("image", "text-to-image"));
    expect(result.mimeType).toBe("image/png");
  });

  test("step events sent before POST /prompt answers (an idle ComfyUI starts at once) still report progress and end the wait", async () => {
    fake.promptAnswerDelayMs = 150;
    // The history lags the end by one read, so the wait after it must be woken by the end event.
    fake.lateHistoryPolls = 1;
    const progress: number[] = [];
    const before = fake.requests.length;
    const started = performance.now();
    const job = { prompt: "p [[fake:late_history]]", aspect: "square" as const, inputs: [] };
    const result = await comfyui.image!(job, context("image", "text-to-image", undefined, { onProgress: (p) => progress.push(p), pollIntervalMs: 60_000 }));
    expect(result.mimeType).toBe("image/png");
    expect(progress).toEqual([25, 50, 75, 99]);
    // The end event, kept until the id was known, woke the wait: the second history read came at once, not a minute later.
    expect(since(before).filter((r) => r.path.startsWith("/history/"))).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  test("without a websocket (refused upgrade) the prompt is followed by polling /history", async () => {
    fake.websockets = false;
    const progress: number[] = [];
    const before = fake.requests.length;
    const result = await comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", undefined, { onProgress: (p) => progress.push(p) }));
    expect(result.mimeType).toBe("image/png");
    expect(progress).toEqual([]);
    expect(since(before).filter((r) => r.path.startsWith("/history/")).length).toBeGreaterThanOrEqual(1);
  });

  test("history read late after the end is waited for", async () => {
    fake.lateHistoryPolls = 2;
    const result = await comfyui.image!({ prompt: "p [[fake:late_history]]", aspect: "square", inputs: [] }, context("image", "text-to-image"));
    expect(result.mimeType).toBe("image/png");
  });
});

describe("cost", () => {
  test("free by default; options.gpu_usd_per_second prices the GPU seconds the history reports", async () => {
    fake.gpuMs = 4000;
    using h = harness("image", "text-to-image", { gpu_usd_per_second: 0.0005 });
    const { body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    const row = (await h.ledger.get(body.id))!;
    expect(row.cost_usd).toBeCloseTo(0.002, 10);
    expect(row.cost_source).toBe("upstream");
    expect(row.params.gpu_seconds).toBe(4);
  });
});

describe("resume and connection", () => {
  test("resumeVideo of a prompt that has finished reads it from /history (no longer queued: no websocket) and downloads its output", async () => {
    const operations: string[] = [];
    await comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", undefined, { onOperation: (id) => operations.push(id) }));
    const before = fake.requests.length;
    const result = await comfyui.resumeVideo!(operations[0]!, context("image", "text-to-image", { gpu_usd_per_second: 0.001 }));
    expect(result.mimeType).toBe("image/png");
    expect(result.costUsd).toBeCloseTo(0.0025, 10);
    const sent = since(before).map((r) => r.path);
    expect(sent).toEqual(["/queue", `/history/${operations[0]}`, "/view"]);
  });

  test("a resumed prompt ComfyUI forgot (restarted: neither queued nor in its history) fails at once, not at the deadline", async () => {
    const operations: string[] = [];
    await comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", undefined, { onOperation: (id) => operations.push(id) }));
    fake.restart();
    const before = fake.requests.length;
    const error = await comfyui.resumeVideo!(operations[0]!, context("image", "text-to-image")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).type).toBe("api_error");
    expect((error as AppError).message).toContain(`ComfyUI no longer knows prompt ${operations[0]}`);
    const sent = since(before).map((r) => r.path);
    expect(sent.filter((path) => path === `/history/${operations[0]}`)).toHaveLength(FORGOTTEN_READS);
    // One look at the queue for the prompt's client id, then one beside each empty history read.
    expect(sent.filter((path) => path === "/queue")).toHaveLength(FORGOTTEN_READS + 1);
  });

  test("a resumed prompt still running gets a websocket under the client id it was queued with: its later steps report progress", async () => {
    fake.held = true;
    const operations: string[] = [];
    const clients: string[] = [];
    const before = fake.requests.length;
    const first = comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", undefined, { onOperation: (id) => operations.push(id) }));
    await waitFor(() => operations.length > 0 && fake.events.some((e) => e.type === "progress" && (e.data as { prompt_id?: string }).prompt_id === operations[0]));
    clients.push(...since(before).filter((r) => r.path === "/ws").map((r) => r.query.clientId!));
    const progress: number[] = [];
    const resumedFrom = fake.requests.length;
    const resumed = comfyui.resumeVideo!(operations[0]!, context("image", "text-to-image", undefined, { onProgress: (p) => progress.push(p) }));
    await waitFor(() => since(resumedFrom).some((r) => r.path === "/ws"));
    fake.held = false;
    const result = await resumed;
    await first;
    expect(result.extra).toMatchObject({ prompt_id: operations[0] });
    expect(since(resumedFrom).filter((r) => r.path === "/ws").map((r) => r.query.clientId)).toEqual(clients);
    // Steps 2 to 4 of 4 ran after the resumed socket opened.
    expect(progress).toEqual([50, 75, 99]);
  });

  test("a resumed prompt still running in ComfyUI's queue is waited for however long its history stays empty", async () => {
    fake.held = true;
    fake.websockets = false;
    const operations: string[] = [];
    const first = comfyui.image!({ prompt: "p", aspect: "square", inputs: [] }, context("image", "text-to-image", undefined, { onOperation: (id) => operations.push(id) }));
    await waitFor(() => operations.length > 0);
    const before = fake.requests.length;
    const resumed = comfyui.resumeVideo!(operations[0]!, context("image", "text-to-image"));
    await waitFor(() => since(before).filter((r) => r.path === "/queue").length > FORGOTTEN_READS * 2);
    fake.held = false;
    const [original, result] = await Promise.all([first, resumed]);
    expect(result.mimeType).toBe("image/png");
    expect(result.extra).toMatchObject({ prompt_id: operations[0], output: original.extra!.output });
  });

  test("testConnection reads /system_stats and checks the workflow", async () => {
    const message = await comfyui.testConnection!(context("image", "text-to-image"));
    expect(message).toContain("ComfyUI 0.3.68");
    expect(message).toContain("RTX 4090");
    const bad = await comfyui.testConnection!(context("image", "nope")).catch((e: unknown) => e);
    expect((bad as AppError).type).toBe("invalid_argument");
  });

  test("POST /api/config/models/test works without a key; the Models page lists comfyui with its shipped workflows", async () => {
    using h = createHarness();
    const tested = await h.post("/api/config/models/test", { type: "image", provider: "comfyui", model: "text-to-image", base_url: fake.url });
    expect(tested.body).toMatchObject({ ok: true, provider: "comfyui" });
    const { body } = await h.get("/api/config/catalog");
    const provider = (body.providers as { id: string; types: string[]; models: Record<string, string[]> }[]).find((p) => p.id === "comfyui")!;
    expect(provider.types).toContain("image");
    expect(provider.models.image).toEqual(["text-to-image", "image-edit"]);
  });
});
