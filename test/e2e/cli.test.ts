// The CLI door through the executable, with real processes: a daemon started from the built binary against the fake
// openclacky gateway, and `mediagen image|video|speak|types|history|costs|jobs|skill` run as separate processes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makePng } from "../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../fakes/openclacky.ts";
import { clackyConfig, tempDir } from "../helpers.ts";
import { BUILD_TIMEOUT_MS, cleanEnv, formatOf, prepareExecutable, savedName, startDaemon, writeConfig, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;
const root = tempDir("mediagen-e2e-cli-");
const dataDir = join(root.path, "data");
const workspace = join(root.path, "workspace");
const home = join(root.path, "home");
let binary = "";
let fake: FakeClacky;
let daemon: Daemon;

beforeAll(async () => {
  ({ binary } = await prepareExecutable(root.path));
  mkdirSync(workspace, { recursive: true });
  mkdirSync(home, { recursive: true });
  fake = startFakeClacky();
  // No video model: `mediagen video` is "not configured".
  const config = clackyConfig(fake.url, fake.key);
  // One image at a time, so a second image waits in the queue (for Ctrl-C).
  writeConfig(dataDir, { ...config, models: config.models.filter((model) => model.type !== "video"), jobs: { image: { concurrency: 1, max_attempts: 1 } } });
  daemon = await startDaemon({ cmd: [binary], cwd: join(root.path, "run"), dataDir, env: cleanEnv({ HOME: home }) });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await daemon?.stop("SIGTERM").catch(() => daemon.dispose());
  await fake?.close();
  root[Symbol.dispose]();
});

/** Runs the executable as a client of the daemon (MEDIAGEN_URL), from the workspace folder. */
async function mediagen(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([binary, ...args], { cwd: workspace, env: cleanEnv({ HOME: home, MEDIAGEN_URL: daemon.url, ...env }), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

describe("the CLI door, through the executable", () => {
  test(
    "mediagen image saves into the current folder, prints the path, and the ledger records door cli and the CLI as caller",
    async () => {
      const result = await mediagen(["image", "a lighthouse at dusk", "--aspect", "portrait"]);
      expect(result.err).not.toContain("\r");
      expect(result.code).toBe(0);
      const path = result.out.trim();
      expect(path.startsWith(join(workspace, "assets/generated/"))).toBe(true);
      expect(path.split("/").at(-1)).toMatch(savedName("img", "png"));
      expect(formatOf(new Uint8Array(readFileSync(path)))).toBe("png");
      const page = (await (await fetch(`${daemon.url}/api/generations?door=cli`)).json()) as { items: Record<string, unknown>[] };
      expect(page.items[0]).toMatchObject({ output_path: path, door: "cli", prompt: "a lighthouse at dusk" });
      expect(String(page.items[0]!.client)).toMatch(/^mediagen-cli\//);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "--edit with a relative path and --json: the API's record on stdout",
    async () => {
      writeFileSync(join(workspace, "cat.png"), makePng(32, 32));
      const result = await mediagen(["image", "make the cat blue", "--edit", "cat.png", "--out", "edits", "--json"]);
      expect(result.code).toBe(0);
      const record = JSON.parse(result.out);
      expect(record).toMatchObject({ success: true, provider: "openclacky", prompt: "make the cat blue" });
      expect(record.image.startsWith(join(workspace, "edits/assets/generated/"))).toBe(true);
      const stored = await (await fetch(`${daemon.url}/api/generations/${record.id}`)).json();
      expect(stored).toMatchObject({ id: record.id, door: "cli", output_path: record.image });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "mediagen speak with a voice",
    async () => {
      const result = await mediagen(["speak", "Hello from the command line.", "--voice", "Puck", "--json"]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out)).toMatchObject({ success: true, voice: "Puck", mime_type: "audio/wav" });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "exit statuses: 2 bad input, 3 not configured, 4 provider failure, 5 no daemon",
    async () => {
      const bad = await mediagen(["image"]);
      expect(bad.code).toBe(2);
      const unknownFlag = await mediagen(["speak", "x", "--speed", "2"]);
      expect(unknownFlag.code).toBe(2);
      const notConfigured = await mediagen(["video", "a drone shot", "--duration", "4"]);
      expect(notConfigured.code).toBe(3);
      expect(notConfigured.err).toContain("[not_configured]");
      const provider = await mediagen(["image", "[[fake:500]] anything"]);
      expect(provider.code).toBe(4);
      expect(provider.err).toContain("[api_error]");
      const nobody = await mediagen(["types"], { MEDIAGEN_URL: "http://127.0.0.1:9" });
      expect(nobody.code).toBe(5);
      expect(nobody.err).toContain("Start one with `mediagen`");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "on a terminal (a pty via script(1)) the live line is drawn on stderr while the job waits",
    async () => {
      fake.slowMs = 2500;
      try {
        const command = `MEDIAGEN_URL=${daemon.url} ${binary} image '[[fake:slow]] slowly' 2>&1`;
        const proc = Bun.spawn(["script", "-qec", command, "/dev/null"], { cwd: workspace, env: cleanEnv({ HOME: home }), stdout: "pipe", stderr: "pipe", stdin: "ignore" });
        const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
        expect(code).toBe(0);
        expect(out).toMatch(/\rimage running · openclacky\/or-gpt-image-2 · [12]s/);
        expect(out).toContain(join(workspace, "assets/generated/img_"));
      } finally {
        fake.slowMs = 0;
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "SIGINT (Ctrl-C) while the job waits in the queue cancels it and exits 130",
    async () => {
      fake.slowMs = 3000;
      try {
        const busy = await fetch(`${daemon.url}/api/media/image`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ prompt: "[[fake:slow]] holds the only image slot", output_dir: workspace, async: true }),
        });
        expect(busy.status).toBe(202);
        const proc = Bun.spawn([binary, "image", "waits in line"], { cwd: workspace, env: cleanEnv({ HOME: home, MEDIAGEN_URL: daemon.url }), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
        // Until the daemon lists it as queued.
        for (let i = 0; i < 100; i++) {
          const jobs = (await (await fetch(`${daemon.url}/api/media/jobs`)).json()) as { items: { status: string }[] };
          if (jobs.items.some((job) => job.status === "queued")) break;
          await Bun.sleep(50);
        }
        proc.kill("SIGINT");
        const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
        expect(code).toBe(130);
        const id = /job (\S+) cancelled/.exec(err)?.[1];
        expect(id).toBeDefined();
        expect(((await (await fetch(`${daemon.url}/api/generations/${id}`)).json()) as { status: string }).status).toBe("cancelled");
      } finally {
        fake.slowMs = 0;
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "types, history, costs, jobs and --help",
    async () => {
      const types = await mediagen(["types"]);
      expect(types.code).toBe(0);
      expect(types.out).toContain("video  not configured");
      const history = await mediagen(["history", "--door", "cli", "--json"]);
      expect(history.code).toBe(0);
      expect(JSON.parse(history.out).items.length).toBeGreaterThanOrEqual(3);
      const costs = await mediagen(["costs", "--month"]);
      expect(costs.code).toBe(0);
      expect(costs.out).toMatch(/generation\(s\)/);
      // The previous test's slow image may still be running.
      const jobs = await mediagen(["jobs", "--json"]);
      expect(jobs.code).toBe(0);
      expect(Array.isArray(JSON.parse(jobs.out).items)).toBe(true);
      const help = await mediagen(["video", "--help"]);
      expect(help.code).toBe(0);
      expect(help.out).toContain("--first-frame FILE");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "skill install writes ~/.claude/skills/media-gen/SKILL.md with this daemon's port",
    async () => {
      const result = await mediagen(["skill", "install"]);
      expect(result.code).toBe(0);
      const path = join(home, ".claude/skills/media-gen/SKILL.md");
      expect(existsSync(path)).toBe(true);
      expect(readFileSync(path, "utf8")).toContain(`POST http://127.0.0.1:${daemon.port}/api/media/image`);
    },
    TEST_TIMEOUT_MS,
  );
});
