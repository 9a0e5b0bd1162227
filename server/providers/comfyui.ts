// ComfyUI, natively (shared/docs/providers-2.md §4): a local server without a key that runs a workflow graph in API
// format. The entry names the workflow (options.workflow, else the model id): a shipped example or an absolute path.
// Placeholders in it ("{{prompt}}", "{{seed}}", ...) are filled per request, input images are uploaded through
// /upload/image, the graph is queued with POST /prompt under a client id, progress comes from the websocket's step
// events, and the outputs are read from /history/{prompt_id} and downloaded from /view. The prompt id is the operation
// id, so a restart resumes by polling /history.
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import type { ModelEntry } from "../config/schema.ts";
import type { Aspect } from "../formats/aspect.ts";
import type { InputImage } from "../formats/input-images.ts";
import { afterBilling, AppError, invalidArgument } from "../errors.ts";
import { cancelsUpstream, clip, joinUrl, pause, readJsonObject, readMedia, request, upstreamMessage } from "./http.ts";
import { asNumber, asObject, asObjects, asString, type Json } from "./json.ts";
import { ComfyUIOptions } from "./options.ts";
import type { CallContext, ImageJob, MediaPayload, Provider, ProviderResult, SpeechJob, VideoJob } from "./types.ts";
import imageEditWorkflow from "./comfyui/image-edit.json" with { type: "json" };
import textToImageWorkflow from "./comfyui/text-to-image.json" with { type: "json" };

/** Workflows shipped inside the executable, by name. */
export const SHIPPED_WORKFLOWS: Record<string, Json> = { "text-to-image": textToImageWorkflow, "image-edit": imageEditWorkflow };

/** Checkpoint filled into "{{checkpoint}}" when options.checkpoint is absent (the one ComfyUI's default workflow names). */
export const DEFAULT_CHECKPOINT = "v1-5-pruned-emaonly-fp16.safetensors";
/** Width x height per aspect when options.size is absent. */
export const DEFAULT_SIZES: Record<Aspect, [number, number]> = { landscape: [1024, 576], square: [768, 768], portrait: [576, 1024] };
/** Frames per second for "{{frames}}" when options.fps is absent. */
const DEFAULT_FPS = 24;

const IMAGE_FILE = /\.(png|jpe?g|webp|bmp|gif)$/i;
const VIDEO_FILE = /\.(mp4|webm|mov|mkv|gif|webp)$/i;
const AUDIO_FILE = /\.(flac|wav|mp3|ogg|opus|m4a|aac)$/i;

function options(entry: ModelEntry): ComfyUIOptions {
  return ComfyUIOptions.parse(entry.options ?? {});
}

