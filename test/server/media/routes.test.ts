// Contract tests of the seed's /api/media endpoints against the fake openclacky gateway.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeWav } from "../../../server/formats/wav.ts";
import { CLACKY_REPORTS, type FakeClacky } from "../../fakes/openclacky.ts";
import { b64, makePng } from "../../fakes/media.ts";
import { clackyConfig, createHarness, type Harness, withClackyHarness } from "../../helpers.ts";

let fake: FakeClacky;
let h: Harness;

withClackyHarness((made) => ({ fake, h } = made));

const FILE_NAME = { image: /^img_\d{8}_\d{6}_[0-9a-f]{8}\.png$/, video: /^vid_\d{8}_\d{6}_[0-9a-f]{8}\.mp4$/, audio: /^tts_\d{8}_\d{6}_[0-9a-f]{8}\.wav$/ };

describe("GET /api/media/types", () => {
  test("reports the model serving each type", async () => {
    const { status, body } = await h.get("/api/media/types");
    expect(status).toBe(200);
    expect(body).toEqual({
      image: { configured: true, model: "or-gpt-image-2", provider: "openclacky", name: "img" },
      video: { configured: true, model: "or-veo-3-1", provider: "openclacky", name: "vid" },
      audio: { configured: true, model: "or-tts-gemini-2-5-flash", provider: "openclacky", name: "tts" },
    });
  });

  test("configured:false with no model when a type has none", async () => {
    using empty = createHarness({ config: { models: [] } });
    const { body } = await empty.get("/api/media/types");
    expect(body).toEqual({ image: { configured: false }, video: { configured: false }, audio: { configured: false } });
  });
});

