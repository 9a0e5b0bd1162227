// Screenshots of every page for the docs (a script, not a test; docs/web-ui.md says how to run and extend it):
//   bun test/browser/screenshots.ts [--out DIR] [--list] [SHOT ...]
// With no SHOT names every shot in SHOTS is taken; --out writes somewhere other than docs/screenshots/.
//
// Starts the compiled executable (MEDIAGEN_BINARY, else a fresh build) on a temporary data dir with fake OpenAI,
// Gemini and OpenRouter servers plus a keyless OpenAI-compatible server, makes a week of generations of every type
// through the API from several callers (agents over MCP, the CLI, a script on the seed API, the UI; one refused by
// moderation, one with no known price), and saves 1280x860 PNGs into docs/screenshots/: each page in light mode, History with its detail dialog, Costs and History in dark mode, one
// page in Chinese, a 390 px wide Playground, a comparison of three models, Costs grouped by door and by client, the
// History lightbox, Jobs with work queued behind a slow fake, and Tokens with Costs as a member's token sees it (last:
// once a token exists, every request needs one).
//
// The generations are all made through the API today; to give the cost chart a week of history the daemon is then
// stopped once and the older ones are moved back by whole days in the ledger (created/started/finished and the
// attempts' times), as if they had been made on those days. The fakes draw solid-colour PNGs; so that the pictures
// look like pictures, each fake sits behind a pass-through proxy that swaps every PNG in a JSON answer for a drawn
// landscape of the same size (usage, costs and everything else are the fakes' own).
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Browser, Page } from "playwright-core";
import { cleanEnv, prepareExecutable, REPO_ROOT, startDaemon, writeConfig, type Daemon } from "../e2e/daemon.ts";
import { startFakeGemini } from "../fakes/gemini.ts";
import { startFakeOpenAI } from "../fakes/openai.ts";
import { startFakeOpenRouter } from "../fakes/openrouter.ts";
import { browserAvailable, launchBrowser, openPage } from "./browser.ts";

/** The command line: `--out DIR`, `--list`, and the names of the shots to take (default: all). */
const { values: flags, positionals: wanted } = parseArgs({ args: Bun.argv.slice(2), options: { out: { type: "string" }, list: { type: "boolean" } }, allowPositionals: true });
const OUT = resolve(flags.out ?? join(REPO_ROOT, "docs/screenshots"));
const WIDTH = 1280;
const HEIGHT = 860;
const WAIT_MS = 60_000;

/** Every shot, in the order taken: a name to ask for it on the command line, and the function (below) that takes it. */
const SHOTS: { name: string; take: () => Promise<void> }[] = [
  { name: "costs-callers", take: costsCallerShots },
  { name: "playground", take: playgroundShot },
  { name: "models", take: modelsShot },
  { name: "history", take: historyShots },
  { name: "costs", take: costsShots },
  { name: "history-lightbox", take: lightboxShot },
  { name: "history-zh", take: chineseShot },
  { name: "playground-narrow", take: narrowShot },
  { name: "playground-compare", take: compareShot },
  { name: "jobs", take: jobsShot },
  { name: "tokens", take: tokensShot },
];

if (flags.list) {
  for (const shot of SHOTS) console.log(shot.name);
  process.exit();
}
const unknown = wanted.filter((name) => !SHOTS.some((shot) => shot.name === name));
if (unknown.length > 0) {
  console.error(`no such shot: ${unknown.join(", ")} (there are: ${SHOTS.map((shot) => shot.name).join(", ")})`);
  process.exit(2);
}

if (!browserAvailable()) process.exit(1);

