// The key-leak test: a real daemon holding a saved key for each provider and a secret in its environment, every
// endpoint that takes a body or a URL driven toward a listener on 127.0.0.1 that records every byte it receives.
// The listener must get no saved key and no environment value; no answer, log line or database row may hold them
// (as written, lower- or upper-cased, or base64). Loopback only; runs from source, or MEDIAGEN_BINARY if set.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket } from "bun";
import { startFakeGemini, type FakeGemini } from "../fakes/gemini.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai.ts";
import { startFakeClacky, type FakeClacky } from "../fakes/openclacky.ts";
import { startFakeOpenRouter, type FakeOpenRouter } from "../fakes/openrouter.ts";
import { tempDir } from "../helpers.ts";
import { cleanEnv, poll, startDaemon, writeConfig, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;

/** Saved keys, one per provider: obviously fake, mixed case so the lower-cased forms differ. */
const SAVED_KEYS = {
  openclacky: "sk-test-leak-Clacky-NOT-REAL-7q",
  openai: "sk-test-leak-OpenAI-NOT-REAL-3k",
  gemini: "test-leak-Gemini-NOT-REAL-9z",
  openrouter: "sk-test-leak-Router-NOT-REAL-5m",
  "no-base-url": "sk-test-leak-NoUrl-NOT-REAL-4x",
} as const;
/** A variable config.yml names as `${...}` for one entry, and one it names nowhere: neither value may leave. */
const ENV_KEY = { name: "MEDIAGEN_TEST_LEAK_KEY", value: "env-test-leak-Referenced-NOT-REAL-2w" };
const ENV_OTHER = { name: "MEDIAGEN_TEST_LEAK_OTHER", value: "env-test-leak-Unnamed-NOT-REAL-8p" };
const SECRETS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(SAVED_KEYS).map(([provider, key]) => [`saved key (${provider})`, key])),
  [`$${ENV_KEY.name}`]: ENV_KEY.value,
  [`$${ENV_OTHER.name}`]: ENV_OTHER.value,
};
/** A key typed into requests aimed at the listener: it may arrive there, which proves the listener records. */
const TYPED_KEY = "typed-test-key-may-travel-0123";

/** Base64 of `secret` at each of the three byte alignments, ends trimmed, so it is found inside longer base64 too. */
function base64Forms(secret: string): string[] {
  return [0, 1, 2].flatMap((pad) => {
    const encoded = Buffer.from("\0".repeat(pad) + secret).toString("base64");
    const core = encoded.slice(pad === 0 ? 0 : 4, -4);
    return [core, core.replaceAll("+", "-").replaceAll("/", "_")];
  });
}

/** Each way a secret could be written: as is, lower-cased, upper-cased, base64. */
const FORMS: { form: string; text: string; secret: string }[] = Object.entries(SECRETS).flatMap(([secret, value]) => [
  { form: "as is", text: value, secret },
  { form: "lower-cased", text: value.toLowerCase(), secret },
  { form: "upper-cased", text: value.toUpperCase(), secret },
  ...base64Forms(value).map((text) => ({ form: "base64", text, secret })),
]);

/** The secrets `text` (from `where`) holds, one line each. */
function findings(where: string, text: string): string[] {
  return FORMS.filter(({ text: form }) => text.includes(form)).map(({ form, secret }) => `${where}: ${secret}, ${form}`);
}

/** A TCP listener on 127.0.0.1 that keeps every byte it receives and answers each request with an empty model list. */
function startListener() {
  const received: Buffer[] = [];
  const body = JSON.stringify({ object: "list", data: [] });
  const answer = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
  const pending = new Map<Socket<unknown>, Buffer>();
  const respondIfComplete = (socket: Socket<unknown>) => {
    const bytes = pending.get(socket) ?? Buffer.alloc(0);
    const headerEnd = bytes.indexOf("\r\n\r\n");
    if (headerEnd < 0) return;
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(bytes.subarray(0, headerEnd).toString("latin1"))?.[1] ?? 0);
    const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(bytes.subarray(0, headerEnd).toString("latin1"));
    const complete = chunked ? bytes.includes("\r\n0\r\n\r\n", headerEnd) : bytes.length >= headerEnd + 4 + length;
    if (!complete) return;
    pending.delete(socket);
    socket.end(answer);
  };
  const listener = Bun.listen<unknown>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, data) {
        const chunk = Buffer.from(data);
        received.push(chunk);
        pending.set(socket, Buffer.concat([pending.get(socket) ?? Buffer.alloc(0), chunk]));
        respondIfComplete(socket);
      },
      close(socket) {
        pending.delete(socket);
      },
    },
  });
  return {
    url: `http://127.0.0.1:${listener.port}`,
    text: () => Buffer.concat(received).toString("latin1"),
    close: () => listener.stop(true),
  };
}

