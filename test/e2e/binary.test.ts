// The built executable, copied alone into an empty folder and started from there, driven with the
// real curl exactly as the media-gen skill writes its requests, against the fake openclacky gateway.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import pkg from "../../package.json" with { type: "json" };
import { imageSize } from "../../server/formats/media-bytes.ts";
import { makePng } from "../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../fakes/openclacky.ts";
import { clackyConfig, tempDir } from "../helpers.ts";
import {
  BUILD_TIMEOUT_MS,
  cleanEnv,
  curl,
  getJson,
  PNG_SIGNATURE,
  pngSize,
  postAnswer,
  poll,
  postJson,
  prepareExecutable,
  REPO_ROOT,
  savedBytes,
  savedName,
  speechWav,
  startDaemon,
  type Daemon,
} from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;
const IMAGE_NAME = savedName("img", "png");
const VIDEO_NAME = savedName("vid", "mp4");
const SPEECH_NAME = savedName("tts", "wav");

const root = tempDir("mediagen-e2e-binary-");
const runDir = join(root.path, "run");
const dataDir = join(root.path, "data");
const workspace = join(root.path, "workspace");
const home = join(root.path, "home");
let binary = "";
let fake: FakeClacky;
let daemon: Daemon;
/** Ids returned by every generation request, in order, to check against the ledger. */
const generated: { id: string; type: string; status: string }[] = [];

