// Contract tests of the Volcengine Ark provider against the fake Ark: Seedance through the seed endpoints (the original's
// submission receipt, /video/status, every Seedance field, the refusals answered before any call), Seedream images, the
// failure mapping, costs against hand-computed figures, and the hooks (testConnection, resumeVideo) on the provider itself.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../../../server/errors.ts";
import { apiRoot, seedanceTokens, volcengine } from "../../../server/providers/volcengine.ts";
import type { CallContext } from "../../../server/providers/types.ts";
import { b64, imageInfo, makeJpeg, makeMp3, makePng } from "../../fakes/media.ts";
import { arkVideoTokens, startFakeArk, type FakeArk, type RecordedRequest } from "../../fakes/volcengine.ts";
import { createHarness, type Harness } from "../../helpers.ts";

const VIDEO = "seedance-1-0-pro-250528";
const AUDIO_VIDEO = "seedance-1-5-pro-251215";
const V2 = "dreamina-seedance-2-0-260128";
const IMAGE = "seedream-4-0-250828";

let fake: FakeArk;
let h: Harness;

const entry = (type: "image" | "video", model: string, extra: Record<string, unknown> = {}) => ({ type, provider: "volcengine", model, api_key: fake.key, base_url: fake.url, ...extra });
const ONE_ATTEMPT = { image: { max_attempts: 1 }, video: { max_attempts: 1 } };
/** The UI door blocks until the video is saved (only the seed API answers Seedance with a receipt). */
const UI = { "x-mediagen-door": "ui" };

beforeAll(() => {
  fake = startFakeArk();
  h = createHarness({
    config: {
      models: [entry("video", VIDEO), entry("image", IMAGE), { ...entry("video", AUDIO_VIDEO), name: "audio" }, { ...entry("video", V2), name: "v2" }, { name: "router", type: "video", provider: "openrouter", model: "google/veo-3.1", api_key: "k", base_url: "http://127.0.0.1:9/api/v1" }],
      jobs: ONE_ATTEMPT,
    },
  });
});
afterAll(async () => {
  h[Symbol.dispose]();
  await fake.close();
});

async function recorded<T>(run: () => Promise<T>): Promise<{ result: T; sent: RecordedRequest[] }> {
  const before = fake.requests.length;
  const result = await run();
  return { result, sent: fake.requests.slice(before) };
}

/** Polls GET /api/media/video/status until the task leaves "running". */
async function settle(harness: Harness, taskId: string) {
  for (let i = 0; i < 500; i++) {
    const { body } = await harness.get(`/api/media/video/status?task_id=${taskId}`);
    if (body.status !== "running") return body;
    await Bun.sleep(10);
  }
  throw new Error(`task ${taskId} never finished`);
}

const row = async (harness: Harness, id: string) => (await harness.get(`/api/generations/${id}`)).body;