/** The workflow graph the entry names: a shipped example by name, or an API-format JSON file at an absolute path. */
export function loadWorkflow(entry: ModelEntry): Json {
  const name = options(entry).workflow ?? entry.model;
  const shipped = SHIPPED_WORKFLOWS[name];
  if (shipped) return structuredClone(shipped);
  const known = Object.keys(SHIPPED_WORKFLOWS).join(", ");
  if (!isAbsolute(name)) {
    throw invalidArgument("options.workflow", `ComfyUI workflow "${name}" is neither a shipped example (${known}) nor an absolute path to a workflow file in API format`);
  }
  let text: string;
  try {
    text = readFileSync(name, "utf8");
  } catch (error) {
    throw invalidArgument("options.workflow", `cannot read the ComfyUI workflow ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let graph: unknown;
  try {
    graph = JSON.parse(text);
  } catch {
    throw invalidArgument("options.workflow", `the ComfyUI workflow ${name} is not JSON`);
  }
  const nodes = asObject(graph);
  if (!nodes || Object.keys(nodes).length === 0 || !Object.values(nodes).every((node) => asString(asObject(node)?.class_type))) {
    throw invalidArgument(
      "options.workflow",
      `the ComfyUI workflow ${name} is not in API format (an object of node id -> {class_type, inputs}); export it with "Export (API)" in ComfyUI`,
    );
  }
  return nodes;
}

/** The values placeholders take for one request; a placeholder missing here is refused. */
export type Fill = Record<string, string | number>;

const WHOLE = /^\{\{\s*([a-z0-9_]+)\s*\}\}$/;
const INSIDE = /\{\{\s*([a-z0-9_]+)\s*\}\}/g;

/**
 * Replaces placeholders in every string of the graph: a string that is exactly one placeholder takes the value with
 * its type (a number stays a number), a placeholder inside longer text is replaced by the value as text.
 */
export function fillWorkflow(graph: unknown, fill: Fill): unknown {
  const value = (name: string) => {
    if (!(name in fill)) throw invalidArgument("options.workflow", `the ComfyUI workflow uses the placeholder {{${name}}}, which this request does not fill (known: ${Object.keys(fill).join(", ")})`);
    return fill[name]!;
  };
  if (typeof graph === "string") {
    const whole = WHOLE.exec(graph);
    if (whole) return value(whole[1]!);
    return graph.replace(INSIDE, (_, name: string) => String(value(name)));
  }
  if (Array.isArray(graph)) return graph.map((item) => fillWorkflow(item, fill));
  if (graph && typeof graph === "object") return Object.fromEntries(Object.entries(graph).map(([key, item]) => [key, fillWorkflow(item, fill)]));
  return graph;
}

/** Placeholder names the graph uses. */
export function placeholders(graph: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown) => {
    if (typeof node === "string") for (const match of node.matchAll(INSIDE)) found.add(match[1]!);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") Object.values(node).forEach(walk);
  };
  walk(graph);
  return found;
}

/** ComfyUI's `{error: {type, message, details}, node_errors}` (a refused prompt) as one readable line. */
function describeRefusal(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as Json;
    const error = asObject(json.error);
    const nodes = asObject(json.node_errors) ?? {};
    const parts = Object.entries(nodes).flatMap(([id, node]) =>
      asObjects(asObject(node)?.errors).map((e) => `node ${id} (${asString(asObject(node)?.class_type) ?? "?"}): ${asString(e.message) ?? asString(e.type) ?? "error"}${asString(e.details) ? ` - ${asString(e.details)}` : ""}`),
    );
    const head = error ? `${asString(error.type) ?? "error"}: ${asString(error.message) ?? ""}${asString(error.details) ? ` (${asString(error.details)})` : ""}` : asString(json.error);
    if (!head && parts.length === 0) return undefined;
    return [head, ...parts].filter(Boolean).join("; ");
  } catch {
    return undefined;
  }
}

function mapErrorFor(ctx: CallContext) {
  return (status: number, body: string): AppError | undefined => {
    if (status === 400) {
      const said = describeRefusal(body) ?? upstreamMessage(body);
      return new AppError(
        "api_error",
        `ComfyUI refused the workflow of model "${ctx.entry.model}" (Upstream 400: ${clip(said)}); fix the workflow file or options (checkpoint names must match files in ComfyUI's models folder)`,
        { upstream_status: 400 },
      );
    }
    return undefined;
  };
}

const url = (ctx: CallContext, path: string) => joinUrl(ctx.baseUrl, path);

async function getJson(ctx: CallContext, path: string): Promise<Json> {
  return readJsonObject(await request(url(ctx, path), {}, ctx, mapErrorFor(ctx)), ctx);
}

/** Uploads one input image; answers the name a LoadImage node takes (`subfolder/name` when ComfyUI put it in one). */
async function upload(image: InputImage, index: number, ctx: CallContext): Promise<string> {
  const extension = image.mimeType.split("/")[1]?.replace("jpeg", "jpg") ?? "png";
  const form = new FormData();
  form.append("image", new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.mimeType }), `mediagen-${crypto.randomUUID()}-${index + 1}.${extension}`);
  form.append("type", "input");
  form.append("overwrite", "true");
  const json = await readJsonObject(await request(url(ctx, "upload/image"), { method: "POST", body: form }, ctx, mapErrorFor(ctx)), ctx);
  const name = asString(json.name);
  if (!name) throw new AppError("invalid_response", "ComfyUI accepted the upload but returned no file name");
  const subfolder = asString(json.subfolder);
  return subfolder ? `${subfolder}/${name}` : name;
}

/** What a websocket told about one prompt: progress goes straight to the job; `wake` resolves on an end event. */
interface Watch {
  close(): void;
  /** Resolves when an end event for the prompt arrives (or the socket closes), so /history is read at once. */
  ended: Promise<void>;
  /** The error an execution_error / execution_interrupted event described, if any. */
  failure?: string;
  /** Whether the socket closed before an end event (then /history is polled at the plain interval). */
  lost: boolean;
  setPromptId(id: string): void;
}

/** Events about a prompt kept while its id is not known yet (each step is one; a workflow has far fewer before POST /prompt answers). */
const MAX_EARLY_EVENTS = 1000;

