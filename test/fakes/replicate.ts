// A fake Replicate on an ephemeral loopback port, speaking its predictions API (shared/docs/providers-2.md §7;
// replicate/replicate-javascript lib/predictions.js, lib/models.js, index.d.ts):
//   POST /v1/models/{owner}/{name}/predictions   an official model, `{input}`            -> 201 prediction
//   POST /v1/predictions                         `{version: "<64-hex>" | "owner/name:<id>", input}` -> 201 prediction
//   GET  /v1/predictions/{id}                    starting/processing for `pendingPolls` polls, then succeeded
//   POST /v1/predictions/{id}/cancel             -> the prediction, canceled
//   GET  /v1/account                             -> {type, username, name}
//   GET  /v1/models/{owner}/{name}[/versions/{id}] -> the model (404 for unknown ones)
// `Prefer: wait[=n]` on creation answers the finished prediction unless the scenario is "slow_prediction" (then it
// answers `processing`, as Replicate does when the wait runs out). Outputs are served from a second origin ("delivery"),
// without auth. Auth: `Authorization: Bearer <token>`; otherwise 401 problem+json. A scenario is queued with `next()`
// or named in the prompt as `[[fake:<scenario>]]` (a prediction remembers it for its polls).
//
// Not confirmed against the live API: the 401/402/404/422 bodies (problem+json as seen in public clients); the refusal
// wording of failed predictions; whether delivery URLs ever need auth; `metrics.image_count`.
import { json, parseDataUrl, randomId, type RecordedRequest } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { imageInfo, makeMp4, makePng } from "./media.ts";

export type ReplicateScenario =
  | "ok"
  | "401"
  | "402"
  | "404" // unknown model
  | "422" // input validation failed
  | "429"
  | "500"
  | "slow_prediction" // Prefer: wait runs out: answered `processing`, polled
  | "failed" // prediction failed with a model error
  | "nsfw" // prediction failed by the safety checker
  | "canceled" // prediction canceled upstream
  | "no_output" // succeeded with output null
  | "expired" // the output URL answers 404
  | "multi" // two output files
  | "slow"
  | "hang"
  | "reset";

export interface FakeReplicate {
  url: string;
  deliveryUrl: string;
  key: string;
  requests: RecordedRequest[];
  next(...scenarios: ReplicateScenario[]): void;
  slowMs: number;
  pendingPolls: number;
  /** Ids of predictions canceled through the API. */
  canceled: string[];
  close(): Promise<void>;
}

export const KNOWN_MODELS = ["black-forest-labs/flux-schnell", "black-forest-labs/flux-dev", "black-forest-labs/flux-pro", "minimax/video-01", "stability-ai/sdxl"];
export const SDXL_VERSION = "7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc";

interface Prediction {
  id: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  polls: number;
  scenario: ReplicateScenario;
  status: string;
  created_at: string;
}

const problem = (status: number, title: string, detail: string) => json(status, { title, detail, status }, { "content-type": "application/problem+json" });

function scenarioError(scenario: ReplicateScenario): Response | undefined {
  switch (scenario) {
    case "401":
      return problem(401, "Unauthenticated", "You did not pass a valid authentication token");
    case "402":
      return problem(402, "Insufficient credit", "You have insufficient credit to run this model. Go to https://replicate.com/account/billing to purchase credit.");
    case "404":
      return problem(404, "Not found", "The requested resource could not be found.");
    case "422":
      return problem(422, "Input validation failed", "- input.num_outputs: Must be less than or equal to 4");
    case "429":
      return new Response(JSON.stringify({ detail: "Request was throttled. Your rate limit resets in ~30s.", status: 429 }), { status: 429, headers: { "content-type": "application/problem+json", "retry-after": "30" } });
    case "500":
      return problem(500, "Internal server error", "An unexpected error occurred.");
    default:
      return undefined;
  }
}

