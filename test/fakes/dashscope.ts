// A fake DashScope (Alibaba Cloud Model Studio) on an ephemeral loopback port, speaking its native wire format
// (shared/docs/providers-2.md §1; the dashscope Python SDK's video_synthesis.py and http_speech_synthesizer.py):
//   POST /api/v1/services/aigc/multimodal-generation/generation   Qwen-Image, qwen-image-edit, wan2.6-t2i (sync), Qwen-TTS
//   POST /api/v1/services/aigc/text2image/image-synthesis        Wan text-to-image before 2.6 (async task)
//   POST /api/v1/services/aigc/video-generation/video-synthesis  Wan text-to-video and image-to-video (async task)
//   POST /api/v1/services/audio/tts/SpeechSynthesizer            CosyVoice over HTTP
//   GET  /api/v1/tasks/{task_id}                                 PENDING/RUNNING for `pendingPolls` polls, then SUCCEEDED
// Results are signed URLs on a second loopback origin ("OSS"), served without auth; the fake counts a key sent there.
// Auth: `Authorization: Bearer <key>`; a wrong or missing key is 401 InvalidApiKey. Errors are `{request_id, code, message}`.
// Async creation without `X-DashScope-Async: enable` is 403 AccessDenied ("current user api does not support synchronous calls").
// A scenario is chosen per request: queued with `next()`, or named in the prompt/text as `[[fake:<scenario>]]` (a task
// remembers it, so its polls answer accordingly).
//
// Not confirmed against the live API: the wording of the 400s invented for bad sizes/durations/voices; the 200-with-`code`
// answer; the UNKNOWN status text for unknown tasks; `usage.SR` on every video task; the answer shape of image tasks.
import { json, parseDataUrl, randomId, type RecordedRequest } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { imageInfo, makeMp3, makeMp4, makePng, makeWav } from "./media.ts";

export type DashScopeScenario =
  | "ok"
  | "400" // 400 InvalidParameter
  | "unknown_model" // 400 InvalidParameter "Model not exist."
  | "data_inspection" // 400 DataInspectionFailed
  | "arrearage" // 400 Arrearage
  | "access_denied" // 403 AccessDenied.Unpurchased
  | "throttling" // 429 Throttling.RateQuota
  | "500" // 500 InternalError
  | "code_in_200" // 200 with a top-level code/message and no output
  | "empty" // 200 without a result URL
  | "task_failed" // task FAILED with InternalError.Algo
  | "task_refused" // task FAILED with DataInspectionFailed (output refused)
  | "task_canceled" // task CANCELED
  | "expired_url" // the result URL answers 403 (expired signature)
  | "mp3" // CosyVoice answers with MP3 bytes whatever was asked
  | "rate_22050" // CosyVoice answers a 22,050 Hz WAV whatever sample_rate was asked
  | "slow"
  | "hang"
  | "reset";

export interface FakeDashScope {
  url: string;
  /** Base URL of the "OSS" origin results are served from. */
  storageUrl: string;
  key: string;
  requests: RecordedRequest[];
  next(...scenarios: DashScopeScenario[]): void;
  slowMs: number;
  /** How many polls of a task answer PENDING/RUNNING before it ends. */
  pendingPolls: number;
  close(): Promise<void>;
}