/** Opens the websocket (before queueing, so no event is missed); resolves undefined when it cannot be opened. */
async function watch(ctx: CallContext, clientId: string): Promise<Watch | undefined> {
  const wsUrl = `${url(ctx, "ws").replace(/^http/, "ws")}?clientId=${encodeURIComponent(clientId)}`;
  let socket: WebSocket;
  try {
    socket = new WebSocket(wsUrl);
  } catch {
    return undefined;
  }
  const opened = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5_000);
    socket.addEventListener("open", () => (clearTimeout(timer), resolve(true)));
    socket.addEventListener("error", () => (clearTimeout(timer), resolve(false)));
    socket.addEventListener("close", () => (clearTimeout(timer), resolve(false)));
  });
  if (!opened) {
    socket.close();
    return undefined;
  }
  let promptId: string | undefined;
  // Events that arrive before POST /prompt has answered with the id (an idle ComfyUI starts at once): kept, then replayed.
  const early: { type: string | undefined; data: Json }[] = [];
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  let finished = false;
  const handle = (type: string | undefined, data: Json): void => {
    if (asString(data.prompt_id) !== promptId) return;
    if (/^execution_(error|interrupted|success)$/.test(type ?? "") || (type === "executing" && data.node === null)) finished = true;
    if (type === "progress") {
      const value = asNumber(data.value);
      const max = asNumber(data.max);
      if (value !== undefined && max) ctx.onProgress?.(Math.max(0, Math.min(99, Math.round((value / max) * 100))));
    } else if (type === "execution_error") {
      state.failure = executionFailure(data);
      end();
    } else if (type === "execution_interrupted") {
      state.failure = "the prompt was interrupted in ComfyUI";
      end();
    } else if (type === "execution_success" || (type === "executing" && data.node === null)) end();
  };
  const state: Watch = {
    close: () => socket.close(),
    ended,
    lost: false,
    setPromptId: (id) => {
      promptId = id;
      for (const { type, data } of early.splice(0)) handle(type, data);
    },
  };
  socket.addEventListener("close", () => {
    if (!finished) state.lost = true;
    end();
  });
  socket.addEventListener("message", (event) => {
    if (typeof event.data !== "string") return; // binary frames: preview images
    let message: Json | undefined;
    try {
      message = asObject(JSON.parse(event.data));
    } catch {
      return;
    }
    const type = asString(message?.type);
    const data = asObject(message?.data);
    if (!data) return;
    if (promptId === undefined) {
      if (asString(data.prompt_id) && early.length < MAX_EARLY_EVENTS) early.push({ type, data });
      return;
    }
    handle(type, data);
  });
  return state;
}

const executionFailure = (data: Json) =>
  `node ${asString(data.node_id) ?? "?"} (${asString(data.node_type) ?? "?"}) failed: ${asString(data.exception_type) ?? "error"}: ${clip(asString(data.exception_message)?.trim() ?? "no message")}`;

/**
 * Reads of a prompt found neither in /history nor in /queue after which it is given up: ComfyUI keeps both in memory,
 * so a ComfyUI restarted while mediagen was down (or a prompt deleted from its queue) would otherwise be polled until
 * the job's deadline. More than one read, in case the history lags the queue.
 */
export const FORGOTTEN_READS = 3;

/**
 * The prompt's row in ComfyUI's queue, running or pending (GET /queue: `[number, prompt_id, graph, extra_data, outputs]`,
 * extra_data holding the `client_id` it was queued under), or undefined when it is in neither.
 */
async function queueRow(promptId: string, ctx: CallContext): Promise<unknown[] | undefined> {
  const queue = await getJson(ctx, "queue");
  const rows = [...(Array.isArray(queue.queue_running) ? queue.queue_running : []), ...(Array.isArray(queue.queue_pending) ? queue.queue_pending : [])];
  return rows.find((row): row is unknown[] => Array.isArray(row) && row[1] === promptId);
}

/**
 * A finished history entry, read until it is there. The websocket (when open) wakes the wait early. Without one (a
 * resumed job, a lost socket) the queue is checked too, so a prompt ComfyUI forgot fails at once instead of at the deadline.
 */