describe("Seedance through POST /api/media/video", () => {
  test("the seed API gets the original's receipt at once; /video/status answers running, then succeeded with the saved MP4; cost from Ark's tokens", async () => {
    const { result, sent } = await recorded(() => h.post("/api/media/video", { prompt: "a cat runs across a meadow", duration_seconds: 5, output_dir: h.workDir }));
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      success: true,
      status: "submitted",
      task_id: result.body.id,
      id: result.body.id,
      provider: "volcengine",
      model: VIDEO,
      prompt: "a cat runs across a meadow",
      aspect_ratio: "landscape",
      ratio: "16:9",
      duration_seconds: 5,
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe("/api/v3/contents/generations/tasks");
    expect(sent[0]!.headers.authorization).toBe(`Bearer ${fake.key}`);
    expect(sent[0]!.body).toEqual({ model: VIDEO, content: [{ type: "text", text: "a cat runs across a meadow" }], ratio: "16:9", duration: 5, resolution: "720p" });

    const done = await settle(h, result.body.task_id);
    expect(done).toMatchObject({ success: true, status: "succeeded", task_id: result.body.id, provider: "volcengine", model: VIDEO });
    expect(readFileSync(done.video).subarray(4, 8).toString()).toBe("ftyp");
    // 720p 16:9 is 1248x704: 1248 * 704 * 24 fps * 5 s / 1024 = 102,960 tokens; at $2.5 per million: $0.2574.
    expect(arkVideoTokens("720p", "16:9", 5)).toBe(102_960);
    expect(done.cost_usd).toBe(0.2574);
    const stored = await row(h, result.body.id);
    expect(stored).toMatchObject({ status: "succeeded", cost_usd: 0.2574, cost_source: "catalog", usage: { completion_tokens: 102_960, total_tokens: 102_960 } });
    expect(stored.params.ark_task_id).toStartWith("cgt-");
    // The signed result URL is fetched without the key.
    const download = fake.requests.find((r) => r.path.startsWith("/ark-content/") && r.path.includes(stored.params.ark_task_id));
    expect(download?.headers.authorization).toBeUndefined();
  });

  test("async: true answers 202 like every other job; the UI door blocks until the video is saved", async () => {
    const accepted = await h.post("/api/media/video", { prompt: "p", duration_seconds: 5, async: true, output_dir: h.workDir });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ success: true, task_id: accepted.body.id, provider: "volcengine" });
    expect((await settle(h, accepted.body.id)).status).toBe("succeeded");

    const blocking = await h.post("/api/media/video", { prompt: "p", duration_seconds: 6, output_dir: h.workDir }, UI);
    expect(blocking.status).toBe(200);
    expect(blocking.body).toMatchObject({ success: true, provider: "volcengine", duration_seconds: 6 });
    expect(blocking.body.video).toEndWith(".mp4");
  });

  test("every Seedance field is passed: first and last frame, resolution, generate_audio, watermark, seed, a raw ratio; silent 1.5 clips priced at the silent rate", async () => {
    const frame = join(h.workDir, "first.png");
    writeFileSync(frame, makePng(32, 18));
    const last = `data:image/jpeg;base64,${b64(makeJpeg(32, 24))}`;
    const { result, sent } = await recorded(() =>
      h.post(
        "/api/media/video",
        { prompt: "from dawn to dusk", model: "audio", first_frame: frame, last_frame: last, aspect_ratio: "4:3", resolution: "480p", generate_audio: false, watermark: true, seed: 42, duration_seconds: 6, output_dir: h.workDir },
        UI,
      ),
    );
    expect(result.status).toBe(200);
    expect(sent[0]!.body).toEqual({
      model: AUDIO_VIDEO,
      content: [
        { type: "text", text: "from dawn to dusk" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${b64(makePng(32, 18))}` }, role: "first_frame" },
        { type: "image_url", image_url: { url: last }, role: "last_frame" },
      ],
      ratio: "4:3",
      duration: 6,
      resolution: "480p",
      generate_audio: false,
      watermark: true,
      seed: 42,
    });
    expect(result.body.aspect_ratio).toBe("4:3");
    // 480p 4:3 is 736x544: 736 * 544 * 24 * 6 / 1024 = 56,304 tokens; silent 1.5 pro at $1.2 per million: $0.0675648.
    expect(arkVideoTokens("480p", "4:3", 6)).toBe(56_304);
    expect(result.body.cost_usd).toBe(0.0675648);
    const stored = await row(h, result.body.id);
    expect(stored.params).toMatchObject({ first_frame: frame, last_frame: "data-url", resolution: "480p", generate_audio: false, watermark: true, seed: 42, ratio: "4:3" });
  });

  test("a 1.5 clip with audio (Ark's default) is priced at the audio rate", async () => {
    const { body } = await h.post("/api/media/video", { prompt: "rain", model: "audio", duration_seconds: 5, output_dir: h.workDir }, UI);
    // 102,960 tokens at $2.4 per million.
    expect(body.cost_usd).toBe(0.247104);
  });

  test("reference media: URLs pass through unread, files and {b64_json, mime_type} become data URLs, in Ark's order and roles", async () => {
    const song = join(h.workDir, "song.mp3");
    writeFileSync(song, makeMp3(1));
    const png = makePng(8, 8);
    const { result, sent } = await recorded(() =>
      h.post(
        "/api/media/video",
        {
          prompt: "[Image 1] dances to [Audio 1] like [Video 1]",
          model: "v2",
          aspect_ratio: "adaptive",
          duration_seconds: 10,
          reference_images: ["https://example.com/ref.png", { b64_json: b64(png), mime_type: "image/png" }],
          reference_videos: ["https://example.com/move.mp4"],
          reference_audios: [song],
          output_dir: h.workDir,
        },
        UI,
      ),
    );
    expect(result.status).toBe(200);
    expect(sent[0]!.body.ratio).toBe("adaptive");
    expect(sent[0]!.body.content).toEqual([
      { type: "text", text: "[Image 1] dances to [Audio 1] like [Video 1]" },
      { type: "image_url", image_url: { url: "https://example.com/ref.png" }, role: "reference_image" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${b64(png)}` }, role: "reference_image" },
      { type: "video_url", video_url: { url: "https://example.com/move.mp4" }, role: "reference_video" },
      { type: "audio_url", audio_url: { url: `data:audio/mpeg;base64,${b64(makeMp3(1))}` }, role: "reference_audio" },
    ]);
    // dreamina-seedance-2-0 has no catalogue price: its cost stays unknown.
    expect(result.body.cost_usd).toBeUndefined();
  });

  test.each([
    ["a first frame with reference images", { first_frame: "https://example.com/a.png", reference_images: ["https://example.com/b.png"] }, "first_frame", /cannot be combined with reference_images/],
    ["image (the legacy first frame) with reference videos", { image: { b64_json: b64(makePng(4, 4)), mime_type: "image/png" }, reference_videos: ["https://example.com/v.mp4"] }, "first_frame", /cannot be combined/],
    ["a last frame without a first", { last_frame: "https://example.com/z.png" }, "last_frame", /needs a first_frame/],
    ["reference audio alone", { reference_audios: ["https://example.com/a.mp3"] }, "reference_audios", /alongside/],
    ["image and first_frame together", { image: "https://example.com/a.png", first_frame: "https://example.com/b.png" }, "first_frame", /only one/],
    ["a 16-second clip", { duration_seconds: 16 }, "duration_seconds", /4 to 8 \(Seedance: 2 to 15\)/],
    ["a 1-second clip", { duration_seconds: 1 }, "duration_seconds", /2 to 15/],
    ["a 13-second clip on Seedance 1.0", { duration_seconds: 13 }, "duration_seconds", /2 to 12 seconds/],
    ["reference videos on Seedance 1.0", { reference_images: ["https://example.com/i.png"], reference_videos: ["https://example.com/v.mp4"] }, "reference_videos", /Seedance 2.0 does/],
    ["a resolution Ark does not make", { resolution: "4k" }, "resolution", /480p, 720p or 1080p/],
    ["a seed that is not a whole number", { seed: 1.5 }, "seed", /whole number/],
    ["generate_audio as a string", { generate_audio: "yes" }, "generate_audio", /true or false/],
    ["a reference video file with an unknown extension", { reference_images: ["https://example.com/i.png"], reference_videos: ["/etc/hostname"] }, "reference_videos[0]", /video extension/],
    ["six reference... garbage", { reference_images: ["not a ref"] }, "reference_images", /absolute file path|neither/],
  ])("%s is a 400 naming the field, and nothing is sent", async (_name, fields, field, message) => {
    const { result, sent } = await recorded(() => h.post("/api/media/video", { prompt: "p", output_dir: h.workDir, ...fields }));
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ success: false, error_type: "invalid_argument", video: null });
    expect(String(result.body.field ?? result.body.details?.field ?? "")).toStartWith(field);
    expect(result.body.error).toMatch(message);
    expect(sent).toHaveLength(0);
  });

  test.each([
    ["last_frame", { first_frame: { b64_json: b64(makePng(4, 4)), mime_type: "image/png" }, last_frame: "https://example.com/z.png" }],
    ["reference_images", { reference_images: ["https://example.com/i.png"] }],
    ["generate_audio", { generate_audio: true }],
    ["seed", { seed: 7 }],
    ["first_frame", { first_frame: "https://example.com/a.png" }],
    ["aspect_ratio", { aspect_ratio: "21:9" }],
    ["duration_seconds", { duration_seconds: 10 }],
  ])("a model that cannot use %s refuses it before any call (the original ignored Seedance fields elsewhere)", async (field, fields) => {
    const result = await h.post("/api/media/video", { prompt: "p", model: "router", output_dir: h.workDir, ...fields });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ success: false, error_type: "invalid_argument", provider: "openrouter" });
    expect(result.body.field).toBe(field);
  });
});

