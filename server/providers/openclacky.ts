// The openclacky gateway dialect: images/generations, videos/generations and audio/speech under the base URL,
// Bearer auth, base64 results in data[0], usage and cost_usd passed through (clacky-reference.md §3.1).
import { afterBilling, AppError } from "../errors.ts";
import type { Usage } from "../ledger/schema.ts";
import { download, joinUrl, mediaFromBase64, readJsonObject, request } from "./http.ts";
import { asBase64, asObject, asString, dataUrl, toBase64 } from "./json.ts";
import { GPT_IMAGE_SIZES } from "./sizes.ts";
import { SKILL_VOICES } from "./voices.ts";
import type { CallContext, MediaPayload, Provider, ProviderResult } from "./types.ts";

async function post(path: string, body: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
  const response = await request(
    joinUrl(ctx.baseUrl, path),
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ctx.apiKey ?? ""}` },
      body: JSON.stringify(body),
    },
    ctx,
  );
  return readJsonObject(response, ctx);
}

async function mediaOf(json: Record<string, unknown>, what: string, ctx: CallContext): Promise<MediaPayload & { mimeType?: string }> {
  const item = Array.isArray(json.data) ? asObject(json.data[0]) : undefined;
  const mimeType = typeof item?.mime_type === "string" ? item.mime_type : undefined;
  const b64 = asBase64(item?.b64_json);
  // The gateway has generated (and billed) the media: a download that fails or an answer past the cap keeps the reported cost.
  const billed = (error: unknown) => Promise.reject(afterBilling(error, reported(json)));
  if (b64) {
    try {
      return { bytes: mediaFromBase64(b64, ctx), mimeType };
    } catch (error) {
      return billed(error);
    }
  }
  const url = asString(item?.url);
  if (url && /^https?:\/\//.test(url)) return { ...(await download(url, ctx).catch(billed)), mimeType };
  throw new AppError("empty_response", `Upstream returned no ${what} data`);
}

function reported(json: Record<string, unknown>): Pick<ProviderResult, "usage" | "costUsd"> {
  const usage = asObject(json.usage) as Usage | undefined;
  // Passed on as reported (even negative or infinite): pricing decides whether the figure is plausible and notes why not.
  const costUsd = typeof json.cost_usd === "number" ? json.cost_usd : undefined;
  return { usage, costUsd };
}

/** Gemini and Imagen models behind the gateway take no size: the aspect goes into the prompt instead. */
const takesNoSize = (model: string) => /gemini|imagen/i.test(model);

/** GET <base>/models, as the original server's settings page did: proves the key, and the model id when listed. */
async function testConnection(ctx: CallContext): Promise<string> {
  const url = joinUrl(ctx.baseUrl, "models");
  const response = await request(url, { headers: { authorization: `Bearer ${ctx.apiKey ?? ""}` } }, ctx, (status, body) =>
    status === 404 ? new AppError("not_found", `Endpoint not found at ${url}. Check the base_url.`, { upstream_status: 404 }) : undefined,
  );
  const json = await readJsonObject(response, ctx).catch(() => ({}) as Record<string, unknown>);
  const ids = Array.isArray(json.data) ? json.data.map((m) => (m as { id?: unknown }).id).filter((id): id is string => typeof id === "string") : [];
  if (ids.length === 0) return `Connected to ${ctx.baseUrl} (the model list is unavailable, so '${ctx.entry.model}' could not be verified).`;
  if (!ids.includes(ctx.entry.model)) {
    throw new AppError("not_found", `Connected, but model '${ctx.entry.model}' is not offered at ${ctx.baseUrl}. Available: ${ids.slice(0, 20).join(", ")}`);
  }
  return `Connected to ${ctx.baseUrl}; model '${ctx.entry.model}' is available.`;
}

/** The openclacky gateway (and any server speaking its dialect). */
export const openclacky: Provider = {
  id: "openclacky",
  requiresKey: true,
  reportsCost: true,
  defaultBaseUrl: "https://api.openclacky.com",
  keyEnv: "CLACKY_API_KEY",
  models: {
    image: ["or-gemini-3-1-flash-image", "or-gemini-3-pro-image", "or-gpt-image-2"],
    video: ["or-veo-3-1", "or-veo-3-1-fast", "or-veo-3", "or-veo-3-fast"],
    audio: ["or-tts-gemini-2-5-flash", "or-tts-gemini-2-5-pro"],
  },
  testConnection,
  // The gateway speaks with Gemini TTS; these are the names the skill suggests.
  voices: () => SKILL_VOICES,

  async image(job, ctx) {
    const model = ctx.entry.model;
    const body: Record<string, unknown> = takesNoSize(model)
      ? { model, n: 1, prompt: `${job.prompt}\n\n[aspect: ${job.aspect}]` }
      : { model, n: 1, prompt: job.prompt, size: GPT_IMAGE_SIZES[job.aspect] };
    if (job.inputs.length > 0) body.images = job.inputs.map(dataUrl);
    const json = await post("images/generations", body, ctx);
    return { ...(await mediaOf(json, "image", ctx)), ...reported(json) };
  },

  async video(job, ctx) {
    const body: Record<string, unknown> = {
      model: ctx.entry.model,
      prompt: job.prompt,
      aspect_ratio: job.aspect,
      duration_seconds: job.durationSeconds,
    };
    if (job.firstFrame) {
      body.image = { b64_json: toBase64(job.firstFrame.bytes), mime_type: job.firstFrame.mimeType };
    }
    const json = await post("videos/generations", body, ctx);
    const duration = typeof json.duration_seconds === "number" ? json.duration_seconds : job.durationSeconds;
    const requestId = typeof json.request_id === "string" ? { request_id: json.request_id } : undefined;
    return { ...(await mediaOf(json, "video", ctx)), ...reported(json), durationSeconds: duration, extra: requestId };
  },

  async speech(job, ctx) {
    const body: Record<string, unknown> = { model: ctx.entry.model, input: job.input };
    if (job.voice) body.voice = job.voice;
    const json = await post("audio/speech", body, ctx);
    const voice = typeof json.voice === "string" ? json.voice : job.voice;
    return { ...(await mediaOf(json, "audio", ctx)), ...reported(json), voice };
  },
};
