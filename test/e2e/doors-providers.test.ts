// Every door through each local-GPU and aggregator provider, end to end: one executable started from an empty folder,
// the fake ComfyUI, AUTOMATIC1111, fal, Replicate and ElevenLabs on loopback, and per provider one request through each
// door as its callers send it: the skill's curl (seed API), the MCP SDK's Client over `mediagen mcp` (stdio), the
// official `openai` package (/v1), and the CLI (`mediagen image|speak`). Each generation's file, ledger door and cost are
// checked; for ComfyUI the job's progress, seen over SSE and as MCP progress notifications, is the fake's websocket
// step events. The provider in use is switched by rewriting config.yml (one entry the default of its type, as a user
// adding one model in the Models page gets), so one daemon and one MCP client serve every case.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult, Progress } from "@modelcontextprotocol/sdk/types.js";
import OpenAI from "openai";
import { startFakeAutomatic1111, type FakeAutomatic1111 } from "../fakes/automatic1111.ts";
import { startFakeComfyUI, type FakeComfyUI } from "../fakes/comfyui.ts";
import { startFakeElevenLabs, type FakeElevenLabs } from "../fakes/elevenlabs.ts";
import { startFakeFal, type FakeFal } from "../fakes/fal.ts";
import { startFakeReplicate, type FakeReplicate } from "../fakes/replicate.ts";
import { tempDir } from "../helpers.ts";
import {
  BUILD_TIMEOUT_MS,
  cleanEnv,
  curl,
  formatOf,
  getJson,
  poll,
  postJson,
  prepareExecutable,
  savedName,
  speechWav,
  startDaemon,
  writeConfig,
  type CurlResult,
  type Daemon,
} from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;
/** ComfyUI's sampler steps in these tests, and the time each takes (slow enough for every step to reach the doors). */
const COMFY_STEPS = 4;
const COMFY_STEP_MS = 120;

const root = tempDir("mediagen-e2e-doors-providers-");
const dataDir = join(root.path, "data");
const workspace = join(root.path, "workspace");
const defaultOutput = join(root.path, "out");
const home = join(root.path, "home");
let binary = "";
let runDir = "";
let daemon: Daemon;
let mcp: Client;
let openai: OpenAI;
let comfy: FakeComfyUI;
let a1111: FakeAutomatic1111;
let fal: FakeFal;
let replicate: FakeReplicate;
let eleven: FakeElevenLabs;

type Door = "api" | "mcp" | "openai" | "cli";
const DOORS: Door[] = ["api", "mcp", "openai", "cli"];

/** One provider as a user configures it, and what its generations must cost. */
interface ProviderCase {
  provider: string;
  type: "image" | "audio";
  model: string;
  entry(): Record<string, unknown>;
  costSource: "catalog" | "upstream";
  /** The cost of one generation of `text` (speech is priced per character). */
  costUsd(text: string): number;
  /** ComfyUI: the job's progress must be seen, and must come from the fake's step events. */
  progress?: boolean;
}

const CASES: ProviderCase[] = [
  {
    provider: "comfyui",
    type: "image",
    model: "text-to-image",
    entry: () => ({ base_url: comfy.url, options: { gpu_usd_per_second: 0.001 } }),
    // The history's execution_start to execution_success (the fake's 2.5 s of GPU time) at $0.001 a second.
    costSource: "upstream",
    costUsd: () => 0.0025,
    progress: true,
  },
  {
    provider: "automatic1111",
    type: "image",
    model: "sd_xl_base_1.0",
    entry: () => ({ base_url: a1111.url }),
    // Local: the provider states $0.
    costSource: "upstream",
    costUsd: () => 0,
  },
  {
    provider: "fal",
    type: "image",
    model: "fal-ai/flux/schnell",
    entry: () => ({ api_key: fal.key, base_url: fal.url }),
    // The price catalogue: $0.003 per megapixel rounded up; every preset mediagen asks for is one megapixel or less.
    costSource: "catalog",
    costUsd: () => 0.003,
  },
  {
    provider: "replicate",
    type: "image",
    model: "black-forest-labs/flux-schnell",
    entry: () => ({ api_key: replicate.key, base_url: replicate.url }),
    // The price catalogue: $0.003 per output image.
    costSource: "catalog",
    costUsd: () => 0.003,
  },
  {
    provider: "elevenlabs",
    type: "audio",
    model: "eleven_multilingual_v2",
    entry: () => ({ api_key: eleven.key, base_url: eleven.url }),
    // The price catalogue: $0.10 per 1,000 characters, counted by the x-character-count header (the text's length here).
    costSource: "catalog",
    costUsd: (text) => text.length * 0.0001,
  },
];