const root = tempDir("mediagen-e2e-key-leak-");
const dataDir = join(root.path, "data");
const workDir = join(root.path, "work");
let clacky: FakeClacky;
let openai: FakeOpenAI;
let envOpenai: FakeOpenAI;
let gemini: FakeGemini;
let openrouter: FakeOpenRouter;
let listener: ReturnType<typeof startListener>;
let daemon: Daemon;
/** Every answer the daemon gave: method, path, status, headers and body. */
const answers: { what: string; status: number; text: string; json?: Record<string, any> }[] = [];

/** Calls the daemon and keeps the whole answer for the final scan. */
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${daemon.url}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const head = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  let json: Record<string, any> | undefined;
  try {
    json = JSON.parse(text) as Record<string, any>;
  } catch {
    json = undefined;
  }
  const answer = { what: `${method} ${path}`, status: response.status, text: `${head}\n\n${text}`, json };
  answers.push(answer);
  return answer;
}

type Entry = { name: string; type: "image" | "video" | "audio"; provider: string; model: string; api_key: string; base_url?: string; default?: boolean };
let entries: Entry[] = [];

beforeAll(async () => {
  clacky = startFakeClacky(SAVED_KEYS.openclacky);
  openai = startFakeOpenAI(SAVED_KEYS.openai);
  envOpenai = startFakeOpenAI(ENV_KEY.value);
  gemini = startFakeGemini(SAVED_KEYS.gemini);
  openrouter = startFakeOpenRouter(SAVED_KEYS.openrouter);
  listener = startListener();
  entries = [
    { name: "clacky-image", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: SAVED_KEYS.openclacky, base_url: clacky.url, default: true },
    { name: "clacky-video", type: "video", provider: "openclacky", model: "or-veo-3-1", api_key: SAVED_KEYS.openclacky, base_url: clacky.url, default: true },
    { name: "env-speech", type: "audio", provider: "openai", model: "gpt-4o-mini-tts", api_key: `\${${ENV_KEY.name}}`, base_url: `${envOpenai.url}/v1`, default: true },
    { name: "openai-image", type: "image", provider: "openai", model: "gpt-image-2", api_key: SAVED_KEYS.openai, base_url: `${openai.url}/v1` },
    { name: "gemini-image", type: "image", provider: "gemini", model: "gemini-2.5-flash-image", api_key: SAVED_KEYS.gemini, base_url: gemini.url },
    { name: "openrouter-image", type: "image", provider: "openrouter", model: "google/gemini-2.5-flash-image", api_key: SAVED_KEYS.openrouter, base_url: `${openrouter.url}/api/v1` },
    { name: "no-base-url", type: "image", provider: "openai", model: "gpt-image-2", api_key: SAVED_KEYS["no-base-url"] },
  ];
  const once = { max_attempts: 1 };
  writeConfig(dataDir, { models: entries, jobs: { image: once, video: once, audio: once } });
  daemon = await startDaemon({
    dataDir,
    env: cleanEnv({ [ENV_KEY.name]: ENV_KEY.value, [ENV_OTHER.name]: ENV_OTHER.value, MEDIAGEN_POLL_INTERVAL_SECONDS: "0.05" }),
  });
}, TEST_TIMEOUT_MS);

afterAll(async () => {
  await daemon?.dispose();
  await Promise.all([clacky?.close(), openai?.close(), envOpenai?.close(), gemini?.close(), openrouter?.close(), listener?.close()]);
  root[Symbol.dispose]();
});