async function finishPrompt(promptId: string, ctx: CallContext, watcher?: Watch): Promise<Json> {
  let forgotten = 0;
  for (;;) {
    const history = await getJson(ctx, `history/${encodeURIComponent(promptId)}`);
    const entry = asObject(history[promptId]);
    if (!entry && (!watcher || watcher.lost)) {
      forgotten = (await queueRow(promptId, ctx)) ? 0 : forgotten + 1;
      if (forgotten >= FORGOTTEN_READS) {
        throw new AppError("api_error", `ComfyUI no longer knows prompt ${promptId}: it is neither queued, running nor in its history (ComfyUI was restarted, or the prompt was deleted from its queue); generate it again`);
      }
    }
    const status = asObject(entry?.status);
    const statusStr = asString(status?.status_str);
    if (entry && statusStr === "error") {
      const messages = Array.isArray(status?.messages) ? status!.messages : [];
      const error = (messages as unknown[]).map((m) => (Array.isArray(m) && m[0] === "execution_error" ? asObject(m[1]) : undefined)).find(Boolean);
      const interrupted = (messages as unknown[]).some((m) => Array.isArray(m) && m[0] === "execution_interrupted");
      const why = error ? executionFailure(error) : interrupted ? "the prompt was interrupted in ComfyUI" : (watcher?.failure ?? "no message");
      throw new AppError("api_error", `ComfyUI prompt ${promptId} failed: ${why}`);
    }
    if (entry && (status?.completed === true || statusStr === "success" || (!status && asObject(entry.outputs)))) return entry;
    if (!entry && watcher?.failure) throw new AppError("api_error", `ComfyUI prompt ${promptId} failed: ${watcher.failure}`);
    if (watcher && !watcher.lost) await Promise.race([watcher.ended.then(() => pause(Math.min(ctx.pollIntervalMs, 250), ctx)), pause(Math.max(ctx.pollIntervalMs, 1000), ctx)]);
    else await pause(ctx.pollIntervalMs, ctx);
  }
}

interface OutputFile {
  filename: string;
  subfolder: string;
  type: string;
  key: string;
}

/** The output file to fetch for the entry's media type: a file of that kind, saved outputs before temp previews. */
export function pickOutput(outputs: Json | undefined, type: ModelEntry["type"]): OutputFile | undefined {
  const files: OutputFile[] = Object.values(outputs ?? {}).flatMap((node) =>
    Object.entries(asObject(node) ?? {}).flatMap(([key, list]) =>
      asObjects(list)
        .filter((file) => asString(file.filename))
        .map((file) => ({ filename: asString(file.filename)!, subfolder: asString(file.subfolder) ?? "", type: asString(file.type) ?? "output", key })),
    ),
  );
  const fits = (file: OutputFile) =>
    type === "image"
      ? IMAGE_FILE.test(file.filename) && file.key === "images"
      : type === "video"
        ? VIDEO_FILE.test(file.filename) && !(file.key === "images" && /\.(png|jpe?g)$/i.test(file.filename))
        : AUDIO_FILE.test(file.filename);
  const kind = files.filter(fits);
  // A video node (VHS_VideoCombine's `gifs`, SaveVideo's `images` + `animated`) beats an animated image in `images`.
  const ranked = type === "video" ? [...kind.filter((f) => /\.(mp4|webm|mov|mkv)$/i.test(f.filename)), ...kind] : kind;
  return ranked.find((file) => file.type === "output") ?? ranked[0];
}

const MIME: Record<string, string> = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif", bmp: "image/bmp",
  mp4: "video/mp4", webm: "video/webm", mov: "video/quicktime", mkv: "video/x-matroska",
  flac: "audio/flac", wav: "audio/wav", mp3: "audio/mpeg", ogg: "audio/ogg", opus: "audio/ogg", m4a: "audio/mp4", aac: "audio/aac",
};

/** GPU seconds the prompt ran: execution_start to execution_success in the history's messages, else the wall time seen. */
export function gpuSeconds(entry: Json, wallMs?: number): number | undefined {
  const messages = asObject(entry.status)?.messages;
  const at = (name: string) => {
    if (!Array.isArray(messages)) return undefined;
    const found = messages.find((m) => Array.isArray(m) && m[0] === name);
    return Array.isArray(found) ? asNumber(asObject(found[1])?.timestamp) : undefined;
  };
  const start = at("execution_start");
  const end = at("execution_success");
  if (start !== undefined && end !== undefined && end >= start) return Math.round(end - start) / 1000;
  return wallMs === undefined ? undefined : Math.round(wallMs) / 1000;
}

