// Veo through the Gemini API: predictLongRunning, polling the operation, and the video's download (the key goes
// to the API's origin only), resumable after a restart.
import type { ModelEntry } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import { afterBilling, AppError, invalidArgument } from "../errors.ts";
import { apiUrl, camelKeys, keyHeader, mapError, modelId, options, postJson, SAFETY_WORDS } from "./gemini-api.ts";
import { clip, errorForStatus, mediaFromBase64, pause, readJsonObject, readMedia, readText, redact, request, transportError, upstreamMessage } from "./http.ts";
import { asBase64, asNumber, asObject, asObjects, asString, type Json, toBase64 } from "./json.ts";
import type { CallContext, MediaPayload, ProviderResult, VideoJob } from "./types.ts";
/** Redirects followed when downloading a generated video (the Files API answers one 302 to signed storage). */
const MAX_REDIRECTS = 5;

type PersonGeneration = "allow_all" | "allow_adult" | "dont_allow";

/**
 * What each Veo family accepts: durations (seconds), resolutions (`eightSecondsOnly` ones need 8-second clips; Veo 2
 * takes no resolution parameter at all), and the personGeneration values of each mode, the first being what is sent
 * when none is configured (Gemini API Veo docs: Veo 3.x text-to-video "allow_all" only, image-to-video "allow_adult"
 * only; "dont_allow" is Veo 2's).
 */
interface VeoLimits {
  durations: readonly number[];
  resolutions: readonly string[];
  eightSecondsOnly: readonly string[];
  takesResolution: boolean;
  persons: { text: readonly PersonGeneration[]; image: readonly PersonGeneration[]; sendDefault: boolean };
}
const VEO3_PERSONS = { text: ["allow_all"], image: ["allow_adult"], sendDefault: true } as const;
const VEO_LIMITS: [RegExp, VeoLimits][] = [
  [/^veo-3\.1-lite/, { durations: [4, 6, 8], resolutions: ["720p", "1080p"], eightSecondsOnly: ["1080p"], takesResolution: true, persons: VEO3_PERSONS }],
  [/^veo-3\.1/, { durations: [4, 6, 8], resolutions: ["720p", "1080p", "4k"], eightSecondsOnly: ["1080p", "4k"], takesResolution: true, persons: VEO3_PERSONS }],
  [/^veo-3\.0/, { durations: [4, 6, 8], resolutions: ["720p", "1080p"], eightSecondsOnly: ["1080p"], takesResolution: true, persons: VEO3_PERSONS }],
  [
    /^veo-2/,
    {
      durations: [5, 6, 8],
      resolutions: ["720p"],
      eightSecondsOnly: [],
      takesResolution: false,
      persons: { text: ["allow_all", "allow_adult", "dont_allow"], image: ["allow_adult", "dont_allow"], sendDefault: false },
    },
  ],
];

const limitsOf = (entry: ModelEntry) => VEO_LIMITS.find(([pattern]) => pattern.test(modelId(entry)))?.[1];

/**
 * The personGeneration to send for this mode: the configured value when the mode takes it, else the mode's own
 * (Veo 3.x has one per mode); none for unknown families without a configured value, or Veo 2 left to its default.
 */
function personGeneration(entry: ModelEntry, imageToVideo: boolean): PersonGeneration | undefined {
  const configured = options(entry).person_generation;
  const persons = limitsOf(entry)?.persons;
  if (!persons) return configured;
  const allowed = imageToVideo ? persons.image : persons.text;
  if (configured && allowed.includes(configured)) return configured;
  return configured || persons.sendDefault ? allowed[0] : undefined;
}

async function pollOperation(name: string, ctx: CallContext): Promise<Json> {
  const response = await request(apiUrl(ctx, name), { headers: keyHeader(ctx) }, ctx, mapError);
  return camelKeys(await readJsonObject(response, ctx)) as Json;
}

/** Fetches a generated file: the key goes to the API's origin only, never to the storage host a 302 points at. */
async function downloadFile(uri: string, ctx: CallContext): Promise<MediaPayload> {
  const apiOrigin = new URL(ctx.baseUrl).origin;
  let url: URL;
  try {
    url = new URL(uri, ctx.baseUrl);
  } catch {
    throw new AppError("invalid_response", `Veo returned a video URI that is not a URL: ${clip(uri)}`);
  }
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response: Response;
    try {
      response = await fetch(url, { headers: url.origin === apiOrigin ? keyHeader(ctx) : {}, redirect: "manual", signal: ctx.signal, timeout: false });
    } catch (error) {
      throw transportError(error, ctx);
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      continue;
    }
    if (!response.ok) {
      const body = redact(await readText(response, ctx), [ctx.apiKey]);
      if (response.status === 403 || response.status === 404) {
        const why = `Upstream ${response.status}: ${upstreamMessage(body)}`;
        throw new AppError("api_error", `Could not download the generated video (${why}); Gemini deletes generated videos after 2 days`, { upstream_status: response.status });
      }
      throw mapError(response.status, body, response.headers) ?? errorForStatus(response.status, body, response.headers);
    }
    return readMedia(response, ctx);
  }
  throw new AppError("invalid_response", `Downloading the generated video took more than ${MAX_REDIRECTS} redirects`);
}

