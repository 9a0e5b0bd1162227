// A fake AUTOMATIC1111 web UI API (`/sdapi/v1`, as Forge and SD.Next keep it) on an ephemeral loopback port, speaking
// the wire format of AUTOMATIC1111/stable-diffusion-webui modules/api/{api.py, models.py} and modules/shared_state.py
// (shared/docs/providers-2.md §5):
// POST /sdapi/v1/txt2img and /sdapi/v1/img2img block until every step is done and answer
// {images: [bare base64 PNG], parameters: <echo>, info: "<JSON string>"}; GET /sdapi/v1/progress answers the shared
// state ({progress, eta_relative, state: {job, job_count, job_no, sampling_step, sampling_steps, ...}}), with
// progress = 0.01 + job_no/job_count + step/steps/job_count while a job runs, 0 and job "" between jobs; GET
// /sdapi/v1/sd-models, /samplers, /options; POST /sdapi/v1/interrupt stops the running job (which still answers 200
// with its image so far). `force_task_id` in a generation body becomes progress's `current_task` while it runs.
// Errors: FastAPI's 422 `{detail: [{loc, msg, type}]}` for body validation,
// the web UI's `{error, detail, body, errors}` for handled (404 "Sampler not found") and unhandled (500) exceptions,
// 401 `{detail: "Incorrect username or password"}` with `--api-auth`, and FastAPI's 404 `{detail: "Not Found"}` for
// every /sdapi route when the web UI was started without --api.
// A scenario is chosen per request: queued with `next()`, or named in the prompt as `[[fake:<scenario>]]`.
//
// Confirmed in api.py: routes, the four-key error body (also for the 401 of --api-auth, "Incorrect username or password",
// and the 404 "Sampler not found"), progress's formula and job_count == 0 answer, the sd-models and samplers items.
// Not confirmed: the 404 "Model not found" for an unknown `override_settings.sd_model_checkpoint` (seen in one stored
// version of api.py, `validate_model`; other versions may load nothing and keep the current checkpoint); the CUDA
// out-of-memory text; Forge/SD.Next differences; `errors` of HTTPExceptions is str(e), rendered here as "<status>: <detail>".
import { json, type RecordedRequest } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { b64, imageInfo, makePng } from "./media.ts";

export type Automatic1111Scenario =
  | "ok"
  | "500" // unhandled exception: {error: "RuntimeError", ...}
  | "oom" // 500 torch.cuda.OutOfMemoryError
  | "malformed" // 200 with truncated JSON
  | "empty" // 200 with images: []
  | "slow"
  | "hang"
  | "reset";

export interface SdModel {
  title: string;
  model_name: string;
  hash: string;
  sha256: string;
  filename: string;
  config: null;
}

export const FAKE_CHECKPOINTS: SdModel[] = [
  { title: "sd_xl_base_1.0.safetensors [31e35c80fc]", model_name: "sd_xl_base_1.0", hash: "31e35c80fc", sha256: "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b", filename: "/sd/models/Stable-diffusion/sd_xl_base_1.0.safetensors", config: null },
  { title: "v1-5-pruned-emaonly.safetensors [6ce0161689]", model_name: "v1-5-pruned-emaonly", hash: "6ce0161689", sha256: "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa", filename: "/sd/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors", config: null },
];
export const FAKE_SAMPLERS = ["DPM++ 2M", "DPM++ SDE", "Euler a", "Euler", "DDIM", "UniPC"];

export interface FakeAutomatic1111 {
  url: string;
  requests: RecordedRequest[];
  next(...scenarios: Automatic1111Scenario[]): void;
  slowMs: number;
  /** Milliseconds each sampling step takes (0: answer at once). */
  stepMs: number;
  /** `user:password` required as HTTP Basic auth (the web UI's --api-auth), or null for none. */
  auth: string | null;
  /** false: started without --api, so every /sdapi route is FastAPI's 404. */
  api: boolean;
  /** The checkpoint currently loaded (model_name). */
  loaded: string;
  /** The task ids POST /sdapi/v1/interrupt stopped (the `force_task_id` of the job running then, or "" for none). */
  interrupted: string[];
  close(): Promise<void>;
}

