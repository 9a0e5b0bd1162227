// A fake Volcengine Ark API (BytePlus ModelArk speaks the same) on an ephemeral loopback port, in Ark's own wire format
// (shared/docs/providers-2.md §2; field names checked against volcengine/volcengine-python-sdk volcenginesdkarkruntime:
// resources/content_generation/tasks.py, types/content_generation/*.py, resources/images/images.py, types/images/images.py):
//   POST   /api/v3/contents/generations/tasks        Seedance create: {model, content[], ratio, duration, resolution, generate_audio?,
//                                                   watermark?, seed?, ...} -> 200 {"id": "cgt-<yyyymmddhhmmss>-<5>"}
//   GET    /api/v3/contents/generations/tasks/{id}   poll: queued -> running -> succeeded (content.video_url on the storage origin,
//                                                   usage.completion_tokens, duration, ratio, resolution, framespersecond, seed) |
//                                                   failed (error {code, message}) | expired | cancelled
//   DELETE /api/v3/contents/generations/tasks/{id}   200 {}
//   POST   /api/v3/images/generations                Seedream: {model, prompt, image?, size, response_format, watermark,
//                                                   sequential_image_generation?} -> {model, created, data[{b64_json|url, size}], usage}
//   GET    <storage origin>/<object>                 the signed result (TOS); answers 403 to a request carrying an Authorization header
// Errors: {"error": {"code", "message", "param", "type"}} with the statuses of Ark's error-code page (providers-2.md §2.2).
// A scenario is queued with `next()` (every API request takes one) or named in the prompt as `[[fake:<scenario>]]` (a task
// remembers it, so its polls answer accordingly).
// Unconfirmed (mirrors or memory, not the SDK): the error codes and texts; the task id format; that a task reports `queued`
// before `running`; the pixel sizes per resolution and ratio (used for the fake's token counts, W x H x 24 x s / 1024); that
// an empty `content` is a 400 MissingParameter after the key and the model were checked (what the connection test relies on);
// the in-task refusal code OutputVideoSensitiveContentDetected; Seedream's `output_tokens` (W x H / 256).
import { json, parseDataUrl, type RecordedRequest } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { b64, makeJpeg, makeMp4 } from "./media.ts";

export type { RecordedRequest } from "./common.ts";

/** What the fake can be told to do with one request. */
export type ArkScenario =
  | "ok"
  | "400" // InvalidParameter
  | "400_sensitive" // InputTextSensitiveContentDetected
  | "401"
  | "403_overdue" // AccountOverdueError
  | "404" // the model (endpoint) does not exist
  | "429" // RateLimitExceeded.EndpointRPMExceeded, with Retry-After
  | "500" // InternalServiceError
  | "503" // ServiceUnavailable
  | "no_id" // create answers 200 without an id
  | "task_failed_sensitive" // the task ends failed with OutputVideoSensitiveContentDetected
  | "task_failed" // the task ends failed with InternalServiceError
  | "task_expired"
  | "task_cancelled"
  | "download_404" // the task succeeds but its video URL answers 404 (expired)
  | "url" // Seedream answers a URL on the storage origin instead of b64_json
  | "item_error" // Seedream answers 200 with data[0].error (OutputImageSensitiveContentDetected)
  | "malformed" // 200 with an HTML body
  | "slow"
  | "hang"
  | "reset";

/** Seedance models the fake knows; its pixel sizes per resolution and ratio. */
export const ARK_VIDEO_MODELS = ["seedance-1-0-pro-250528", "seedance-1-5-pro-251215", "dreamina-seedance-2-0-260128", "doubao-seedance-1-0-pro-250528", "seedance-1-0-lite-t2v-250428"];
export const ARK_IMAGE_MODELS = ["seedream-4-0-250828", "seedream-4-5-251128", "doubao-seedream-4-0-250828", "doubao-seedream-3-0-t2i-250415"];
export const ARK_PIXELS: Record<string, Record<string, [number, number]>> = {
  "480p": { "16:9": [864, 480], "4:3": [736, 544], "1:1": [640, 640], "3:4": [544, 736], "9:16": [480, 864], "21:9": [960, 416] },
  "720p": { "16:9": [1248, 704], "4:3": [1120, 832], "1:1": [960, 960], "3:4": [832, 1120], "9:16": [704, 1248], "21:9": [1504, 640] },
  "1080p": { "16:9": [1920, 1088], "4:3": [1664, 1248], "1:1": [1440, 1440], "3:4": [1248, 1664], "9:16": [1088, 1920], "21:9": [2176, 928] },
};

