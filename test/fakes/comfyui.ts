// A fake ComfyUI on an ephemeral loopback port, speaking its wire format (shared/docs/providers-2.md §4, checked against
// comfyanonymous/ComfyUI server.py, execution.py and script_examples/websockets_api_example.py):
//   GET  /ws?clientId=<id>      websocket; first a `status` message, then the events of prompts queued with that client_id:
//                               execution_start, execution_cached, executing {node}, progress {value, max} per step,
//                               executed {node, output}, executing {node: null}, execution_success (or execution_error /
//                               execution_interrupted), each carrying prompt_id
//   POST /upload/image          multipart `image` (+ `type`, `overwrite`) -> {name, subfolder, type}
//   POST /prompt                {client_id, prompt: API graph} -> {prompt_id, number, node_errors: {}}; 400 with
//                               {error: {type, message, details, extra_info}, node_errors} when the graph is refused
//   GET  /history/{prompt_id}   {} until the prompt ended, then {id: {prompt, outputs, status: {status_str, completed, messages}}}
//   GET  /view?filename&subfolder&type   the file's bytes
//   GET  /queue, POST /queue {delete: [ids]}, POST /interrupt   (cancelling)
//   GET  /system_stats          {system: {comfyui_version, ...}, devices: [{name, type, vram_total, ...}]}
// Outputs per node class: SaveImage -> images (type output), PreviewImage -> images (type temp), SaveVideo -> images +
// animated, VHS_VideoCombine -> gifs (an .mp4), SaveAudio -> audio (a .flac).
// A scenario is queued with `next()` or named in a prompt string as `[[fake:<scenario>]]`.
//
// Not confirmed against a live ComfyUI: the video/audio nodes' output keys (§4 "Not confirmed"), the file names past
// `{prefix}_{counter:05}_.png`, the exact text of the validation errors invented for unknown checkpoints/images.
import type { Server, ServerWebSocket } from "bun";
import { json, readRequest, type RecordedRequest } from "./common.ts";
import { makeFlac, makeMp4, makePng } from "./media.ts";

export type ComfyUIScenario =
  | "ok"
  | "invalid" // POST /prompt 400 prompt_outputs_failed_validation with node_errors
  | "exec_error" // runtime execution_error (an OOM in the sampler)
  | "interrupted" // execution_interrupted
  | "no_output" // finishes with no outputs
  | "late_history"; // /history stays {} for `lateHistoryPolls` reads after the end