beforeAll(async () => {
  const started = performance.now();
  ({ binary } = await prepareExecutable(root.path));
  console.log(`e2e: executable ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  expect(readdirSync(runDir)).toEqual(["mediagen"]);
  mkdirSync(workspace, { recursive: true });
  mkdirSync(home, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  fake = startFakeClacky();
  writeFileSync(join(dataDir, "config.yml"), stringify(clackyConfig(fake.url, fake.key)), { mode: 0o600 });
  daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir, env: cleanEnv({ HOME: home }) });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await daemon?.stop("SIGTERM").catch(() => daemon.dispose());
  await fake?.close();
  root[Symbol.dispose]();
});

describe("the executable, started from an empty folder", () => {
  test("--version prints the package version and --help the usage", () => {
    const version = Bun.spawnSync([binary, "--version"], { cwd: runDir, env: cleanEnv({ HOME: home }) });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.toString().trim()).toBe(`mediagen ${pkg.version}`);

    const help = Bun.spawnSync([binary, "--help"], { cwd: runDir, env: cleanEnv({ HOME: home }) });
    expect(help.exitCode).toBe(0);
    const text = help.stdout.toString();
    expect(text).toContain("Usage:");
    for (const flag of ["--host", "--port", "--data-dir", "--version", "--help"]) expect(text).toContain(flag);

    const wrong = Bun.spawnSync([binary, "--bogus"], { cwd: runDir, env: cleanEnv({ HOME: home }) });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr.toString()).toContain("--bogus");
  });

  test("mediagen prices says how each configured model is priced, without a daemon; --json is the API's body", () => {
    const text = Bun.spawnSync([binary, "prices", "--data-dir", dataDir], { cwd: runDir, env: cleanEnv({ HOME: home }) });
    expect(text.exitCode).toBe(0);
    expect(text.stdout.toString()).toContain("openclacky/or-gpt-image-2: stated by the provider with each answer");
    const json = Bun.spawnSync([binary, "prices", "--json", "--all", "--data-dir", dataDir], { cwd: runDir, env: cleanEnv({ HOME: home }) });
    const list = JSON.parse(json.stdout.toString());
    expect(list.configured.map((m: { provider: string }) => m.provider)).toContain("openclacky");
    expect(list.catalog.length).toBeGreaterThan(10);
  });

  test("GET /api/media/types reports the configured model of each type", async () => {
    const response = await getJson(`${daemon.url}/api/media/types`);
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({
      image: { configured: true, model: "or-gpt-image-2", provider: "openclacky", name: "img" },
      video: { configured: true, model: "or-veo-3-1", provider: "openclacky", name: "vid" },
      audio: { configured: true, model: "or-tts-gemini-2-5-flash", provider: "openclacky", name: "tts" },
    });
  });

  test(
    "generates an image with the skill's own .sh script",
    async () => {
      const prompt = "A clean, modern hero illustration for a tech startup landing page. Soft gradient background, minimal style.";
      // Verbatim shape of the skill's Step 2 request, written to a .sh file as the skill advises.
      const script = join(workspace, "gen.sh");
      writeFileSync(
        script,
        [
          "curl -s -X POST http://${CLACKY_SERVER_HOST}:${CLACKY_SERVER_PORT}/api/media/image \\",
          '-H "Content-Type: application/json" \\',
          "-d '{",
          `"prompt": "${prompt}",`,
          '"aspect_ratio": "landscape",',
          `"output_dir": "'"$(pwd)"'"`,
          "}'",
          "",
        ].join("\n"),
      );
      const run = Bun.spawn(["bash", script], {
        cwd: workspace,
        env: cleanEnv({ CLACKY_SERVER_HOST: "127.0.0.1", CLACKY_SERVER_PORT: String(daemon.port) }),
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, code] = await Promise.all([new Response(run.stdout).text(), run.exited]);
      expect(code).toBe(0);
      const body = JSON.parse(stdout) as Record<string, any>;

      expect(body).toMatchObject({
        success: true,
        model: "or-gpt-image-2",
        provider: "openclacky",
        prompt,
        aspect_ratio: "landscape",
        size: "1536x1024",
        usage: { prompt_tokens: 50, completion_tokens: 4500, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 4550 },
        cost_usd: 0.04,
      });
      const path = String(body.image);
      const bytes = savedBytes(path, join(workspace, "assets", "generated"), IMAGE_NAME);
      expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(pngSize(bytes)).toEqual({ width: 1536, height: 1024 });
      expect(fake.requests.at(-1)?.body).toMatchObject({ model: "or-gpt-image-2", size: "1536x1024", prompt });
      generated.push({ id: String(body.id), type: "image", status: "succeeded" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "edits a local image file given by path, leaving the file untouched",
    async () => {
      const inputDir = join(workspace, "inputs");
      mkdirSync(inputDir, { recursive: true });
      const input = join(inputDir, "input.png");
      const original = makePng(64, 48, [200, 30, 30]);
      writeFileSync(input, original);
      const past = new Date(Date.now() - 3_600_000);
      utimesSync(input, past, past);
      const before = statSync(input);

      // The skill's edit example passes no output_dir: the result lands beside the input file.
      const { body } = await postAnswer(`${daemon.url}/api/media/image`, {
        prompt: "change the background to a starry night sky, keep the cat unchanged",
        image: input,
      }, 200);
      expect(body).toMatchObject({ success: true, provider: "openclacky", model: "or-gpt-image-2", aspect_ratio: "landscape" });
      const path = String(body.image);
      expect(path).not.toBe(input);
      expect([...savedBytes(path, join(inputDir, "assets", "generated"), IMAGE_NAME).subarray(0, 8)]).toEqual(PNG_SIGNATURE);

      const after = statSync(input);
      expect(Buffer.from(readFileSync(input)).equals(Buffer.from(original))).toBe(true);
      expect(after.mtimeMs).toBe(before.mtimeMs);
      expect(after.size).toBe(before.size);
      expect(readdirSync(inputDir).sort()).toEqual(["assets", "input.png"]);

      const sent = fake.requests.at(-1)!;
      expect(sent.path).toEndWith("/images/generations");
      expect(sent.body.images).toEqual([`data:image/png;base64,${Buffer.from(original).toString("base64")}`]);
      generated.push({ id: String(body.id), type: "image", status: "succeeded" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "generates a video",
    async () => {
      const prompt = "A cinematic drone shot flying over a misty mountain range at sunrise, golden light, 4K.";
      const { body } = await postAnswer(`${daemon.url}/api/media/video`, {
        prompt,
        aspect_ratio: "landscape",
        duration_seconds: 8,
        output_dir: workspace,
      }, 200);
      expect(body).toMatchObject({
        success: true,
        model: "or-veo-3-1",
        provider: "openclacky",
        prompt,
        aspect_ratio: "landscape",
        duration_seconds: 8,
        cost_usd: 2.688,
      });
      const path = String(body.video);
      const bytes = savedBytes(path, join(workspace, "assets", "generated"), VIDEO_NAME);
      expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe("ftyp");
      generated.push({ id: String(body.id), type: "video", status: "succeeded" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "synthesises speech through the gateway as 24 kHz mono 16-bit WAV",
    async () => {
      const input = "Hello and welcome to openclacky. Today we will explore...";
      const { body } = await postAnswer(`${daemon.url}/api/media/audio/speech`, { input, voice: "Kore", output_dir: workspace }, 200);
      expect(body).toMatchObject({
        success: true,
        model: "or-tts-gemini-2-5-flash",
        provider: "openclacky",
        input,
        voice: "Kore",
        mime_type: "audio/wav",
        usage: { prompt_tokens: 13, completion_tokens: 122, total_tokens: 135 },
        cost_usd: 0.000259,
      });
      const path = String(body.audio);
      const bytes = savedBytes(path, join(workspace, "assets", "generated"), SPEECH_NAME);
      const wav = speechWav(bytes);
      expect(wav.durationSeconds).toBeCloseTo(1.5, 2);
      generated.push({ id: String(body.id), type: "audio", status: "succeeded" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "an upstream 401 is a 502 auth_required with the seed's failure shape",
    async () => {
      const prompt = "A lighthouse at dusk [[fake:401]]";
      const { body, text } = await postAnswer(`${daemon.url}/api/media/image`, { prompt, output_dir: workspace }, 502);
      expect(body).toMatchObject({
        success: false,
        image: null,
        error_type: "auth_required",
        model: "or-gpt-image-2",
        provider: "openclacky",
        prompt,
      });
      expect("image" in body).toBe(true);
      expect(String(body.error)).toContain("401");
      expect(text).not.toContain(fake.key);
      generated.push({ id: String(body.id), type: "image", status: "failed" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "GET /api/generations lists one row per generation, and /:id/file serves its bytes with Range",
    async () => {
      expect(generated).toHaveLength(5);
      const response = await getJson(`${daemon.url}/api/generations`);
      expect(response.status).toBe(200);
      type Row = { id: string; type: string; status: string; output_path: string | null };
      const page = response.json<{ items: Row[]; next_cursor: string | null }>();
      expect(page.next_cursor).toBeNull();
      // Newest first.
      expect(page.items.map(({ id, type, status }) => ({ id, type, status }))).toEqual([...generated].reverse());

      const image = page.items.find((item) => item.id === generated[0]!.id)!;
      const onDisk = new Uint8Array(readFileSync(image.output_path!));
      const fileUrl = `${daemon.url}/api/generations/${image.id}/file`;

      const whole = join(root.path, "whole.bin");
      const full = await curl(["-s", "-o", whole, fileUrl]);
      expect(full.status).toBe(200);
      expect(new Uint8Array(readFileSync(whole))).toEqual(onDisk);

      const part = join(root.path, "part.bin");
      const headers = join(root.path, "part.headers");
      const ranged = await curl(["-s", "-o", part, "-D", headers, "-H", "Range: bytes=0-99", fileUrl]);
      expect(ranged.status).toBe(206);
      expect(new Uint8Array(readFileSync(part))).toEqual(onDisk.subarray(0, 100));
      const headerText = readFileSync(headers, "utf8").toLowerCase();
      expect(headerText).toContain(`content-range: bytes 0-99/${onDisk.length}`);
      expect(headerText).toContain("content-type: image/png");

      const failed = generated[4]!;
      const none = await getJson(`${daemon.url}/api/generations/${failed.id}/file`);
      expect(none.status).toBe(404);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "makes a WebP thumbnail of the first image with the WASM codecs inside the executable",
    async () => {
      const image = generated[0]!;
      const record = await poll(async () => {
        const answer = (await (await fetch(`${daemon.url}/api/generations/${image.id}`)).json()) as { has_thumbnail?: boolean };
        return answer.has_thumbnail === true ? answer : undefined;
      }, 20_000, "the thumbnail of the first image");
      expect(record.has_thumbnail).toBe(true);
      const thumbnail = await fetch(`${daemon.url}/api/generations/${image.id}/thumbnail`);
      expect(thumbnail.status).toBe(200);
      expect(thumbnail.headers.get("content-type")).toBe("image/webp");
      const bytes = new Uint8Array(await thumbnail.arrayBuffer());
      expect(imageSize(bytes)).toEqual({ width: 512, height: 341 });
      expect(existsSync(join(dataDir, "thumbnails", `${image.id}.webp`))).toBe(true);
      expect(daemon.stdout()).not.toContain("no thumbnail");
    },
    TEST_TIMEOUT_MS,
  );

  test("the request and generation lines are on stdout, without the api key", () => {
    const out = daemon.stdout();
    expect(out).toMatch(/POST \/api\/media\/image 200 \d+ms/);
    expect(out).toMatch(/POST \/api\/media\/image 502 \d+ms/);
    expect(out).toMatch(/generation video model=or-veo-3-1 provider=openclacky outcome=succeeded/);
    expect(out).not.toContain(fake.key);
  });

  test("nothing was written into the folder the executable runs from", () => {
    expect(readdirSync(runDir)).toEqual(["mediagen"]);
  });
});

describe("the executable with no config at all", () => {
  test(
    "creates config.yml (0600) and speaks offline with no key and no network",
    async () => {
      const freshData = join(root.path, "fresh", "data");
      const out = join(root.path, "fresh", "workspace");
      mkdirSync(out, { recursive: true });
      expect(existsSync(freshData)).toBe(false);

      // Any outbound HTTP(S) the daemon tried would go through this proxy and be counted.
      let proxied = 0;
      const trap = Bun.listen({
        hostname: "127.0.0.1",
        port: 0,
        socket: {
          open(socket) {
            proxied++;
            socket.end();
          },
          data() {},
        },
      });
      const proxy = `http://127.0.0.1:${trap.port}`;
      const env = cleanEnv({ HOME: home, HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, ALL_PROXY: proxy });
      delete env.NO_PROXY;
      delete env.no_proxy;
      const offline = await startDaemon({ cmd: [binary], cwd: runDir, dataDir: freshData, env });
      try {
        const config = join(freshData, "config.yml");
        expect(existsSync(config)).toBe(true);
        expect(statSync(config).mode & 0o777).toBe(0o600);

        const types = (await getJson(`${offline.url}/api/media/types`)).json();
        expect(types.image).toEqual({ configured: false });
        expect(types.video).toEqual({ configured: false });
        expect(types.audio).toMatchObject({ configured: true, provider: "local" });

        const input = "Hello and welcome. This sentence is spoken without any network.";
        const { body } = await postAnswer(`${offline.url}/api/media/audio/speech`, { input, voice: "Kore", output_dir: out }, 200);
        expect(body).toMatchObject({ success: true, provider: "local", input, mime_type: "audio/wav", cost_usd: 0 });
        const path = String(body.audio);
        const bytes = savedBytes(path, join(out, "assets", "generated"), SPEECH_NAME);

        const wav = speechWav(bytes);
        expect(wav.dataOffset + wav.dataBytes).toBe(bytes.length);
        expect(wav.durationSeconds).toBeGreaterThan(1);

        const row = (await getJson(`${offline.url}/api/generations/${body.id}`)).json();
        expect(row).toMatchObject({ status: "succeeded", provider: "local", mime_type: "audio/wav", bytes: bytes.length, cost_usd: 0 });
        expect(row.duration_seconds).toBeCloseTo(wav.durationSeconds, 3);

        const image = await postJson(`${offline.url}/api/media/image`, { prompt: "a cat", output_dir: out });
        expect(image.status).toBe(422);
        expect(image.json()).toMatchObject({ success: false, image: null, error_type: "not_configured" });

        expect(await offline.stop("SIGTERM")).toBe(0);
        expect(proxied).toBe(0);
      } finally {
        await offline.dispose();
        trap.stop(true);
      }
    },
    TEST_TIMEOUT_MS,
  );
});