const root = mkdtempSync(join(tmpdir(), "mediagen-screenshots-"));
const dataDir = join(root, "data");
const openai = startFakeOpenAI();
const compatible = startFakeOpenAI(null);
const gemini = startFakeGemini();
const openrouter = startFakeOpenRouter();
const started = performance.now();
const log = (what: string) => console.log(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${what}`);

/** Colours of a drawn landscape: sky top and horizon, sun, and three hill layers from back to front. */
type Rgb = [number, number, number];
const PALETTES: { top: Rgb; horizon: Rgb; sun: Rgb; hills: [Rgb, Rgb, Rgb] }[] = [
  { top: [46, 64, 124], horizon: [247, 182, 142], sun: [255, 238, 204], hills: [[128, 112, 160], [84, 82, 132], [44, 50, 92]] },
  { top: [84, 154, 228], horizon: [206, 232, 250], sun: [255, 250, 222], hills: [[126, 178, 156], [72, 142, 112], [38, 98, 78]] },
  { top: [62, 30, 92], horizon: [242, 124, 92], sun: [255, 212, 124], hills: [[146, 72, 104], [94, 46, 82], [50, 26, 56]] },
  { top: [18, 38, 68], horizon: [64, 132, 152], sun: [232, 242, 255], hills: [[42, 84, 104], [26, 62, 82], [14, 40, 56]] },
];

/** A PNG of `width` x `height` showing a sky, a sun and three rows of hills; `seed` picks the colours and shapes. */
function landscapePng(width: number, height: number, seed: number): Uint8Array {
  const palette = PALETTES[seed % PALETTES.length]!;
  const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
  const ridges = palette.hills.map((_, layer) => {
    const base = height * (0.56 + 0.13 * layer);
    const amplitude = height * (0.09 - 0.02 * layer);
    const phase = seed * 1.7 + layer * 2.3;
    return Float64Array.from({ length: width }, (_, x) => {
      const u = (x / width) * Math.PI * 2;
      return base - amplitude * (0.6 * Math.sin(u * (1 + layer) + phase) + 0.4 * Math.sin(u * (3 + layer) + phase * 1.9));
    });
  });
  const sunX = width * (0.25 + 0.5 * ((seed * 0.37) % 1));
  const sunY = height * 0.36;
  const sunR = Math.min(width, height) * 0.09;
  const stride = width * 3 + 1;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const sky = mix(palette.top, palette.horizon, Math.min(1, y / (height * 0.7)));
    for (let x = 0; x < width; x++) {
      let colour = sky;
      const glow = Math.hypot(x - sunX, y - sunY) / sunR;
      if (glow < 1) colour = palette.sun;
      else if (glow < 2.2) colour = mix(palette.sun, sky, Math.min(1, (glow - 1) / 1.2) ** 0.5);
      for (let layer = 0; layer < ridges.length; layer++) {
        if (y >= ridges[layer]![x]!) colour = mix(palette.hills[layer]!, [0, 0, 0], Math.min(0.35, (y - ridges[layer]![x]!) / height));
      }
      raw.set(colour, y * stride + 1 + x * 3);
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "latin1");
    out.set(data, 8);
    out.writeUInt32BE(Bun.hash.crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array())]);
}

let pictures = 0;
/** `value` with every base64 PNG (bare or as a data: URL) replaced by a drawn one of the same size. */
function withPictures(value: unknown): unknown {
  if (typeof value === "string") {
    const match = /^(data:image\/png;base64,)?(iVBORw0KGgo[A-Za-z0-9+/=]+)$/.exec(value);
    if (!match) return value;
    const png = Buffer.from(match[2]!, "base64");
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    if (width * height > 4096 * 4096) return value;
    return (match[1] ?? "") + Buffer.from(landscapePng(width, height, pictures++)).toString("base64");
  }
  if (Array.isArray(value)) return value.map(withPictures);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withPictures(item)]));
  return value;
}

/**
 * A pass-through proxy to `target` on loopback that only redraws the pictures in JSON answers (and points links the
 * fake gives to itself, such as Veo's video URI, at the proxy, so they stay on the origin mediagen was configured with).
 */
function pictureProxy(target: string): { url: string; close: () => Promise<void> } {
  let self = "";
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      headers.delete("host");
      const hasBody = request.method !== "GET" && request.method !== "HEAD";
      const upstream = await fetch(`${target}${url.pathname}${url.search}`, { method: request.method, headers, body: hasBody ? await request.arrayBuffer() : undefined, redirect: "manual" });
      const out = new Headers(upstream.headers);
      out.delete("content-length");
      out.delete("content-encoding");
      if (!(upstream.headers.get("content-type") ?? "").includes("application/json")) return new Response(upstream.body, { status: upstream.status, headers: out });
      const text = (await upstream.text()).replaceAll(target, self);
      let body = text;
      try {
        body = JSON.stringify(withPictures(JSON.parse(text)));
      } catch {
        // not JSON after all: pass it on as it came
      }
      return new Response(body, { status: upstream.status, headers: out });
    },
  });
  self = `http://127.0.0.1:${server.port}`;
  return { url: self, close: () => server.stop(true) };
}

