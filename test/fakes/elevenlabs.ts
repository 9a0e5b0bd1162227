// A fake ElevenLabs API on an ephemeral loopback port, in ElevenLabs' own wire format (shared/docs/providers-2.md §8;
// paths, the `xi-api-key` header and `output_format` as a query parameter checked against elevenlabs/elevenlabs-js
// src/api/resources/textToSpeech/client/Client.ts):
//   POST /v1/text-to-speech/{voice_id}?output_format=pcm_24000   {text, model_id, voice_settings?, language_code?, seed?}
//        -> 200 raw s16le mono PCM at the asked rate (no header), `x-character-count` and `request-id` headers
//   GET  /v1/voices   -> {"voices": [{voice_id, name, category}]}
// Errors: {"detail": {"status": "<code>", "message": "..."}} (401 invalid_api_key / quota_exceeded, 400 voice_not_found,
// 400 max_character_limit_exceeded, 400 model_not_found, 429 too_many_concurrent_requests / system_busy); 422 FastAPI {"detail": [{loc, msg, type}]}.
// Unconfirmed (mirrors, not the SDK): the error bodies and statuses; the `audio/pcm` content type of pcm_* answers; that an
// unknown voice id is a 400 voice_not_found rather than a 404; that x-character-count equals the input's length.
import { json } from "./common.ts";
import { type FakeCall, type FakeServer, startFakeServer } from "./harness.ts";
import { makePcm } from "./media.ts";

export type { RecordedRequest } from "./common.ts";

/** What the fake can be told to do with one request. */
export type ElevenScenario =
  | "ok"
  | "401" // invalid_api_key
  | "quota" // 401 quota_exceeded
  | "voice_not_found" // 400
  | "too_long" // 400 max_character_limit_exceeded
  | "busy" // 429 system_busy
  | "concurrent" // 429 too_many_concurrent_requests
  | "model_not_found" // 400 model_not_found
  | "422" // FastAPI validation
  | "500"
  | "empty" // 200 with no bytes
  | "odd" // 200 with an odd number of bytes
  | "html" // 200 with an HTML page
  | "no_count" // 200 without x-character-count
  | "slow"
  | "hang"
  | "reset";

/** The voices the fake account has (two premade ones and a clone). */
export const ELEVEN_VOICES = [
  { voice_id: "JBFqnCBsd6RMkjVDRZzb", name: "George", category: "premade" },
  { voice_id: "21m00Tcm4TlvDq8ikWAM", name: "Rachel", category: "premade" },
  { voice_id: "AbCdEfGhIjKlMnOpQrSt", name: "My Clone", category: "cloned" },
];

/** Seconds of audio the fake answers: one per 15 characters, at least 0.5 s. */
export const elevenSeconds = (text: string) => Math.max(0.5, Math.round((text.length / 15) * 10) / 10);

export interface FakeElevenLabs extends FakeServer<ElevenScenario> {
  key: string;
}

const detail = (status: number, code: string, message: string, headers: Record<string, string> = {}) => json(status, { detail: { status: code, message } }, headers);

/** Starts the fake; `key` is the only accepted `xi-api-key` (null: any). */
export function startFakeElevenLabs(key: string | null = "el-test-key"): FakeElevenLabs {
  const handle = async (call: FakeCall<ElevenScenario>): Promise<Response> => {
    const { rec } = call;
    if (key !== null && rec.headers["xi-api-key"] !== key) {
      return detail(401, "invalid_api_key", "Invalid API key");
    }
    if (rec.method === "GET" && call.path === "/v1/voices") return json(200, { voices: ELEVEN_VOICES });
    const tts = /^\/v1\/text-to-speech\/([^/]+)$/.exec(call.path);
    if (rec.method !== "POST" || !tts) return json(404, { detail: "Not Found" });
    const text = typeof rec.body.text === "string" ? rec.body.text : "";
    const scenario = call.scenario(text);
    await call.transport(scenario);
    switch (scenario) {
      case "401":
        return detail(401, "invalid_api_key", "Invalid API key");
      case "quota":
        return detail(401, "quota_exceeded", "This request exceeds your quota of 10000. You have 12 credits remaining, while 40 credits are required for this request.");
      case "voice_not_found":
        return detail(400, "voice_not_found", "A voice with the voice_id does not exist.");
      case "too_long":
        return detail(400, "max_character_limit_exceeded", `This request's text has ${text.length} characters and exceeds the character limit of 10000 characters.`);
      case "busy":
        return detail(429, "system_busy", "We are experiencing heavy traffic, please try again later.", { "retry-after": "2" });
      case "concurrent":
        return detail(429, "too_many_concurrent_requests", "Too many concurrent requests. Your current subscription is limited to 2 concurrent requests.");
      case "model_not_found":
        return detail(400, "model_not_found", `A model with model ID ${String(rec.body.model_id)} does not exist.`);
      case "422":
        return json(422, { detail: [{ loc: ["body", "text"], msg: "field required", type: "value_error.missing" }] });
      case "500":
        return json(500, { detail: { status: "internal_error", message: "An internal error occurred" } });
      case "html":
        return new Response("<html><body>gateway</body></html>", { headers: { "content-type": "text/html" } });
      default:
        break;
    }
    if (!text) return json(422, { detail: [{ loc: ["body", "text"], msg: "field required", type: "value_error.missing" }] });
    if (!ELEVEN_VOICES.some((v) => v.voice_id === tts[1])) return detail(400, "voice_not_found", `A voice with voice_id ${tts[1]} does not exist.`);
    const format = rec.query.output_format ?? "mp3_44100_128";
    const rate = Number(/^pcm_(\d+)$/.exec(format)?.[1]);
    if (!rate) return json(422, { detail: [{ loc: ["query", "output_format"], msg: "the fake speaks pcm_* only", type: "value_error" }] });
    let body: Uint8Array = scenario === "empty" ? new Uint8Array() : makePcm(elevenSeconds(text), rate);
    if (scenario === "odd") body = body.subarray(0, 101);
    const headers: Record<string, string> = { "content-type": "audio/pcm", "request-id": "req-fake-1" };
    if (scenario !== "no_count") headers["x-character-count"] = String(text.length);
    return new Response(body as Uint8Array<ArrayBuffer>, { headers });
  };
  const fake = startFakeServer<ElevenScenario>(handle) as FakeElevenLabs;
  fake.key = key ?? "";
  return fake;
}