describe("POST /api/media/image", () => {
  test("generates: seed success body, file under <output_dir>/assets/generated, size measured, usage and cost passed through", async () => {
    const before = fake.requests.length;
    const { status, body } = await h.post("/api/media/image", { prompt: "a hero image", aspect_ratio: "landscape", output_dir: h.workDir, session_id: "s-1" });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      success: true,
      model: "or-gpt-image-2",
      provider: "openclacky",
      prompt: "a hero image",
      aspect_ratio: "landscape",
      size: "1536x1024",
      usage: CLACKY_REPORTS.image.usage,
      cost_usd: CLACKY_REPORTS.image.cost_usd,
    });
    expect(body.image.startsWith(join(h.workDir, "assets", "generated") + "/")).toBe(true);
    expect(body.image.split("/").at(-1)).toMatch(FILE_NAME.image);
    expect(readFileSync(body.image).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const sent = fake.requests[before]!;
    expect(sent.path).toBe("/images/generations");
    expect(sent.headers.authorization).toBe(`Bearer ${fake.key}`);
    expect(sent.body).toEqual({ model: "or-gpt-image-2", n: 1, prompt: "a hero image", size: "1536x1024" });

    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", type: "image", output_path: body.image, width: 1536, height: 1024, session_id: "s-1", cost_usd: 0.04, cost_source: "upstream" });
    expect(row.bytes).toBe(statSync(body.image).size);
  });

  test.each([
    ["square", "1024x1024", "square"],
    ["portrait", "1024x1536", "portrait"],
    ["16:9", "1536x1024", "landscape"],
    ["1:1", "1024x1024", "square"],
    ["9:16", "1024x1536", "portrait"],
    [undefined, "1536x1024", "landscape"],
  ])("aspect_ratio %p asks for %s and answers %s", async (aspect, size, name) => {
    const { status, body } = await h.post("/api/media/image", { prompt: "p", aspect_ratio: aspect, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(fake.requests.at(-1)!.body.size).toBe(size);
    expect(body.aspect_ratio).toBe(name);
    expect(body.size).toBe(size);
  });

  test("gemini models get no size; the aspect goes into the prompt and size is measured from the bytes", async () => {
    using g = createHarness({ config: clackyConfig(fake.url, fake.key, { image: "or-gemini-3-1-flash-image" }) });
    const { body } = await g.post("/api/media/image", { prompt: "a cat", aspect_ratio: "portrait", output_dir: g.workDir });
    expect(fake.requests.at(-1)!.body).toEqual({ model: "or-gemini-3-1-flash-image", n: 1, prompt: "a cat\n\n[aspect: portrait]" });
    expect(body.size).toBe("768x1408");
  });

  test("edits with a local file, base64 and a data URL; the input file is untouched", async () => {
    const input = join(h.root, "input.png");
    const png = makePng(64, 48);
    writeFileSync(input, png);
    const mtime = statSync(input).mtimeMs;
    const { status, body } = await h.post("/api/media/image", {
      prompt: "combine",
      images: [input, b64(png), `data:image/png;base64,${b64(png)}`],
      image: "/ignored/because/images/wins.png",
      output_dir: h.workDir,
    });
    expect(status).toBe(200);
    const sent = fake.requests.at(-1)!.body.images as string[];
    expect(sent).toHaveLength(3);
    for (const url of sent) expect(url).toBe(`data:image/png;base64,${b64(png)}`);
    expect(readFileSync(input)).toEqual(Buffer.from(png));
    expect(statSync(input).mtimeMs).toBe(mtime);
    expect((await h.ledger.get(body.id))!.params.inputs).toEqual([input, "base64", "data-url"]);
  });

  test("an edit without output_dir is saved beside its input file", async () => {
    const input = join(h.root, "project", "photo.png");
    Bun.spawnSync(["mkdir", "-p", join(h.root, "project")]);
    writeFileSync(input, makePng(16, 16));
    const { status, body } = await h.post("/api/media/image", { prompt: "make it blue", image: input });
    expect(status).toBe(200);
    expect(body.image.startsWith(join(h.root, "project", "assets", "generated", "img_"))).toBe(true);
  });

  test("downloads a result given as a URL", async () => {
    fake.next("url");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(readFileSync(body.image).subarray(1, 4).toString()).toBe("PNG");
  });

  test("an output_dir already ending in assets/generated is not doubled", async () => {
    const dir = join(h.workDir, "assets", "generated");
    const { body } = await h.post("/api/media/image", { prompt: "p", output_dir: dir });
    expect(body.image.startsWith(`${dir}/img_`)).toBe(true);
  });

  test("without output_dir the configured default folder is used", async () => {
    const { body } = await h.post("/api/media/image", { prompt: "p" });
    expect(body.image.startsWith(join(h.dataDir, "output", "assets", "generated"))).toBe(true);
  });

  test("accepts a JSON body sent without a JSON content type (curl -d)", async () => {
    const response = await h.call("/api/media/image", { method: "POST", body: JSON.stringify({ prompt: "p", output_dir: h.workDir }) });
    expect(response.status).toBe(200);
  });
});

describe("POST /api/media/video", () => {
  test("generates an mp4 with duration and cost passed through", async () => {
    const { status, body } = await h.post("/api/media/video", { prompt: "drone shot", aspect_ratio: "landscape", duration_seconds: 8, output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, model: "or-veo-3-1", provider: "openclacky", prompt: "drone shot", aspect_ratio: "landscape", duration_seconds: 8, cost_usd: 2.688 });
    expect(body.video.split("/").at(-1)).toMatch(FILE_NAME.video);
    expect(fake.requests.at(-1)!.body).toEqual({ model: "or-veo-3-1", prompt: "drone shot", aspect_ratio: "landscape", duration_seconds: 8 });
  });

  test("defaults to 8 seconds and forwards a first frame", async () => {
    const frame = b64(makePng(32, 18));
    const { body } = await h.post("/api/media/video", { prompt: "p", image: { b64_json: frame, mime_type: "image/png" }, output_dir: h.workDir });
    expect(body.duration_seconds).toBe(8);
    expect(fake.requests.at(-1)!.body.image).toEqual({ b64_json: frame, mime_type: "image/png" });
  });

  test("accepts a numeric string duration", async () => {
    const { status, body } = await h.post("/api/media/video", { prompt: "p", duration_seconds: "5", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body.duration_seconds).toBe(5);
  });
});

describe("POST /api/media/audio/speech", () => {
  test("synthesises through the gateway as a 24 kHz mono 16-bit WAV", async () => {
    const { status, body } = await h.post("/api/media/audio/speech", { input: "Hello there", voice: "Kore", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, model: "or-tts-gemini-2-5-flash", provider: "openclacky", input: "Hello there", voice: "Kore", mime_type: "audio/wav", ...CLACKY_REPORTS.speech });
    expect(body.audio.split("/").at(-1)).toMatch(FILE_NAME.audio);
    const wav = decodeWav(new Uint8Array(readFileSync(body.audio)));
    expect(wav.sampleRate).toBe(24_000);
    expect(fake.requests.at(-1)!.body).toEqual({ model: "or-tts-gemini-2-5-flash", input: "Hello there", voice: "Kore" });
  });

  test("offline default model: works with no key, any built-in voice, and lists voices for an unknown one", async () => {
    using local = createHarness();
    const ok = await local.post("/api/media/audio/speech", { input: "Offline speech works.", voice: "rms", output_dir: local.workDir });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ success: true, provider: "local", model: "flite", voice: "rms", mime_type: "audio/wav", cost_usd: 0 });
    const bytes = new Uint8Array(readFileSync(ok.body.audio));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect([view.getUint16(20, true), view.getUint16(22, true), view.getUint32(24, true), view.getUint16(34, true)]).toEqual([1, 1, 24_000, 16]);
    expect(view.getUint32(40, true)).toBe(bytes.length - 44);
    const bad = await local.post("/api/media/audio/speech", { input: "x", voice: "Nonexistent", output_dir: local.workDir });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, audio: null, error_type: "invalid_argument", field: "voice", provider: "local" });
    expect(bad.body.allowed).toEqual(expect.arrayContaining(["slt", "rms", "awb", "Kore"]));
  });
});