const proxies = { openai: pictureProxy(openai.url), compatible: pictureProxy(compatible.url), gemini: pictureProxy(gemini.url), openrouter: pictureProxy(openrouter.url) };
let daemon: Daemon | undefined;
let browser: Browser | undefined;
const problems: string[] = [];

/** The configuration a user with a few providers might have. */
function config() {
  const openaiKeys = { api_key: openai.key!, base_url: `${proxies.openai.url}/v1` };
  const geminiKeys = { api_key: gemini.key, base_url: proxies.gemini.url };
  const routerKeys = { api_key: openrouter.key, base_url: `${proxies.openrouter.url}/api/v1` };
  return {
    models: [
      { name: "gpt-image", type: "image", provider: "openai", model: "gpt-image-2", ...openaiKeys, default: true },
      { name: "nano-banana", type: "image", provider: "gemini", model: "gemini-2.5-flash-image", ...geminiKeys },
      { name: "router", type: "image", provider: "openrouter", model: "google/gemini-2.5-flash-image", ...routerKeys },
      { name: "lan-server", type: "image", provider: "openai-compatible", model: "gpt-image-1-mini", base_url: `${proxies.compatible.url}/v1` },
      { name: "veo", type: "video", provider: "gemini", model: "veo-3.1-fast-generate-preview", ...geminiKeys, options: { resolution: "720p" }, default: true },
      { name: "router-video", type: "video", provider: "openrouter", model: "alibaba/wan-2.6", ...routerKeys },
      { name: "offline-speech", type: "audio", provider: "local", model: "flite", default: true },
      { name: "narrator", type: "audio", provider: "openai", model: "gpt-4o-mini-tts", ...openaiKeys },
      { name: "gemini-voice", type: "audio", provider: "gemini", model: "gemini-2.5-flash-preview-tts", ...geminiKeys },
    ],
    budget: { daily_usd: 10, monthly_usd: 50 },
  };
}

/** Who made a generation, as the ledger records it: the door (`api` unless labelled) and the client's User-Agent. */
type Caller = { door: "api" | "mcp" | "cli" | "ui"; client: string; session?: string };

