// Property-based fuzz of the whole HTTP API through app.handle: generated bodies, headers, paths and query
// strings for every endpoint that takes input. Every answer must be JSON of the documented shape with a
// status from the error catalogue, and never a 500. Models point at a loopback fake, and every URL or
// folder the generators can produce is on 127.0.0.1 or inside a temp folder, so nothing leaves the machine.
// Each run uses a new seed, printed with the figures; FUZZ_SEED=<n> replays one.
import { describe, expect, test } from "bun:test";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { ERROR_CATALOGUE } from "../../server/errors.ts";
import { b64, makePng } from "../fakes/media.ts";
import type { FakeClacky } from "../fakes/openclacky.ts";
import { type Harness, withClackyHarness } from "../helpers.ts";

/** Runs per property; together they keep the file under ~20 s on a slow machine. */
const RUNS = { media: 8000, config: 4000, queries: 5000, paths: 3000 } as const;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** A port nothing listens on (connections are refused at once). */
const CLOSED_URL = "http://127.0.0.1:9/v1";

let fake: FakeClacky;
let h: Harness;
let files: { png: string; big: string; notImage: string; empty: string; fifo: string; dir: string; out: string };

withClackyHarness(
  (made) => {
    ({ fake, h } = made);
  const dir = join(h.root, "inputs");
  mkdirSync(dir, { recursive: true });
  files = { png: join(dir, "in.png"), big: join(dir, "big.png"), notImage: join(dir, "note.txt"), empty: join(dir, "empty.png"), fifo: join(dir, "pipe"), dir, out: join(h.root, "out") };
  writeFileSync(files.png, makePng(8, 8));
  writeFileSync(files.big, makePng(8, 8));
  truncateSync(files.big, 19_000_000); // 16 of these were 1.78 GB for one request
  writeFileSync(files.notImage, "hello");
  writeFileSync(files.empty, "");
  Bun.spawnSync(["mkfifo", files.fifo]);
  writeFileSync(join(h.root, "a-file"), "x");
  },
  { timeoutsSeconds: { image: 5, video: 5, audio: 5 } },
);

/** What a non-conforming answer looked like, for the failure message. */
interface Finding {
  request: string;
  status: number;
  body: string;
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  printable,
  fc.constantFrom("", " ", "\u0000", "\n", "${HOME}", "${MEDIAGEN_FUZZ_UNSET}", "../../etc/passwd", "NaN", "-1", "1e400", "\u202e", "😀".repeat(5)),
  fc.integer({ min: 1, max: 3 }).map((n) => "x".repeat(n * 100_000)),
);
/** Any JSON value, small. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** A value for a field meant to be a string: mostly strings, sometimes anything. */
const textish = fc.oneof({ weight: 4, arbitrary: anyText }, { weight: 1, arbitrary: anyJson });
/** Mostly a plausible value (so requests get past validation and deeper), sometimes anything. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: textish });
const words = fc.string({ unit: fc.constantFrom("a", "b", " ", "猫", "é", "\n"), minLength: 1, maxLength: 30 });
const relativeOrInside = (text: string) => (text.startsWith("/") ? join(h.root, "out", text.replace(/\0/g, "")) : text);

const imageRef = fc.oneof(
  fc.constantFrom("png", "big", "notImage", "empty", "fifo", "dir" as const).map((key) => files[key as keyof typeof files]),
  fc.constantFrom("/proc/self/mem", "/proc/self/status", "/dev/zero", "/dev/null", "/nonexistent/x.png", "relative.png", "http://127.0.0.1:9/x.png"),
  fc.constantFrom(`data:image/png;base64,${b64(makePng(4, 4))}`, b64(makePng(4, 4)), "data:,hello", "data:image/png;base64,!!!!", "/9j/4AAQSkZJRg=="),
  textish,
);
const outputDir = fc.oneof(
  fc.constantFrom("out", "a-file", "nul").map((key) => (key === "out" ? join(h.root, "out") : key === "nul" ? `${h.root}/bad\u0000dir` : join(h.root, key))),
  fc.constantFrom("/proc", "/dev/null", "relative/dir"),
  anyText.map(relativeOrInside),
  anyJson,
);

const mediaBody = fc.record(
  {
    prompt: mostly(words),
    input: mostly(words),
    aspect_ratio: mostly(fc.constantFrom("16:9", "1:1", "9:16", "landscape", "portrait", "square", "3:2", "0:0", "1:0")),
    duration_seconds: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 4, max: 8 }) }, { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -10, max: 20 }), fc.double(), textish) }),
    voice: mostly(fc.constantFrom("Kore", "alloy", "slt", "")),
    output_dir: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: outputDir }),
    session_id: mostly(printable),
    image: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0).map(() => files.png) },
      { weight: 1, arbitrary: imageRef },
      { weight: 1, arbitrary: fc.record({ b64_json: mostly(fc.constant(b64(makePng(4, 4)))), mime_type: textish }, { requiredKeys: [] }) },
    ),
    images: fc.oneof(
      { weight: 3, arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(0).map(() => files.png) }, { weight: 1, arbitrary: imageRef }), { maxLength: 20 }) },
      { weight: 1, arbitrary: anyJson },
    ),
    async: fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: anyJson }),
    idempotency_key: fc.oneof({ weight: 6, arbitrary: printable.filter((key) => key.trim() !== "") }, { weight: 1, arbitrary: textish }),
  },
  { requiredKeys: [] },
);

/** A body as bytes on the wire: usually JSON of a generated object, sometimes anything at all. */
const rawBody = (object: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 24, arbitrary: object.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value) ?? "") },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => `{"prompt":"x","deep":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`) },
  );

