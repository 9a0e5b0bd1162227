// A fake fal queue API on an ephemeral loopback port, speaking its documented wire format (shared/docs/providers-2.md §6;
// fal-js `libs/client/src/queue.ts` and `types/common.ts`, read 2026-11-29):
//   POST /{owner}/{app}[/{subpath}]                 submit: {status: IN_QUEUE, request_id, response_url, status_url, cancel_url, queue_position}
//   GET  /{owner}/{app}/requests/{id}/status[?logs=1]  IN_QUEUE (queue_position) -> IN_PROGRESS (logs) -> COMPLETED (logs, metrics)
//   GET  /{owner}/{app}/requests/{id}               the model's output (images[] / video / audio with url on the CDN origin)
//   PUT  /{owner}/{app}/requests/{id}/cancel        202 CANCELLATION_REQUESTED | 400 ALREADY_COMPLETED | 404 NOT_FOUND
// Status, result and cancel answer only under `{owner}/{app}` without the subpath (as the SDK builds them); a request
// under the subpath is 404. Auth: `Authorization: Key <key>`; anything else is 401. Errors: `{detail: "..."}` with an
// `X-Fal-Error-Type` header (request errors) or `{detail: [{loc, msg, type, url, input}]}` (model errors, 422).
// Files on a second loopback origin ("v3.fal.media"), served without auth. A scenario is queued with `next()` or named
// in the prompt/text as `[[fake:<scenario>]]`; a request remembers it, so its status and result answer accordingly.
//
// Not confirmed against the live API: the 401 body; the answer to a result fetched while the request runs (here 400
// `{"detail": "Request is still in progress"}`); the 404 body for an unknown app or request; the exhausted-balance 403
// wording; each model's exact output keys.
import { json, parseDataUrl, randomId, type RecordedRequest } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { imageInfo, makeMp3, makeMp4, makePng } from "./media.ts";

export type FalScenario =
  | "ok"
  | "unknown_model" // 404 on submit: the app does not exist
  | "validation" // 422 on submit: detail[] with type missing/value_error
  | "content_policy" // the request completes; its result is 422 content_policy_violation
  | "locked" // 403: exhausted balance
  | "rate_limited" // 429
  | "runner" // 503 runner_scheduling_failure
  | "request_timeout" // 504 request_timeout
  | "empty" // the output has no file
  | "gone" // the output's file answers 404 on the CDN
  | "slow"
  | "hang"
  | "reset";

export interface FakeFal {
  url: string;
  /** Base URL of the CDN origin outputs are served from. */
  cdnUrl: string;
  key: string;
  requests: RecordedRequest[];
  next(...scenarios: FalScenario[]): void;
  slowMs: number;
  /** How many status polls answer IN_QUEUE / IN_PROGRESS before COMPLETED. */
  pendingPolls: number;
  /** Requests cancelled, by id. */
  cancelled: Set<string>;
  close(): Promise<void>;
}

/** fal's image_size presets (providers-2.md §6.4; unconfirmed for the exact pixels). */
export const FAL_PRESETS: Record<string, [number, number]> = {
  square_hd: [1024, 1024],
  square: [512, 512],
  portrait_4_3: [768, 1024],
  portrait_16_9: [576, 1024],
  landscape_4_3: [1024, 768],
  landscape_16_9: [1024, 576],
};

interface Job {
  id: string;
  app: string;
  model: string;
  input: Record<string, unknown>;
  polls: number;
  scenario: FalScenario;
}

const NAMESPACES = new Set(["workflows", "comfy"]);
const appOf = (model: string) => {
  const parts = model.split("/");
  return parts.slice(0, NAMESPACES.has(parts[0]!) ? 3 : 2).join("/");
};
const kindOf = (model: string): "image" | "video" | "audio" =>
  /video|veo|hailuo|kling|seedance/.test(model) ? "video" : /speech|tts|kokoro|audio/.test(model) ? "audio" : "image";

const detail = (status: number, text: string, errorType?: string) =>
  json(status, { detail: text, ...(errorType ? { error_type: errorType } : {}) }, errorType ? { "x-fal-error-type": errorType } : {});