/** One row per error_type the media endpoints can answer with. */
const ERROR_CASES: {
  name: string;
  path?: string;
  body: unknown;
  scenario?: Parameters<FakeClacky["next"]>[0];
  status: number;
  errorType: string;
  message?: RegExp;
  extra?: Record<string, unknown>;
  reachesUpstream?: boolean;
}[] = [
  { name: "missing prompt", body: { output_dir: "/tmp" }, status: 400, errorType: "invalid_argument", message: /prompt is required/, extra: { field: "prompt" } },
  { name: "blank prompt", body: { prompt: "   " }, status: 400, errorType: "invalid_argument", extra: { field: "prompt" } },
  { name: "prompt not a string", body: { prompt: 42 }, status: 400, errorType: "invalid_argument", message: /prompt must be a string/ },
  { name: "malformed JSON", body: "{\"prompt\": ", status: 400, errorType: "invalid_argument", message: /not valid JSON/, extra: { field: "body" } },
  { name: "JSON array body", body: "[1,2]", status: 400, errorType: "invalid_argument", message: /JSON object/ },
  { name: "unknown aspect", body: { prompt: "p", aspect_ratio: "wide" }, status: 400, errorType: "invalid_argument", extra: { field: "aspect_ratio", allowed: ["landscape", "square", "portrait"] } },
  { name: "relative output_dir", body: { prompt: "p", output_dir: "out" }, status: 400, errorType: "invalid_argument", extra: { field: "output_dir" } },
  { name: "image that is none of path/base64/data URL", body: { prompt: "p", image: "cat.png" }, status: 400, errorType: "invalid_argument", message: /absolute file path, bare base64 image data or a data: URL/, extra: { field: "image" } },
  { name: "missing input file", body: { prompt: "p", images: ["/nonexistent/a.png"] }, status: 400, errorType: "invalid_argument", extra: { field: "images[0]" } },
  { name: "video duration out of range", path: "/api/media/video", body: { prompt: "p", duration_seconds: 12 }, status: 400, errorType: "invalid_argument", message: /4 to 8/, extra: { field: "duration_seconds" } },
  { name: "video square aspect", path: "/api/media/video", body: { prompt: "p", aspect_ratio: "square" }, status: 400, errorType: "invalid_argument", extra: { allowed: ["landscape", "portrait"] } },
  { name: "speech without input", path: "/api/media/audio/speech", body: { voice: "Kore" }, status: 400, errorType: "invalid_argument", extra: { field: "input", audio: null } },
  { name: "upstream 401", body: { prompt: "p" }, scenario: "401", status: 502, errorType: "auth_required", message: /^Upstream 401: Invalid API key/, extra: { upstream_status: 401 }, reachesUpstream: true },
  { name: "upstream 403", body: { prompt: "p" }, scenario: "403", status: 502, errorType: "auth_required", extra: { upstream_status: 403 }, reachesUpstream: true },
  { name: "upstream 429", body: { prompt: "p" }, scenario: "429", status: 429, errorType: "rate_limited", extra: { upstream_status: 429, retry_after_seconds: 7 }, reachesUpstream: true },
  { name: "upstream 500", body: { prompt: "p" }, scenario: "500", status: 502, errorType: "api_error", message: /^Upstream 500: Internal gateway error$/, extra: { upstream_status: 500 }, reachesUpstream: true },
  { name: "upstream 503 overloaded", body: { prompt: "p" }, scenario: "503", status: 503, errorType: "overloaded", message: /overloaded/, extra: { upstream_status: 503 }, reachesUpstream: true },
  { name: "upstream 400 unknown model", body: { prompt: "p" }, scenario: "400", status: 400, errorType: "unknown_model", message: /^unknown image model "[^"]+": openclacky does not recognise it \(Upstream 400: INVALID_ARGUMENT: unknown image model\)\. Fix the model name in the settings page/, extra: { upstream_status: 400 }, reachesUpstream: true },
  { name: "upstream safety refusal", body: { prompt: "p" }, scenario: "content_filter", status: 422, errorType: "content_filtered", message: /safety/, reachesUpstream: true },
  { name: "upstream malformed JSON", body: { prompt: "p" }, scenario: "malformed", status: 502, errorType: "invalid_response", message: /Invalid JSON response/, reachesUpstream: true },
  { name: "upstream bytes that are not an image", body: { prompt: "p" }, scenario: "not_media", status: 502, errorType: "invalid_response", message: /where an image was expected/, reachesUpstream: true },
  { name: "upstream empty data", body: { prompt: "p" }, scenario: "empty", status: 502, errorType: "empty_response", message: /no image data/, reachesUpstream: true },
  { name: "upstream empty video", path: "/api/media/video", body: { prompt: "p" }, scenario: "empty", status: 502, errorType: "empty_response", message: /no video data/, extra: { video: null }, reachesUpstream: true },
  { name: "upstream empty audio", path: "/api/media/audio/speech", body: { input: "p" }, scenario: "empty", status: 502, errorType: "empty_response", message: /no audio data/, extra: { audio: null }, reachesUpstream: true },
];