/** Reads the finished prompt's output, downloads it from /view and prices the GPU time. */
async function collect(promptId: string, entry: Json, ctx: CallContext, extra: { seed?: number; startedAt?: number; seconds?: number }): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const seconds = gpuSeconds(entry, extra.startedAt === undefined ? undefined : Date.now() - extra.startedAt);
  const rate = opts.gpu_usd_per_second ?? 0;
  const costUsd = seconds === undefined ? 0 : Math.round(seconds * rate * 1e6) / 1e6;
  const costLines = rate > 0 && seconds !== undefined ? [{ unit: "gpu_second", quantity: seconds, unit_price_usd: rate, usd: costUsd }] : undefined;
  const billed = { costUsd };
  const file = pickOutput(asObject(entry.outputs), ctx.entry.type);
  const noun = ctx.entry.type === "audio" ? "audio" : ctx.entry.type;
  if (!file) throw afterBilling(new AppError("empty_response", `ComfyUI prompt ${promptId} finished without a ${noun} output; the workflow needs a node that saves one (SaveImage, a video or audio save node)`), billed);
  const query = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type });
  let media: MediaPayload;
  try {
    media = await readMedia(await request(url(ctx, `view?${query}`), {}, ctx), ctx);
  } catch (error) {
    throw afterBilling(error, billed);
  }
  const extension = file.filename.split(".").pop()!.toLowerCase();
  return {
    ...media,
    ...(MIME[extension] ? { mimeType: MIME[extension] } : {}),
    costUsd,
    ...(costLines ? { costLines } : {}),
    ...(ctx.entry.type === "video" && extra.seconds !== undefined ? { durationSeconds: extra.seconds, meter: { seconds: extra.seconds } } : {}),
    extra: { prompt_id: promptId, output: file.filename, ...(seconds !== undefined ? { gpu_seconds: seconds } : {}), ...(extra.seed !== undefined ? { seed: extra.seed } : {}) },
  };
}

/** Fills, queues and follows one workflow run. */
async function run(ctx: CallContext, prompt: string, aspect: Aspect, inputs: InputImage[], seconds?: number, voice?: string): Promise<ProviderResult> {
  const opts = options(ctx.entry);
  const graph = loadWorkflow(ctx.entry);
  const [width, height] = opts.size ? (opts.size.split("x").map(Number) as [number, number]) : DEFAULT_SIZES[aspect];
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  const fill: Fill = {
    prompt,
    negative_prompt: opts.negative_prompt ?? "",
    seed,
    width,
    height,
    checkpoint: opts.checkpoint ?? DEFAULT_CHECKPOINT,
  };
  if (ctx.entry.type === "audio") fill.voice = voice ?? "";
  if (seconds !== undefined) {
    const fps = opts.fps ?? DEFAULT_FPS;
    Object.assign(fill, { duration: seconds, fps, frames: Math.round(seconds * fps) + 1 });
  }
  const used = placeholders(graph);
  const wanted = [...used].filter((name) => /^image(_\d+)?$/.test(name));
  const count = wanted.reduce((n, name) => Math.max(n, name === "image" ? 1 : Number(name.slice(6))), 0);
  if (inputs.length < count) throw invalidArgument("images", `the ComfyUI workflow of "${ctx.entry.model}" takes ${count} input image${count === 1 ? "" : "s"}; ${inputs.length} given`);
  if (inputs.length > count) throw invalidArgument("images", count === 0 ? `the ComfyUI workflow of "${ctx.entry.model}" takes no input image; configure an edit workflow (e.g. image-edit)` : `the ComfyUI workflow of "${ctx.entry.model}" takes at most ${count} input images, not ${inputs.length}`);
  for (const [index, image] of inputs.entries()) {
    const name = await upload(image, index, ctx);
    fill[`image_${index + 1}`] = name;
    if (index === 0) fill.image = name;
  }
  const filled = fillWorkflow(graph, fill);
  const clientId = crypto.randomUUID();
  const watcher = await watch(ctx, clientId);
  try {
    const startedAt = Date.now();
    const body = JSON.stringify({ client_id: clientId, prompt: filled });
    const queued = await readJsonObject(await request(url(ctx, "prompt"), { method: "POST", headers: { "content-type": "application/json" }, body }, ctx, mapErrorFor(ctx)), ctx);
    const promptId = asString(queued.prompt_id);
    if (!promptId) {
      const said = describeRefusal(JSON.stringify(queued));
      throw new AppError("invalid_response", `ComfyUI answered the prompt without a prompt_id${said ? ` (${clip(said)})` : ""}`);
    }
    watcher?.setPromptId(promptId);
    ctx.onOperation?.(promptId);
    let entry: Json;
    try {
      entry = await finishPrompt(promptId, ctx, watcher);
    } catch (error) {
      // A shutdown (interrupted) leaves the prompt in ComfyUI's queue, to be resumed at the next start.
      if (cancelsUpstream(ctx.signal)) await cancelPrompt(promptId, ctx);
      throw error;
    }
    return await collect(promptId, entry, ctx, { seed, startedAt, seconds });
  } finally {
    watcher?.close();
  }
}