/** The entry as the UI sends it back: every field, the key as `GET /api/config/models` shows it (masked, or `${VAR}`). */
async function shownEntries(): Promise<Record<string, any>[]> {
  const { json } = await call("GET", "/api/config/models");
  return (json!.models as Record<string, any>[]).map(({ index: _index, default: _default, in_use: _inUse, api_key, ...entry }) => ({ ...entry, api_key: api_key.masked }));
}

describe("no saved key and no environment value leaves for a URL a request names", () => {
  test(
    "connection tests aimed at the listener with a saved key are refused before any call",
    async () => {
      const shown = await shownEntries();
      for (const entry of shown) {
        const { api_key: masked, ...keyless } = entry;
        const probes = [
          { ...keyless, base_url: listener.url },
          { ...keyless, base_url: `${listener.url}/v1`, api_key: masked },
          { ...keyless, provider: "openai-compatible", base_url: listener.url },
        ];
        for (const probe of probes) {
          const answer = await call("POST", "/api/config/models/test", probe);
          expect({ what: `${entry.name} -> listener`, status: answer.status, field: answer.json?.field }).toEqual({ what: `${entry.name} -> listener`, status: 400, field: "api_key" });
        }
      }
      expect(listener.text()).toBe("");
      // By name, each entry goes to its own provider (the one saved without base_url would go to the internet: skipped).
      for (const entry of entries.filter((e) => e.base_url)) {
        expect({ name: entry.name, ...(await call("POST", "/api/config/models/test", { name: entry.name })).json }).toMatchObject({ name: entry.name, ok: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a typed key goes where the request says, as typed: ${VAR} and ${HOME} arrive literally",
    async () => {
      for (const typed of [`\${${ENV_KEY.name}}`, `\${${ENV_OTHER.name}}`, "${HOME}", TYPED_KEY]) {
        const answer = await call("POST", "/api/config/models/test", { type: "image", provider: "openai", model: "gpt-image-2", api_key: typed, base_url: `${listener.url}/v1` });
        expect(answer.status).toBe(200);
      }
      const received = listener.text();
      expect(received).toContain(`Bearer \${${ENV_KEY.name}}`);
      expect(received).toContain("Bearer ${HOME}");
      expect(received).toContain(`Bearer ${TYPED_KEY}`);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "config edits cannot point a saved key at the listener, nor store a ${VAR} for the daemon to read",
    async () => {
      const shown = await shownEntries();
      for (const [index, entry] of shown.entries()) {
        const { api_key: masked, ...keyless } = entry;
        for (const edit of [{ ...keyless, base_url: listener.url }, { ...keyless, base_url: listener.url, api_key: masked }]) {
          const answer = await call("PUT", `/api/config/models/${index}`, edit);
          expect({ index, status: answer.status, field: answer.json?.field }).toEqual({ index, status: 400, field: "api_key" });
        }
      }
      const noUrl = shown.findIndex((entry) => entry.name === "no-base-url");
      const switched = await call("PUT", `/api/config/models/${noUrl}`, { ...shown[noUrl], provider: "openai-compatible", base_url: listener.url });
      expect(switched.status).toBe(400);
      for (const typed of [`\${${ENV_KEY.name}}`, ` \${${ENV_OTHER.name}} `]) {
        const added = await call("POST", "/api/config/models", { name: "planted", type: "image", provider: "openai", model: "gpt-image-2", api_key: typed, base_url: `${listener.url}/v1` });
        expect(added).toMatchObject({ status: 400, json: { field: "api_key" } });
      }
      // A masked key on a new entry names no saved key: the entry is added without one, and its test sends none.
      const added = await call("POST", "/api/config/models", { name: "planted", type: "image", provider: "openai-compatible", model: "m", api_key: "sk-t****NOT", base_url: `${listener.url}/v1` });
      expect(added.status).toBe(201);
      expect((await call("POST", "/api/config/models/test", { name: "planted" })).status).toBe(200);
      expect((await call("DELETE", `/api/config/models/${added.json!.index}`)).status).toBe(200);
      // A key typed with the new URL is the one that travels there.
      const openrouterIndex = shown.findIndex((entry) => entry.name === "openrouter-image");
      const retyped = await call("PUT", `/api/config/models/${openrouterIndex}`, { ...shown[openrouterIndex], base_url: listener.url, api_key: TYPED_KEY });
      expect(retyped.status).toBe(200);
      expect((await call("POST", "/api/config/models/test", { name: "openrouter-image" })).status).toBe(200);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "media requests naming the listener anywhere are refused or ignored; real jobs reach only their providers",
    async () => {
      const hostile = { base_url: listener.url, api_key: `\${${ENV_KEY.name}}`, provider: "openai-compatible", model: listener.url };
      await call("POST", "/api/media/image", { prompt: "p", images: [`${listener.url}/a.png`], output_dir: workDir });
      await call("POST", "/api/media/image", { prompt: "p", output_dir: listener.url });
      await call("POST", "/api/media/image", { prompt: "p", output_dir: workDir, ...hostile });
      await call("POST", "/api/media/video", { prompt: "p", output_dir: workDir, ...hostile });
      await call("POST", "/api/media/audio/speech", { input: "hello", output_dir: workDir, ...hostile });
      const image = await call("POST", "/api/media/image", { prompt: "a lighthouse", output_dir: workDir });
      expect(image.json).toMatchObject({ success: true, provider: "openclacky" });
      const speech = await call("POST", "/api/media/audio/speech", { input: "hello there", output_dir: workDir });
      expect(speech.json).toMatchObject({ success: true, provider: "openai" });
      const video = await call("POST", "/api/media/video", { prompt: "waves", duration_seconds: 4, output_dir: workDir, async: true });
      expect(video.status).toBe(202);
      const id = String(video.json!.id);
      await poll(async () => ((await call("GET", `/api/media/jobs/${id}`)).json?.status === "succeeded" ? true : undefined), 20_000, "the video job");
      for (const path of [
        `/api/media/video/status?task_id=${id}`,
        "/api/media/jobs",
        "/api/media/types",
        "/api/generations",
        `/api/generations/${id}`,
        `/api/generations/${image.json!.id}`,
        "/api/costs/summary",
        "/api/costs/budget",
        "/api/config/models",
        "/api/config/catalog",
        "/api/health",
      ]) {
        expect((await call("GET", path)).status).toBe(200);
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the listener, the answers, the log and every database row hold no saved key and no environment value",
    async () => {
      expect(await daemon.stop("SIGTERM")).toBe(0);
      const found = [
        ...findings("listener", listener.text()),
        ...answers.flatMap((answer) => findings(`answer to ${answer.what}`, answer.text)),
        ...findings("daemon stdout", daemon.stdout()),
        ...findings("daemon stderr", daemon.stderr()),
      ];
      const db = new Database(join(dataDir, "mediagen.db"), { readonly: true });
      try {
        const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
        expect(tables.length).toBeGreaterThan(0);
        for (const { name } of tables) {
          const rows = db.query<Record<string, unknown>, []>(`SELECT * FROM "${name.replaceAll('"', '""')}"`).all();
          rows.forEach((row, at) => {
            for (const [column, value] of Object.entries(row)) {
              const text = value instanceof Uint8Array ? Buffer.from(value).toString("latin1") : String(value);
              found.push(...findings(`database ${name} row ${at} column ${column}`, text));
            }
          });
        }
      } finally {
        db.close();
      }
      for (const file of readdirSync(dataDir).filter((name) => name.startsWith("mediagen.db"))) {
        found.push(...findings(`file ${file}`, readFileSync(join(dataDir, file)).toString("latin1")));
      }
      expect(found).toEqual([]);
      // The scan itself finds each form: a key inside HTTP Basic credentials (base64 at an offset), and lower-cased.
      expect(findings("check", Buffer.from(`user:${SAVED_KEYS.gemini}`).toString("base64"))).toContain("check: saved key (gemini), base64");
      expect(findings("check", `x${ENV_OTHER.value.toLowerCase()}x`)).toContain(`check: $${ENV_OTHER.name}, lower-cased`);
      expect(answers.length).toBeGreaterThan(50);
    },
    TEST_TIMEOUT_MS,
  );
});