/** The agents and tools of the made-up user, so History, Jobs and Costs have callers to filter and group by. */
const CALLERS = {
  claude: { door: "mcp", client: "claude-code", session: "refactor-docs" },
  cursor: { door: "mcp", client: "cursor" },
  cli: { door: "cli", client: "mediagen-cli/0.1.0" },
  script: { door: "api", client: "python-requests/2.32.3" },
  ui: { door: "ui", client: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0" },
} satisfies Record<string, Caller>;

async function api<T = Record<string, any>>(method: string, path: string, body?: unknown, caller: Caller = CALLERS.ui): Promise<{ status: number; json: T }> {
  const headers: Record<string, string> = { "user-agent": caller.client };
  if (caller.door !== "api") headers["x-mediagen-door"] = caller.door;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${daemon!.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as T };
}

/** Makes the entry named `name` the default for its type, through the Models API. */
async function use(name: string): Promise<void> {
  const { json } = await api<{ models: { index: number; name?: string }[] }>("GET", "/api/config/models");
  const entry = json.models.find((m) => m.name === name);
  if (!entry) throw new Error(`no model named ${name}`);
  const answer = await api("POST", `/api/config/models/${entry.index}/default`);
  if (answer.status !== 200) throw new Error(`could not make ${name} the default: ${JSON.stringify(answer.json)}`);
}

type Kind = "image" | "video" | "audio";
const ENDPOINT: Record<Kind, string> = { image: "/api/media/image", video: "/api/media/video", audio: "/api/media/audio/speech" };

/** One generation by `caller` through the API with the model `name`; `ok: false` when it is meant to fail. */
async function generate(caller: Caller, kind: Kind, name: string, text: string, extra: Record<string, unknown> = {}, ok = true): Promise<void> {
  await use(name);
  const body = { ...(kind === "audio" ? { input: text } : { prompt: text }), ...(caller.session ? { session_id: caller.session } : {}), ...extra };
  const answer = await api("POST", ENDPOINT[kind], body, caller);
  if ((answer.json.success === true) !== ok) throw new Error(`${kind} with ${name} ${ok ? "failed" : "succeeded"}: ${JSON.stringify(answer.json)}`);
}

/** Moves generations back by whole days (keeping their time of day), while the daemon is stopped. */
function backdate(days: Map<string, number>): void {
  const db = new Database(join(dataDir, "mediagen.db"));
  try {
    const rows = db.query<{ id: string; prompt: string; attempts: string }, []>("SELECT id, prompt, attempts FROM generations").all();
    const update = db.query(
      "UPDATE generations SET created_at = created_at - $shift, started_at = started_at - $shift, finished_at = finished_at - $shift, attempts = $attempts WHERE id = $id",
    );
    for (const row of rows) {
      const back = days.get(row.prompt);
      if (!back) continue;
      const shift = back * 86_400_000;
      const move = (iso: unknown) => (typeof iso === "string" ? new Date(Date.parse(iso) - shift).toISOString() : iso);
      const attempts = (JSON.parse(row.attempts) as Record<string, unknown>[]).map((a) => ({ ...a, started_at: move(a.started_at), finished_at: move(a.finished_at) }));
      update.run({ shift, attempts: JSON.stringify(attempts), id: row.id });
    }
  } finally {
    db.close();
  }
}

/** Opens `path` in a fresh browser context; page errors and requests leaving the daemon are reported at the end. */
async function open(path: string, options: { colorScheme?: "light" | "dark"; width?: number; locale?: "en" | "zh"; token?: string } = {}): Promise<Page> {
  const { page, errors, outside } = await openPage(browser!, `${daemon!.url}${path}`, { colorScheme: options.colorScheme, width: options.width ?? WIDTH, height: HEIGHT });
  page.setDefaultTimeout(WAIT_MS);
  page.on("close", () => {
    for (const error of errors) problems.push(`${path}: ${error}`);
    for (const url of outside) problems.push(`${path}: request left the daemon: ${url}`);
  });
  if (options.token) {
    // Kept where the UI keeps the token it is given, then the page is loaded again with it.
    await page.evaluate((token) => localStorage.setItem("mediagen.token", token), options.token);
    await page.reload();
  }
  if (options.locale === "zh") {
    await page.getByLabel("Language").selectOption("zh");
    await page.evaluate(() => document.fonts.ready);
  }
  await page.locator("main h1").waitFor();
  return page;
}

/** Saves the viewport as <name>.png in the output folder (docs/screenshots/) once fonts and pictures have loaded. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(async () => {
    await document.fonts.ready;
    await Promise.all([...document.images].filter((img) => !img.complete && img.loading !== "lazy").map((img) => new Promise((done) => img.addEventListener("load", done, { once: true }))));
  });
  // Text carets and the spinner of a focused field would differ from run to run.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const file = join(OUT, `${name}.png`);
  await page.screenshot({ path: file, animations: "disabled" });
  console.log(`saved ${file}`);
}

/** Scrolls so that `selector` (the last match) is in view with as much as fits above it, stopping at a gap between blocks. */
async function reveal(page: Page, selector: string, from: string): Promise<void> {
  await page.evaluate(
    ([target, top]) => {
      const items = document.querySelectorAll(target!);
      const last = items[items.length - 1]!.getBoundingClientRect();
      const first = document.querySelector(top!)!.getBoundingClientRect();
      const margin = 12;
      const y = last.bottom - first.top + 2 * margin <= window.innerHeight ? first.top - margin : last.bottom + margin - window.innerHeight;
      window.scrollBy(0, Math.max(0, y));
    },
    [selector, from],
  );
}

/** Generates an image from the Playground form and waits until the picture is shown. */
async function playgroundImage(page: Page, prompt: string): Promise<void> {
  await page.getByLabel("Prompt").fill(prompt);
  await page.getByRole("button", { name: "Generate" }).click();
  await page.waitForFunction((alt) => {
    const img = [...document.querySelectorAll<HTMLImageElement>("article.playground-job img")].find((i) => i.alt === alt);
    return img !== undefined && img.complete && img.naturalWidth > 0;
  }, prompt);
}

/** Makes a week of generations of every type from every caller, then today's; moves the older ones back by days. */
async function seed(binary: string, runDir: string, env: Record<string, string>): Promise<void> {
  // Oldest first (the list is newest first, so the videos, whose fake files are headers only that a browser cannot
  // play, end up at the bottom of History).
  const days = new Map<string, number>();
  const older = async (back: number, caller: Caller, kind: Kind, name: string, text: string, extra: Record<string, unknown> = {}, ok = true) => {
    await generate(caller, kind, name, text, extra, ok);
    days.set(text, back);
  };
  const { claude, cursor, cli, script, ui } = CALLERS;
  await older(6, claude, "video", "veo", "Drone flight over a pine forest in morning fog", { aspect_ratio: "landscape", duration_seconds: 4 });
  await older(6, claude, "image", "gpt-image", "Product shot of a ceramic teapot on linen, soft window light");
  await older(6, script, "audio", "narrator", "Good morning. You have two meetings today.");
  await older(5, cursor, "video", "router-video", "Waves rolling onto a black sand beach, slow motion", { aspect_ratio: "landscape", duration_seconds: 5 });
  await older(5, ui, "image", "gpt-image", "Flat illustration of a bicycle courier in the rain");
  await older(5, cli, "audio", "offline-speech", "Your build finished successfully.");
  await older(4, cursor, "image", "nano-banana", "Isometric illustration of a tiny bakery at night", { aspect_ratio: "square" });
  await older(4, claude, "image", "gpt-image", "Mountain cabin under the northern lights");
  await older(4, script, "audio", "narrator", "Welcome back. Here is your daily summary.");
  await older(3, ui, "image", "router", "Poster of a jazz festival, bold geometric shapes", { aspect_ratio: "portrait" });
  await older(3, claude, "image", "gpt-image", "Hero illustration for a note-taking app, pastel gradient");
  await older(3, cli, "image", "gpt-image", "Book cover: a lighthouse keeper's diary", { aspect_ratio: "portrait" });
  await older(2, claude, "audio", "gemini-voice", "Chapter one. The lighthouse keeper woke before dawn.", { voice: "Puck" });
  await older(2, cursor, "image", "gpt-image", "Watercolour map of an imaginary island");
  await older(2, ui, "image", "nano-banana", "Sticker of a cheerful cactus", { aspect_ratio: "square" });
  await older(1, cli, "image", "lan-server", "Desert highway at sunset, retro postcard", { aspect_ratio: "square" });
  await older(1, claude, "image", "gpt-image", "Alpine lake panorama, early morning");
  openai.next("moderation_blocked");
  await older(1, cursor, "image", "gpt-image", "Photo of a famous actor signing my poster", {}, false);
  await daemon!.stop("SIGTERM");
  backdate(days);
  log(`${days.size} older generations made and moved back`);

  daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir, env });
  // Another door, and requests turned away before any provider call, so Costs by caller shows who was refused.
  const sdk = { "user-agent": "OpenAI/Python 2.9.0", "content-type": "application/json" };
  const viaSdk = (body: unknown) => fetch(`${daemon!.url}/v1/images/generations`, { method: "POST", headers: sdk, body: JSON.stringify(body) });
  const made = await viaSdk({ prompt: "Minimal logo of a paper plane, two colours", model: "gpt-image", size: "1024x1024" });
  if (made.status !== 200) throw new Error(`the OpenAI door refused a generation: ${await made.text()}`);
  if ((await viaSdk({ prompt: "A wide banner", size: "wide" })).status !== 400) throw new Error("the OpenAI door took a size it should refuse");
  const badAspect = await api("POST", ENDPOINT.image, { prompt: "Banner for the blog", aspect_ratio: "ultrawide" }, CALLERS.cursor);
  if (badAspect.status !== 400) throw new Error(`an unknown aspect ratio was not refused: ${JSON.stringify(badAspect.json)}`);
  await generate(script, "audio", "narrator", "Three new comments are waiting for your review.");
  await generate(cursor, "image", "nano-banana", "Valley with a winding river, morning haze", { aspect_ratio: "square" });
  await generate(claude, "image", "gpt-image", "水墨风格的山间小屋，清晨薄雾");
  await generate(cli, "audio", "offline-speech", "Deployment to staging is complete.");
  await use("veo");
  await use("gpt-image");
  // The ledger must know who asked, or a view by caller would show one bar.
  const { json } = await api<{ items: { door: string; client: string | null }[] }>("GET", "/api/generations?limit=100");
  for (const caller of Object.values(CALLERS)) {
    if (!json.items.some((g) => g.door === caller.door && g.client === caller.client)) throw new Error(`no generation recorded for ${caller.client} (${caller.door})`);
  }
}