/** Ark's token count of a clip: width x height x 24 fps x seconds / 1024. */
export function arkVideoTokens(resolution: string, ratio: string, seconds: number): number {
  const [w, h] = ARK_PIXELS[resolution]![ratio === "adaptive" ? "16:9" : ratio]!;
  return Math.round((w * h * 24 * seconds) / 1024);
}

/** One task the fake holds. */
export interface ArkTask {
  id: string;
  model: string;
  scenario: ArkScenario;
  body: Record<string, unknown>;
  polls: number;
  deleted?: boolean;
}

/** A running fake Ark. */
export interface FakeArk {
  url: string;
  /** The signed-storage origin results are served from. */
  storageUrl: string;
  key: string;
  requests: RecordedRequest[];
  tasks: Map<string, ArkTask>;
  next(...scenarios: ArkScenario[]): void;
  slowMs: number;
  /** Polls answering queued/running before a task reaches its final status. */
  pendingPolls: number;
  close(): Promise<void>;
}

const ERRORS: Record<string, [number, string, string, string]> = {
  "400": [400, "BadRequest", "InvalidParameter", "The parameter `ratio` specified in the request is not valid"],
  "400_sensitive": [400, "BadRequest", "InputTextSensitiveContentDetected", "The request failed because the input text may contain sensitive information."],
  "401": [401, "Unauthorized", "AuthenticationError", "The API key or AK/SK in the request is missing or invalid."],
  "403_overdue": [403, "Forbidden", "AccountOverdueError", "The request failed because your account has an overdue balance."],
  "404": [404, "NotFound", "InvalidEndpointOrModel.NotFound", "The model or endpoint does not exist or you do not have access to it."],
  "429": [429, "TooManyRequests", "RateLimitExceeded.EndpointRPMExceeded", "The request has exceeded the RPM limit of the endpoint."],
  "500": [500, "InternalServerError", "InternalServiceError", "The service encountered an unexpected internal error."],
  "503": [503, "ServiceUnavailable", "ServiceUnavailable", "The service is temporarily unavailable."],
};

const requestId = () => `${new Date().toISOString().replace(/\D/g, "").slice(0, 17)}${Math.random().toString(16).slice(2, 10)}`;

function arkError(status: number, type: string, code: string, message: string, param = ""): Response {
  const headers: Record<string, string> = status === 429 ? { "retry-after": "7" } : {};
  return json(status, { error: { code, message: `${message} Request ID: ${requestId()}`, param, type } }, headers);
}

const scenarioError = (scenario: ArkScenario): Response | undefined => {
  const known = ERRORS[scenario];
  return known ? arkError(...known) : undefined;
};

type Item = { type?: unknown; role?: unknown; text?: unknown; image_url?: { url?: unknown }; video_url?: { url?: unknown }; audio_url?: { url?: unknown } };