/** Whether this machine lets a process hide a folder in a mount namespace of its own (root on Linux). */
function canHideFolders(): boolean {
  const probe = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount -t tmpfs none "$0"', REPO_ROOT], { stderr: "ignore" });
  return probe.exitCode === 0;
}

describe.if(canHideFolders())("the executable on a machine without this checkout", () => {
  test(
    "its workers (offline speech, thumbnails) load from inside the executable, not from the build's source files",
    async () => {
      const data = join(root.path, "hidden", "data");
      const out = join(root.path, "hidden", "workspace");
      mkdirSync(data, { recursive: true });
      mkdirSync(out, { recursive: true });
      writeFileSync(join(data, "config.yml"), stringify({ ...clackyConfig(fake.url, fake.key), models: [...clackyConfig(fake.url, fake.key).models.filter((m) => m.type !== "audio"), { name: "offline", type: "audio", provider: "local", model: "flite" }] }), { mode: 0o600 });
      // The checkout is covered by an empty tmpfs in the daemon's own mount namespace: what it loads must come from the executable.
      const hide = ["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount -t tmpfs none "$0" && exec "$@"', REPO_ROOT, binary];
      const hidden = await startDaemon({ cmd: hide, cwd: runDir, dataDir: data, env: cleanEnv({ HOME: home }) });
      try {
        const speech = await postAnswer(`${hidden.url}/api/media/audio/speech`, { input: "Spoken from inside the executable.", output_dir: out }, 200);
        expect(speech.body).toMatchObject({ success: true, provider: "local" });
        const image = await postAnswer(`${hidden.url}/api/media/image`, { prompt: "a cat", output_dir: out }, 200);
        const id = String(image.body.id);
        await poll(async () => ((await (await fetch(`${hidden.url}/api/generations/${id}`)).json()) as { has_thumbnail?: boolean }).has_thumbnail || undefined, 20_000, "the thumbnail");
        expect((await fetch(`${hidden.url}/api/generations/${id}/thumbnail`)).headers.get("content-type")).toBe("image/webp");
        expect(hidden.stdout()).not.toContain("ModuleNotFound");
      } finally {
        await hidden.stop("SIGTERM").catch(() => hidden.dispose());
      }
    },
    TEST_TIMEOUT_MS,
  );
});