// One function per shot: open pages with `open`, get them into the state to show, save with `shoot`, close the
// context. Each starts from the seeded ledger and leaves it usable for the next (Jobs, which leaves slow work queued,
// comes last).

/** playground.png: the Playground with a finished image. */
async function playgroundShot(): Promise<void> {
  const page = await open("/");
  await playgroundImage(page, "A lighthouse on a rocky coast at dawn, watercolour");
  await reveal(page, "article.playground-job", ".playground-form");
  await shoot(page, "playground");
  await page.context().close();
}

/** models.png: the entry in use per type and every entry, keys masked. */
async function modelsShot(): Promise<void> {
  const page = await open("/models");
  await page.locator(".models-entry").first().waitFor();
  await shoot(page, "models");
  await page.context().close();
}

/** history.png, history-detail.png (the newest image's details) and history-dark.png. */
async function historyShots(): Promise<void> {
  for (const colorScheme of ["light", "dark"] as const) {
    const page = await open("/history", { colorScheme });
    await page.locator("article.history-card img").first().waitFor();
    await shoot(page, colorScheme === "light" ? "history" : "history-dark");
    if (colorScheme === "light") {
      await page.locator("article.history-card").filter({ has: page.getByRole("img") }).first().getByRole("button", { name: "Details" }).click();
      const dialog = page.getByRole("dialog", { name: "Generation details" });
      await dialog.waitFor();
      await dialog.getByRole("table", { name: "Cost breakdown" }).waitFor();
      // Scrolled to the usage and cost sections, just under the dialog's sticky title bar.
      await dialog.evaluate((element) => {
        const usage = [...element.querySelectorAll("h3")].find((h) => h.textContent === "Usage")!;
        const header = element.querySelector(".history-detail-header")!;
        element.scrollTop += usage.getBoundingClientRect().top - header.getBoundingClientRect().bottom - 12;
      });
      await shoot(page, "history-detail");
    }
    await page.context().close();
  }
}