export interface FakeComfyUI {
  url: string;
  requests: RecordedRequest[];
  /** Text frames sent over websockets, in order. */
  events: Json[];
  /** Files uploaded through /upload/image, by name. */
  uploads: Map<string, Uint8Array>;
  next(...scenarios: ComfyUIScenario[]): void;
  /** Sampler steps reported as progress events. */
  steps: number;
  /** GPU time written into the history (execution_start to execution_success), in ms. */
  gpuMs: number;
  /** Delay between progress events, in ms. */
  stepMs: number;
  lateHistoryPolls: number;
  /** Checkpoint files the fake knows; another ckpt_name is refused as ComfyUI's validation does. */
  checkpoints: string[];
  /** False: /ws answers 404 (a proxy that does not pass websockets), so clients must poll /history. */
  websockets: boolean;
  /** True: a running prompt stops after its first step event until set back to false (a long sampler run). */
  held: boolean;
  /** ComfyUI restarted: its queue and history (both kept in memory) are gone; a running prompt never finishes. */
  restart(): void;
  /** Delay of POST /prompt's answer while the prompt already runs (an idle server that starts before the answer arrives), in ms. */
  promptAnswerDelayMs: number;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
interface Socket {
  clientId: string;
}
interface Prompt {
  id: string;
  scenario: ComfyUIScenario;
  graph: Record<string, { class_type: string; inputs: Json }>;
  clientId?: string;
  done: boolean;
  historyPolls: number;
  entry?: Json;
  running: boolean;
  interrupted: boolean;
}

const MARKER = /\[\[fake:([a-z_0-9]+)\]\]/;

export function startFakeComfyUI(): FakeComfyUI {
  const queued: ComfyUIScenario[] = [];
  const prompts = new Map<string, Prompt>();
  const files = new Map<string, Uint8Array>();
  const sockets = new Set<ServerWebSocket<Socket>>();
  let counter = 0;
  let number = 0;

  const send = (clientId: string | undefined, type: string, data: Json) => {
    const message = { type, data };
    fake.events.push(message);
    for (const ws of sockets) if (ws.data.clientId === clientId) ws.send(JSON.stringify(message));
  };

  const fileKey = (type: string, subfolder: string, name: string) => `${type}/${subfolder}/${name}`;

  function outputsOf(prompt: Prompt): Json {
    const outputs: Json = {};
    const sizeOf = (): [number, number] => {
      for (const node of Object.values(prompt.graph)) {
        if (node.class_type === "EmptyLatentImage" || node.class_type === "ImageScale") {
          const w = Number(node.inputs.width), h = Number(node.inputs.height);
          if (w > 0 && h > 0) return [Math.min(w, 256), Math.min(h, 256)];
        }
      }
      return [64, 64];
    };
    const save = (type: string, name: string, bytes: Uint8Array) => {
      files.set(fileKey(type, "", name), bytes);
      return { filename: name, subfolder: "", type };
    };
    for (const [id, node] of Object.entries(prompt.graph)) {
      const prefix = String(node.inputs.filename_prefix ?? "ComfyUI");
      const n = String(++counter).padStart(5, "0");
      if (node.class_type === "SaveImage") outputs[id] = { images: [save("output", `${prefix}_${n}_.png`, makePng(...sizeOf()))] };
      if (node.class_type === "PreviewImage") outputs[id] = { images: [save("temp", `ComfyUI_temp_${n}_.png`, makePng(8, 8))] };
      if (node.class_type === "SaveVideo") outputs[id] = { images: [save("output", `${prefix}_${n}_.mp4`, makeMp4(4096, 5))], animated: [true] };
      if (node.class_type === "VHS_VideoCombine") {
        outputs[id] = { gifs: [{ ...save("output", `${prefix}_${n}.mp4`, makeMp4(4096, Number(node.inputs.frame_count ?? 120) / 24)), format: "video/h264-mp4", frame_rate: 24 }] };
      }
      if (node.class_type === "SaveAudio") outputs[id] = { audio: [save("output", `${prefix}_${n}_.flac`, makeFlac(2))] };
    }
    return outputs;
  }

  async function execute(prompt: Prompt) {
    const pid = prompt.id;
    const start = Date.now();
    const messages: unknown[][] = [];
    const event = (type: string, data: Json, keep = false) => {
      const full = { ...data, prompt_id: pid };
      send(prompt.clientId, type, full);
      if (keep) messages.push([type, full]);
    };
    await Bun.sleep(5);
    if (!prompts.has(pid)) return; // deleted from the queue before it ran
    prompt.running = true;
    event("execution_start", { timestamp: start }, true);
    event("execution_cached", { nodes: [], timestamp: start }, true);
    const sampler = Object.entries(prompt.graph).find(([, node]) => node.class_type === "KSampler")?.[0] ?? "1";
    event("executing", { node: sampler, display_node: sampler });
    // A binary preview frame, as ComfyUI sends (4-byte event type + payload); clients ignore it.
    for (const ws of sockets) if (ws.data.clientId === prompt.clientId) ws.send(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2]));
    for (let value = 1; value <= fake.steps; value++) {
      event("progress", { value, max: fake.steps, node: sampler });
      while (fake.held && !prompt.interrupted) await Bun.sleep(10);
      await Bun.sleep(fake.stepMs);
      if (prompt.scenario === "exec_error" && value * 2 >= fake.steps) break;
      if (prompt.scenario === "interrupted" && value * 2 >= fake.steps) break;
      if (prompt.interrupted) break;
    }
    let status: Json;
    let outputs: Json = {};
    if (prompt.scenario === "exec_error") {
      const data = {
        node_id: sampler, node_type: "KSampler", executed: [], exception_message: "CUDA out of memory. Tried to allocate 2.00 GiB\n",
        exception_type: "torch.OutOfMemoryError", traceback: ["..."], current_inputs: {}, current_outputs: {}, timestamp: start + fake.gpuMs,
      };
      event("execution_error", data, true);
      status = { status_str: "error", completed: false, messages };
    } else if (prompt.scenario === "interrupted" || prompt.interrupted) {
      event("execution_interrupted", { node_id: sampler, node_type: "KSampler", executed: [], timestamp: start + fake.gpuMs }, true);
      status = { status_str: "error", completed: false, messages };
    } else {
      outputs = prompt.scenario === "no_output" ? {} : outputsOf(prompt);
      for (const [node, output] of Object.entries(outputs)) event("executed", { node, display_node: node, output });
      event("executing", { node: null });
      event("execution_success", { timestamp: start + fake.gpuMs }, true);
      status = { status_str: "success", completed: true, messages };
    }
    prompt.entry = { prompt: [number, pid, prompt.graph, { client_id: prompt.clientId }, Object.keys(outputs)], outputs, status, meta: {} };
    prompt.done = true;
    prompt.running = false;
    if (prompt.clientId) send(prompt.clientId, "status", { status: { exec_info: { queue_remaining: 0 } } });
  }

  function refuse(type: string, message: string, nodeErrors: Json = {}, details = "") {
    return json(400, { error: { type, message, details, extra_info: {} }, node_errors: nodeErrors });
  }

  function validate(graph: unknown): Response | undefined {
    if (!graph || typeof graph !== "object" || Array.isArray(graph)) return refuse("invalid_prompt", "Invalid prompt: prompt must be an object");
    const nodes = graph as Prompt["graph"];
    const outputs = Object.values(nodes).filter((node) => /^(Save|Preview)|VideoCombine/.test(node.class_type));
    if (outputs.length === 0) return refuse("prompt_no_outputs", "Prompt has no outputs");
    const errors: Json = {};
    for (const [id, node] of Object.entries(nodes)) {
      const problems: Json[] = [];
      for (const [name, value] of Object.entries(node.inputs ?? {})) {
        if (typeof value === "string" && /\{\{/.test(value)) problems.push({ type: "invalid_input_type", message: "Unfilled placeholder", details: `${name}: ${value}`, extra_info: { input_name: name } });
      }
      if (node.class_type === "CheckpointLoaderSimple" && !fake.checkpoints.includes(String(node.inputs.ckpt_name))) {
        problems.push({ type: "value_not_in_list", message: "Value not in list", details: `ckpt_name: '${node.inputs.ckpt_name}' not in ${JSON.stringify(fake.checkpoints)}`, extra_info: { input_name: "ckpt_name" } });
      }
      if (node.class_type === "LoadImage" && !files.has(fileKey("input", "", String(node.inputs.image)))) {
        problems.push({ type: "custom_validation_failed", message: "Failed to validate prompt for output", details: `Invalid image file: ${node.inputs.image}`, extra_info: {} });
      }
      if (problems.length > 0) errors[id] = { errors: problems, dependent_outputs: [], class_type: node.class_type };
    }
    if (Object.keys(errors).length > 0) return refuse("prompt_outputs_failed_validation", "Prompt outputs failed validation", errors);
    return undefined;
  }

  const scenarioOf = (graph: unknown): ComfyUIScenario => {
    if (queued.length > 0) return queued.shift()!;
    const match = MARKER.exec(JSON.stringify(graph ?? ""));
    return (match?.[1] as ComfyUIScenario | undefined) ?? "ok";
  };

  const server: Server<Socket> = Bun.serve<Socket>({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request, srv) {
      const url = new URL(request.url);
      const path = url.pathname.replace(/^\/api(?=\/)/, "");
      if (path === "/ws") {
        fake.requests.push({ method: "GET", path: url.pathname, query: Object.fromEntries(url.searchParams), headers: Object.fromEntries(request.headers), body: {} });
        if (!fake.websockets) return new Response("404: Not Found", { status: 404 });
        const clientId = url.searchParams.get("clientId") ?? crypto.randomUUID().replaceAll("-", "");
        if (srv.upgrade(request, { data: { clientId } })) return undefined as unknown as Response;
        return new Response("websocket expected", { status: 400 });
      }
      const rec = await readRequest(request);
      fake.requests.push(rec);
      if (request.method === "GET" && path === "/system_stats") {
        return json(200, {
          system: { os: "posix", ram_total: 68719476736, ram_free: 34359738368, comfyui_version: "0.3.68", python_version: "3.12.3", pytorch_version: "2.7.1+cu128", embedded_python: false, argv: ["main.py"] },
          devices: [{ name: "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync", type: "cuda", index: 0, vram_total: 25757220864, vram_free: 24000000000, torch_vram_total: 0, torch_vram_free: 0 }],
        });
      }
      if (request.method === "POST" && path === "/upload/image") {
        const part = rec.parts?.find((p) => p.name === "image");
        if (!part?.bytes || !part.filename) return new Response(null, { status: 400 });
        const type = String(rec.body.type ?? "input");
        const subfolder = String(rec.body.subfolder ?? "");
        let name = part.filename;
        if (rec.body.overwrite !== "true" && files.has(fileKey(type, subfolder, name))) name = name.replace(/(\.[^.]+)?$/, " (1)$1");
        files.set(fileKey(type, subfolder, name), part.bytes);
        fake.uploads.set(name, part.bytes);
        return json(200, { name, subfolder, type });
      }
      if (request.method === "POST" && path === "/prompt") {
        const graph = rec.body.prompt;
        if (graph === undefined) return refuse("no_prompt", "No prompt provided");
        const scenario = scenarioOf(graph);
        if (scenario === "invalid") {
          return refuse("prompt_outputs_failed_validation", "Prompt outputs failed validation", {
            "4": { errors: [{ type: "value_not_in_list", message: "Value not in list", details: "ckpt_name: 'missing.safetensors' not in []", extra_info: { input_name: "ckpt_name" } }], dependent_outputs: ["9"], class_type: "CheckpointLoaderSimple" },
          });
        }
        const refused = validate(graph);
        if (refused) return refused;
        const id = crypto.randomUUID();
        const prompt: Prompt = { id, scenario, graph: graph as Prompt["graph"], clientId: typeof rec.body.client_id === "string" ? rec.body.client_id : undefined, done: false, historyPolls: 0, running: false, interrupted: false };
        prompts.set(id, prompt);
        void execute(prompt);
        const answer = json(200, { prompt_id: id, number: number++, node_errors: {} });
        if (fake.promptAnswerDelayMs > 0) await Bun.sleep(fake.promptAnswerDelayMs);
        return answer;
      }
      if (request.method === "GET" && path === "/queue") {
        const row = (p: Prompt) => [0, p.id, p.graph, { client_id: p.clientId }, []];
        const live = [...prompts.values()].filter((p) => !p.done);
        return json(200, { queue_running: live.filter((p) => p.running).map(row), queue_pending: live.filter((p) => !p.running).map(row) });
      }
      if (request.method === "POST" && path === "/queue") {
        for (const id of Array.isArray(rec.body.delete) ? rec.body.delete : []) if (!prompts.get(String(id))?.running) prompts.delete(String(id));
        return new Response(null, { status: 200 });
      }
      if (request.method === "POST" && path === "/interrupt") {
        // Stock ComfyUI interrupts whatever runs; newer builds check an optional prompt_id.
        for (const p of prompts.values()) if (p.running && (rec.body.prompt_id === undefined || rec.body.prompt_id === p.id)) p.interrupted = true;
        return new Response(null, { status: 200 });
      }
      const history = /^\/history\/([^/]+)$/.exec(path);
      if (request.method === "GET" && history) {
        const prompt = prompts.get(decodeURIComponent(history[1]!));
        if (!prompt?.done) return json(200, {});
        if (prompt.scenario === "late_history" && prompt.historyPolls++ < fake.lateHistoryPolls) return json(200, {});
        return json(200, { [prompt.id]: prompt.entry });
      }
      if (request.method === "GET" && path === "/view") {
        const key = fileKey(url.searchParams.get("type") || "output", url.searchParams.get("subfolder") ?? "", url.searchParams.get("filename") ?? "");
        const bytes = files.get(key);
        if (!bytes) return new Response(null, { status: 404 });
        return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/octet-stream" } });
      }
      return new Response("404: Not Found", { status: 404 });
    },
    websocket: {
      open(ws) {
        sockets.add(ws);
        ws.send(JSON.stringify({ type: "status", data: { status: { exec_info: { queue_remaining: 0 } }, sid: ws.data.clientId } }));
      },
      message() {},
      close(ws) {
        sockets.delete(ws);
      },
    },
  });

  const fake: FakeComfyUI = {
    url: `http://127.0.0.1:${server.port}`,
    requests: [],
    events: [],
    uploads: new Map(),
    next: (...scenarios) => void queued.push(...scenarios),
    steps: 4,
    gpuMs: 2500,
    stepMs: 5,
    lateHistoryPolls: 0,
    websockets: true,
    held: false,
    promptAnswerDelayMs: 0,
    restart: () => {
      for (const prompt of prompts.values()) prompt.interrupted = true;
      prompts.clear();
    },
    checkpoints: ["v1-5-pruned-emaonly-fp16.safetensors", "sdxl.safetensors"],
    close: async () => {
      for (const ws of sockets) ws.close();
      await server.stop(true);
    },
  };
  return fake;
}
