// AUTOMATIC1111's Stable Diffusion web UI API (`/sdapi/v1`, also Forge and SD.Next), local and keyless by default:
// txt2img for generations, img2img for edits (both block until the image is done), progress polled from
// /sdapi/v1/progress meanwhile. Each call names its own task (`force_task_id`, web UI 1.6+), so progress is only taken
// from our own job, and a cancel interrupts the web UI (POST /sdapi/v1/interrupt) only while that task is the one running. The checkpoint goes in `override_settings.sd_model_checkpoint`; the image comes back as
// bare base64 PNG in `images[0]`. A local generation costs nothing ($0) unless a `prices:` entry says otherwise.
import type { ModelEntry } from "../config/schema.ts";
import { AppError, invalidArgument } from "../errors.ts";
import type { Aspect } from "../formats/aspect.ts";
import { Automatic1111Options } from "./automatic1111-options.ts";
import { cancelsUpstream, joinUrl, mediaFromBase64, readJsonObject, request, upstreamMessage } from "./http.ts";
import { asBase64, asNumber, asObject, asObjects, asString, dataUrl, defined } from "./json.ts";
import type { CallContext, ImageJob, Provider, ProviderResult } from "./types.ts";

/** The web UI's address when the entry names no base_url (its `--listen`-less default). */
const DEFAULT_BASE_URL = "http://127.0.0.1:7860";
/** An entry model meaning "whichever checkpoint the web UI has loaded" (no override is sent). */
export const CURRENT_CHECKPOINT = "current";
/** Default sizes per aspect: SDXL's ~1 megapixel buckets, and SD 1.5's 512-based ones. */
export const SDXL_SIZES: Record<Aspect, string> = { landscape: "1024x576", square: "1024x1024", portrait: "576x1024" };
export const SD15_SIZES: Record<Aspect, string> = { landscape: "768x512", square: "512x512", portrait: "512x768" };
/** Checkpoint names that are SD 1.x/2.x (512-based) rather than SDXL-sized. */
const SD15 = /(^|[^a-z0-9])(v1-[45]|sd-?1[._-]?5|sd15|v2-1_512)/i;
/** Progress polls are at least this far apart, in ms. */
const MIN_PROGRESS_POLL_MS = 50;
/** How long the progress read and interrupt sent after a cancel may take, in ms. */
const INTERRUPT_TIMEOUT_MS = 5_000;

function options(entry: ModelEntry): Automatic1111Options {
  return Automatic1111Options.parse(entry.options ?? {});
}

/** The checkpoint to load for this entry, or undefined to keep the loaded one. */
export function checkpointOf(entry: ModelEntry): string | undefined {
  const checkpoint = options(entry).checkpoint ?? entry.model;
  return checkpoint === CURRENT_CHECKPOINT ? undefined : checkpoint;
}

/** The `WxH` size for an aspect: the entry's configured one, else the default of its checkpoint's family. */
export function sizeFor(entry: ModelEntry, aspect: Aspect): string {
  const configured = options(entry).sizes?.[aspect];
  if (configured) return configured;
  return SD15.test(checkpointOf(entry) ?? "") ? SD15_SIZES[aspect] : SDXL_SIZES[aspect];
}

/** HTTP Basic auth from an api_key `user:password` (the web UI's `--api-auth`); nothing when no key is configured. */
function headers(ctx: CallContext, json = false): Record<string, string> {
  const auth: Record<string, string> = ctx.apiKey ? { authorization: `Basic ${Buffer.from(ctx.apiKey).toString("base64")}` } : {};
  return json ? { ...auth, "content-type": "application/json" } : auth;
}