/** costs.png and costs-dark.png: the last week with the chart. */
async function costsShots(): Promise<void> {
  for (const colorScheme of ["light", "dark"] as const) {
    const page = await open("/costs", { colorScheme });
    await page.getByRole("button", { name: "Last 7 days" }).click();
    await page.waitForFunction(() => document.querySelector(".costs-chart .u-legend")?.textContent?.includes("Image"));
    await page.locator(".costs-chart canvas").waitFor();
    await page.locator("table.costs-models").waitFor();
    await reveal(page, ".costs-chart", ".costs-totals");
    await shoot(page, colorScheme === "light" ? "costs" : "costs-dark");
    await page.context().close();
  }
}

/** costs-by-door.png and costs-by-client.png: the last week split by caller, chart and the per-caller table with refusals. */
async function costsCallerShots(): Promise<void> {
  for (const split of ["door", "client"] as const) {
    const page = await open("/costs");
    await page.getByRole("button", { name: "Last 7 days" }).click();
    await page.getByLabel("Group by").selectOption(split);
    await page.waitForFunction(() => document.querySelector(".costs-chart .u-legend")?.textContent?.match(/MCP|claude-code/));
    await page.locator("table.costs-models tbody tr").nth(2).waitFor();
    await reveal(page, "table.costs-models", ".costs-chart");
    await shoot(page, `costs-by-${split}`);
    await page.context().close();
  }
}