describe("Seedance failures", () => {
  test.each([
    ["400_sensitive", 422, "content_filtered", /InputTextSensitiveContentDetected/],
    ["401", 502, "auth_required", /AuthenticationError.*api_key/],
    ["403_overdue", 402, "insufficient_credits", /overdue/],
    ["404", 400, "unknown_model", /unknown video model "seedance-1-0-pro-250528".*settings page/],
    ["429", 429, "rate_limited", /RateLimitExceeded/],
    ["503", 503, "overloaded", /ServiceUnavailable/],
    ["500", 502, "api_error", /Upstream 500: InternalServiceError/],
    ["no_id", 502, "empty_response", /did not return a task id/],
    ["malformed", 502, "invalid_response", /Invalid JSON/],
  ])("a create answered %s is answered at once, as the original did: %i %s", async (scenario, status, type, message) => {
    fake.next(scenario as never);
    const { body, status: got } = await h.post("/api/media/video", { prompt: "p", duration_seconds: 5, output_dir: h.workDir });
    expect(got).toBe(status);
    expect(body).toMatchObject({ success: false, error_type: type, video: null, provider: "volcengine" });
    expect(body.error).toMatch(message);
    if (scenario === "429") expect(body.retry_after_seconds).toBe(7);
  });

  test.each([
    ["task_failed_sensitive", "content_filtered", /OutputVideoSensitiveContentDetected/, undefined],
    ["task_failed", "api_error", /failed: InternalServiceError/, undefined],
    ["task_expired", "api_error", /expired before completion/, undefined],
    ["task_cancelled", "api_error", /was cancelled/, undefined],
    ["download_404", "api_error", /Could not download.*24 hours/, 0.2574],
  ])("a task ending %s is a failed status with %s; only a video Ark made keeps its cost", async (scenario, type, message, cost) => {
    const { body } = await h.post("/api/media/video", { prompt: `p [[fake:${scenario}]]`, duration_seconds: 5, output_dir: h.workDir });
    expect(body.status).toBe("submitted");
    const done = await settle(h, body.task_id);
    expect(done).toMatchObject({ success: false, status: "failed", error_type: type });
    expect(done.error).toMatch(message);
    const stored = await row(h, body.id);
    expect(stored.cost_usd ?? undefined).toBe(cost);
  });
});