/** One FastAPI/pydantic v1 validation entry (the web UI still runs pydantic v1 models). */
const invalid = (field: string, msg: string, type: string) => json(422, { detail: [{ loc: ["body", field], msg, type }] });
const webuiError = (status: number, error: string, detail: string, errors = "") => json(status, { error, detail, body: "", errors });

function findCheckpoint(name: string): SdModel | undefined {
  const key = name.toLowerCase();
  return FAKE_CHECKPOINTS.find((m) => [m.title, m.model_name, m.title.replace(/\s*\[[0-9a-f]+\]$/, ""), m.hash].some((n) => n.toLowerCase() === key));
}

export function startFakeAutomatic1111(): FakeAutomatic1111 {
  // The web UI's shared state: one job at a time.
  const state = { job: "", job_count: 0, job_no: 0, sampling_step: 0, sampling_steps: 0, job_timestamp: "0", interrupted: false };
  // modules/progress.py's current_task: the running job's task id (its `force_task_id`, else a generated one).
  let currentTask: string | null = null;
  let busy: Promise<void> = Promise.resolve();

  async function generate(call: FakeCall<Automatic1111Scenario>, kind: "txt2img" | "img2img"): Promise<Response> {
    const b = call.rec.body;
    if (call.rec.rawText !== undefined) return json(422, { detail: [{ loc: ["body", 0], msg: "Expecting value: line 1 column 1 (char 0)", type: "value_error.jsondecode" }] });
    const prompt = typeof b.prompt === "string" ? b.prompt : "";
    for (const field of ["width", "height", "steps", "seed", "batch_size", "n_iter"]) {
      if (b[field] !== undefined && !Number.isInteger(b[field])) return invalid(field, "value is not a valid integer", "type_error.integer");
    }
    if (b.cfg_scale !== undefined && typeof b.cfg_scale !== "number") return invalid("cfg_scale", "value is not a valid float", "type_error.float");
    if (b.sampler_name !== undefined && !FAKE_SAMPLERS.includes(String(b.sampler_name))) return webuiError(404, "HTTPException", "Sampler not found", "404: Sampler not found");
    let init: { width: number; height: number } | undefined;
    if (kind === "img2img") {
      const images = Array.isArray(b.init_images) ? b.init_images : [];
      if (images.length === 0) return webuiError(404, "HTTPException", "Init image not found", "404: Init image not found");
      const text = String(images[0]);
      const raw = text.startsWith("data:") ? text.slice(text.indexOf(",") + 1) : text;
      init = imageInfo(new Uint8Array(Buffer.from(raw, "base64")));
      if (!init) return webuiError(500, "UnidentifiedImageError", "", "cannot identify image file <_io.BytesIO object>");
    }
    const scenario = call.scenario(prompt);
    await call.transport(scenario);
    if (scenario === "500") return webuiError(500, "RuntimeError", "", "Expected all tensors to be on the same device");
    if (scenario === "oom") return webuiError(500, "OutOfMemoryError", "", "CUDA out of memory. Tried to allocate 2.00 GiB");

    const width = (b.width as number | undefined) ?? 512;
    const height = (b.height as number | undefined) ?? 512;
    const steps = (b.steps as number | undefined) ?? 20;
    const override = (b.override_settings ?? {}) as Record<string, unknown>;
    const wanted = typeof override.sd_model_checkpoint === "string" ? findCheckpoint(override.sd_model_checkpoint) : undefined;
    if (typeof override.sd_model_checkpoint === "string" && !wanted) return webuiError(404, "HTTPException", "Model not found", "404: Model not found");
    const model = wanted?.model_name ?? fake.loaded;

    // One job at a time: a second request waits for the running one.
    const previous = busy;
    let release!: () => void;
    busy = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      currentTask = typeof b.force_task_id === "string" && b.force_task_id ? b.force_task_id : `task(${crypto.randomUUID().slice(0, 15)})`;
      Object.assign(state, { job: `scripts_${kind}`, job_count: 1, job_no: 0, sampling_step: 0, sampling_steps: steps, job_timestamp: "20261129103000", interrupted: false });
      // An interrupt ends sampling at the next step; the web UI still answers 200 with the image so far.
      if (fake.stepMs > 0) for (let i = 1; i <= steps && !state.interrupted; i++) {
        await Bun.sleep(fake.stepMs);
        state.sampling_step = i;
      }
    } finally {
      Object.assign(state, { job: "", job_count: 0, job_no: 0, sampling_step: 0, sampling_steps: 0, interrupted: false });
      currentTask = null;
      release();
    }
    if (scenario === "malformed") return new Response('{"images": ["iVBORw0KGgo', { headers: { "content-type": "application/json" } });
    const seed = typeof b.seed === "number" && b.seed >= 0 ? b.seed : 1234567;
    const info = {
      prompt,
      all_prompts: [prompt],
      negative_prompt: b.negative_prompt ?? "",
      seed,
      all_seeds: [seed],
      width,
      height,
      sampler_name: b.sampler_name ?? "DPM++ 2M",
      cfg_scale: b.cfg_scale ?? 7,
      steps,
      sd_model_name: model,
      sd_model_hash: FAKE_CHECKPOINTS.find((m) => m.model_name === model)?.hash ?? null,
      denoising_strength: kind === "img2img" ? (b.denoising_strength ?? 0.75) : null,
      infotexts: [`${prompt}\nSteps: ${steps}, Seed: ${seed}, Size: ${width}x${height}, Model: ${model}`],
    };
    const images = scenario === "empty" ? [] : [b64(makePng(width, height, [120, 80, 200]))];
    return json(200, { images, parameters: { ...b, init_images: kind === "img2img" ? null : undefined }, info: JSON.stringify(info) });
  }

  function progress(): Response {
    const running = state.job !== "";
    const fraction = running ? 0.01 + state.job_no / state.job_count + state.sampling_step / state.sampling_steps / state.job_count : 0;
    return json(200, {
      progress: fraction,
      eta_relative: running ? 1.5 : 0,
      state: { skipped: false, stopping_generation: false, ...state },
      current_image: null,
      textinfo: null,
      current_task: currentTask,
    });
  }

  /** POST /sdapi/v1/interrupt: shared.state.interrupt() stops whatever job is running (it names none). */
  function interrupt(): Response {
    fake.interrupted.push(state.job === "" ? "" : (currentTask ?? ""));
    if (state.job !== "") state.interrupted = true;
    return json(200, {});
  }

  const fake = startFakeServer<Automatic1111Scenario>(async (call) => {
    const { path, request } = call;
    if (!fake.api || !path.startsWith("/sdapi/v1/")) return json(404, { detail: "Not Found" });
    if (fake.auth) {
      const given = request.headers.get("authorization") ?? "";
      if (given !== `Basic ${Buffer.from(fake.auth).toString("base64")}`)
        return json(401, { error: "HTTPException", detail: "Incorrect username or password", body: "", errors: "401: Incorrect username or password" }, { "www-authenticate": "Basic" });
    }
    const route = `${request.method} ${path}`;
    switch (route) {
      case "POST /sdapi/v1/txt2img":
        return generate(call, "txt2img");
      case "POST /sdapi/v1/img2img":
        return generate(call, "img2img");
      case "GET /sdapi/v1/progress":
        return progress();
      case "POST /sdapi/v1/interrupt":
        return interrupt();
      case "GET /sdapi/v1/sd-models":
        return json(200, FAKE_CHECKPOINTS);
      case "GET /sdapi/v1/samplers":
        return json(200, FAKE_SAMPLERS.map((name) => ({ name, aliases: [], options: {} })));
      case "GET /sdapi/v1/options":
        return json(200, { sd_model_checkpoint: FAKE_CHECKPOINTS.find((m) => m.model_name === fake.loaded)?.title ?? fake.loaded });
      default:
        return json(405, { detail: "Method Not Allowed" });
    }
  }) as unknown as FakeAutomatic1111 & { stepMs: number };
  Object.assign(fake, { stepMs: 0, auth: null, api: true, loaded: "sd_xl_base_1.0", interrupted: [] });
  return fake;
}