/** How long the clean-up after a cancelled job may take, in ms. */
const CANCEL_CLEANUP_MS = 3_000;

/**
 * A cancelled job's prompt is taken off ComfyUI's queue (`POST /queue {delete}`), and interrupted when `GET /queue` shows
 * it running (`/interrupt` stops whatever runs, so only then; the prompt_id in the body lets newer servers check it too).
 * Best effort: failures are ignored.
 */
async function cancelPrompt(promptId: string, ctx: CallContext): Promise<void> {
  const signal = AbortSignal.timeout(CANCEL_CLEANUP_MS);
  const post = (path: string, body: Json) => fetch(url(ctx, path), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
  try {
    await post("queue", { delete: [promptId] });
    const queue = (await (await fetch(url(ctx, "queue"), { signal })).json()) as Json;
    const running = Array.isArray(queue.queue_running) && queue.queue_running.some((item) => Array.isArray(item) && item[1] === promptId);
    if (running) await post("interrupt", { prompt_id: promptId });
  } catch {
    // The job is cancelled either way; ComfyUI may finish the prompt on its own.
  }
}

const image = (job: ImageJob, ctx: CallContext) => run(ctx, job.prompt, job.aspect, job.inputs);

/** Speech (or any audio) from a workflow with an audio save node; the voice placeholder is the request's voice. */
const speech = (job: SpeechJob, ctx: CallContext) => run(ctx, job.input, "square", [], undefined, job.voice);

const video = (job: VideoJob, ctx: CallContext) => run(ctx, job.prompt, job.aspect, job.firstFrame ? [job.firstFrame] : [], job.durationSeconds);

/**
 * Continues a prompt queued before a restart. ComfyUI sends a prompt's events to the client id it was queued under, so
 * while the prompt is still queued or running a websocket is opened again under that id (read from GET /queue) and its
 * step events keep reporting progress; /history is read for the result either way.
 */
async function resumeVideo(promptId: string, ctx: CallContext): Promise<ProviderResult> {
  const row = await queueRow(promptId, ctx);
  const clientId = asString(asObject(row?.[3])?.client_id);
  const watcher = clientId ? await watch(ctx, clientId) : undefined;
  watcher?.setPromptId(promptId);
  try {
    const entry = await finishPrompt(promptId, ctx, watcher);
    return await collect(promptId, entry, ctx, {});
  } finally {
    watcher?.close();
  }
}

/** GET /system_stats (free, no GPU): the ComfyUI version and first device; the workflow is loaded and checked too. */
async function testConnection(ctx: CallContext): Promise<string> {
  const graph = loadWorkflow(ctx.entry);
  const stats = await getJson(ctx, "system_stats");
  const system = asObject(stats.system);
  const device = asObjects(stats.devices)[0];
  const version = asString(system?.comfyui_version);
  const nodes = Object.keys(graph).length;
  return `Connected to ComfyUI${version ? ` ${version}` : ""}${device ? ` on ${asString(device.name) ?? "a device"}` : ""}; workflow "${options(ctx.entry).workflow ?? ctx.entry.model}" has ${nodes} nodes (checkpoints and custom nodes are checked on the first generation).`;
}

function checkImage(job: ImageJob, entry: ModelEntry): void {
  const used = placeholders(loadWorkflow(entry));
  const takes = [...used].some((name) => /^image(_\d+)?$/.test(name));
  if (job.inputs.length > 0 && !takes) throw invalidArgument("images", `the ComfyUI workflow of "${entry.model}" takes no input image; configure an edit workflow (e.g. image-edit)`);
  if (job.inputs.length === 0 && takes) throw invalidArgument("images", `the ComfyUI workflow of "${entry.model}" edits images: give the input image in images`);
}

/** ComfyUI on this machine or the LAN: any workflow in API format; $0 unless options.gpu_usd_per_second prices its GPU time. */
export const comfyui: Provider = {
  id: "comfyui",
  requiresKey: false,
  defaultBaseUrl: "http://127.0.0.1:8188",
  reportsCost: true,
  videoSeconds: { min: 1, max: 60 },
  models: { image: Object.keys(SHIPPED_WORKFLOWS) },
  image,
  video,
  speech,
  resumeVideo,
  checkImage,
  testConnection,
};