/** The configured name of a case's entry. */
const nameOf = (c: ProviderCase) => `${c.provider}-${c.type}`;

/** config.yml with every case's entry, the named one the default of its type; one attempt per job. */
function configWith(current: ProviderCase): Record<string, unknown> {
  const once = { max_attempts: 1 };
  return {
    output_dir: defaultOutput,
    models: CASES.map((c) => ({ name: nameOf(c), type: c.type, provider: c.provider, model: c.model, ...c.entry(), ...(c === current ? { default: true } : {}) })),
    jobs: { image: once, video: once, audio: once },
  };
}

/** Makes the case's entry the default of its type and waits until the daemon reports it. */
async function use(current: ProviderCase): Promise<void> {
  writeConfig(dataDir, configWith(current));
  await poll(
    async () => ((await getJson(`${daemon.url}/api/media/types`)).json()[current.type]?.name === nameOf(current) ? true : undefined),
    15_000,
    `the daemon to use ${nameOf(current)}`,
    100,
  );
}

beforeAll(async () => {
  const started = performance.now();
  ({ binary, runDir } = await prepareExecutable(root.path));
  console.log(`e2e doors-providers: executable ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const dir of [workspace, home]) mkdirSync(dir, { recursive: true });
  comfy = startFakeComfyUI();
  comfy.steps = COMFY_STEPS;
  comfy.stepMs = COMFY_STEP_MS;
  a1111 = startFakeAutomatic1111();
  fal = startFakeFal();
  replicate = startFakeReplicate();
  eleven = startFakeElevenLabs();
  writeConfig(dataDir, configWith(CASES[0]!));
  daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir, env: cleanEnv({ HOME: home, MEDIAGEN_POLL_INTERVAL_SECONDS: "0.05" }) });
  mcp = new Client({ name: "e2e-doors-agent", version: "1.0.0" });
  await mcp.connect(new StdioClientTransport({ command: binary, args: ["mcp", "--url", daemon.url], cwd: runDir, env: cleanEnv({ HOME: home }), stderr: "pipe" }));
  openai = new OpenAI({ baseURL: `${daemon.url}/v1`, apiKey: "sk-anything", maxRetries: 0 });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await mcp?.close().catch(() => {});
  await daemon?.stop("SIGTERM").catch(() => daemon.dispose());
  await Promise.all([comfy?.close(), a1111?.close(), fal?.close(), replicate?.close(), eleven?.close()]);
  root[Symbol.dispose]();
});

/** A prompt (or speech text) with a unique marker, so its ledger row can be found. */
function marked(c: ProviderCase, door: Door): { text: string; marker: string } {
  const marker = `m-${crypto.randomUUID().slice(0, 8)}`;
  const text = c.type === "audio" ? `Hello from the ${door} door, ${marker}.` : `A lighthouse at dusk through the ${door} door ${marker}`;
  return { text, marker };
}

/** The ledger row whose prompt contains `marker`, once it exists. */
function rowOf(marker: string): Promise<Record<string, any>> {
  return poll(
    async () => (await getJson(`${daemon.url}/api/generations?q=${marker}`)).json<{ items: Record<string, any>[] }>().items[0],
    20_000,
    `a ledger row for ${marker}`,
    50,
  );
}

/** Percentages the fake's websocket step events for ComfyUI prompt `promptId` stand for (as a job reports them: at most 99). */
function stepPercents(promptId: string): number[] {
  return comfy.events
    .filter((e) => e.type === "progress" && (e.data as { prompt_id?: string }).prompt_id === promptId)
    .map((e) => {
      const { value, max } = e.data as { value: number; max: number };
      return Math.min(99, Math.round((value / max) * 100));
    });
}

/**
 * Holds ComfyUI at the first step of the prompt whose request carries `marker` until `attach` has subscribed to the job,
 * so a door's progress reports cannot all have gone by before anyone listens.
 */
async function heldUntilFollowed(marker: string, attach: (jobId: string) => void): Promise<void> {
  const row = await rowOf(marker);
  const promptId = await poll(
    async () => {
      const current = (await getJson(`${daemon.url}/api/generations/${row.id}`)).json();
      return typeof current.operation_id === "string" && stepPercents(current.operation_id).length > 0 ? String(current.operation_id) : undefined;
    },
    20_000,
    `ComfyUI's first step event for ${marker}`,
  );
  expect(promptId).toBeTruthy();
  attach(row.id);
  // Time for the listener to connect and see the first step's state before the other steps run.
  await Bun.sleep(300);
  comfy.held = false;
}

/** Progress percentages in the job states an SSE stream sent. */
function ssePercents(stream: string): number[] {
  return stream
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as { status: string; progress?: number })
    .filter((view) => view.status === "running" && view.progress !== undefined)
    .map((view) => view.progress!);
}

