// A fake openclacky gateway on an ephemeral loopback port, speaking the gateway dialect
// (images/generations, videos/generations, audio/speech; Bearer auth; base64 in data[0]).
// A scenario is chosen per request: queued with `next()`, or named in the prompt/input as `[[fake:<scenario>]]`.
import { json, type RecordedRequest as CommonRecordedRequest } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { b64, makeMp4, makePng, makeWav } from "./media.ts";

/** What the fake can be told to do with one request. */
export type ClackyScenario =
  | "ok"
  | "url" // answer with data[0].url pointing back at the fake instead of b64_json
  | "url_missing" // answer with data[0].url pointing at a file the fake no longer has (the download 404s)
  | "401"
  | "403"
  | "429"
  | "500"
  | "503"
  | "400"
  | "content_filter"
  | "malformed" // 200 with a body that is not JSON
  | "empty" // 200 with data: []
  | "not_media" // 200 with b64_json that is not the media asked for
  | "truncated" // 200 with b64_json cut after 106 characters: the first 79 bytes of the media (issue 8's corrupt PNG)
  | "slow" // answer ok after `slowMs`
  | "hang" // never answer
  | "reset"; // close the connection without answering

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A running fake gateway. */
export interface FakeClacky {
  url: string;
  key: string;
  requests: RecordedRequest[];
  /** Queue scenarios for the next requests, in order. */
  next(...scenarios: ClackyScenario[]): void;
  slowMs: number;
  /** Retry-After the 429 and 503 scenarios send, in seconds. */
  retryAfter: string;
  /** When set, every answer reports this cost_usd (a misbehaving gateway: negative, huge). */
  reportedCost?: number;
  /** When set, every image request is answered with these bytes (a large photo-like PNG for benchmarks). */
  image?: Uint8Array;
  /** Generation requests being answered right now, and the most ever at once. */
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

/** Usage and cost figures the fake reports, so tests can check they pass through untouched. */
export const CLACKY_REPORTS = {
  image: { usage: { prompt_tokens: 50, completion_tokens: 4500, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 4550 }, cost_usd: 0.04 },
  speech: { usage: { prompt_tokens: 13, completion_tokens: 122, total_tokens: 135 }, cost_usd: 0.000259 },
  videoPerSecond: 0.336,
};

/** Models the fake's GET /models lists. */
export const CLACKY_MODELS = ["or-gemini-3-1-flash-image", "or-gemini-3-pro-image", "or-gpt-image-2", "or-veo-3-1", "or-veo-3-1-fast", "or-tts-gemini-2-5-flash"];

const SIZES: Record<string, [number, number]> = {
  "1536x1024": [1536, 1024],
  "1024x1024": [1024, 1024],
  "1024x1536": [1024, 1536],
};
/** Gemini image models ignore exact sizes; the fake answers them at these. */
const GEMINI_SIZES: Record<string, [number, number]> = { landscape: [1408, 768], square: [1024, 1024], portrait: [768, 1408] };

/** Starts the fake on 127.0.0.1 with a random port. `key` is the only API key it accepts. */
export function startFakeClacky(key = "clacky-test-key-0123456789abcdef"): FakeClacky {
  const files = new Map<string, Uint8Array>();

  const answer = async ({ request, rec, path, scenario: take, transport }: FakeCall<ClackyScenario, RecordedRequest>): Promise<Response> => {
    if (request.method === "GET" && path.startsWith("/files/")) {
      const file = files.get(path);
      return file ? new Response(file as Uint8Array<ArrayBuffer>, { headers: { "content-type": "image/png" } }) : json(404, { error: { message: "no such file" } });
    }
    if (request.method === "GET" && path === "/models") {
      if (request.headers.get("authorization") !== `Bearer ${key}`) return json(401, { error: { message: "Invalid API key" } });
      return json(200, { object: "list", data: CLACKY_MODELS.map((id) => ({ id, object: "model" })) });
    }
    const known = ["/images/generations", "/videos/generations", "/audio/speech"].some((p) => path.endsWith(p));
    if (request.method !== "POST" || !known) return json(404, { error: { message: `unknown endpoint ${path}` } });
    const { body } = rec;
    const scenario = take(String(body.prompt ?? body.input ?? ""));
    if (request.headers.get("authorization") !== `Bearer ${key}` || scenario === "401")
      return json(401, { error: { message: "Invalid API key", type: "invalid_request_error" } });
    const failure = scenarioAnswer(scenario, fake.retryAfter);
    if (failure) return failure;
    await transport(scenario);
    const { bytes, mime, extra: reports } = fake.image && path.endsWith("/images/generations") ? { bytes: fake.image, mime: "image/png", extra: CLACKY_REPORTS.image } : media(path, body);
    const extra = fake.reportedCost === undefined ? reports : { ...reports, cost_usd: fake.reportedCost };
    if (scenario === "url_missing") return json(200, { data: [{ url: `${fake.url}/files/expired.png` }], ...extra });
    if (scenario === "url") {
      const file = `/files/${crypto.randomUUID()}.png`;
      files.set(file, bytes);
      return json(200, { data: [{ url: `${fake.url}${file}` }], ...extra });
    }
    const b64Json = scenario === "truncated" ? b64(bytes).slice(0, 106) : encoded(bytes);
    return json(200, { data: [{ b64_json: b64Json, mime_type: mime }], ...extra });
  };

  const fake: FakeClacky = Object.assign(startFakeServer<ClackyScenario, RecordedRequest>(answer, { record }), { key, retryAfter: "7" });
  return fake;
}

const encodings = new WeakMap<Uint8Array, string>();
/** The base64 of `bytes`, encoded once per buffer (a benchmark's fixed image is not re-encoded per request). */
function encoded(bytes: Uint8Array): string {
  const known = encodings.get(bytes);
  if (known !== undefined) return known;
  const text = b64(bytes);
  encodings.set(bytes, text);
  return text;
}

/** What the gateway records: method, path, headers and the JSON body (`{raw}` when it did not parse); downloads and listings left out. */
function record(rec: CommonRecordedRequest): RecordedRequest | undefined {
  if (rec.method === "GET" && (rec.path.startsWith("/files/") || rec.path === "/models")) return undefined;
  return { method: rec.method, path: rec.path, headers: rec.headers, body: rec.rawText !== undefined ? { raw: rec.rawText } : rec.body };
}

/** The answer of a scenario that fails or answers without media; undefined for the rest. */
function scenarioAnswer(scenario: ClackyScenario, retryAfter: string): Response | undefined {
  switch (scenario) {
    case "403":
      return json(403, { error: { message: "This key may not use this model" } });
    case "429":
      return json(429, { error: { message: "Rate limit exceeded, slow down" } }, { "retry-after": retryAfter });
    case "500":
      return json(500, { error: { message: "Internal gateway error" } });
    case "503":
      return json(503, { error: { message: "The model is overloaded. Please try again later." } }, { "retry-after": retryAfter });
    case "400":
      return json(400, { error: { message: "INVALID_ARGUMENT: unknown image model", code: "invalid_argument" } });
    case "content_filter":
      return json(400, { error: { message: "Your request was rejected by the safety system", code: "content_filter" } });
    case "malformed":
      return new Response("<html>Bad Gateway</html>", { status: 200, headers: { "content-type": "text/html" } });
    case "empty":
      return json(200, { data: [] });
    case "not_media":
      return json(200, { data: [{ b64_json: b64(new TextEncoder().encode("this is plain text, not media")) }] });
    default:
      return undefined;
  }
}

/** The media, its type and the reported usage and cost for a generation request at `path`. */
function media(path: string, body: Record<string, unknown>) {
  if (path.endsWith("/images/generations")) {
    const model = String(body.model ?? "");
    const aspect = /\[aspect: (\w+)\]/.exec(String(body.prompt ?? ""))?.[1] ?? "landscape";
    const [w, h] = /gemini|imagen/i.test(model) ? (GEMINI_SIZES[aspect] ?? [1408, 768]) : (SIZES[String(body.size)] ?? [1536, 1024]);
    return { bytes: makePng(w, h), mime: "image/png", extra: CLACKY_REPORTS.image };
  }
  if (path.endsWith("/videos/generations")) {
    const seconds = Number(body.duration_seconds ?? 8);
    return { bytes: makeMp4(), mime: "video/mp4", extra: { duration_seconds: seconds, cost_usd: Number((CLACKY_REPORTS.videoPerSecond * seconds).toFixed(6)) } };
  }
  const voice = typeof body.voice === "string" ? body.voice : "Kore";
  return { bytes: makeWav(1.5), mime: "audio/wav", extra: { ...CLACKY_REPORTS.speech, voice } };
}