/** The web UI's `{error, detail, body, errors}` and FastAPI's `{detail}` mapped into the catalogue; undefined = default mapping. */
function mapError(status: number, body: string): AppError | undefined {
  let json: Record<string, unknown> | undefined;
  try {
    json = asObject(JSON.parse(body));
  } catch {
    json = undefined;
  }
  const detail = asString(json?.detail);
  const upstream = { upstream_status: status };
  // The web UI's own errors put the exception class in `error` and the human text in `detail` (or str(e) in `errors`).
  const said = detail ?? asString(json?.errors) ?? upstreamMessage(body);
  if (status === 404 && detail === "Not Found") {
    return new AppError("api_error", `Upstream 404: no /sdapi/v1 API here; start the web UI with --api (and check base_url)`, upstream);
  }
  if (status === 404 && detail && /sampler not found/i.test(detail)) {
    return invalidArgument("options.sampler", `Upstream 404: ${detail}; set options.sampler to one of GET /sdapi/v1/samplers`);
  }
  if (status === 401) {
    return new AppError("auth_required", `Upstream 401: ${said} (the web UI runs with --api-auth: set api_key to user:password)`, { ...upstream, status: 502 });
  }
  if (status === 404 && detail && /model not found/i.test(detail)) {
    return new AppError("unknown_model", `Upstream 404: ${detail}: the checkpoint is not installed in the web UI; fix options.checkpoint or the model name (GET /sdapi/v1/sd-models lists them)`, upstream);
  }
  if (status === 422 && Array.isArray(json?.detail)) {
    const first = asObjects(json.detail)[0];
    const loc = Array.isArray(first?.loc) ? first.loc.join(".") : "body";
    return new AppError("api_error", `Upstream 422: ${loc}: ${asString(first?.msg) ?? "invalid"}`, upstream);
  }
  if (status >= 500 && json && typeof json.error === "string") {
    const what = [json.error, asString(json.errors) ?? detail].filter(Boolean).join(": ");
    // Out of GPU memory is "try later with less", not a broken server.
    const type = /out of memory|OutOfMemory/i.test(body) ? "overloaded" : "api_error";
    return new AppError(type, `Upstream ${status}: ${what}`, upstream);
  }
  return undefined;
}

/** GET /sdapi/v1/progress's answer, or undefined when it could not be read. */
async function readProgress(ctx: CallContext, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
  const response = await fetch(joinUrl(ctx.baseUrl, "sdapi/v1/progress?skip_current_image=true"), { headers: headers(ctx), signal });
  if (!response.ok) return undefined;
  return asObject(await response.json());
}

/** Whether a progress answer is about another task than ours (builds before 1.6 name none: then it is taken as ours). */
function otherTask(progress: Record<string, unknown>, taskId: string): boolean {
  const current = progress.current_task;
  return typeof current === "string" && current !== taskId;
}

/**
 * After a cancel (not a shutdown): stops the web UI's generation with POST /sdapi/v1/interrupt, but only when the task
 * running is ours (interrupt stops whatever runs). A task still waiting in the web UI's queue cannot be withdrawn.
 */
async function interruptOwnTask(ctx: CallContext, taskId: string): Promise<void> {
  const signal = AbortSignal.timeout(INTERRUPT_TIMEOUT_MS);
  try {
    const progress = await readProgress(ctx, signal);
    if (progress?.current_task !== taskId) return;
    await fetch(joinUrl(ctx.baseUrl, "sdapi/v1/interrupt"), { method: "POST", headers: headers(ctx), signal });
  } catch {
    // best effort: the job is already cancelled on our side
  }
}

/** Polls /sdapi/v1/progress until `done` settles, reporting 1-99 % of our task; failures of the poll itself are ignored. */
async function pollProgress(ctx: CallContext, done: Promise<unknown>, taskId: string): Promise<void> {
  if (!ctx.onProgress) return;
  let finished = false;
  const stop = new AbortController();
  void done.finally(() => {
    finished = true;
    stop.abort();
  }).catch(() => {});
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const interval = Math.max(MIN_PROGRESS_POLL_MS, ctx.pollIntervalMs);
  let last = -1;
  while (!finished && !signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval);
      signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (finished || signal.aborted) return;
    try {
      const json = await readProgress(ctx, signal);
      // Another client's job runs first: ours waits in the web UI's queue.
      if (!json || otherTask(json, taskId)) continue;
      const state = asObject(json.state);
      const fraction = asNumber(json.progress);
      // Between jobs the web UI answers 0 with no job running: nothing to report.
      if (fraction === undefined || fraction <= 0 || state?.job === "") continue;
      const percent = Math.min(99, Math.max(1, Math.round(fraction * 100)));
      if (percent !== last && !finished) ctx.onProgress(percent);
      last = percent;
    } catch {
      // the progress route is a nicety: the generation's own answer decides the outcome
    }
  }
}

/** The request body both endpoints share; `taskId` names the web UI task (modules/progress.py), seen in progress's current_task. */
function baseBody(job: ImageJob, entry: ModelEntry, taskId: string): Record<string, unknown> {
  const opts = options(entry);
  const [width, height] = sizeFor(entry, job.aspect).split("x").map(Number);
  const checkpoint = checkpointOf(entry);
  return defined({
    prompt: job.prompt,
    negative_prompt: opts.negative_prompt,
    width,
    height,
    steps: opts.steps,
    cfg_scale: opts.cfg,
    sampler_name: opts.sampler,
    scheduler: opts.scheduler,
    seed: opts.seed ?? -1,
    batch_size: 1,
    n_iter: 1,
    send_images: true,
    save_images: false,
    override_settings: checkpoint ? { sd_model_checkpoint: checkpoint } : undefined,
    force_task_id: taskId,
  });
}

