// The daemon as a process: graceful and forced shutdown, crash recovery, config errors and hot reload,
// its log lines, and the bearer token of a non-loopback bind. Runs from source, or MEDIAGEN_BINARY if set.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { startFakeClacky } from "../fakes/openclacky.ts";
import { clackyConfig } from "../helpers.ts";
import {
  cleanEnv,
  daemonCommand,
  daemonFixture,
  exitWithin,
  getJson,
  poll,
  pngSize,
  postJson,
  readLedger,
  type CurlResult,
  type Daemon,
} from "./daemon.ts";

const TEST_TIMEOUT_MS = 90_000;

const fixture = daemonFixture(startFakeClacky, "mediagen-e2e-life-");

/** A temp folder with `data/` (config.yml written from `config` unless undefined) and `work/`. */
function setup(config?: Record<string, unknown>) {
  const root = fixture.folder();
  const dataDir = join(root, "data");
  const workDir = join(root, "work");
  mkdirSync(workDir, { recursive: true });
  if (config) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, "config.yml"), stringify(config), { mode: 0o600 });
  }
  return { root, dataDir, workDir };
}

const launch = (dataDir: string, host?: string): Promise<Daemon> => fixture.launch({ dataDir, host });

/** A prompt with a unique marker, so the fake's request for it can be found. */
function markedPrompt(text: string): { prompt: string; marker: string } {
  const marker = `m-${crypto.randomUUID().slice(0, 8)}`;
  return { prompt: `${text} ${marker}`, marker };
}

/** Resolves once the fake gateway has received the request carrying `marker`. */
function upstreamReached(marker: string): Promise<true> {
  const received = () => fixture.fake.requests.some((r) => String(r.body.prompt ?? r.body.input ?? "").includes(marker));
  return poll(() => (received() ? true : undefined), 20_000, `the fake to receive ${marker}`);
}