/**
 * Polls an operation until `done` (a missing `done` means pending), then returns the video's bytes. A download
 * that fails after the operation produced the video is marked `billed` with `meter`, so its cost is kept.
 */
async function finishOperation(name: string, first: Json, ctx: CallContext, meter: Meter): Promise<MediaPayload> {
  let operation = first;
  while (operation.done !== true) {
    const progress = asNumber(asObject(operation.metadata)?.progressPercent);
    if (progress !== undefined) ctx.onProgress?.(Math.min(100, Math.max(0, progress)));
    await pause(ctx.pollIntervalMs, ctx);
    operation = await pollOperation(name, ctx);
  }
  const error = asObject(operation.error);
  if (error) {
    const message = `Veo operation failed (code ${String(error.code ?? "unknown")}): ${clip(asString(error.message) ?? "no message")}`;
    throw new AppError(SAFETY_WORDS.test(message) ? "content_filtered" : "api_error", message);
  }
  const result = asObject(asObject(operation.response)?.generateVideoResponse);
  const video = asObject(asObjects(result?.generatedSamples)[0]?.video);
  const inline = asBase64(video?.encodedVideo) ?? asBase64(video?.bytesBase64Encoded);
  if (inline) {
    try {
      return { bytes: mediaFromBase64(inline, ctx) };
    } catch (error) {
      throw afterBilling(error, { meter });
    }
  }
  const uri = asString(video?.uri);
  if (uri) return downloadFile(uri, ctx).catch((error: unknown) => Promise.reject(afterBilling(error, { meter })));
  const reasons = (Array.isArray(result?.raiMediaFilteredReasons) ? result.raiMediaFilteredReasons : []).filter((r): r is string => typeof r === "string");
  const filtered = asNumber(result?.raiMediaFilteredCount) ?? 0;
  if (filtered > 0 || reasons.length > 0) {
    throw new AppError("content_filtered", `Veo filtered the video on safety grounds: ${clip(reasons.join(" ")) || `${filtered} video(s) filtered`}`);
  }
  throw new AppError("empty_response", "Veo finished the operation without a video");
}

export async function video(job: VideoJob, ctx: CallContext): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const frame = job.firstFrame;
  const instance = { prompt: job.prompt, ...(frame ? { image: { bytesBase64Encoded: toBase64(frame.bytes), mimeType: frame.mimeType } } : {}) };
  const parameters = {
    aspectRatio: job.aspect === "portrait" ? "9:16" : "16:9",
    durationSeconds: job.durationSeconds,
    ...(opts.resolution && limitsOf(ctx.entry)?.takesResolution !== false ? { resolution: opts.resolution } : {}),
    ...(opts.negative_prompt ? { negativePrompt: opts.negative_prompt } : {}),
  };
  const person = personGeneration(ctx.entry, frame !== undefined);
  if (person) Object.assign(parameters, { personGeneration: person });
  const started = await postJson(ctx, `models/${modelId(ctx.entry)}:predictLongRunning`, { instances: [instance], parameters });
  const name = asString(started.name);
  if (!name) throw new AppError("invalid_response", "Veo accepted the request but returned no operation name");
  ctx.onOperation?.(name);
  const meter = { seconds: job.durationSeconds, resolution: opts.resolution ?? "720p" };
  const media = await finishOperation(name, started, ctx, meter);
  return { ...media, mimeType: "video/mp4", durationSeconds: job.durationSeconds, meter, extra: { operation: name } };
}

/** Finishes a Veo operation started before a restart. Its duration is not known here: the meter carries the resolution only. */
export async function resumeVideo(operationId: string, ctx: CallContext): Promise<ProviderResult> {
  const meter = { resolution: options(ctx.entry).resolution ?? "720p" };
  const media = await finishOperation(operationId, await pollOperation(operationId, ctx), ctx, meter);
  return { ...media, mimeType: "video/mp4", meter, extra: { operation: operationId } };
}

export function checkVideo(job: VideoJob, entry: ModelEntry): void {
  const model = modelId(entry);
  const limits = limitsOf(entry);
  if (!limits) return;
  const person = options(entry).person_generation;
  const everAllowed = [...new Set([...limits.persons.text, ...limits.persons.image])];
  if (person && !everAllowed.includes(person)) {
    throw invalidArgument("person_generation", `${model} does not take personGeneration "${person}" (only Veo 2 does); set options.person_generation to one of ${everAllowed.join(", ")} in config.yml, or remove it`, everAllowed);
  }
  const resolution = options(entry).resolution ?? "720p";
  if (!limits.resolutions.includes(resolution)) {
    throw invalidArgument("resolution", `${model} does not make ${resolution} video; set options.resolution to one of ${limits.resolutions.join(", ")} in config.yml`, limits.resolutions);
  }
  if (!limits.durations.includes(job.durationSeconds)) {
    throw invalidArgument("duration_seconds", `${model} makes clips of ${limits.durations.join(", ")} seconds, not ${job.durationSeconds}`, limits.durations);
  }
  if (limits.eightSecondsOnly.includes(resolution) && job.durationSeconds !== 8) {
    throw invalidArgument("duration_seconds", `${model} makes ${resolution} clips of 8 seconds only (options.resolution is ${resolution})`, [8]);
  }
}