/** Headers: usually a well-formed local request, sometimes a hostile or malformed one (the guard must answer in JSON too). */
const rare = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
const headers = fc
  .record({
    "content-type": fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1"),
    prefer: rare(fc.oneof(fc.constant("respond-async"), printable)),
    "idempotency-key": rare(printable),
    "user-agent": rare(printable),
    host: fc.oneof({ weight: 8, arbitrary: fc.constantFrom("127.0.0.1:7070", "localhost", "[::1]:7070") }, { weight: 1, arbitrary: fc.constantFrom("evil.example", "127.0.0.1:7070:7070", "[", "::1", "a b", "") }),
    origin: rare(fc.constantFrom("http://127.0.0.1:7070", "null", "http://evil.example", "not a url")),
    authorization: rare(fc.oneof(fc.constant("Bearer "), printable)),
  })
  .map((record) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Record<string, string>);

const modelEntry = fc.record(
  {
    name: mostly(printable),
    type: mostly(fc.constantFrom("image", "video", "audio")),
    provider: mostly(fc.constantFrom("openclacky", "openai", "gemini", "openrouter", "openai-compatible", "local")),
    model: mostly(fc.constantFrom("or-gpt-image-2", "or-veo-3-1", "or-tts-gemini-2-5-flash", "flite")),
    api_key: fc.oneof(fc.constantFrom("sk-fuzz-not-a-key", "****", "${HOME}"), fc.constant(null), textish),
    default: mostly(fc.boolean()),
    options: fc.oneof(
      { weight: 3, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("quality", "voice", "speed", "negative_prompt", "x"), anyJson, { maxKeys: 3 }) },
      { weight: 1, arbitrary: anyJson },
    ),
  },
  { requiredKeys: [] },
);
/** Only loopback URLs: whatever else the body says, no test reaches a real provider. */
const loopbackUrl = fc.constantFrom(CLOSED_URL, "http://127.0.0.1:9/", "http://[::1]:9/v1", "ftp://127.0.0.1:9/", "not a url", "", "http://127.0.0.1:9/" + "p".repeat(5000));

