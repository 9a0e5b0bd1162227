// ElevenLabs text-to-speech, natively: POST /v1/text-to-speech/{voice_id}?output_format=pcm_24000 with `xi-api-key`,
// raw s16le 24 kHz mono PCM wrapped into a WAV; voice names resolved to ids through GET /v1/voices (cached).
import type { ModelEntry } from "../config/schema.ts";
import { AppError, invalidArgument } from "../errors.ts";
import { encodeWav } from "../formats/wav.ts";
import { clip, joinUrl, readBytes, readJsonObject, request, upstreamMessage } from "./http.ts";
import { asObject, asString } from "./json.ts";
import { ElevenLabsOptions } from "./options.ts";
import type { CallContext, Provider, ProviderResult, SpeechJob } from "./types.ts";
import { SKILL_VOICES } from "./voices.ts";

/** The voice a request without one, or naming one of the skill's Gemini voices (Kore, ...), gets: "George" (premade). */
export const ELEVENLABS_DEFAULT_VOICE = "JBFqnCBsd6RMkjVDRZzb";
/** The output format asked for: the 24 kHz mono 16-bit PCM every speech result is served as. */
export const ELEVENLABS_OUTPUT_FORMAT = "pcm_24000";
const SAMPLE_RATE = 24000;
/** Model ids ElevenLabs documents for text-to-speech (providers-2.md §8.2). */
export const ELEVENLABS_MODELS = ["eleven_multilingual_v2", "eleven_v3", "eleven_flash_v2_5", "eleven_turbo_v2_5", "eleven_flash_v2", "eleven_turbo_v2"] as const;
/** How long a fetched voice list is used before it is fetched again, in ms. */
const VOICES_TTL_MS = 10 * 60_000;

const SKILL_VOICE_KEYS = new Set(SKILL_VOICES.map((voice) => voice.toLowerCase()));
/** A voice id: 20 letters and digits (premade and cloned voices alike). */
const isVoiceId = (voice: string) => /^[A-Za-z0-9]{20}$/.test(voice);

interface Voice {
  id: string;
  name: string;
}
/** Voice lists by base URL and key (never the key itself: a hash of it). */
const voiceCache = new Map<string, { at: number; voices: Voice[] }>();
/** The names of the last voice list fetched, for the Models page's picker. */
let lastVoiceNames: string[] = [];

/** Forgets every cached voice list (tests). */
export function clearElevenLabsVoices(): void {
  voiceCache.clear();
  lastVoiceNames = [];
}

function options(entry: ModelEntry): ElevenLabsOptions {
  return ElevenLabsOptions.parse(entry.options ?? {});
}

function headers(ctx: CallContext, extra: Record<string, string> = {}): Record<string, string> {
  return ctx.apiKey ? { "xi-api-key": ctx.apiKey, ...extra } : extra;
}

/** `{"detail": {"status", "message"}}` (or FastAPI's `{"detail": [...]}`): the status word and the message. */
function detailOf(body: string): { status?: string; message: string } {
  try {
    const detail = (JSON.parse(body) as { detail?: unknown }).detail;
    const object = asObject(detail);
    if (object) {
      const status = asString(object.status) ?? asString(object.code);
      const message = asString(object.message) ?? upstreamMessage(body);
      return { status, message: clip(status && !message.includes(status) ? `${status}: ${message}` : message) };
    }
    if (Array.isArray(detail)) {
      const first = asObject(detail[0]);
      const loc = Array.isArray(first?.loc) ? first.loc.join(".") : undefined;
      const msg = asString(first?.msg);
      if (msg) return { message: clip(loc ? `${loc}: ${msg}` : msg) };
    }
  } catch {
    // not JSON
  }
  return { message: upstreamMessage(body) };
}

/** ElevenLabs' `detail.status` words mapped into the catalogue; undefined = the default mapping by HTTP status. */
export function mapError(status: number, body: string, responseHeaders?: Headers): AppError | undefined {
  const detail = detailOf(body);
  const message = `Upstream ${status}: ${detail.message}`;
  const upstream = { upstream_status: status };
  const word = detail.status ?? "";
  if (word === "quota_exceeded" || /quota_exceeded/.test(body)) return new AppError("insufficient_credits", message, upstream);
  if (word === "voice_not_found") return invalidArgument("voice", `${message} (a voice id or a name from GET /v1/voices)`);
  if (word === "max_character_limit_exceeded") return invalidArgument("input", message);
  if (status === 401 || status === 403 || word === "invalid_api_key") {
    return new AppError("auth_required", `${message} (check the model's api_key in config.yml)`, { ...upstream, status: 502 });
  }
  if (status === 429) {
    const retry = Number(responseHeaders?.get("retry-after"));
    const details = Number.isFinite(retry) && retry >= 0 && responseHeaders?.get("retry-after") ? { ...upstream, retry_after_seconds: Math.ceil(retry) } : upstream;
    // system_busy: ElevenLabs itself is loaded (back off); too_many_concurrent_requests: the plan's concurrency (queue).
    return new AppError(word === "system_busy" ? "overloaded" : "rate_limited", message, details);
  }
  if (status === 402 || status === 503 || status === 529) return undefined;
  if (word === "model_not_found" || /model_not_found|model .* (does not exist|not found)/i.test(detail.message)) return undefined;
  return detail.status || detail.message !== upstreamMessage(body) ? new AppError("api_error", message, upstream) : undefined;
}

function cacheKey(ctx: CallContext): string {
  return `${ctx.baseUrl}\n${ctx.apiKey ? Bun.hash(ctx.apiKey).toString(36) : ""}`;
}