/** What a door's request gave back: the generation's row marker, and the progress the caller saw (when it can see any). */
interface Sent {
  marker: string;
  text: string;
  progress?: number[];
  /** The bytes the door answered with, when it answers with the file itself (the OpenAI door). */
  answered?: Uint8Array;
}

/** The seed API as the skill calls it: a blocking curl; for ComfyUI the job's SSE stream is followed meanwhile. */
async function viaApi(c: ProviderCase): Promise<Sent> {
  const { text, marker } = marked(c, "api");
  const path = c.type === "audio" ? "/api/media/audio/speech" : "/api/media/image";
  const body = c.type === "audio" ? { input: text, voice: "Kore", output_dir: workspace } : { prompt: text, aspect_ratio: "landscape", output_dir: workspace };
  if (!c.progress) {
    const answer = await postJson(`${daemon.url}${path}`, body);
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ success: true, provider: c.provider, model: c.model });
    return { marker, text };
  }
  comfy.held = true;
  try {
    const answer = postJson(`${daemon.url}${path}`, body, ["--max-time", "50"]);
    let events: Promise<CurlResult> | undefined;
    await heldUntilFollowed(marker, (id) => {
      events = curl(["-s", "-N", "--max-time", "50", `${daemon.url}/api/media/jobs/${id}/events`]);
    });
    const [done, stream] = await Promise.all([answer, events!]);
    expect(done.status).toBe(200);
    expect(stream.body).toMatch(/^event: succeeded$/m);
    return { marker, text, progress: ssePercents(stream.body) };
  } finally {
    comfy.held = false;
  }
}

/** The MCP door: the SDK's Client calling the generate tool with a progress callback. */
async function viaMcp(c: ProviderCase): Promise<Sent> {
  const { text, marker } = marked(c, "mcp");
  const notes: Progress[] = [];
  const args = c.type === "audio" ? { input: text, voice: "Kore", output_dir: workspace } : { prompt: text, output_dir: workspace };
  const call = () =>
    mcp.callTool({ name: c.type === "audio" ? "generate_speech" : "generate_image", arguments: args }, undefined, { onprogress: (p) => notes.push(p), resetTimeoutOnProgress: true }) as Promise<CallToolResult>;
  let result: CallToolResult;
  if (c.progress) {
    comfy.held = true;
    try {
      const pending = call();
      await heldUntilFollowed(marker, () => {});
      result = await pending;
    } finally {
      comfy.held = false;
    }
  } else result = await call();
  expect(result.isError).toBeFalsy();
  expect(result.structuredContent).toMatchObject({ success: true, provider: c.provider, model: c.model });
  const progress = notes.flatMap((note) => {
    const percent = /(\d+)% done/.exec(note.message ?? "")?.[1];
    return percent === undefined ? [] : [Number(percent)];
  });
  return { marker, text, progress };
}

/** The OpenAI-compatible door through the official SDK, naming the entry as its model. */
async function viaOpenAI(c: ProviderCase): Promise<Sent> {
  const { text, marker } = marked(c, "openai");
  if (c.type === "audio") {
    const response = await openai.audio.speech.create({ model: nameOf(c), voice: "Kore", input: text, response_format: "wav" });
    expect(response.headers.get("content-type")).toBe("audio/wav");
    return { marker, text, answered: new Uint8Array(await response.arrayBuffer()) };
  }
  const answer = await openai.images.generate({ model: nameOf(c), prompt: text, size: "1536x1024" });
  expect(answer.data).toHaveLength(1);
  return { marker, text, answered: new Uint8Array(Buffer.from(answer.data![0]!.b64_json!, "base64")) };
}