/** Sends one request and returns a finding when the answer breaks the contract. */
const statuses = new Map<string, number>();

async function check(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Finding | undefined> {
  const label = `${method} ${path.slice(0, 200)} headers=${JSON.stringify(init.headers ?? {}).slice(0, 300)} body=${(init.body ?? "").slice(0, 300)}`;
  let response: Response;
  try {
    const request = new Request(`http://127.0.0.1:7070${path}`, { method, headers: init.headers, body: init.body });
    response = await h.app.handle(request);
  } catch (error) {
    return { request: label, status: -1, body: `app.handle threw: ${error instanceof Error ? error.message : String(error)}` };
  }
  const text = await response.text();
  statuses.set(String(response.status), (statuses.get(String(response.status)) ?? 0) + 1);
  const finding = (why: string): Finding => ({ request: label, status: response.status, body: `${why}: ${text.slice(0, 300)}` });
  if (response.status >= 500 && response.status < 600 && ![502, 503, 504].includes(response.status)) return finding("server error");
  if (!(response.headers.get("content-type") ?? "").includes("application/json")) {
    const file = /\/file$/.test(path) || /\/events$/.test(path);
    return file && response.status < 400 ? undefined : finding("not JSON");
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return finding("body does not parse");
  }
  if (response.status < 400) return undefined;
  const type = body.error_type as keyof typeof ERROR_CATALOGUE;
  if (body.success !== false || typeof body.error !== "string" || !(type in ERROR_CATALOGUE)) return finding("not the error shape");
  const expected = ERROR_CATALOGUE[type].status;
  const overridden = type === "auth_required" && response.status === 502;
  if (response.status !== expected && !overridden) return finding(`status ${response.status} but ${type} is ${expected}`);
  if (type === "internal") return finding("internal");
  return undefined;
}

/** Runs a property that records findings instead of stopping at the first, so a run reports every kind. */
async function fuzz<T>(name: string, runs: number, arbitrary: fc.Arbitrary<T>, send: (value: T) => Promise<Finding | undefined>) {
  const findings: Finding[] = [];
  statuses.clear();
  h.log.lines.length = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      const finding = await send(value);
      if (finding) findings.push(finding);
    }),
    { numRuns: runs, seed: SEED, endOnFailure: true },
  );
  const distinct = [...new Map(findings.map((f) => [`${f.status} ${f.body.slice(0, 80)}`, f])).values()];
  console.log(`fuzz ${name}: ${runs} cases, ${findings.length} contract violations (${findings.filter((f) => f.status === 500).length} × 500), seed ${SEED}; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  const errors = new Set(h.log.lines.filter((l) => /unexpected|unhandled/.test(l)).map((l) => l.replace(/\d+/g, "N").slice(0, 160)));
  for (const line of errors) console.log(`  log: ${line}`);
  for (const f of distinct.slice(0, 10)) console.log(`  ${f.status} ${f.request.slice(0, 400)}\n    -> ${f.body.slice(0, 300)}`);
  expect(distinct.slice(0, 5)).toEqual([]);
}

describe("fuzz: every answer is documented JSON, never a 500", () => {
  test("POST /api/media/image, /video, /audio/speech", async () => {
    const path = fc.constantFrom("/api/media/image", "/api/media/video", "/api/media/audio/speech");
    await fuzz("media", RUNS.media, fc.tuple(path, rawBody(mediaBody), headers), ([p, body, hs]) => check("POST", p, { headers: hs, body }));
  }, 60_000);

  test("config: add, edit, remove, default and test models", async () => {
    const entry = fc.tuple(modelEntry, fc.option(loopbackUrl, { nil: undefined })).map(([e, url]) => ({ ...e, base_url: url ?? CLOSED_URL }));
    const index = fc.oneof(fc.nat({ max: 6 }).map(String), fc.constantFrom("-1", "1.5", "x", "%00", "99999999999999999999", "0x1", " 1"));
    const request = fc.oneof(
      fc.tuple(rawBody(entry), headers).map(([body, hs]) => ["POST", "/api/config/models", hs, body] as const),
      fc.tuple(index, rawBody(entry), headers).map(([i, body, hs]) => ["PUT", `/api/config/models/${i}`, hs, body] as const),
      fc.tuple(index, headers).map(([i, hs]) => ["DELETE", `/api/config/models/${i}`, hs, undefined] as const),
      fc.tuple(index, headers).map(([i, hs]) => ["POST", `/api/config/models/${i}/default`, hs, undefined] as const),
      fc.tuple(fc.oneof(rawBody(entry), rawBody(fc.record({ name: textish }, { requiredKeys: [] }))), headers).map(([body, hs]) => ["POST", "/api/config/models/test", hs, body] as const),
    );
    await fuzz("config", RUNS.config, request, async ([method, path, hs, body]) => {
      // The connection test must never leave 127.0.0.1: a body naming no URL would reach the provider's real host.
      if (path.endsWith("/test") && body !== undefined && !/"base_url"/.test(body) && /"(type|provider|model)"/.test(body)) return undefined;
      const finding = await check(method, path, { headers: hs, body });
      // Whatever the fuzz leaves in config.yml, every entry stays on loopback, so no later request reaches a real host.
      const escaped = h.config.get().models.find((entry) => entry.provider !== "local" && !/^http:\/\/(127\.0\.0\.1|\[::1\])[:/]/.test(entry.base_url ?? ""));
      if (escaped) throw new Error(`a config entry left loopback after ${method} ${path}: ${JSON.stringify(escaped)}`);
      return finding;
    });
  }, 60_000);

  test("GET endpoints with query strings", async () => {
    const key = fc.oneof(fc.constantFrom("type", "status", "model", "q", "from", "to", "cursor", "limit", "group_by", "task_id", "file", "access_token"), printable);
    const value = fc.oneof(
      fc.constantFrom("image", "video", "audio", "succeeded", "2026-01-01", "2026-13-45", "2026-01-01T00:00:00Z", "0", "-1", "201", "1e3", "day", "model", "%", "%zz", "true"),
      printable,
      fc.integer({ min: 1, max: 3 }).map((n) => "q".repeat(n * 20_000)),
    );
    const query = fc.array(fc.tuple(key, value), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${Math.random() < 0.1 ? v : encodeURIComponent(v)}`).join("&"));
    const path = fc.constantFrom("/api/generations", "/api/costs/summary", "/api/costs/budget", "/api/costs/prices", "/api/media/video/status", "/api/media/jobs", "/api/media/types", "/api/health", "/api/config/models", "/api/config/catalog");
    await fuzz("queries", RUNS.queries, fc.tuple(path, query, headers), ([p, q, hs]) => check("GET", `${p}?${q}`, { headers: hs }));
  }, 60_000);

  test("ids in paths: generations, jobs, files, deletes", async () => {
    const id = fc.oneof(printable.map(encodeURIComponent), fc.constantFrom("%", "%00", "..%2F..%2Fetc%2Fpasswd", "x".repeat(10_000), "1", "0"));
    const request = fc.oneof(
      id.map((i) => ["GET", `/api/generations/${i}`] as const),
      id.map((i) => ["GET", `/api/generations/${i}/file`] as const),
      id.map((i) => ["DELETE", `/api/generations/${i}?file=true`] as const),
      id.map((i) => ["GET", `/api/media/jobs/${i}`] as const),
      id.map((i) => ["DELETE", `/api/media/jobs/${i}`] as const),
      id.map((i) => ["GET", `/api/nowhere/${i}`] as const),
      id.map((i) => ["PATCH", `/api/media/${i}`] as const),
    );
    await fuzz("paths", RUNS.paths, fc.tuple(request, headers), ([[method, path], hs]) => check(method, path, { headers: hs }));
  }, 60_000);
});
