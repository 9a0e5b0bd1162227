// The built executable under crashes, kills and disconnects: provider operations (Veo, OpenRouter, DashScope, fal and
// Seedance video jobs, Replicate predictions, ComfyUI prompts) survive kill -9 and SIGTERM and finish at the next start
// with one submission (a ComfyUI that forgot its prompt fails the job at once); a killed image generation without an
// operation is recorded as interrupted with its temp files cleaned; a blocking caller that hangs up does not cancel its
// job, and its Idempotency-Key replays the result.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { startFakeComfyUI, type FakeComfyUI } from "../fakes/comfyui.ts";
import { startFakeDashScope, type FakeDashScope } from "../fakes/dashscope.ts";
import { startFakeFal, type FakeFal } from "../fakes/fal.ts";
import { startFakeGemini, type FakeGemini } from "../fakes/gemini.ts";
import { makePng } from "../fakes/media.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai.ts";
import { startFakeOpenRouter, type FakeOpenRouter } from "../fakes/openrouter.ts";
import { startFakeReplicate, type FakeReplicate } from "../fakes/replicate.ts";
import { startFakeArk, type FakeArk } from "../fakes/volcengine.ts";
import { tempDir } from "../helpers.ts";
import {
  BUILD_TIMEOUT_MS,
  cleanEnv,
  curl,
  formatOf,
  getJson,
  poll,
  postJson,
  prepareExecutable,
  readLedgerRow,
  startDaemon,
  writeConfig,
  type CurlResult,
  type Daemon,
} from "./daemon.ts";

const TEST_TIMEOUT_MS = 120_000;
/** Polls of a provider operation the fakes answer "pending" to while a test holds it open. */
const FOREVER = 1_000_000_000;
/** The daemon polls long-running operations this often in these tests, in seconds. */
const POLL_INTERVAL_SECONDS = "0.05";

const root = tempDir("mediagen-e2e-recovery-");
const home = join(root.path, "home");
let binary = "";
let runDir = "";
let gemini: FakeGemini;
let openrouter: FakeOpenRouter;
let openai: FakeOpenAI;
let dashscope: FakeDashScope;
let ark: FakeArk;
let falFake: FakeFal;
let replicateFake: FakeReplicate;
let comfy: FakeComfyUI;
const daemons: Daemon[] = [];
const curls: ReturnType<typeof Bun.spawn>[] = [];
let folders = 0;