describe("error catalogue through the media endpoints", () => {
  test.each(ERROR_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const rowsBefore = (await h.ledger.list({ limit: 200 })).items.length;
    if (c.scenario) fake.next(c.scenario);
    const path = c.path ?? "/api/media/image";
    const body = typeof c.body === "object" && c.body !== null && !("output_dir" in c.body) ? { ...c.body, output_dir: h.workDir } : c.body;
    // A session of its own per case, so that refusals of one error type are not folded into one row.
    const response = await h.post(path, body, { "x-mediagen-session": c.name });
    expect(response.status).toBe(c.status);
    const field = path.endsWith("video") ? "video" : path.endsWith("speech") ? "audio" : "image";
    expect(response.body).toMatchObject({ success: false, [field]: null, error_type: c.errorType, ...c.extra });
    expect(typeof response.body.error).toBe("string");
    expect(response.body).toHaveProperty("model");
    expect(response.body).toHaveProperty("provider");
    if (c.message) expect(response.body.error).toMatch(c.message);
    expect(JSON.stringify(response.body)).not.toContain(fake.key);
    if (c.errorType === "rate_limited") expect(response.headers.get("retry-after")).toBe("7");
    const rows = (await h.ledger.list({ limit: 200 })).items;
    expect(rows.length).toBe(rowsBefore + 1);
    if (c.reachesUpstream) {
      expect(rows[0]).toMatchObject({ status: "failed", error_type: c.errorType, cost_usd: null, cost_source: "unknown" });
    } else {
      // Turned away before any provider call: recorded as refused, with no cost.
      expect(rows[0]).toMatchObject({ status: "refused", error_type: c.errorType, cost_usd: null, refusal_count: 1 });
    }
  });

  test("not_configured (422) with empty model and provider, no ledger row", async () => {
    using empty = createHarness({ config: { models: [] } });
    const { status, body } = await empty.post("/api/media/video", { prompt: "p", output_dir: empty.workDir });
    expect(status).toBe(422);
    expect(body).toMatchObject({ success: false, video: null, error_type: "not_configured", model: "", provider: "", error: "No video model configured. Add a model with type=video in settings." });
    expect((await empty.ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
  });

  test("auth_required (422) when the entry has no key, and when its ${ENV} variable is unset", async () => {
    using noKey = createHarness({ config: { models: [{ type: "image", provider: "openclacky", model: "m", base_url: fake.url }] } });
    const a = await noKey.post("/api/media/image", { prompt: "p", output_dir: noKey.workDir });
    expect(a.status).toBe(422);
    expect(a.body).toMatchObject({ error_type: "auth_required", error: "api_key not configured for image model 'm'" });
    using envKey = createHarness({ config: { models: [{ type: "image", provider: "openclacky", model: "m", api_key: "${MEDIAGEN_TEST_UNSET_KEY}", base_url: fake.url }] } });
    const b = await envKey.post("/api/media/image", { prompt: "p", output_dir: envKey.workDir });
    expect(b.status).toBe(422);
    expect(b.body.error).toContain("MEDIAGEN_TEST_UNSET_KEY");
  });

  test("an ${ENV} key is read at request time", async () => {
    using envKey = createHarness({ config: { models: [{ type: "image", provider: "openclacky", model: "m", api_key: "${MEDIAGEN_TEST_KEY}", base_url: fake.url }] } });
    process.env.MEDIAGEN_TEST_KEY = fake.key;
    try {
      const { status } = await envKey.post("/api/media/image", { prompt: "p", output_dir: envKey.workDir });
      expect(status).toBe(200);
      expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${fake.key}`);
    } finally {
      delete process.env.MEDIAGEN_TEST_KEY;
    }
  });

  test("not_implemented (422) for a provider this version cannot drive yet", async () => {
    using other = createHarness({ config: { models: [{ type: "video", provider: "openai", model: "sora-2", api_key: "k" }] } });
    const { status, body } = await other.post("/api/media/video", { prompt: "p", output_dir: other.workDir });
    expect(status).toBe(422);
    expect(body).toMatchObject({ error_type: "not_implemented", provider: "openai", model: "sora-2" });
  });

  test("payload_too_large (413) for a body over server.max_body_mib", async () => {
    using small = createHarness({ config: { server: { max_body_mib: 0.01 }, models: [] } });
    const { status, body } = await small.post("/api/media/image", { prompt: "x".repeat(20_000) });
    expect(status).toBe(413);
    expect(body).toMatchObject({ success: false, image: null, error_type: "payload_too_large" });
    expect(body.error).toContain("max_body_mib");
  });

  test("network_error (502) when the provider cannot be reached", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    using down = createHarness({ config: clackyConfig(url, fake.key) });
    const { status, body } = await down.post("/api/media/image", { prompt: "p", output_dir: down.workDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error_type: "network_error" });
    expect(body.error).toMatch(/^HTTP request failed/);
    expect((await down.ledger.list({})).items[0]).toMatchObject({ status: "failed", error_type: "network_error" });
  });

  test("network_error (502) when the provider resets the connection", async () => {
    fake.next("reset");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(502);
    expect(body.error_type).toBe("network_error");
  });

  test("timeout (504) when the provider never answers, recorded as failed with error_type timeout", async () => {
    using quick = createHarness({ config: clackyConfig(fake.url, fake.key), timeoutsSeconds: { image: 0.3, video: 0.3, audio: 0.3 } });
    fake.next("hang");
    const { status, body } = await quick.post("/api/media/image", { prompt: "p", output_dir: quick.workDir });
    expect(status).toBe(504);
    expect(body).toMatchObject({ error_type: "timeout", image: null });
    expect((await quick.ledger.list({})).items[0]).toMatchObject({ status: "failed", error_type: "timeout" });
  });

  test("interrupted (503) when the daemon stops past its grace period; later requests are refused", async () => {
    using stopping = createHarness({ config: clackyConfig(fake.url, fake.key) });
    fake.next("hang");
    const pending = stopping.post("/api/media/image", { prompt: "p", output_dir: stopping.workDir });
    while (stopping.media.running === 0) await Bun.sleep(10);
    expect(await stopping.media.drain(100)).toBe(1);
    const { status, body } = await pending;
    expect(status).toBe(503);
    expect(body.error_type).toBe("interrupted");
    expect((await stopping.ledger.list({})).items[0]).toMatchObject({ status: "interrupted", error_type: "interrupted" });
    const later = await stopping.post("/api/media/image", { prompt: "p", output_dir: stopping.workDir });
    expect(later.status).toBe(503);
  });

  test("a slow generation finishes within the shutdown grace period", async () => {
    using stopping = createHarness({ config: clackyConfig(fake.url, fake.key) });
    fake.slowMs = 300;
    fake.next("slow");
    const pending = stopping.post("/api/media/image", { prompt: "p", output_dir: stopping.workDir });
    while (stopping.media.running === 0) await Bun.sleep(10);
    expect(await stopping.media.drain(5000)).toBe(0);
    expect((await pending).status).toBe(200);
  });
});

describe("corrupt media from the provider (issue 8, defect 6)", () => {
  const cases = [
    { path: "/api/media/image", body: { prompt: "p" }, field: "image", message: /^Upstream returned a corrupt PNG file \(79 bytes\): PNG .*truncated$/ },
    { path: "/api/media/video", body: { prompt: "p" }, field: "video", message: /^Upstream returned a corrupt MP4 file \(79 bytes\): MP4 moov box .*truncated$/ },
    { path: "/api/media/audio/speech", body: { input: "p" }, field: "audio", message: /^Upstream returned a corrupt WAV file \(79 bytes\): WAV is 79 bytes but its RIFF header declares \d+: truncated$/ },
  ];
  test.each(cases.map((c) => [c.field, c] as const))("truncated base64 for %s: 502 invalid_response, no file written", async (_field, c) => {
    const outputDir = join(h.workDir, `truncated-${c.field}`);
    mkdirSync(outputDir);
    fake.next("truncated");
    const { status, body } = await h.post(c.path, { ...c.body, output_dir: outputDir });
    expect(status).toBe(502);
    expect(body).toMatchObject({ success: false, [c.field]: null, error_type: "invalid_response" });
    expect(body.error).toMatch(c.message);
    expect(readdirSync(outputDir, { recursive: true }).filter((name) => statSync(join(outputDir, String(name))).isFile())).toEqual([]);
    expect((await h.ledger.list({ limit: 1 })).items[0]).toMatchObject({ status: "failed", error_type: "invalid_response" });
  });
});