/** The CLI door: `mediagen image|speak ... --json` run from the workspace as a client of the daemon. */
async function viaCli(c: ProviderCase): Promise<Sent> {
  const { text, marker } = marked(c, "cli");
  const args = c.type === "audio" ? ["speak", text, "--voice", "Kore", "--json"] : ["image", text, "--json"];
  const proc = Bun.spawn([binary, ...args], { cwd: workspace, env: cleanEnv({ HOME: home, MEDIAGEN_URL: daemon.url }), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
  expect(JSON.parse(out)).toMatchObject({ success: true, provider: c.provider, model: c.model });
  return { marker, text };
}

/** What each provider's generations cost, as the tests computed it, for the Costs page's totals. */
const spent: Record<string, number> = {};

const SEND: Record<Door, (c: ProviderCase) => Promise<Sent>> = { api: viaApi, mcp: viaMcp, openai: viaOpenAI, cli: viaCli };

/** Where each door's files land: the request's folder (api, mcp), the current folder (cli), the configured default (openai). */
const folderOf = (door: Door) => join(door === "openai" ? defaultOutput : workspace, "assets", "generated");

describe.each(CASES)("$provider through every door", (c) => {
  beforeAll(() => use(c), 30_000);

  test.each(DOORS)(
    "%s: the file saved, the ledger row with its door and cost",
    async (door) => {
      const sent = await SEND[door](c);
      const row = await rowOf(sent.marker);
      expect(row).toMatchObject({ status: "succeeded", door, type: c.type, provider: c.provider, model: c.model, model_name: nameOf(c), cost_source: c.costSource });
      expect(row.cost_usd).toBeCloseTo(c.costUsd(sent.text), 10);
      spent[c.provider] = (spent[c.provider] ?? 0) + c.costUsd(sent.text);
      const path = String(row.output_path);
      expect(path.startsWith(folderOf(door) + "/")).toBe(true);
      expect(path.split("/").at(-1)).toMatch(c.type === "audio" ? savedName("tts", "wav") : savedName("img", "png"));
      const bytes = new Uint8Array(readFileSync(path));
      expect(row.bytes).toBe(bytes.length);
      if (c.type === "audio") speechWav(bytes);
      else expect(formatOf(bytes)).toBe("png");
      if (sent.answered) expect(Buffer.from(sent.answered).equals(Buffer.from(bytes))).toBe(true);

      if (!c.progress || sent.progress === undefined) return;
      // What the door showed is what the fake's websocket said: its step events for this prompt, in order.
      const steps = stepPercents(String(row.operation_id));
      expect(steps).toEqual([25, 50, 75, 99]);
      expect(sent.progress.length).toBeGreaterThanOrEqual(2);
      for (const percent of sent.progress) expect(steps).toContain(percent);
      expect(sent.progress).toEqual([...sent.progress].sort((a, b) => a - b));
    },
    TEST_TIMEOUT_MS,
  );
});

describe("after every provider and door", () => {
  test("each generation is one ledger row, Costs totals each provider, no key is in the daemon's output, nothing is written beside the executable", async () => {
    const page = (await getJson(`${daemon.url}/api/generations?limit=100`)).json<{ items: { provider: string; door: string; status: string }[] }>();
    for (const c of CASES) {
      const rows = page.items.filter((item) => item.provider === c.provider);
      expect(rows.map((row) => row.door).sort()).toEqual([...DOORS].sort());
      expect(rows.every((row) => row.status === "succeeded")).toBe(true);
    }
    const output = daemon.stdout() + daemon.stderr();
    for (const key of [fal.key, replicate.key, eleven.key]) expect(output).not.toContain(key);
    const summary = (await getJson(`${daemon.url}/api/costs/summary?group_by=provider`)).json<{ total: { count: number }; groups: { key: string; count: number; cost_usd: number }[] }>();
    expect(summary.total.count).toBe(CASES.length * DOORS.length);
    for (const c of CASES) {
      const group = summary.groups.find((g) => g.key === c.provider);
      expect(group).toMatchObject({ count: DOORS.length });
      expect(group!.cost_usd).toBeCloseTo(spent[c.provider]!, 10);
    }
    expect(readdirSync(runDir)).toEqual(["mediagen"]);
  });
});