/** history-lightbox.png: a picture in the lightbox, with its counter, zoom and previous/next controls. */
async function lightboxShot(): Promise<void> {
  const page = await open("/history");
  await page.locator("article.history-card img").first().waitFor();
  await page.locator("article.history-card").filter({ has: page.getByRole("img") }).nth(1).getByRole("button", { name: "View" }).click();
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>("dialog.history-lightbox .history-lightbox-stage img");
    return img !== null && img.complete && img.naturalWidth > 0;
  });
  await shoot(page, "history-lightbox");
  await page.context().close();
}

/** tokens.png: person and team tokens with their limits and one revoked; taken last, as every request then needs a token. */
async function tokensShot(): Promise<void> {
  const made = await api<{ id: string; token: string }>("POST", "/api/tokens", { name: "alice", team: "design", role: "admin", budget_daily_usd: 5 });
  if (made.status !== 201) throw new Error(`token refused: ${JSON.stringify(made.json)}`);
  const bearer = { authorization: `Bearer ${made.json.token}`, "content-type": "application/json" };
  const create = async (body: Record<string, unknown>) => {
    const response = await fetch(`${daemon!.url}/api/tokens`, { method: "POST", headers: bearer, body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`token refused: ${await response.text()}`);
    return (await response.json()) as { id: string; token: string };
  };
  const agent = await create({ name: "claude-agent", team: "design", budget_daily_usd: 2, budget_monthly_usd: 20 });
  await create({ name: "build-bot", team: "platform", budget_monthly_usd: 30 });
  const old = await create({ name: "old-laptop" });
  await fetch(`${daemon!.url}/api/tokens/${old.id}`, { method: "DELETE", headers: bearer });
  const page = await open("/tokens", { token: made.json.token });
  await page.locator(".tokens-row").nth(3).waitFor();
  await shoot(page, "tokens");
  await page.context().close();

  // costs-member.png: what the member token sees on Costs after spending some of its limits (its own spend panel).
  const asAgent = { authorization: `Bearer ${agent.token}`, "content-type": "application/json", "user-agent": "claude-code/2.1" };
  for (const prompt of ["A lighthouse in a storm, woodcut", "A lighthouse at dawn, watercolour"]) {
    const made = await fetch(`${daemon!.url}/api/media/image`, { method: "POST", headers: asAgent, body: JSON.stringify({ prompt, output_dir: join(root, "member-work") }) });
    if (made.status !== 200) throw new Error(`member's image refused: ${await made.text()}`);
  }
  const costs = await open("/costs", { token: agent.token });
  const panel = costs.locator("section[aria-labelledby=costs-mine-title]");
  await panel.locator(".costs-budget li").first().waitFor();
  await panel.scrollIntoViewIfNeeded();
  await shoot(costs, "costs-member");
  await costs.context().close();
}

/** history-zh.png: one page in Chinese. */
async function chineseShot(): Promise<void> {
  const page = await open("/history", { locale: "zh" });
  await page.getByRole("heading", { level: 1, name: "历史" }).waitFor();
  await page.locator("article.history-card img").first().waitFor();
  await shoot(page, "history-zh");
  await page.context().close();
}

/** playground-narrow.png: a phone-sized Playground with a finished image. */
async function narrowShot(): Promise<void> {
  const page = await open("/", { width: 390 });
  await playgroundImage(page, "Paper boats on a rainy window sill");
  await reveal(page, "article.playground-job", ".playground-form");
  await shoot(page, "playground-narrow");
  await page.context().close();
}

/** playground-compare.png: one prompt compared across three image models, each card with its time, size and cost. */
async function compareShot(): Promise<void> {
  const page = await open("/");
  await page.getByLabel("Compare models").check();
  const choices = page.getByRole("group", { name: /Models to compare/ });
  for (const name of ["gpt-image", "nano-banana", "router"]) await choices.getByRole("checkbox", { name: new RegExp(`^${name} `) }).check();
  await page.getByLabel("Prompt").fill("A red kite over green hills, gouache");
  await page.locator(".playground-estimate").getByText(/Estimated total/).waitFor();
  await page.getByRole("button", { name: "Compare 3 models" }).click();
  await page.waitForFunction(() => {
    const cards = [...document.querySelectorAll(".playground-compare-grid article")];
    return cards.length === 3 && cards.every((card) => card.querySelector(".playground-bytes") && (card.querySelector("img") as HTMLImageElement | null)?.complete);
  });
  await reveal(page, ".playground-compare-run", ".playground-compare");
  await shoot(page, "playground-compare");
  await page.context().close();
}

/**
 * jobs.png: the fake OpenAI answers slowly, so one image runs and two wait behind it (one image at a time by
 * default), a Veo clip runs with the progress its operation reports, and a speech runs. Leaves that work queued.
 */
async function jobsShot(): Promise<void> {
  openai.slowMs = 120_000;
  openai.next("slow", "slow", "slow", "slow");
  gemini.pendingPolls = 400;
  gemini.reportProgress = true;
  await use("veo");
  await use("narrator");
  const submit = async (caller: Caller, kind: Kind, text: string) => {
    const answer = await api("POST", ENDPOINT[kind], kind === "audio" ? { input: text, async: true } : { prompt: text, async: true }, caller);
    if (answer.status !== 202) throw new Error(`async ${kind} refused: ${JSON.stringify(answer.json)}`);
  };
  await submit(CALLERS.claude, "image", "Banner for the spring sale, cherry blossoms");
  await submit(CALLERS.cursor, "image", "Icon set for a weather app, flat style");
  await submit(CALLERS.ui, "image", "Cover art for a lo-fi playlist");
  await submit(CALLERS.claude, "video", "Timelapse of clouds over a mountain ridge");
  await submit(CALLERS.script, "audio", "Your weekly report is ready. Spending is under budget.");
  const page = await open("/jobs");
  await page.locator(".jobs-row").nth(4).waitFor();
  // Let the clocks and the video's progress move a little.
  await page.waitForFunction(() => Number(document.querySelector<HTMLProgressElement>(".jobs-row progress")?.value ?? 0) >= 20, undefined, { timeout: WAIT_MS });
  await page.getByText(/running for 0:(0[3-9]|[1-5]\d)/).first().waitFor();
  await shoot(page, "jobs");
  await page.context().close();
}

try {
  mkdirSync(OUT, { recursive: true });
  const { binary, runDir } = await prepareExecutable(root);
  log("executable ready");
  writeConfig(dataDir, config());
  const env = cleanEnv({ HOME: root, MEDIAGEN_POLL_INTERVAL_SECONDS: "0.05" });
  daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir, env });
  await seed(binary, runDir, env);
  browser = await launchBrowser();
  log("today's generations made, browser up");
  for (const shot of SHOTS) {
    if (wanted.length > 0 && !wanted.includes(shot.name)) continue;
    await shot.take();
    log(`${shot.name} done`);
  }
  if (problems.length > 0) throw new Error(`problems while taking the screenshots:\n${problems.join("\n")}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser?.close();
  await daemon?.dispose();
  // The slow fake still holds the Jobs requests for minutes: stop the servers without waiting for those.
  void Promise.all([openai.close(), compatible.close(), gemini.close(), openrouter.close(), ...Object.values(proxies).map((proxy) => proxy.close())]);
  rmSync(root, { recursive: true, force: true });
  process.exit();
}