/** Sizes qwen-image-max/-plus accept (official docs). */
export const QWEN_IMAGE_FIXED_SIZES = ["1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664"];
/** Wan text-to-video sizes per tier. */
export const WAN_T2V_SIZES: Record<string, string[]> = {
  "480P": ["832*480", "480*832", "624*624"],
  "720P": ["1280*720", "720*1280", "960*960", "1088*832", "832*1088"],
  "1080P": ["1920*1080", "1080*1920", "1440*1440", "1632*1248", "1248*1632"],
};
/** Characters DashScope bills for TTS text: a CJK character counts 2 (Qwen-TTS docs). */
export function billedCharacters(text: string): number {
  return [...text].reduce((n, c) => n + (/[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/.test(c) ? 2 : 1), 0);
}

interface Task {
  id: string;
  kind: "video" | "image";
  polls: number;
  scenario: DashScopeScenario;
  duration: number;
  sr: number;
  width: number;
  height: number;
}

const error = (status: number, code: string, message: string) => json(status, { request_id: crypto.randomUUID(), code, message });

function scenarioError(scenario: DashScopeScenario): Response | undefined {
  switch (scenario) {
    case "400":
      return error(400, "InvalidParameter", "Required parameter(s) missing or invalid, please check the request parameters.");
    case "unknown_model":
      return error(400, "InvalidParameter", "Model not exist.");
    case "data_inspection":
      return error(400, "DataInspectionFailed", "Input data may contain inappropriate content.");
    case "arrearage":
      return error(400, "Arrearage", "Access denied, please make sure your account is in good standing.");
    case "access_denied":
      return error(403, "AccessDenied.Unpurchased", "Access to model denied. Please make sure you are eligible for using the model.");
    case "throttling":
      return error(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.");
    case "500":
      return error(500, "InternalError", "An internal error has occured, please try again later or contact service support.");
    case "code_in_200":
      return json(200, { request_id: crypto.randomUUID(), code: "InternalError.Algo", message: "An internal error has occured during algorithm execution." });
    default:
      return undefined;
  }
}

const invalid = (message: string) => error(400, "InvalidParameter", message);
const asObject = (v: unknown) => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const parseSize = (size: unknown) => {
  const match = typeof size === "string" ? /^(\d+)\*(\d+)$/.exec(size) : null;
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
};

/** Starts the fake on 127.0.0.1 with a random port. `key` is the only API key it accepts. */
export function startFakeDashScope(key = "sk-fake-dashscope-0123456789abcdef"): FakeDashScope {
  const tasks = new Map<string, Task>();
  const files = new Map<string, { bytes: Uint8Array; type: string; expired: boolean }>();

  const store = (bytes: Uint8Array, type: string, ext: string, expired = false): string => {
    const id = randomId();
    files.set(id, { bytes, type, expired });
    return `${fake.storageUrl}/results/${id}.${ext}?Expires=1764460800&OSSAccessKeyId=LTAIfake&Signature=${randomId(20)}`;
  };

  const oss = ({ rec }: FakeCall<DashScopeScenario>): Response => {
    const id = /^\/results\/([a-z0-9]+)\.\w+$/.exec(rec.path)?.[1];
    const file = id ? files.get(id) : undefined;
    if (!file) return new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404, headers: { "content-type": "application/xml" } });
    if (file.expired) return new Response("<Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>", { status: 403, headers: { "content-type": "application/xml" } });
    return new Response(file.bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": file.type } });
  };

  const imageResult = (width: number, height: number, scenario: DashScopeScenario) =>
    store(makePng(Math.min(width, 64), Math.round((Math.min(width, 64) * height) / width)), "image/png", "png", scenario === "expired_url");

  function multimodal(body: Record<string, unknown>, scenario: DashScopeScenario): Response {
    const model = String(body.model ?? "");
    const input = asObject(body.input) ?? {};
    const parameters = asObject(body.parameters) ?? {};
    if (/^qwen[0-9.]*-tts/.test(model)) {
      const text = input.text;
      if (typeof text !== "string" || text.trim() === "") return invalid("Input text is required.");
      if (text.length > 600) return invalid("Range of input length should be [0, 600]");
      if (typeof input.voice !== "string") return invalid("voice is required.");
      if (scenario === "empty") return json(200, { request_id: crypto.randomUUID(), output: { finish_reason: "stop", audio: { url: "", data: "" } }, usage: { characters: 0 } });
      const url = store(makeWav(Math.max(0.5, text.length / 15)), "audio/wav", "wav", scenario === "expired_url");
      return json(200, {
        request_id: crypto.randomUUID(),
        output: { finish_reason: "stop", audio: { url, id: `audio_${randomId()}`, expires_at: 1764460800, data: "" } },
        usage: { characters: billedCharacters(text) },
      });
    }
    const messages = Array.isArray(input.messages) ? input.messages : [];
    const content = messages.length === 1 && Array.isArray(asObject(messages[0])?.content) ? (asObject(messages[0])!.content as unknown[]) : undefined;
    if (!content) return invalid("input.messages must hold one user message with content.");
    const texts = content.map(asObject).filter((p) => typeof p?.text === "string");
    const images = content.map(asObject).filter((p) => p?.image !== undefined);
    if (texts.length !== 1) return invalid("content must hold exactly one text item.");
    const edit = /^qwen-image-edit/.test(model);
    if (!edit && images.length > 0) return invalid(`Model ${model} does not accept image input.`);
    if (edit && (images.length < 1 || images.length > 3)) return invalid("qwen-image-edit takes 1 to 3 images.");
    for (const item of images) {
      const decoded = typeof item!.image === "string" ? parseDataUrl(item!.image) : undefined;
      if (!decoded || !imageInfo(decoded.bytes)) return error(400, "InvalidParameter", "The image format is illegal and cannot be opened.");
    }
    const size = parameters.size === undefined ? undefined : parseSize(parameters.size);
    if (parameters.size !== undefined && !size) return invalid(`size must be W*H, got ${String(parameters.size)}.`);
    if (/^qwen-image(-max|-plus)?(-\d{4}-\d{2}-\d{2})?$/.test(model) && parameters.size !== undefined && !QWEN_IMAGE_FIXED_SIZES.includes(String(parameters.size)))
      return invalid(`The size ${String(parameters.size)} is not supported; supported sizes are ${QWEN_IMAGE_FIXED_SIZES.join(", ")}.`);
    if (scenario === "empty") return json(200, { request_id: crypto.randomUUID(), output: { choices: [{ finish_reason: "stop", message: { role: "assistant", content: [{ text: "I cannot draw that." }] } }] }, usage: { image_count: 0 } });
    const { width, height } = size ?? { width: 1024, height: 1024 };
    return json(200, {
      request_id: crypto.randomUUID(),
      output: {
        choices: [{ finish_reason: "stop", message: { role: "assistant", content: [{ image: imageResult(width, height, scenario) }] } }],
        task_metric: { TOTAL: 1, SUCCEEDED: 1, FAILED: 0 },
      },
      usage: { width, height, image_count: 1 },
    });
  }

  function createTask(kind: Task["kind"], body: Record<string, unknown>, scenario: DashScopeScenario, headers: Record<string, string>): Response {
    if (headers["x-dashscope-async"] !== "enable") return error(403, "AccessDenied", "current user api does not support synchronous calls");
    const model = String(body.model ?? "");
    const input = asObject(body.input) ?? {};
    const parameters = asObject(body.parameters) ?? {};
    if (typeof input.prompt !== "string" || input.prompt.trim() === "") return invalid("input.prompt is required.");
    let task: Task;
    if (kind === "video") {
      const i2v = /-i2v/.test(model);
      if (i2v !== (input.img_url !== undefined)) return invalid(i2v ? "input.img_url is required." : `Model ${model} does not take img_url.`);
      if (i2v) {
        const frame = typeof input.img_url === "string" ? parseDataUrl(input.img_url) : undefined;
        if (!frame || !imageInfo(frame.bytes)) return error(400, "InvalidParameter", "The image format is illegal and cannot be opened.");
      }
      const duration = parameters.duration ?? 5;
      if (typeof duration !== "number" || !Number.isInteger(duration)) return invalid("duration must be an integer.");
      let sr: number;
      if (i2v) {
        const resolution = String(parameters.resolution ?? "1080P");
        if (!(resolution in WAN_T2V_SIZES)) return invalid(`resolution ${resolution} is not supported.`);
        sr = Number.parseInt(resolution, 10);
      } else {
        const size = String(parameters.size ?? "1920*1080");
        const tier = Object.keys(WAN_T2V_SIZES).find((t) => WAN_T2V_SIZES[t]!.includes(size));
        if (!tier) return invalid(`size ${size} is not supported.`);
        sr = Number.parseInt(tier, 10);
      }
      task = { id: crypto.randomUUID(), kind, polls: 0, scenario, duration, sr, width: 0, height: 0 };
    } else {
      const size = parseSize(parameters.size ?? "1024*1024");
      if (!size) return invalid("size must be W*H.");
      task = { id: crypto.randomUUID(), kind, polls: 0, scenario, duration: 0, sr: 0, ...size };
    }
    tasks.set(task.id, task);
    return json(200, { request_id: crypto.randomUUID(), output: { task_id: task.id, task_status: "PENDING" } });
  }

  function pollTask(id: string): Response {
    const task = tasks.get(id);
    const base = { request_id: crypto.randomUUID() };
    if (!task) return json(200, { ...base, output: { task_id: id, task_status: "UNKNOWN" } });
    task.polls++;
    if (task.polls <= fake.pendingPolls) return json(200, { ...base, output: { task_id: id, task_status: task.polls === 1 ? "PENDING" : "RUNNING", submit_time: "2026-11-29 10:00:00.000" } });
    const times = { submit_time: "2026-11-29 10:00:00.000", scheduled_time: "2026-11-29 10:00:00.020", end_time: "2026-11-29 10:02:41.500" };
    if (task.scenario === "task_failed") return json(200, { ...base, output: { task_id: id, task_status: "FAILED", ...times, code: "InternalError.Algo", message: "An internal error has occured during algorithm execution." } });
    if (task.scenario === "task_refused") return json(200, { ...base, output: { task_id: id, task_status: "FAILED", ...times, code: "DataInspectionFailed", message: "Output data may contain inappropriate content." } });
    if (task.scenario === "task_canceled") return json(200, { ...base, output: { task_id: id, task_status: "CANCELED", ...times } });
    const expired = task.scenario === "expired_url";
    if (task.kind === "image") {
      const url = store(makePng(64, Math.round((64 * task.height) / task.width)), "image/png", "png", expired);
      return json(200, { ...base, output: { task_id: id, task_status: "SUCCEEDED", ...times, results: [{ url, orig_prompt: "p", actual_prompt: "p" }], task_metrics: { TOTAL: 1, SUCCEEDED: 1, FAILED: 0 } }, usage: { image_count: 1 } });
    }
    const video_url = store(makeMp4(4096, task.duration), "video/mp4", "mp4", expired);
    return json(200, {
      ...base,
      output: { task_id: id, task_status: "SUCCEEDED", ...times, orig_prompt: "p", actual_prompt: "p", ...(task.scenario === "empty" ? {} : { video_url }) },
      usage: { duration: task.duration, video_count: 1, SR: task.sr },
    });
  }

  function cosyVoice(body: Record<string, unknown>, scenario: DashScopeScenario): Response {
    const input = asObject(body.input) ?? {};
    const text = input.text;
    if (typeof text !== "string" || text.trim() === "") return invalid("Input text is required.");
    if (typeof input.voice !== "string" || input.voice === "") return invalid("voice is required.");
    const format = String(input.format ?? "mp3");
    const rate = scenario === "rate_22050" ? 22050 : Number(input.sample_rate ?? 22050);
    const seconds = Math.max(0.5, text.length / 15);
    const mp3 = scenario === "mp3" || format === "mp3";
    const url = mp3 ? store(makeMp3(seconds), "audio/mpeg", "mp3") : store(makeWav(seconds, rate), "audio/wav", "wav", scenario === "expired_url");
    return json(200, { request_id: crypto.randomUUID(), output: { finish_reason: "stop", audio: { url, id: `audio_${randomId()}`, expires_at: 1764460800 } }, usage: { characters: billedCharacters(text) } });
  }

  const server = startFakeServer<DashScopeScenario>(async (call) => {
    const { rec, path } = call;
    if (rec.headers.authorization !== `Bearer ${key}`) return error(401, "InvalidApiKey", "Invalid API-key provided.");
    const taskMatch = /^\/api\/v1\/tasks\/([^/]+)$/.exec(path);
    if (rec.method === "GET" && taskMatch) {
      const scenario = call.scenario();
      await call.transport(scenario);
      return scenarioError(scenario) ?? pollTask(decodeURIComponent(taskMatch[1]!));
    }
    if (rec.method !== "POST") return error(404, "NotFound", "Not found.");
    const input = asObject(rec.body.input) ?? {};
    const words = typeof input.prompt === "string" ? input.prompt : typeof input.text === "string" ? input.text : JSON.stringify(input.messages ?? "");
    const scenario = call.scenario(words);
    await call.transport(scenario);
    const failure = scenarioError(scenario);
    if (failure) return failure;
    switch (path) {
      case "/api/v1/services/aigc/multimodal-generation/generation":
        return multimodal(rec.body, scenario);
      case "/api/v1/services/aigc/text2image/image-synthesis":
        return createTask("image", rec.body, scenario, rec.headers);
      case "/api/v1/services/aigc/video-generation/video-synthesis":
        return createTask("video", rec.body, scenario, rec.headers);
      case "/api/v1/services/audio/tts/SpeechSynthesizer":
        return cosyVoice(rec.body, scenario);
      default:
        return error(404, "NotFound", `No route for ${path}.`);
    }
  });

  const fake: FakeDashScope = Object.assign(server, { storageUrl: "", key, pendingPolls: 2 });
  fake.storageUrl = server.addOrigin(oss);
  return fake;
}