async function image(job: ImageJob, ctx: CallContext): Promise<ProviderResult> {
  const taskId = `task(mediagen-${crypto.randomUUID()})`;
  const body = baseBody(job, ctx.entry, taskId);
  const edit = job.inputs.length > 0;
  if (edit) {
    body.init_images = [dataUrl(job.inputs[0]!)];
    body.denoising_strength = options(ctx.entry).denoising_strength ?? 0.75;
    body.include_init_images = false;
  }
  const path = edit ? "sdapi/v1/img2img" : "sdapi/v1/txt2img";
  const onCancel = () => {
    if (cancelsUpstream(ctx.signal)) void interruptOwnTask(ctx, taskId);
  };
  ctx.signal.addEventListener("abort", onCancel, { once: true });
  const call = request(joinUrl(ctx.baseUrl, path), { method: "POST", headers: headers(ctx, true), body: JSON.stringify(body) }, ctx, mapError);
  const progress = pollProgress(ctx, call, taskId);
  const response = await call.finally(() => ctx.signal.removeEventListener("abort", onCancel));
  const json = await readJsonObject(response, ctx);
  await progress;
  const images = Array.isArray(json.images) ? json.images : [];
  const b64 = asBase64(images[0]);
  if (!b64) throw new AppError("empty_response", "Upstream returned no image data (images is empty)");
  const bytes = mediaFromBase64(b64, ctx);
  ctx.onProgress?.(100);
  const size = `${body.width}x${body.height}`;
  // `info` is a JSON string inside the JSON answer: its seed and model name are worth keeping.
  let info: Record<string, unknown> | undefined;
  try {
    info = typeof json.info === "string" ? asObject(JSON.parse(json.info)) : undefined;
  } catch {
    info = undefined;
  }
  const extra = defined({ seed: asNumber(info?.seed), sd_model_name: asString(info?.sd_model_name), sampler: asString(info?.sampler_name), endpoint: edit ? "img2img" : "txt2img" });
  return { bytes, mimeType: "image/png", costUsd: 0, meter: { images: 1, imageSize: size }, extra };
}

function checkImage(job: ImageJob): void {
  if (job.inputs.length > 1) throw invalidArgument("images", "automatic1111 edits one input image (img2img init image); pass a single image");
}

/** GET /sdapi/v1/sd-models: proves the API (and auth) and that the checkpoint is installed, without generating anything. */
async function testConnection(ctx: CallContext): Promise<string> {
  const response = await request(joinUrl(ctx.baseUrl, "sdapi/v1/sd-models"), { headers: headers(ctx) }, ctx, mapError);
  const json = (await response.json().catch(() => undefined)) as unknown;
  if (!Array.isArray(json)) throw new AppError("invalid_response", "GET /sdapi/v1/sd-models did not answer a list of checkpoints");
  const models = asObjects(json);
  const checkpoint = checkpointOf(ctx.entry);
  if (!checkpoint) return `Connected to ${ctx.baseUrl}; ${models.length} checkpoint(s) installed; the loaded one will be used.`;
  const wanted = checkpoint.toLowerCase();
  const found = models.some((m) =>
    [m.title, m.model_name, m.filename, asString(m.title)?.replace(/\s*\[[0-9a-f]+\]$/i, "")].some((name) => {
      const text = typeof name === "string" ? name.toLowerCase() : "";
      return text === wanted || text.endsWith(`/${wanted}`) || text.replace(/\.(safetensors|ckpt)$/, "") === wanted;
    }),
  );
  if (!found) {
    const names = models.map((m) => asString(m.model_name) ?? asString(m.title)).filter(Boolean).slice(0, 10);
    throw new AppError("not_found", `Connected, but checkpoint '${checkpoint}' is not installed; installed: ${names.join(", ") || "none"}`);
  }
  return `Connected to ${ctx.baseUrl}; checkpoint '${checkpoint}' is installed.`;
}

export const automatic1111: Provider = {
  id: "automatic1111",
  requiresKey: false,
  defaultBaseUrl: DEFAULT_BASE_URL,
  reportsCost: true,
  models: { image: ["sd_xl_base_1.0", "sd_xl_turbo_1.0_fp16", "v1-5-pruned-emaonly", CURRENT_CHECKPOINT] },
  image,
  checkImage,
  testConnection,
};