/** curl that may fail without a response (connection closed by a dying daemon). */
async function settle(request: Promise<CurlResult>): Promise<CurlResult | Error> {
  return request.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

describe("shutdown", () => {
  test(
    "SIGTERM lets a running generation finish within the grace period, then exits 0",
    async () => {
      const { dataDir, workDir } = setup({ ...clackyConfig(fixture.fake.url, fixture.fake.key), server: { shutdown_grace_seconds: 10 } });
      fixture.fake.slowMs = 1500;
      const daemon = await launch(dataDir);
      const { prompt, marker } = markedPrompt("A slow lighthouse [[fake:slow]]");
      const pending = settle(postJson(`${daemon.url}/api/media/image`, { prompt, output_dir: workDir }, ["--max-time", "60"]));
      await upstreamReached(marker);

      daemon.proc.kill("SIGTERM");
      await daemon.waitForLine(/SIGTERM: no longer accepting requests; waiting up to 10 s for 1 running generation/);
      // New connections are refused while the running one finishes.
      expect(await settle(getJson(`${daemon.url}/api/health`, ["--max-time", "5"]))).toBeInstanceOf(Error);

      const outcome = await pending;
      expect(await daemon.waitExit(20_000)).toBe(0);
      expect(daemon.stdout()).toMatch(/POST \/api\/media\/image 200 \d+ms/);
      expect(daemon.stdout()).toMatch(/INFO stopped/);
      const rows = readLedger(dataDir);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "succeeded", prompt });

      // The caller that was waiting gets its answer before the daemon closes the connection.
      if (outcome instanceof Error) throw new Error(`the finished generation's request got no HTTP answer: ${outcome.message}`);
      expect(outcome.status).toBe(200);
      const body = outcome.json();
      expect(body).toMatchObject({ success: true, prompt, id: rows[0]!.id });
      expect(existsSync(String(body.image))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "SIGTERM with a 1 s grace interrupts a hanging generation and exits within seconds",
    async () => {
      const { dataDir, workDir } = setup({ ...clackyConfig(fixture.fake.url, fixture.fake.key), server: { shutdown_grace_seconds: 1 } });
      const daemon = await launch(dataDir);
      const { prompt, marker } = markedPrompt("A hanging request [[fake:hang]]");
      const pending = settle(postJson(`${daemon.url}/api/media/image`, { prompt, output_dir: workDir }, ["--max-time", "60"]));
      await upstreamReached(marker);

      const signalled = performance.now();
      daemon.proc.kill("SIGTERM");
      const code = await daemon.waitExit(15_000);
      const seconds = (performance.now() - signalled) / 1000;
      expect(code).toBe(0);
      // 1 s grace, then the abort gets up to 2 s to settle: allow slack for a slow machine.
      expect(seconds).toBeLessThan(8);
      expect(daemon.stdout()).toMatch(/1 generation\(s\) recorded as interrupted/);

      const rows = readLedger(dataDir);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "interrupted", error_type: "interrupted", prompt });

      // The waiting caller is told, not hung up on.
      const outcome = await pending;
      if (outcome instanceof Error) throw new Error(`the interrupted request got no HTTP answer: ${outcome.message}`);
      expect(outcome.status).toBe(503);
      expect(outcome.json()).toMatchObject({ success: false, image: null, error_type: "interrupted", prompt });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "after kill -9 during a generation, the next start records it as interrupted and says so",
    async () => {
      const { dataDir, workDir } = setup(clackyConfig(fixture.fake.url, fixture.fake.key));
      const first = await launch(dataDir);
      const { prompt, marker } = markedPrompt("Killed mid-flight [[fake:hang]]");
      const pending = settle(postJson(`${first.url}/api/media/image`, { prompt, output_dir: workDir }, ["--max-time", "60"]));
      await upstreamReached(marker);
      first.proc.kill("SIGKILL");
      await first.waitExit(15_000);
      expect(first.proc.signalCode).toBe("SIGKILL");
      await pending;

      const second = await launch(dataDir);
      const line = await second.waitForLine(/1 generation\(s\) left unfinished by the previous run recorded as interrupted/);
      expect(line).toContain("WARN");
      const page = (await getJson(`${second.url}/api/generations`)).json();
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({ status: "interrupted", error_type: "interrupted", prompt });
      expect(page.items[0].finished_at).not.toBeNull();
      expect(await second.stop("SIGTERM")).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("config", () => {
  const cases: { name: string; text: string; mentions: string[] }[] = [
    {
      name: "a model with an unknown type",
      text: stringify({ models: [{ type: "picture", provider: "openclacky", model: "or-gpt-image-2" }] }),
      mentions: ["models[0].type"],
    },
    {
      name: "a negative shutdown grace",
      text: stringify({ server: { shutdown_grace_seconds: -1 } }),
      mentions: ["server.shutdown_grace_seconds"],
    },
    { name: "an unknown top-level field", text: "output_dirr: /tmp\n", mentions: ['"output_dirr"'] },
    { name: "text that is not YAML", text: "models: [\n  - type: image\n", mentions: ["not valid YAML"] },
  ];

  for (const { name, text, mentions } of cases) {
    test(
      `an invalid config.yml (${name}) stops the daemon with a message naming the file and the field`,
      async () => {
        const { dataDir } = setup();
        mkdirSync(dataDir, { recursive: true });
        const file = join(dataDir, "config.yml");
        writeFileSync(file, text);
        const { cmd, cwd } = daemonCommand();
        const proc = Bun.spawn([...cmd, "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir], {
          cwd,
          env: cleanEnv(),
          stdout: "pipe",
          stderr: "pipe",
        });
        const code = await exitWithin(proc, 30_000);
        if (code === undefined) proc.kill("SIGKILL");
        const output = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
        expect(code).toBeDefined();
        expect(code).not.toBe(0);
        expect(output).toContain(file);
        for (const mention of mentions) expect(output).toContain(mention);
        expect(output).not.toContain("listening on");
        // The user's broken file is left as it was.
        expect(readFileSync(file, "utf8")).toBe(text);
      },
      TEST_TIMEOUT_MS,
    );
  }

  test(
    "an edit of config.yml is in force on the next request, without a restart",
    async () => {
      const { dataDir, workDir } = setup(clackyConfig(fixture.fake.url, fixture.fake.key));
      const daemon = await launch(dataDir);
      const before = (await getJson(`${daemon.url}/api/media/types`)).json();
      expect(before.image).toMatchObject({ configured: true, model: "or-gpt-image-2" });

      const file = join(dataDir, "config.yml");
      writeFileSync(file, stringify(clackyConfig(fixture.fake.url, fixture.fake.key, { image: "or-gemini-3-pro-image" })));
      const after = await poll(
        async () => {
          const types = (await getJson(`${daemon.url}/api/media/types`)).json();
          return types.image?.model === "or-gemini-3-pro-image" ? types : undefined;
        },
        15_000,
        "the new image model in /api/media/types",
        200,
      );
      expect(after.image).toMatchObject({ configured: true, provider: "openclacky" });
      await daemon.waitForLine(/config reloaded from .*config\.yml/);

      const { prompt, marker } = markedPrompt("A square cat");
      const response = await postJson(`${daemon.url}/api/media/image`, { prompt, aspect_ratio: "square", output_dir: workDir });
      expect(response.status).toBe(200);
      expect(response.json()).toMatchObject({ success: true, model: "or-gemini-3-pro-image", size: "1024x1024" });
      expect(pngSize(new Uint8Array(readFileSync(String(response.json().image))))).toEqual({ width: 1024, height: 1024 });
      expect(fixture.fake.requests.find((r) => String(r.body.prompt).includes(marker))?.body.model).toBe("or-gemini-3-pro-image");

      // A broken edit keeps the last good config in force and is reported by /api/health.
      writeFileSync(file, "models: [\n");
      const health = await poll(
        async () => {
          const body = (await getJson(`${daemon.url}/api/health`)).json();
          return body.config?.ok === false ? body : undefined;
        },
        15_000,
        "/api/health to report the broken config",
        200,
      );
      expect(String(health.config.error)).toContain(file);
      expect((await getJson(`${daemon.url}/api/media/types`)).json().image.model).toBe("or-gemini-3-pro-image");
      expect(await daemon.stop("SIGTERM")).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("logging", () => {
  test(
    "stdout has one line per request and per generation, and never the api key",
    async () => {
      const { dataDir, workDir } = setup(clackyConfig(fixture.fake.url, fixture.fake.key));
      const daemon = await launch(dataDir);
      // Lines before this point belong to startup (and the readiness polls of /api/health, filtered below).
      const base = daemon.stdout().split("\n").length - 1;

      expect((await getJson(`${daemon.url}/api/media/types`)).status).toBe(200);
      expect((await postJson(`${daemon.url}/api/media/image`, { prompt: "A red fox", output_dir: workDir })).status).toBe(200);
      expect((await postJson(`${daemon.url}/api/media/image`, { prompt: "A bad key [[fake:401]]", output_dir: workDir })).status).toBe(502);
      expect((await postJson(`${daemon.url}/api/media/audio/speech`, { input: "Hello there", output_dir: workDir })).status).toBe(200);
      expect((await postJson(`${daemon.url}/api/media/image`, { aspect_ratio: "square" })).status).toBe(400);
      expect((await getJson(`${daemon.url}/api/nope`)).status).toBe(404);
      expect(await daemon.stop("SIGTERM")).toBe(0);

      const lines = daemon.stdout().split("\n").slice(base).filter((line) => line !== "");
      const requests = lines
        .map((line) => /^\S+ INFO (GET|POST) (\S+) (\d{3}) (\d+)ms$/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null && match[2] !== "/api/health")
        .map((match) => `${match[1]} ${match[2]} ${match[3]}`);
      expect(requests).toEqual([
        "GET /api/media/types 200",
        "POST /api/media/image 200",
        "POST /api/media/image 502",
        "POST /api/media/audio/speech 200",
        "POST /api/media/image 400",
        "GET /api/nope 404",
      ]);
      const generations = lines.filter((line) => / generation (image|video|audio) /.test(line));
      expect(generations).toHaveLength(3);
      const image = "generation image model=or-gpt-image-2 provider=openclacky";
      expect(generations[0]).toMatch(new RegExp(`INFO ${image} outcome=succeeded cost_usd=0\\.040000 latency=\\d+ms id=\\S+$`));
      expect(generations[1]).toMatch(new RegExp(`WARN ${image} outcome=failed error_type=auth_required cost_usd=unknown latency=\\d+ms id=\\S+$`));
      expect(generations[2]).toMatch(/INFO generation audio model=or-tts-gemini-2-5-flash provider=openclacky outcome=succeeded/);

      const everything = daemon.stdout() + daemon.stderr();
      expect(everything).not.toContain(fixture.fake.key);
      expect(everything).not.toContain(fixture.fake.key.slice(4, -4));
    },
    TEST_TIMEOUT_MS,
  );
});

describe("binding a non-loopback address", () => {
  test(
    "--host 0.0.0.0 generates server.token into config.yml and then requires it",
    async () => {
      const { dataDir, workDir } = setup();
      const daemon = await launch(dataDir, "0.0.0.0");
      const file = join(dataDir, "config.yml");
      const text = readFileSync(file, "utf8");
      const token = (parse(text) as { server?: { token?: unknown } }).server?.token;
      expect(typeof token).toBe("string");
      expect(String(token).length).toBeGreaterThanOrEqual(16);
      // Written into the commented template, keeping its comments, still private to the user.
      expect(text).toContain("# mediagen configuration");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      await daemon.waitForLine(/WARN binding 0\.0\.0\.0 \(not loopback\): generated server\.token/);
      expect(daemon.stdout()).not.toContain(String(token));

      const health = await getJson(`${daemon.url}/api/health`);
      expect(health.status).toBe(200);
      expect(health.json()).toMatchObject({ ok: true, token_required: true });

      const refused = await getJson(`${daemon.url}/api/media/types`);
      expect(refused.status).toBe(401);
      expect(refused.json()).toMatchObject({ success: false, error_type: "unauthorized" });
      const wrong = await getJson(`${daemon.url}/api/media/types`, ["-H", `Authorization: Bearer ${"x".repeat(String(token).length)}`]);
      expect(wrong.status).toBe(401);
      const speechWithout = await postJson(`${daemon.url}/api/media/audio/speech`, { input: "Hello", output_dir: workDir });
      expect(speechWithout.status).toBe(401);

      const auth = ["-H", `Authorization: Bearer ${token}`];
      const types = await getJson(`${daemon.url}/api/media/types`, auth);
      expect(types.status).toBe(200);
      expect(types.json().audio).toMatchObject({ configured: true, provider: "local" });
      const speech = await postJson(`${daemon.url}/api/media/audio/speech`, { input: "Hello with a token", output_dir: workDir }, auth);
      expect(speech.status).toBe(200);
      expect(speech.json()).toMatchObject({ success: true, provider: "local", mime_type: "audio/wav" });
      expect(readLedger(dataDir)).toHaveLength(1);

      expect(await daemon.stop("SIGTERM")).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