describe("Seedream through POST /api/media/image", () => {
  test("generates at the 2K preset of the aspect, b64_json, no watermark, one image; priced per image", async () => {
    const { result, sent } = await recorded(() => h.post("/api/media/image", { prompt: "a lighthouse", aspect_ratio: "portrait", output_dir: h.workDir }));
    expect(result.status).toBe(200);
    expect(sent[0]!.path).toBe("/api/v3/images/generations");
    expect(sent[0]!.body).toEqual({ model: IMAGE, prompt: "a lighthouse", size: "1440x2560", response_format: "b64_json", watermark: false, sequential_image_generation: "disabled" });
    expect(result.body).toMatchObject({ success: true, provider: "volcengine", size: "1440x2560", cost_usd: 0.03 });
    expect(imageInfo(readFileSync(result.body.image))).toEqual({ mime: "image/jpeg", width: 1440, height: 2560 });
  });

  test("edits send the input as `image`: one data URL alone, several as a list", async () => {
    const png = makePng(16, 16);
    const one = await recorded(() => h.post("/api/media/image", { prompt: "make it blue", image: b64(png), output_dir: h.workDir }));
    expect(one.sent[0]!.body.image).toBe(`data:image/png;base64,${b64(png)}`);
    const two = await recorded(() => h.post("/api/media/image", { prompt: "combine", images: [b64(png), b64(png)], output_dir: h.workDir }));
    expect(two.sent[0]!.body.image).toEqual([`data:image/png;base64,${b64(png)}`, `data:image/png;base64,${b64(png)}`]);
  });

  test("a URL answer is downloaded without the key; a refusal inside a 200 is content_filtered; a sensitive prompt is too", async () => {
    fake.next("url");
    const url = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(url.status).toBe(200);
    const fetched = fake.requests.findLast((r) => r.path.startsWith("/ark-content/img-"));
    expect(fetched?.headers.authorization).toBeUndefined();

    fake.next("item_error");
    const refused = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(refused).toMatchObject({ status: 422, body: { error_type: "content_filtered" } });

    fake.next("400_sensitive");
    expect((await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir })).body.error_type).toBe("content_filtered");
  });
});