/** Starts the fake on 127.0.0.1 with a random port. `key` is the only API key it accepts. */
export function startFakeArk(key = "fake-ark-key-0123456789abcdef"): FakeArk {
  const tasks = new Map<string, ArkTask>();

  const storage = (call: FakeCall<ArkScenario>): Response => {
    if (call.request.headers.get("authorization")) return new Response("<Error><Code>AccessDenied</Code></Error>", { status: 403 });
    const match = /^\/ark-content\/(cgt-[\w-]+)\.mp4$/.exec(call.path) ?? /^\/ark-content\/(img-[\w-]+)\.jpeg$/.exec(call.path);
    if (!match) return new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404 });
    if (match[1]!.startsWith("img-")) {
      const [w, h] = match[1]!.slice(4).split("x").map(Number) as [number, number];
      return new Response(makeJpeg(w, h) as Uint8Array<ArrayBuffer>, { headers: { "content-type": "image/jpeg" } });
    }
    const task = tasks.get(match[1]!);
    if (!task || task.scenario === "download_404") return new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404 });
    return new Response(makeMp4(4096, Number(task.body.duration ?? 5)) as Uint8Array<ArrayBuffer>, { headers: { "content-type": "video/mp4" } });
  };

  const create = (body: Record<string, unknown>, scenario: ArkScenario): Response => {
    const content = Array.isArray(body.content) ? (body.content as Item[]) : [];
    if (content.length === 0) return arkError(400, "BadRequest", "MissingParameter", "The request failed because it is missing one or multiple required parameters: content", "content");
    const roles = content.map((item) => String(item.role ?? item.type));
    const frames = roles.some((r) => r === "first_frame" || r === "last_frame");
    const refs = roles.some((r) => r.startsWith("reference_"));
    if (frames && refs) return arkError(400, "BadRequest", "InvalidParameter", "first/last frame cannot be mixed with reference media", "content");
    for (const item of content) {
      const url = item.type === "image_url" ? item.image_url?.url : item.type === "video_url" ? item.video_url?.url : item.type === "audio_url" ? item.audio_url?.url : undefined;
      if (item.type === "text" && typeof item.text === "string") continue;
      if (typeof url !== "string" || !(url.startsWith("http") || parseDataUrl(url))) return arkError(400, "BadRequest", "InvalidParameter", `The parameter \`content\` has an invalid ${String(item.type)}`, "content");
    }
    if (body.ratio !== undefined && !["16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"].includes(String(body.ratio))) return arkError(...ERRORS["400"]!);
    if (body.resolution !== undefined && !ARK_PIXELS[String(body.resolution)]) return arkError(400, "BadRequest", "InvalidParameter", "The parameter `resolution` specified in the request is not valid", "resolution");
    if (scenario === "no_id") return json(200, {});
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const id = `cgt-${stamp}-${Math.random().toString(36).slice(2, 7)}`;
    tasks.set(id, { id, model: String(body.model), scenario, body, polls: 0 });
    return json(200, { id });
  };

  const view = (task: ArkTask): Record<string, unknown> => {
    task.polls++;
    const created_at = 1767225600;
    const base = { id: task.id, model: task.model, created_at, updated_at: created_at + task.polls, service_tier: "default", execution_expires_after: 172800 };
    if (task.polls <= fake.pendingPolls) return { ...base, status: task.polls === 1 ? "queued" : "running", error: null };
    const resolution = String(task.body.resolution ?? "720p");
    const ratio = String(task.body.ratio ?? "16:9");
    const duration = Number(task.body.duration ?? 5);
    const audio = /seedance-(1-5|2-0)/.test(task.model) ? { generate_audio: task.body.generate_audio ?? true } : {};
    const shape = { resolution, ratio: ratio === "adaptive" ? "16:9" : ratio, duration, framespersecond: 24, seed: typeof task.body.seed === "number" && task.body.seed >= 0 ? task.body.seed : 58944, ...audio };
    const failed = (code: string, message: string) => ({ ...base, ...shape, status: "failed", error: { code, message } });
    switch (task.scenario) {
      case "task_failed_sensitive":
        return failed("OutputVideoSensitiveContentDetected", "The request failed because the output video may contain sensitive information.");
      case "task_failed":
        return failed("InternalServiceError", "The service encountered an unexpected internal error.");
      case "task_expired":
        return { ...base, status: "expired", error: null };
      case "task_cancelled":
        return { ...base, status: "cancelled", error: null };
    }
    const tokens = arkVideoTokens(resolution, ratio, duration);
    return {
      ...base,
      ...shape,
      status: "succeeded",
      error: null,
      content: { video_url: `${fake.storageUrl}/ark-content/${task.id}.mp4?X-Tos-Algorithm=TOS4-HMAC-SHA256&X-Tos-Expires=86400&X-Tos-Signature=f00d` },
      usage: { completion_tokens: tokens, total_tokens: tokens },
    };
  };

  const images = (body: Record<string, unknown>, scenario: ArkScenario): Response => {
    if (typeof body.prompt !== "string" || body.prompt === "") return arkError(400, "BadRequest", "MissingParameter", "The request failed because it is missing one or multiple required parameters: prompt", "prompt");
    const size = String(body.size ?? "2048x2048");
    const preset: Record<string, [number, number]> = { "1K": [1024, 1024], "2K": [2048, 2048], "4K": [4096, 4096], adaptive: [1024, 1024] };
    const dims = preset[size] ?? (/^(\d+)x(\d+)$/.exec(size)?.slice(1).map(Number) as [number, number] | undefined);
    if (!dims) return arkError(400, "BadRequest", "InvalidParameter", "The parameter `size` specified in the request is not valid", "size");
    const [w, h] = dims;
    const created = Math.floor(Date.now() / 1000);
    if (scenario === "item_error") {
      return json(200, { model: body.model, created, data: [{ error: { code: "OutputImageSensitiveContentDetected", message: "The request failed because the output image may contain sensitive information." } }], usage: { generated_images: 0, output_tokens: 0, total_tokens: 0 } });
    }
    const tokens = Math.round((w * h) / 256);
    const item = scenario === "url" || body.response_format === "url" ? { url: `${fake.storageUrl}/ark-content/img-${w}x${h}.jpeg?X-Tos-Expires=86400`, size: `${w}x${h}` } : { b64_json: b64(makeJpeg(w, h)), size: `${w}x${h}` };
    return json(200, { model: body.model, created, data: [item], usage: { generated_images: 1, output_tokens: tokens, total_tokens: tokens } });
  };

  const handle = async (call: FakeCall<ArkScenario>): Promise<Response> => {
    const { request, path, rec } = call;
    const create_ = request.method === "POST" && path === "/api/v3/contents/generations/tasks";
    const taskPath = /^\/api\/v3\/contents\/generations\/tasks\/([\w-]+)$/.exec(path);
    const image = request.method === "POST" && path === "/api/v3/images/generations";
    if (!create_ && !taskPath && !image) return arkError(404, "NotFound", "NotFound", `The requested resource ${path} was not found.`);
    const content = Array.isArray(rec.body.content) ? (rec.body.content as Item[]) : [];
    const prompt = image ? String(rec.body.prompt ?? "") : String(content.find((i) => i.type === "text")?.text ?? "");
    const scenario = call.scenario(create_ || image ? prompt : "");
    if (request.headers.get("authorization") !== `Bearer ${key}` || scenario === "401") return arkError(...ERRORS["401"]!);
    const forced = scenarioError(scenario);
    if (forced) return forced;
    await call.transport(scenario);
    if (scenario === "malformed") return new Response("<html><body>502 Bad Gateway</body></html>", { status: 200, headers: { "content-type": "text/html" } });
    if (rec.rawText !== undefined) return arkError(400, "BadRequest", "InvalidParameter", "The request body is not valid JSON");
    if (create_ || image) {
      const model = String(rec.body.model ?? "");
      if (!(image ? ARK_IMAGE_MODELS : ARK_VIDEO_MODELS).includes(model)) return arkError(...ERRORS["404"]!);
      return image ? images(rec.body, scenario) : create(rec.body, scenario);
    }
    const task = tasks.get(taskPath![1]!);
    if (!task || task.deleted) return arkError(404, "NotFound", "NotFound.TaskId", `The specified task ${taskPath![1]} is not found.`);
    if (request.method === "DELETE") {
      task.deleted = true;
      return json(200, {});
    }
    return json(200, view(task));
  };

  const base = startFakeServer<ArkScenario>(handle);
  const fake: FakeArk = Object.assign(base, { key, tasks, pendingPolls: 2, storageUrl: "" });
  fake.storageUrl = base.addOrigin(storage);
  return fake;
}