/** Starts the fake on 127.0.0.1 with a random port. `key` is the only token it accepts. */
export function startFakeReplicate(key = "r8_fakeReplicateToken0123456789abcdef"): FakeReplicate {
  const predictions = new Map<string, Prediction>();
  const files = new Map<string, { bytes: Uint8Array; type: string }>();

  const store = (bytes: Uint8Array, type: string, ext: string): string => {
    const id = randomId();
    files.set(id, { bytes, type });
    return `${fake.deliveryUrl}/xezq/${id}/out-0.${ext}`;
  };

  const delivery = ({ rec }: FakeCall<ReplicateScenario>): Response => {
    const id = /^\/xezq\/([a-z0-9]+)\/out-\d+\.\w+$/.exec(rec.path)?.[1];
    const file = id ? files.get(id) : undefined;
    if (!file) return new Response("Not found", { status: 404 });
    return new Response(file.bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": file.type } });
  };

  const urlsOf = (p: Prediction) => ({
    get: `${fake.url}/v1/predictions/${p.id}`,
    cancel: `${fake.url}/v1/predictions/${p.id}/cancel`,
    web: `https://replicate.com/p/${p.id}`,
  });

  function view(p: Prediction): Record<string, unknown> {
    const base = { id: p.id, model: p.model, version: p.version, input: p.input, logs: "", output: null as unknown, data_removed: false, error: null as unknown, status: p.status, source: "api", created_at: p.created_at, urls: urlsOf(p) };
    if (p.status === "starting" || p.status === "processing") return base;
    const done = { ...base, started_at: p.created_at, completed_at: new Date().toISOString() };
    if (p.status === "canceled") return done;
    if (p.status === "failed") return { ...done, error: p.scenario === "nsfw" ? "NSFW content detected. Try running it again, or try a different prompt." : "CUDA out of memory. Tried to allocate 2.00 GiB", metrics: { predict_time: 0.8, total_time: 0.9 } };
    const video = /video|kling|wan/.test(p.model);
    const make = () => (video ? store(makeMp4(4096, Number(p.input.duration ?? 5)), "video/mp4", "mp4") : store(makePng(64, 36), "image/webp", "webp"));
    const outputs = p.scenario === "no_output" ? null : p.scenario === "multi" ? [make(), make()] : p.scenario === "expired" ? `${fake.deliveryUrl}/xezq/gone/out-0.webp` : video ? make() : [make()];
    const metrics = video ? { predict_time: 41.2, total_time: 43.0 } : { predict_time: 1.2, total_time: 1.5, image_count: Array.isArray(outputs) ? outputs.length : 1 };
    return { ...done, output: outputs, metrics };
  }

  /** Advances a prediction by one poll. */
  function advance(p: Prediction): void {
    if (p.status !== "starting" && p.status !== "processing") return;
    p.polls++;
    if (p.polls <= fake.pendingPolls) {
      p.status = p.polls === 1 ? "starting" : "processing";
      return;
    }
    p.status = p.scenario === "failed" || p.scenario === "nsfw" ? "failed" : p.scenario === "canceled" ? "canceled" : "succeeded";
  }

  function createPrediction(model: string, version: string, body: Record<string, unknown>, scenario: ReplicateScenario, prefer: string | undefined): Response {
    const input = body.input;
    if (typeof input !== "object" || input === null || Array.isArray(input)) return problem(422, "Input validation failed", "- input: Invalid type. Expected: object, given: null");
    const fields = input as Record<string, unknown>;
    if (typeof fields.prompt !== "string" || fields.prompt.trim() === "") return problem(422, "Input validation failed", "- input: prompt is required");
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value === "string" && value.startsWith("data:")) {
        const decoded = parseDataUrl(value);
        if (!decoded || !imageInfo(decoded.bytes)) return problem(422, "Input validation failed", `- input.${name}: could not read the image`);
      }
    }
    const p: Prediction = { id: randomId(26), model, version, input: fields, polls: 0, scenario, status: "starting", created_at: new Date().toISOString() };
    predictions.set(p.id, p);
    if (prefer && /^wait(=\d+)?$/.test(prefer) && scenario !== "slow_prediction") {
      while (p.status === "starting" || p.status === "processing") advance(p);
    } else if (scenario === "slow_prediction") p.status = "processing";
    return json(201, view(p));
  }

  const server = startFakeServer<ReplicateScenario>(async (call) => {
    const { rec, path } = call;
    if (rec.headers.authorization !== `Bearer ${key}`) return scenarioError("401")!;
    const pollMatch = /^\/v1\/predictions\/([a-z0-9]+)$/.exec(path);
    if (rec.method === "GET" && pollMatch) {
      const scenario = call.scenario();
      await call.transport(scenario);
      const failure = scenarioError(scenario);
      if (failure) return failure;
      const p = predictions.get(pollMatch[1]!);
      if (!p) return problem(404, "Not found", "The requested resource could not be found.");
      advance(p);
      return json(200, view(p));
    }
    const cancelMatch = /^\/v1\/predictions\/([a-z0-9]+)\/cancel$/.exec(path);
    if (rec.method === "POST" && cancelMatch) {
      const p = predictions.get(cancelMatch[1]!);
      if (!p) return problem(404, "Not found", "The requested resource could not be found.");
      if (p.status === "starting" || p.status === "processing") p.status = "canceled";
      fake.canceled.push(p.id);
      return json(200, view(p));
    }
    if (rec.method === "GET" && path === "/v1/account") return json(200, { type: "user", username: "fake-user", name: "Fake User", github_url: "https://github.com/fake-user" });
    const modelMatch = /^\/v1\/models\/([^/]+)\/([^/]+)(?:\/versions\/([^/]+))?$/.exec(path);
    if (rec.method === "GET" && modelMatch) {
      const name = `${modelMatch[1]}/${modelMatch[2]}`;
      if (!KNOWN_MODELS.includes(name)) return scenarioError("404")!;
      if (modelMatch[3] && modelMatch[3] !== SDXL_VERSION) return scenarioError("404")!;
      return json(200, { url: `https://replicate.com/${name}`, owner: modelMatch[1], name: modelMatch[2], visibility: "public", latest_version: { id: SDXL_VERSION } });
    }
    if (rec.method !== "POST") return problem(404, "Not found", "The requested resource could not be found.");
    const input = rec.body.input as Record<string, unknown> | undefined;
    const scenario = call.scenario(typeof input?.prompt === "string" ? input.prompt : undefined);
    await call.transport(scenario);
    const failure = scenarioError(scenario);
    if (failure) return failure;
    const prefer = rec.headers.prefer;
    const official = /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/.exec(path);
    if (official) {
      const name = `${decodeURIComponent(official[1]!)}/${decodeURIComponent(official[2]!)}`;
      if (!KNOWN_MODELS.includes(name)) return scenarioError("404")!;
      if (rec.body.version !== undefined) return problem(422, "Invalid request", "version is not allowed on a model's predictions route");
      return createPrediction(name, SDXL_VERSION.replace(/^./, "0"), rec.body, scenario, prefer);
    }
    if (path === "/v1/predictions") {
      const version = String(rec.body.version ?? "");
      const match = /^(?:([^/:]+\/[^/:]+):)?([0-9a-f]{64})$/.exec(version);
      if (!match) return problem(422, "Invalid version", "- version: Invalid version or not permitted");
      if (match[2] !== SDXL_VERSION) return problem(422, "Invalid version", "- version: Invalid version or not permitted");
      return createPrediction(match[1] ?? "stability-ai/sdxl", match[2]!, rec.body, scenario, prefer);
    }
    return problem(404, "Not found", "The requested resource could not be found.");
  });

  const fake: FakeReplicate = Object.assign(server, { deliveryUrl: "", key, pendingPolls: 2, canceled: [] as string[] });
  fake.deliveryUrl = server.addOrigin(delivery);
  return fake;
}