describe("provider hooks", () => {
  const ctx = (type: "image" | "video", model: string, extra: Partial<CallContext> = {}): CallContext => ({
    entry: { ...entry(type, model), provider: "volcengine" } as CallContext["entry"],
    apiKey: fake.key,
    baseUrl: fake.url,
    signal: new AbortController().signal,
    pollIntervalMs: 5,
    ...extra,
  });

  test("testConnection proves key and model with an empty probe Ark refuses (nothing generated)", async () => {
    expect(await volcengine.testConnection!(ctx("video", VIDEO))).toMatch(/key accepted and model 'seedance-1-0-pro-250528' found/);
    expect(await volcengine.testConnection!(ctx("image", IMAGE))).toMatch(/found/);
    expect(fake.tasks.size).toBeGreaterThan(0);
    const before = fake.tasks.size;
    await volcengine.testConnection!(ctx("video", VIDEO));
    expect(fake.tasks.size).toBe(before);
    const badKey = await volcengine.testConnection!(ctx("video", VIDEO, { apiKey: "wrong" })).catch((e: AppError) => e);
    expect((badKey as AppError).type).toBe("auth_required");
    const unknown = await volcengine.testConnection!(ctx("video", "seedance-9")).catch((e: AppError) => e);
    expect((unknown as AppError).type).toBe("unknown_model");
  });

  test("the Models page's Test connection (POST /api/config/models/test) answers ok for a good entry, and says why for a bad key", async () => {
    const good = await h.post("/api/config/models/test", { type: "video", provider: "volcengine", model: VIDEO, api_key: fake.key, base_url: fake.url });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ ok: true });
    expect(String(good.body.message)).toMatch(/key accepted/);
    const bad = await h.post("/api/config/models/test", { type: "image", provider: "volcengine", model: IMAGE, api_key: "wrong", base_url: fake.url });
    expect(bad.body.ok).toBe(false);
    expect(JSON.stringify(bad.body)).toMatch(/AuthenticationError/);
  });

  test("resumeVideo finishes a task created before a restart from Ark's own answer (duration, tokens)", async () => {
    const created = await fetch(`${fake.url}/api/v3/contents/generations/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: VIDEO, content: [{ type: "text", text: "p" }], ratio: "9:16", duration: 4, resolution: "1080p" }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const result = await volcengine.resumeVideo!(created.id, ctx("video", VIDEO));
    expect(result.durationSeconds).toBe(4);
    expect(result.meter).toEqual({ tokens: { output_video: arkVideoTokens("1080p", "9:16", 4) }, seconds: 4, resolution: "1080p" });
    expect(result.extra).toMatchObject({ ark_task_id: created.id, ratio: "9:16" });
  });

  test("a task still queued when the deadline passes is cancelled at Ark; one stopped by a shutdown is left to resume", async () => {
    const run = async (reason: AppError) => {
      const controller = new AbortController();
      let id = "";
      fake.pendingPolls = 1_000_000;
      try {
        const call = volcengine.video!({ prompt: "p", aspect: "landscape", durationSeconds: 5 }, ctx("video", VIDEO, { signal: controller.signal, pollIntervalMs: 60_000, onOperation: (taskId) => (id = taskId) }));
        while (!id || fake.tasks.get(id)!.polls < 1) await Bun.sleep(5);
        controller.abort(reason);
        expect((await call.catch((e: AppError) => e) as AppError).type).toBe(reason.type);
      } finally {
        fake.pendingPolls = 2;
      }
      return fake.tasks.get(id)!;
    };
    expect((await run(new AppError("timeout"))).deleted).toBe(true);
    expect((await run(new AppError("interrupted"))).deleted).toBeUndefined();
  });

  test("onOperation gets the task id as soon as Ark answers the create", async () => {
    const ids: string[] = [];
    await volcengine.video!({ prompt: "p", aspect: "landscape", durationSeconds: 5 }, ctx("video", VIDEO, { onOperation: (id) => ids.push(id) }));
    expect(ids).toHaveLength(1);
    expect(ids[0]).toStartWith("cgt-");
  });

  test("the API root comes from any base_url form; budgets estimate Ark's token formula", () => {
    expect(apiRoot("https://ark.cn-beijing.volces.com")).toBe("https://ark.cn-beijing.volces.com/api/v3");
    expect(apiRoot("https://ark.ap-southeast.bytepluses.com/api/v3/")).toBe("https://ark.ap-southeast.bytepluses.com/api/v3");
    expect(apiRoot("http://127.0.0.1:8080/proxy/api/v3/contents")).toBe("http://127.0.0.1:8080/proxy/api/v3");
    expect(seedanceTokens("720p", "16:9", 5)).toBe(102_960);
    expect(volcengine.estimateTuning!(entry("video", VIDEO) as never, { aspect: "portrait", seconds: 5 })).toEqual({ resolution: "720p", tokens: { output_video: 102_960 } });
    expect(volcengine.estimateTuning!(entry("video", VIDEO) as never, { aspect: "landscape", seconds: 5, resolution: "1080p", ratio: "21:9" })).toEqual({
      resolution: "1080p",
      tokens: { output_video: seedanceTokens("1080p", "21:9", 5)! },
    });
  });
});