/** GET /v1/voices: the account's voices (premade, cloned, library), cached per base URL and key. */
async function listVoices(ctx: CallContext, fresh = false): Promise<Voice[]> {
  const key = cacheKey(ctx);
  const cached = voiceCache.get(key);
  if (!fresh && cached && Date.now() - cached.at < VOICES_TTL_MS) return cached.voices;
  const response = await request(joinUrl(ctx.baseUrl, "v1/voices"), { headers: headers(ctx) }, ctx, mapError);
  const json = await readJsonObject(response, ctx);
  if (!Array.isArray(json.voices)) throw new AppError("invalid_response", "ElevenLabs answered GET /v1/voices without a voices list");
  const voices = json.voices.flatMap((v) => {
    const id = asString(asObject(v)?.voice_id);
    return id ? [{ id, name: asString(asObject(v)?.name) ?? id }] : [];
  });
  voiceCache.set(key, { at: Date.now(), voices });
  lastVoiceNames = voices.map((v) => v.name);
  return voices;
}

/** The voice id to send and the name to report: ids as given, names looked up, skill voices and none to the default. */
async function resolveVoice(requested: string | undefined, ctx: CallContext): Promise<{ id: string; name: string }> {
  const configured = options(ctx.entry).voice;
  const wanted = !requested || SKILL_VOICE_KEYS.has(requested.toLowerCase()) ? (configured ?? ELEVENLABS_DEFAULT_VOICE) : requested;
  if (isVoiceId(wanted)) return { id: wanted, name: wanted };
  const voices = await listVoices(ctx);
  const found = voices.find((v) => v.name.toLowerCase() === wanted.toLowerCase()) ?? voices.find((v) => v.name.toLowerCase().split(/\s+-\s+|\s+/)[0] === wanted.toLowerCase());
  if (!found) {
    const names = voices.map((v) => v.name);
    throw invalidArgument("voice", `voice "${wanted}" is not among this ElevenLabs account's voices; give a voice id or one of ${names.slice(0, 30).join(", ")}`, names);
  }
  return found;
}

async function speech(job: SpeechJob, ctx: CallContext): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const voice = await resolveVoice(job.voice, ctx);
  const settings = { stability: opts.stability, similarity_boost: opts.similarity_boost, style: opts.style, use_speaker_boost: opts.use_speaker_boost, speed: opts.speed };
  const voiceSettings = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const body: Record<string, unknown> = { text: job.input, model_id: ctx.entry.model };
  if (Object.keys(voiceSettings).length > 0) body.voice_settings = voiceSettings;
  if (opts.language_code) body.language_code = opts.language_code;
  if (opts.seed !== undefined) body.seed = opts.seed;
  const url = `${joinUrl(ctx.baseUrl, `v1/text-to-speech/${encodeURIComponent(voice.id)}`)}?output_format=${ELEVENLABS_OUTPUT_FORMAT}`;
  const response = await request(url, { method: "POST", headers: headers(ctx, { "content-type": "application/json", accept: "audio/pcm" }), body: JSON.stringify(body) }, ctx, mapError);
  const pcm = await readBytes(response, ctx);
  const type = response.headers.get("content-type") ?? "";
  if (/json|html|text\//i.test(type)) throw new AppError("invalid_response", `ElevenLabs answered ${type} instead of audio: ${clip(new TextDecoder().decode(pcm))}`);
  if (pcm.length === 0) throw new AppError("empty_response", "Upstream returned no audio data");
  if (pcm.length % 2 !== 0) throw new AppError("invalid_response", `ElevenLabs sent ${pcm.length} bytes as 16-bit PCM, an odd count: not audio`);
  const samples = new Int16Array(new Uint8Array(pcm).buffer);
  const counted = Number(response.headers.get("x-character-count"));
  const characters = response.headers.get("x-character-count") !== null && Number.isFinite(counted) && counted >= 0 ? counted : job.input.length;
  const requestId = response.headers.get("request-id");
  const extra: Record<string, unknown> = { voice_id: voice.id };
  if (requestId) extra.request_id = requestId;
  return {
    bytes: encodeWav({ sampleRate: SAMPLE_RATE, samples }),
    mimeType: "audio/wav",
    voice: voice.name,
    meter: { characters },
    durationSeconds: samples.length / SAMPLE_RATE,
    extra,
  };
}

/** GET /v1/voices: proves the key (and fills the voice picker); the model id is checked against the known ones. */
async function testConnection(ctx: CallContext): Promise<string> {
  const voices = await listVoices(ctx, true);
  const known = (ELEVENLABS_MODELS as readonly string[]).includes(ctx.entry.model) ? "" : ` (model '${ctx.entry.model}' is not one mediagen knows; a wrong id fails at generation)`;
  return `Connected to ${ctx.baseUrl}; ${voices.length} voice${voices.length === 1 ? "" : "s"} available${known}.`;
}

function checkSpeech(job: SpeechJob, entry: ModelEntry): void {
  if (job.voice !== undefined && job.voice.trim() === "") throw invalidArgument("voice", "voice is empty; give a voice id or name, or leave it out");
  void entry;
}

/** ElevenLabs (elevenlabs.io) text-to-speech. */
export const elevenlabs: Provider = {
  id: "elevenlabs",
  requiresKey: true,
  defaultBaseUrl: "https://api.elevenlabs.io",
  keyEnv: "ELEVENLABS_API_KEY",
  speechIsWav: true,
  models: { audio: ELEVENLABS_MODELS },
  speech,
  checkSpeech,
  testConnection,
  voices: () => lastVoiceNames,
};