const modelError = (loc: string[], msg: string, type: string, input: unknown, extra: Record<string, unknown> = {}) =>
  json(422, { detail: [{ loc, msg, type, url: `https://docs.fal.ai/errors#${type}`, input, ...extra }] }, { "x-fal-retryable": "false" });

function requestError(scenario: FalScenario): Response | undefined {
  switch (scenario) {
    case "locked":
      return detail(403, "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.");
    case "rate_limited":
      return json(429, { detail: "Too many requests" }, { "retry-after": "3" });
    case "runner":
      return detail(503, "Runner scheduling failure", "runner_scheduling_failure");
    case "request_timeout":
      return detail(504, "Request timed out", "request_timeout");
    default:
      return undefined;
  }
}

/** Starts the fake on 127.0.0.1 with a random port. `key` is the only key it accepts. */
export function startFakeFal(key = "fal-fake-key-id:0123456789abcdef"): FakeFal {
  const jobs = new Map<string, Job>();
  const files = new Map<string, { bytes: Uint8Array; type: string }>();
  const cancelled = new Set<string>();

  const store = (bytes: Uint8Array, type: string, name: string): string => {
    const id = randomId();
    files.set(id, { bytes, type });
    return `${fake.cdnUrl}/files/${id}/${name}`;
  };

  const cdn = ({ rec }: FakeCall<FalScenario>): Response => {
    const id = /^\/files\/([a-z0-9]+)\/[^/]+$/.exec(rec.path)?.[1];
    const file = id ? files.get(id) : undefined;
    if (!file) return new Response("Not Found", { status: 404 });
    return new Response(file.bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": file.type } });
  };

  function submit(model: string, input: Record<string, unknown>, scenario: FalScenario): Response {
    if (scenario === "unknown_model") return detail(404, `Application '${model.split("/")[1] ?? model}' not found`);
    const kind = kindOf(model);
    if (kind === "audio") {
      const text = /kokoro/.test(model) ? input.prompt : input.text;
      if (typeof text !== "string" || text.trim() === "") return modelError(["body", /kokoro/.test(model) ? "prompt" : "text"], "Field required", "missing", input);
    } else if (typeof input.prompt !== "string" || input.prompt.trim() === "") return modelError(["body", "prompt"], "Field required", "missing", input);
    if (scenario === "validation") return modelError(["body", "num_images"], "Input should be less than or equal to 4", "less_than_equal", 9, { ctx: { le: 4 } });
    if (kind === "image") {
      const size = input.image_size;
      if (size !== undefined && !(typeof size === "string" && size in FAL_PRESETS) && !(typeof size === "object" && size !== null && "width" in size && "height" in size)) {
        return modelError(["body", "image_size"], "Input should be a valid image size preset or {width, height}", "value_error", size);
      }
      for (const url of Array.isArray(input.image_urls) ? input.image_urls : []) {
        const decoded = typeof url === "string" && url.startsWith("data:") ? parseDataUrl(url) : undefined;
        if (!decoded || !imageInfo(decoded.bytes)) return modelError(["body", "image_urls"], "Could not read the image", "image_load_error", "…");
      }
    }
    if (kind === "video" && input.image_url !== undefined) {
      const decoded = typeof input.image_url === "string" ? parseDataUrl(input.image_url) : undefined;
      if (!decoded || !imageInfo(decoded.bytes)) return modelError(["body", "image_url"], "Could not read the image", "image_load_error", "…");
    }
    const job: Job = { id: crypto.randomUUID(), app: appOf(model), model, input, polls: 0, scenario };
    jobs.set(job.id, job);
    const base = `${fake.url}/${job.app}/requests/${job.id}`;
    return json(200, { status: "IN_QUEUE", request_id: job.id, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel`, queue_position: 0 });
  }

  const completed = (job: Job) => job.polls > fake.pendingPolls;
  const urls = (job: Job) => {
    const base = `${fake.url}/${job.app}/requests/${job.id}`;
    return { request_id: job.id, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  };

  function status(job: Job, logs: boolean): Response {
    job.polls++;
    const lines = [
      { message: "Loading model", level: "INFO", source: "USER", timestamp: "2026-11-29T10:00:00.000Z" },
      { message: "Generating: 50%", level: "INFO", source: "USER", timestamp: "2026-11-29T10:00:01.000Z" },
    ];
    if (job.polls === 1 && fake.pendingPolls > 0) return json(200, { status: "IN_QUEUE", queue_position: 1, ...urls(job) });
    if (!completed(job)) return json(200, { status: "IN_PROGRESS", logs: logs ? lines : null, ...urls(job) });
    return json(200, { status: "COMPLETED", logs: logs ? lines : null, metrics: { inference_time: 1.9 }, ...urls(job) });
  }

  function output(job: Job): Response {
    if (!completed(job)) return detail(400, "Request is still in progress");
    if (job.scenario === "content_policy") return modelError(["body", "prompt"], "The content was flagged by a content checker.", "content_policy_violation", job.input.prompt, { categories: ["violence"] });
    if (job.scenario === "empty") return json(200, { timings: { inference: 1.9 }, seed: 7 });
    const gone = job.scenario === "gone";
    const kind = kindOf(job.model);
    const url = (bytes: Uint8Array, type: string, name: string) => (gone ? `${fake.cdnUrl}/files/missing/${name}` : store(bytes, type, name));
    if (kind === "video") {
      const seconds = Number.parseInt(String(job.input.duration ?? "5"), 10) || 5;
      return json(200, { video: { url: url(makeMp4(4096, seconds), "video/mp4", "output.mp4"), content_type: "video/mp4", file_name: "output.mp4", file_size: 4096 }, seed: 7 });
    }
    if (kind === "audio") {
      const text = String(job.input.text ?? job.input.prompt ?? "");
      return json(200, { audio: { url: url(makeMp3(Math.max(0.5, text.length / 15)), "audio/mpeg", "speech.mp3"), content_type: "audio/mpeg", file_name: "speech.mp3" }, duration_ms: Math.round((Math.max(0.5, text.length / 15)) * 1000) });
    }
    const size = job.input.image_size;
    const [width, height] = typeof size === "string" ? FAL_PRESETS[size]! : typeof size === "object" && size ? [Number((size as Record<string, unknown>).width), Number((size as Record<string, unknown>).height)] : FAL_PRESETS.landscape_4_3!;
    const png = makePng(64, Math.max(1, Math.round((64 * height) / width)));
    return json(200, {
      images: [{ url: url(png, "image/png", "abc.png"), width, height, content_type: "image/png" }],
      timings: { inference: 1.9 },
      seed: 123,
      has_nsfw_concepts: [false],
      prompt: job.input.prompt,
    });
  }

  function cancel(job: Job | undefined): Response {
    if (!job) return json(404, { status: "NOT_FOUND" });
    if (completed(job)) return json(400, { status: "ALREADY_COMPLETED" });
    cancelled.add(job.id);
    return json(202, { status: "CANCELLATION_REQUESTED" });
  }

  const server = startFakeServer<FalScenario>(async (call) => {
    const { rec, path } = call;
    if (rec.headers.authorization !== `Key ${key}`) return json(401, { detail: "Invalid Key Authorization header format" });
    const route = /^\/(.+)\/requests\/([^/]+)(\/status|\/cancel)?$/.exec(path);
    if (route) {
      const job = jobs.get(decodeURIComponent(route[2]!));
      const known = job && job.app === route[1];
      if (route[3] === "/cancel") return rec.method === "PUT" ? cancel(known ? job : undefined) : json(405, { detail: "Method Not Allowed" });
      if (rec.method !== "GET") return json(405, { detail: "Method Not Allowed" });
      const scenario = call.scenario();
      await call.transport(scenario);
      const failure = requestError(scenario);
      if (failure) return failure;
      if (!known) return detail(404, "Request not found");
      return route[3] === "/status" ? status(job, rec.query.logs === "1") : output(job);
    }
    if (rec.method !== "POST") return json(405, { detail: "Method Not Allowed" });
    const model = path.replace(/^\/+/, "");
    const words = typeof rec.body.prompt === "string" ? rec.body.prompt : typeof rec.body.text === "string" ? rec.body.text : "";
    const scenario = call.scenario(words);
    await call.transport(scenario);
    return requestError(scenario) ?? submit(model, rec.body, scenario);
  });

  const fake: FakeFal = Object.assign(server, { cdnUrl: "", key, pendingPolls: 2, cancelled });
  fake.cdnUrl = server.addOrigin(cdn);
  return fake;
}