beforeAll(async () => {
  const started = performance.now();
  ({ binary, runDir } = await prepareExecutable(root.path));
  console.log(`e2e recovery: executable ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  mkdirSync(home, { recursive: true });
  gemini = startFakeGemini();
  openrouter = startFakeOpenRouter();
  openai = startFakeOpenAI();
  dashscope = startFakeDashScope();
  ark = startFakeArk();
  falFake = startFakeFal();
  replicateFake = startFakeReplicate();
  comfy = startFakeComfyUI();
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const proc of curls) proc.kill("SIGKILL");
  await Promise.all(daemons.map((daemon) => daemon.dispose()));
  await Promise.all([gemini?.close(), openrouter?.close(), openai?.close(), dashscope?.close(), ark?.close(), falFake?.close(), replicateFake?.close(), comfy?.close()]);
  root[Symbol.dispose]();
});

/** A fresh data folder with `config` and an empty output folder, for one test. */
function setup(config: Record<string, unknown>) {
  const base = join(root.path, `case-${++folders}`);
  const dataDir = join(base, "data");
  const workDir = join(base, "work");
  mkdirSync(workDir, { recursive: true });
  writeConfig(dataDir, config);
  return { dataDir, workDir, outDir: join(workDir, "assets", "generated") };
}

/** Starts the executable on `dataDir` from its empty folder, polling operations every 50 ms. */
async function launch(dataDir: string): Promise<Daemon> {
  const daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir, env: cleanEnv({ HOME: home, MEDIAGEN_POLL_INTERVAL_SECONDS: POLL_INTERVAL_SECONDS }) });
  daemons.push(daemon);
  return daemon;
}

/** kill -9, and wait until the process is gone. */
async function killHard(daemon: Daemon): Promise<void> {
  daemon.proc.kill("SIGKILL");
  await daemon.waitExit(15_000);
  expect(daemon.proc.signalCode).toBe("SIGKILL");
}

/** A prompt with a unique marker, so its requests and ledger row can be found. */
function marked(text: string): { prompt: string; marker: string } {
  const marker = `m-${crypto.randomUUID().slice(0, 8)}`;
  return { prompt: `${text} ${marker}`, marker };
}

/** curl that may end without an answer (the daemon was killed under it). */
function settle(request: Promise<CurlResult>): Promise<CurlResult | Error> {
  return request.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

/** The id of the ledger row whose prompt contains `marker`, once it exists. */
function rowIdOf(daemon: Daemon, marker: string): Promise<string> {
  return poll(
    async () => {
      const items = (await getJson(`${daemon.url}/api/generations?q=${marker}`)).json<{ items: { id: string }[] }>().items;
      return items[0]?.id;
    },
    20_000,
    `a ledger row for ${marker}`,
    100,
  );
}

/** Resolves once the job is running at its provider with an operation id recorded in the ledger; returns that id. */
function operationOf(daemon: Daemon, id: string): Promise<string> {
  return poll(
    async () => {
      const job = (await getJson(`${daemon.url}/api/media/jobs/${id}`)).json();
      expect(job.status).not.toBe("succeeded");
      if (job.status !== "running") return undefined;
      const row = (await getJson(`${daemon.url}/api/generations/${id}`)).json();
      return typeof row.operation_id === "string" ? row.operation_id : undefined;
    },
    30_000,
    `job ${id} to hold a provider operation`,
    100,
  );
}

/**
 * Polls jobs until every one has ended, checking on every look that a job reported succeeded has its file on disk.
 * Returns the final job views.
 */
async function watchUntilDone(daemon: Daemon, ids: string[], timeoutMs = 45_000): Promise<Record<string, any>[]> {
  return poll(
    async () => {
      const views = await Promise.all(ids.map(async (id) => (await getJson(`${daemon.url}/api/media/jobs/${id}`)).json()));
      for (const view of views) {
        if (view.status !== "succeeded") continue;
        const path = String(view.result?.video ?? view.result?.image ?? "");
        if (!existsSync(path)) throw new Error(`job ${view.id} reported succeeded before its file ${path} existed`);
      }
      return views.every((view) => !["queued", "running"].includes(view.status)) ? views : undefined;
    },
    timeoutMs,
    `jobs ${ids.join(", ")} to end`,
    25,
  );
}

/** Requests a fake received whose path is exactly `path`. */
const hits = (requests: { path: string }[], path: string) => requests.filter((r) => r.path === path).length;

/** A video provider whose long-running operations a test can hold open and then let finish. */
interface VideoCase {
  provider: "gemini" | "openrouter" | "dashscope" | "fal";
  model: string;
  /** Durations of the async and the blocking job, in seconds (the model's own durations where it has few). */
  seconds?: [number, number];
  entry(): Record<string, unknown>;
  hold(): void;
  finish(): void;
  restore(): void;
  /** Submissions (paid requests) the fake received for prompts containing `marker`. */
  submits(marker: string): number;
  /** Path the daemon polls for an operation id. */
  pollPath(operationId: string): string;
  requests(): { path: string }[];
  operationPattern: RegExp;
  costSource: "catalog" | "upstream";
  /** USD per second of 720p video. */
  perSecond: number;
}

const VIDEO_CASES: VideoCase[] = [
  {
    provider: "gemini",
    model: "veo-3.1-generate-preview",
    entry: () => ({ type: "video", provider: "gemini", model: "veo-3.1-generate-preview", api_key: gemini.key, base_url: gemini.url }),
    hold: () => void (gemini.pendingPolls = FOREVER),
    finish: () => void (gemini.pendingPolls = 0),
    restore: () => void (gemini.pendingPolls = 2),
    submits: (marker) => gemini.requests.filter((r) => r.path.endsWith(":predictLongRunning") && JSON.stringify(r.body).includes(marker)).length,
    pollPath: (operationId) => `/v1beta/${operationId}`,
    requests: () => gemini.requests,
    operationPattern: /^models\/veo-3\.1-generate-preview\/operations\/[a-z0-9]+$/,
    // The price catalogue: veo-3.1 at 720p, $0.40 a second.
    costSource: "catalog",
    perSecond: 0.4,
  },
  {
    provider: "openrouter",
    model: "google/veo-3.1",
    entry: () => ({ type: "video", provider: "openrouter", model: "google/veo-3.1", api_key: openrouter.key, base_url: `${openrouter.url}/api/v1` }),
    hold: () => void (openrouter.pendingPolls = FOREVER),
    finish: () => void (openrouter.pendingPolls = 0),
    restore: () => void (openrouter.pendingPolls = 2),
    submits: (marker) => openrouter.requests.filter((r) => r.method === "POST" && r.path === "/api/v1/videos" && String(r.body.prompt).includes(marker)).length,
    pollPath: (operationId) => `/api/v1/videos/${operationId}`,
    requests: () => openrouter.requests,
    operationPattern: /^job-[a-z0-9]+$/,
    // OpenRouter's usage.cost for google/veo-3.1 at 720p: $0.40 a second.
    costSource: "upstream",
    perSecond: 0.4,
  },
  {
    provider: "dashscope",
    model: "wan2.5-t2v-preview",
    seconds: [5, 5],
    entry: () => ({ type: "video", provider: "dashscope", model: "wan2.5-t2v-preview", api_key: dashscope.key, base_url: dashscope.url }),
    hold: () => void (dashscope.pendingPolls = FOREVER),
    finish: () => void (dashscope.pendingPolls = 0),
    restore: () => void (dashscope.pendingPolls = 2),
    submits: (marker) =>
      dashscope.requests.filter((r) => r.method === "POST" && r.path === "/api/v1/services/aigc/video-generation/video-synthesis" && JSON.stringify(r.body).includes(marker)).length,
    pollPath: (operationId) => `/api/v1/tasks/${operationId}`,
    requests: () => dashscope.requests,
    operationPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    // The price catalogue: wan2.5-t2v-preview at 720P, CNY 0.60 a second converted at 7.1 = $0.0845.
    costSource: "catalog",
    perSecond: 0.0845,
  },
  {
    provider: "fal",
    model: "fal-ai/kling-video/v2.1/master/text-to-video",
    seconds: [5, 10],
    entry: () => ({ type: "video", provider: "fal", model: "fal-ai/kling-video/v2.1/master/text-to-video", api_key: falFake.key, base_url: falFake.url }),
    hold: () => void (falFake.pendingPolls = FOREVER),
    finish: () => void (falFake.pendingPolls = 0),
    restore: () => void (falFake.pendingPolls = 2),
    submits: (marker) => falFake.requests.filter((r) => r.method === "POST" && r.path === "/fal-ai/kling-video/v2.1/master/text-to-video" && String(r.body.prompt).includes(marker)).length,
    pollPath: (operationId) => `/fal-ai/kling-video/requests/${operationId}/status`,
    requests: () => falFake.requests,
    operationPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    // The price catalogue: Kling 2.1 master on fal, $0.28 a second.
    costSource: "catalog",
    perSecond: 0.28,
  },
];

describe.each(VIDEO_CASES)("kill -9 during a video job at $provider", (video) => {
  test(
    "the async job and the blocking one resume at the next start and are saved where they were asked to go",
    async () => {
      const { dataDir, workDir, outDir } = setup({ models: [video.entry()], jobs: { video: { concurrency: 2 } } });
      video.hold();
      try {
        const first = await launch(dataDir);
        const asyncJob = marked("A timelapse of clouds over a city skyline");
        const [asyncSeconds, blockingSeconds] = video.seconds ?? [6, 8];
        const accepted = await postJson(`${first.url}/api/media/video`, { prompt: asyncJob.prompt, duration_seconds: asyncSeconds, output_dir: workDir, async: true });
        expect(accepted.status).toBe(202);
        const asyncId = String(accepted.json().task_id);

        const blockingJob = marked("A paper boat drifting down a rainy street");
        const blocking = settle(postJson(`${first.url}/api/media/video`, { prompt: blockingJob.prompt, duration_seconds: blockingSeconds, output_dir: workDir }, ["--max-time", "100"]));
        const blockingId = await rowIdOf(first, blockingJob.marker);

        const operations = { [asyncId]: await operationOf(first, asyncId), [blockingId]: await operationOf(first, blockingId) };
        for (const operation of Object.values(operations)) expect(operation).toMatch(video.operationPattern);
        // Let the daemon poll each operation at least once before killing it.
        await poll(() => (Object.values(operations).every((op) => hits(video.requests(), video.pollPath(op)) > 1) ? true : undefined), 20_000, "polls of both operations");

        await killHard(first);
        const lost = await blocking;
        expect(lost).toBeInstanceOf(Error);
        for (const id of [asyncId, blockingId]) {
          expect(readLedgerRow(dataDir, id)).toMatchObject({ status: "running", operation_id: operations[id], output_path: null, finished_at: null });
        }

        video.finish();
        const second = await launch(dataDir);
        await second.waitForLine(/2 generation\(s\) of the previous run resumed at their provider/);
        for (const id of [asyncId, blockingId]) {
          const line = await second.waitForLine(new RegExp(`resuming video job ${id}: polling ${video.provider} operation`));
          expect(line).toContain(operations[id]!);
        }
        expect(second.stdout()).not.toContain("recorded as interrupted");

        const views = await watchUntilDone(second, [asyncId, blockingId]);
        const seconds = { [asyncId]: asyncSeconds, [blockingId]: blockingSeconds };
        for (const view of views) {
          const id = String(view.id);
          expect(view).toMatchObject({ status: "succeeded", type: "video", provider: video.provider, model: video.model });
          const path = String(view.result.video);
          expect(path.startsWith(outDir + "/")).toBe(true);
          const bytes = new Uint8Array(readFileSync(path));
          expect(formatOf(bytes)).toBe("mp4");
          const cost = video.perSecond * seconds[id]!;
          expect(view.result).toMatchObject({ success: true, video: path, duration_seconds: seconds[id] });
          expect(view.result.cost_usd).toBeCloseTo(cost, 10);
          const row = (await getJson(`${second.url}/api/generations/${id}`)).json();
          expect(row).toMatchObject({ status: "succeeded", output_path: path, bytes: bytes.length, duration_seconds: seconds[id], cost_source: video.costSource, operation_id: operations[id] });
          expect(row.cost_usd).toBeCloseTo(cost, 10);
        }
        // Resumed, not submitted (and paid for) a second time.
        expect(video.submits(asyncJob.marker)).toBe(1);
        expect(video.submits(blockingJob.marker)).toBe(1);
        expect(readdirSync(outDir).filter((name) => name.startsWith(".mediagen-"))).toEqual([]);
        expect(await second.stop("SIGTERM")).toBe(0);
      } finally {
        video.restore();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

/** An image provider whose work is an operation the daemon polls (a prediction, a queued prompt), held open by the test. */
interface ImageOperationCase {
  provider: "replicate" | "comfyui";
  model: string;
  /** How the request is sent: async (202 and a job id) or blocking as the skill sends it (the caller dies with the daemon). */
  mode: "async" | "blocking";
  /** Text the prompt carries for the fake (a scenario marker) besides the test's own. */
  promptTail: string;
  entry(): Record<string, unknown>;
  hold(): void;
  finish(): void;
  restore(): void;
  /** Resolves once the fake is working on the operation and has said so (a poll answered pending, a step event sent). */
  underWay(operationId: string): Promise<unknown>;
  /** What the running job shows before the kill (ComfyUI: progress from the first step event). */
  runningView?: Record<string, unknown>;
  /** A count of the daemon's requests that follow the operation (polls, websockets); it grows once a restart picks it up. */
  followed(operationId: string): number;
  /** What the resumed job's ledger row shows beyond the file and cost (ComfyUI: progress from the later step events). */
  resumedRow?: Record<string, unknown>;
  /** Creations (paid or GPU-spending submissions) the fake received for prompts containing `marker`. */
  creates(marker: string): number;
  operationPattern: RegExp;
  costSource: "catalog" | "upstream";
  costUsd: number;
  /** Params the resumed result adds to the ledger row. */
  params(operationId: string): Record<string, unknown>;
}

/** Polls the fake Replicate's GET /v1/predictions/{id} received. */
const predictionPolls = (id: string) => replicateFake.requests.filter((r) => r.method === "GET" && r.path === `/v1/predictions/${id}`).length;

const IMAGE_OPERATION_CASES: ImageOperationCase[] = [
  {
    provider: "replicate",
    model: "black-forest-labs/flux-schnell",
    mode: "blocking",
    // `Prefer: wait` runs out: the prediction is answered `processing` and polled.
    promptTail: "[[fake:slow_prediction]]",
    entry: () => ({ type: "image", provider: "replicate", model: "black-forest-labs/flux-schnell", api_key: replicateFake.key, base_url: replicateFake.url }),
    hold: () => void (replicateFake.pendingPolls = FOREVER),
    finish: () => void (replicateFake.pendingPolls = 0),
    restore: () => void (replicateFake.pendingPolls = 2),
    underWay: (id) => poll(() => (predictionPolls(id) > 1 ? true : undefined), 20_000, `polls of prediction ${id}`),
    followed: predictionPolls,
    creates: (marker) =>
      replicateFake.requests.filter((r) => r.method === "POST" && r.path === "/v1/models/black-forest-labs/flux-schnell/predictions" && JSON.stringify(r.body).includes(marker)).length,
    operationPattern: /^[a-z0-9]{26}$/,
    // The price catalogue: flux-schnell on Replicate, $0.003 per output image (metrics.image_count 1).
    costSource: "catalog",
    costUsd: 0.003,
    params: (id) => ({ prediction_id: id, predict_time: 1.2 }),
  },
  {
    provider: "comfyui",
    model: "text-to-image",
    mode: "async",
    promptTail: "",
    entry: () => ({ type: "image", provider: "comfyui", model: "text-to-image", base_url: comfy.url, options: { gpu_usd_per_second: 0.001 } }),
    hold: () => void (comfy.held = true),
    finish: () => void (comfy.held = false),
    restore: () => void (comfy.held = false),
    underWay: (id) => poll(() => (comfy.events.some((e) => e.type === "progress" && (e.data as { prompt_id?: string }).prompt_id === id) ? true : undefined), 20_000, `a step event of prompt ${id}`),
    // The first of four step events, seen over the websocket: 25 %.
    runningView: { status: "running", progress: 25 },
    // The restarted daemon opens a websocket again under the prompt's client id (read from GET /queue).
    followed: () => comfy.requests.filter((r) => r.path === "/ws").length,
    // Steps 2 to 4 arrive over that websocket after the restart: the last, capped, is 99 %.
    resumedRow: { progress: 99 },
    creates: (marker) => comfy.requests.filter((r) => r.method === "POST" && r.path === "/prompt" && JSON.stringify(r.body).includes(marker)).length,
    operationPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    // The GPU seconds the history reports (execution_start to execution_success: 2.5 s) at $0.001 a second.
    costSource: "upstream",
    costUsd: 0.0025,
    params: (id) => ({ prompt_id: id, gpu_seconds: 2.5 }),
  },
];

describe.each(IMAGE_OPERATION_CASES)("kill -9 during an image operation at $provider", (image) => {
  test(
    "the job resumes by its operation id at the next start: one submission, the file saved, the cost recorded",
    async () => {
      const { dataDir, workDir, outDir } = setup({ models: [image.entry()] });
      image.hold();
      try {
        const first = await launch(dataDir);
        const job = marked("A red fox in fresh snow");
        const prompt = `${job.prompt} ${image.promptTail}`.trim();
        let id: string;
        let caller: Promise<CurlResult | Error> | undefined;
        if (image.mode === "async") {
          const accepted = await postJson(`${first.url}/api/media/image`, { prompt, output_dir: workDir, async: true });
          expect(accepted.status).toBe(202);
          id = String(accepted.json().task_id);
        } else {
          caller = settle(postJson(`${first.url}/api/media/image`, { prompt, output_dir: workDir }, ["--max-time", "100"]));
          id = await rowIdOf(first, job.marker);
        }
        const operation = await operationOf(first, id);
        expect(operation).toMatch(image.operationPattern);
        await image.underWay(operation);
        if (image.runningView) {
          const view = await poll(
            async () => {
              const current = (await getJson(`${first.url}/api/media/jobs/${id}`)).json();
              return current.progress === undefined ? undefined : current;
            },
            20_000,
            `job ${id} to report progress`,
          );
          expect(view).toMatchObject(image.runningView);
        }

        await killHard(first);
        if (caller) expect(await caller).toBeInstanceOf(Error);
        expect(readLedgerRow(dataDir, id)).toMatchObject({ status: "running", operation_id: operation, output_path: null, finished_at: null });

        // Still held: the restarted daemon picks the operation up while the provider is still working on it.
        const followedBefore = image.followed(operation);
        const second = await launch(dataDir);
        const line = await second.waitForLine(new RegExp(`resuming image job ${id}: polling ${image.provider} operation`));
        expect(line).toContain(operation);
        expect(second.stdout()).not.toContain("recorded as interrupted");
        await poll(() => (image.followed(operation) > followedBefore ? true : undefined), 20_000, `the restarted daemon to follow ${operation}`);
        image.finish();

        const [view] = await watchUntilDone(second, [id]);
        expect(view).toMatchObject({ status: "succeeded", type: "image", provider: image.provider, model: image.model });
        const path = String(view!.result.image);
        expect(path.startsWith(outDir + "/")).toBe(true);
        const bytes = new Uint8Array(readFileSync(path));
        expect(formatOf(bytes)).toBe("png");
        expect(view!.result).toMatchObject({ success: true, image: path, prompt });
        expect(view!.result.cost_usd).toBeCloseTo(image.costUsd, 10);
        const row = (await getJson(`${second.url}/api/generations/${id}`)).json();
        expect(row).toMatchObject({ status: "succeeded", output_path: path, bytes: bytes.length, cost_source: image.costSource, operation_id: operation, door: "api" });
        expect(row.cost_usd).toBeCloseTo(image.costUsd, 10);
        expect(row.params).toMatchObject(image.params(operation));
        if (image.resumedRow) expect(row).toMatchObject(image.resumedRow);
        // Resumed, not submitted (and paid for, or run on the GPU) a second time.
        expect(image.creates(job.marker)).toBe(1);
        expect(readdirSync(outDir)).toEqual([basename(path)]);
        expect(await second.stop("SIGTERM")).toBe(0);
      } finally {
        image.restore();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe("kill -9 during a ComfyUI prompt, and ComfyUI restarted too (a reboot)", () => {
  const image = IMAGE_OPERATION_CASES.find((c) => c.provider === "comfyui")!;
  test(
    "the resumed job finds the prompt gone from ComfyUI's queue and history and fails at once, saying so, without resubmitting",
    async () => {
      const { dataDir, workDir, outDir } = setup({ models: [image.entry()] });
      comfy.held = true;
      try {
        const first = await launch(dataDir);
        const job = marked("A tram in the rain at night");
        const accepted = await postJson(`${first.url}/api/media/image`, { prompt: job.prompt, output_dir: workDir, async: true });
        expect(accepted.status).toBe(202);
        const id = String(accepted.json().task_id);
        const operation = await operationOf(first, id);
        await image.underWay(operation);

        await killHard(first);
        comfy.restart();
        comfy.held = false;
        const second = await launch(dataDir);
        await second.waitForLine(new RegExp(`resuming image job ${id}: polling comfyui operation ${operation}`));
        const [view] = await watchUntilDone(second, [id], 20_000);
        expect(view).toMatchObject({ status: "failed", error_type: "api_error", result: { success: false, image: null } });
        expect(String(view!.error)).toContain(`ComfyUI no longer knows prompt ${operation}`);
        const row = (await getJson(`${second.url}/api/generations/${id}`)).json();
        expect(row).toMatchObject({ status: "failed", error_type: "api_error", output_path: null, operation_id: operation });
        expect(image.creates(job.marker)).toBe(1);
        expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
        expect(await second.stop("SIGTERM")).toBe(0);
      } finally {
        comfy.held = false;
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe("kill -9 during a Seedance task", () => {
  test(
    "the task answered with the original's receipt resumes at the next start; /video/status answers running, then the saved video",
    async () => {
      const { dataDir, workDir, outDir } = setup({ models: [{ type: "video", provider: "volcengine", model: "seedance-1-0-pro-250528", api_key: ark.key, base_url: ark.url }] });
      ark.pendingPolls = FOREVER;
      try {
        const first = await launch(dataDir);
        const job = marked("A kite over a windy beach");
        const receipt = await postJson(`${first.url}/api/media/video`, { prompt: job.prompt, duration_seconds: 5, output_dir: workDir });
        expect(receipt.status).toBe(200);
        const body = receipt.json();
        expect(body).toMatchObject({ success: true, status: "submitted", provider: "volcengine", model: "seedance-1-0-pro-250528", ratio: "16:9", duration_seconds: 5 });
        const id = String(body.task_id);
        const taskId = await operationOf(first, id);
        expect(taskId).toMatch(/^cgt-\d{14}-[a-z0-9]+$/);
        await poll(() => (hits(ark.requests, `/api/v3/contents/generations/tasks/${taskId}`) > 1 ? true : undefined), 20_000, "polls of the task");
        expect((await getJson(`${first.url}/api/media/video/status?task_id=${id}`)).json()).toMatchObject({ success: true, status: "running", task_id: id });

        await killHard(first);
        expect(readLedgerRow(dataDir, id)).toMatchObject({ status: "running", operation_id: taskId, output_path: null });

        ark.pendingPolls = 0;
        const second = await launch(dataDir);
        await second.waitForLine(new RegExp(`resuming video job ${id}: polling volcengine operation ${taskId}`));
        const done = await poll(
          async () => {
            const status = (await getJson(`${second.url}/api/media/video/status?task_id=${id}`)).json();
            return status.status === "running" ? undefined : status;
          },
          45_000,
          "the resumed task to end",
          50,
        );
        // 720p 16:9 (1248x704) x 24 fps x 5 s / 1024 = 102,960 tokens at $2.5 per million.
        expect(done).toMatchObject({ success: true, status: "succeeded", task_id: id, provider: "volcengine", cost_usd: 0.2574 });
        const path = String(done.video);
        expect(path.startsWith(outDir + "/")).toBe(true);
        expect(formatOf(new Uint8Array(readFileSync(path)))).toBe("mp4");
        const row = (await getJson(`${second.url}/api/generations/${id}`)).json();
        expect(row).toMatchObject({ status: "succeeded", output_path: path, cost_source: "catalog", operation_id: taskId });
        // Resumed, not created (and paid for) a second time; the signed video URL never saw the key.
        const creates = ark.requests.filter((r) => r.method === "POST" && r.path === "/api/v3/contents/generations/tasks" && JSON.stringify(r.body).includes(job.marker));
        expect(creates).toHaveLength(1);
        expect(ark.requests.filter((r) => r.path === `/ark-content/${taskId}.mp4`).every((r) => r.headers.authorization === undefined)).toBe(true);
        expect(await second.stop("SIGTERM")).toBe(0);
      } finally {
        ark.pendingPolls = 2;
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe("kill -9 during an image generation", () => {
  test(
    "the next start records it as interrupted, never succeeded, and removes the temp files in its output folder",
    async () => {
      const entry = { type: "image", provider: "openai", model: "gpt-image-2", api_key: openai.key, base_url: `${openai.url}/v1` };
      const { dataDir, workDir, outDir } = setup({ models: [entry] });
      mkdirSync(outDir, { recursive: true });
      // What a daemon killed while writing a file leaves behind, and a file of the user's that must stay.
      writeFileSync(join(outDir, ".mediagen-0123456789ab.partial"), new Uint8Array(1000));
      writeFileSync(join(outDir, "keep.png"), makePng(8, 8));

      const first = await launch(dataDir);
      const { prompt, marker } = marked("A hanging request [[fake:hang]]");
      const pending = settle(postJson(`${first.url}/api/media/image`, { prompt, output_dir: workDir }, ["--max-time", "100"]));
      await poll(() => (openai.requests.some((r) => String(r.body.prompt ?? "").includes(marker)) ? true : undefined), 20_000, "the fake to receive the request");
      const id = await rowIdOf(first, marker);
      expect((await getJson(`${first.url}/api/media/jobs/${id}`)).json().status).toBe("running");

      await killHard(first);
      expect(await pending).toBeInstanceOf(Error);
      expect(readLedgerRow(dataDir, id)).toMatchObject({ status: "running", operation_id: null });

      const second = await launch(dataDir);
      await second.waitForLine(/WARN 1 generation\(s\) left unfinished by the previous run recorded as interrupted/);
      const row = (await getJson(`${second.url}/api/generations/${id}`)).json();
      expect(row).toMatchObject({ status: "interrupted", error_type: "interrupted", output_path: null, bytes: null, cost_usd: null, prompt });
      expect(String(row.error)).toContain("crash or kill");
      expect(row.finished_at).not.toBeNull();

      const job = (await getJson(`${second.url}/api/media/jobs/${id}`)).json();
      expect(job).toMatchObject({ status: "interrupted", error_type: "interrupted", result: { success: false, image: null, error_type: "interrupted", prompt } });
      expect(readdirSync(outDir)).toEqual(["keep.png"]);

      // Final: a later look still says interrupted.
      await Bun.sleep(300);
      expect((await getJson(`${second.url}/api/media/jobs/${id}`)).json().status).toBe("interrupted");
      expect(await second.stop("SIGTERM")).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("a blocking caller that disconnects", () => {
  test(
    "does not cancel its job; the same Idempotency-Key replays the result without a second provider call",
    async () => {
      const entry = { type: "image", provider: "openai", model: "gpt-image-2", api_key: openai.key, base_url: `${openai.url}/v1` };
      const { dataDir, workDir, outDir } = setup({ models: [entry] });
      const daemon = await launch(dataDir);
      openai.slowMs = 2000;
      try {
        const { prompt, marker } = marked("A slow lighthouse [[fake:slow]]");
        const key = `retry-${crypto.randomUUID()}`;
        const body = JSON.stringify({ prompt, output_dir: workDir });
        const args = ["-s", "-X", "POST", `${daemon.url}/api/media/image`, "-H", "Content-Type: application/json", "-H", `Idempotency-Key: ${key}`, "-d", body];
        const caller = Bun.spawn(["curl", ...args], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
        curls.push(caller);
        const spawned = performance.now();
        const generationRequests = () => openai.requests.filter((r) => r.path === "/v1/images/generations" && String(r.body.prompt ?? "").includes(marker)).length;
        await poll(() => (generationRequests() > 0 ? true : undefined), 20_000, "the fake to receive the request");
        await Bun.sleep(Math.max(0, 300 - (performance.now() - spawned)));
        caller.kill("SIGKILL");
        await caller.exited;
        expect(await new Response(caller.stdout).text()).toBe("");

        const id = await rowIdOf(daemon, marker);
        const [view] = await watchUntilDone(daemon, [id], 30_000);
        expect(view).toMatchObject({ status: "succeeded", result: { success: true, id } });
        const path = String(view!.result.image);
        expect(path.startsWith(outDir + "/")).toBe(true);
        expect(formatOf(new Uint8Array(readFileSync(path)))).toBe("png");

        const started = performance.now();
        const again = await curl(args);
        const replayMs = performance.now() - started;
        expect(again.status).toBe(200);
        expect(again.json()).toEqual(view!.result);
        // Answered from the ledger, not by waiting on another slow provider call.
        expect(replayMs).toBeLessThan(openai.slowMs);
        expect(generationRequests()).toBe(1);
        expect((await getJson(`${daemon.url}/api/generations?q=${marker}`)).json().items).toHaveLength(1);
        expect(readdirSync(outDir)).toEqual([basename(path)]);

        const conflict = await postJson(`${daemon.url}/api/media/image`, { prompt: `${prompt} but in winter`, output_dir: workDir }, ["-H", `Idempotency-Key: ${key}`]);
        expect(conflict.status).toBe(409);
        expect(conflict.json()).toMatchObject({ success: false, image: null, error_type: "idempotency_conflict" });
        expect(String(conflict.json().error)).toContain(id);
        expect(generationRequests()).toBe(1);
        expect(await daemon.stop("SIGTERM")).toBe(0);
      } finally {
        openai.slowMs = 1500;
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe("SIGTERM while a Veo job is polling", () => {
  test(
    "with a 1 s grace the job stays running with its operation (not interrupted), and the next start finishes it",
    async () => {
      const video = VIDEO_CASES[0]!;
      const { dataDir, workDir, outDir } = setup({ models: [video.entry()], server: { shutdown_grace_seconds: 1 } });
      video.hold();
      try {
        const first = await launch(dataDir);
        const { prompt, marker } = marked("A hot air balloon over vineyards at dawn");
        const accepted = await postJson(`${first.url}/api/media/video`, { prompt, duration_seconds: 4, output_dir: workDir, async: true });
        expect(accepted.status).toBe(202);
        const id = String(accepted.json().task_id);
        const operation = await operationOf(first, id);
        await poll(() => (hits(video.requests(), video.pollPath(operation)) > 1 ? true : undefined), 20_000, "a poll of the operation");

        const signalled = performance.now();
        first.proc.kill("SIGTERM");
        expect(await first.waitExit(20_000)).toBe(0);
        // 1 s grace, then up to 2 s for the abort to settle: slack for a slow machine.
        expect((performance.now() - signalled) / 1000).toBeLessThan(10);
        expect(first.stdout()).toMatch(/SIGTERM: no longer accepting requests; waiting up to 1 s for 1 running generation/);
        expect(first.stdout()).toMatch(/INFO stopped/);
        expect(first.stdout()).toContain(`INFO video job ${id} left running at gemini (operation ${operation}); it resumes at the next start`);
        expect(first.stdout()).not.toContain("recorded as interrupted");
        expect(readLedgerRow(dataDir, id)).toMatchObject({ status: "running", operation_id: operation, error: null, error_type: null, finished_at: null });

        // Still pending at the provider: the next start picks the operation up and keeps polling it.
        const polledBefore = hits(video.requests(), video.pollPath(operation));
        const second = await launch(dataDir);
        await second.waitForLine(new RegExp(`resuming video job ${id}: polling gemini operation`));
        await poll(() => (hits(video.requests(), video.pollPath(operation)) > polledBefore + 2 ? true : undefined), 20_000, "polls after the restart");
        expect((await getJson(`${second.url}/api/media/jobs/${id}`)).json().status).toBe("running");

        video.finish();
        const [view] = await watchUntilDone(second, [id]);
        expect(view).toMatchObject({ status: "succeeded", result: { success: true, duration_seconds: 4 } });
        const path = String(view!.result.video);
        expect(path.startsWith(outDir + "/")).toBe(true);
        expect(formatOf(new Uint8Array(readFileSync(path)))).toBe("mp4");
        const row = (await getJson(`${second.url}/api/generations/${id}`)).json();
        // veo-3.1 at 720p from the catalogue: 4 s at $0.40.
        expect(row).toMatchObject({ status: "succeeded", output_path: path, operation_id: operation, cost_source: "catalog", duration_seconds: 4 });
        expect(row.cost_usd).toBeCloseTo(1.6, 10);
        expect(video.submits(marker)).toBe(1);
        expect(await second.stop("SIGTERM")).toBe(0);
      } finally {
        video.restore();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe("SIGTERM while a ComfyUI prompt runs", () => {
  const image = IMAGE_OPERATION_CASES.find((c) => c.provider === "comfyui")!;
  test(
    "with a 1 s grace the prompt is left in ComfyUI's queue (not deleted, not interrupted), and the next start finishes it",
    async () => {
      const { dataDir, workDir, outDir } = setup({ models: [image.entry()], server: { shutdown_grace_seconds: 1 } });
      comfy.held = true;
      try {
        const first = await launch(dataDir);
        const { prompt, marker } = marked("A windmill under a starry sky");
        const accepted = await postJson(`${first.url}/api/media/image`, { prompt, output_dir: workDir, async: true });
        expect(accepted.status).toBe(202);
        const id = String(accepted.json().task_id);
        const operation = await operationOf(first, id);
        await image.underWay(operation);
        const sentBefore = comfy.requests.length;

        first.proc.kill("SIGTERM");
        expect(await first.waitExit(20_000)).toBe(0);
        expect(first.stdout()).toContain(`INFO image job ${id} left running at comfyui (operation ${operation}); it resumes at the next start`);
        expect(readLedgerRow(dataDir, id)).toMatchObject({ status: "running", operation_id: operation, error: null, finished_at: null });
        // ComfyUI was told nothing: the prompt is neither deleted from its queue nor interrupted.
        expect(comfy.requests.slice(sentBefore).filter((r) => r.method === "POST")).toEqual([]);

        const followedBefore = image.followed(operation);
        const second = await launch(dataDir);
        await second.waitForLine(new RegExp(`resuming image job ${id}: polling comfyui operation ${operation}`));
        await poll(() => (image.followed(operation) > followedBefore ? true : undefined), 20_000, "the restarted daemon to follow the prompt");
        comfy.held = false;
        const [view] = await watchUntilDone(second, [id]);
        expect(view).toMatchObject({ status: "succeeded", result: { success: true } });
        const path = String(view!.result.image);
        expect(path.startsWith(outDir + "/")).toBe(true);
        expect(formatOf(new Uint8Array(readFileSync(path)))).toBe("png");
        const row = (await getJson(`${second.url}/api/generations/${id}`)).json();
        expect(row).toMatchObject({ status: "succeeded", output_path: path, operation_id: operation, cost_source: "upstream", progress: 99 });
        expect(row.cost_usd).toBeCloseTo(image.costUsd, 10);
        expect(image.creates(marker)).toBe(1);
        expect(await second.stop("SIGTERM")).toBe(0);
      } finally {
        comfy.held = false;
      }
    },
    TEST_TIMEOUT_MS,
  );
});
