// mediagen image|video|speak against a real app on loopback with the fake openclacky gateway: paths printed, the
// API's record with --json, the door and caller in the ledger, input files resolved, and every exit status.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inputFile } from "../../../server/cli-client/generate.ts";
import { makePng } from "../../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";
import { run, serveApp } from "./helpers.ts";

let fake: FakeClacky;
let h: Harness;
let daemon: ReturnType<typeof serveApp>;
let url = "";
beforeAll(() => {
  fake = startFakeClacky();
  h = createHarness({ config: clackyConfig(fake.url, fake.key) });
  daemon = serveApp((request) => h.app.handle(request));
  url = daemon.url;
});
afterAll(async () => {
  await daemon.stop();
  h[Symbol.dispose]();
  await fake.close();
});

const idOf = async (path: string) => (await h.ledger.list({ limit: 50 })).items.find((item) => item.output_path === path)?.id;

describe("mediagen image", () => {
  test("prints the saved file's path on stdout, saved under the current folder; recorded under door cli", async () => {
    const result = await run(url, "image", ["a", "red", "cat"], { cwd: h.workDir });
    expect(result.code).toBe(0);
    const path = result.out.trim();
    expect(path.startsWith(join(h.workDir, "assets/generated/img_"))).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(result.err).toContain("openclacky/or-gpt-image-2");
    const row = (await h.ledger.get((await idOf(path))!))!;
    expect(row).toMatchObject({ door: "cli", prompt: "a red cat" });
    expect(row.client).toStartWith("mediagen-cli/");
  });

  test("--json prints exactly the API's record of the generation", async () => {
    const result = await run(url, "image", ["a cover", "--json", "--aspect", "square"], { cwd: h.workDir });
    expect(result.code).toBe(0);
    const record = JSON.parse(result.out) as Record<string, unknown>;
    expect(record).toMatchObject({ success: true, aspect_ratio: "square", provider: "openclacky" });
    // The API's record is the stored answer plus the file's download_url, which the route adds on the way out.
    expect(record).toEqual({ ...((await h.ledger.response(String(record.id)))!.body as Record<string, unknown>), download_url: `${url}/api/generations/${record.id}/file` });
  });

  test("--out and --edit are resolved against the current folder before sending", async () => {
    writeFileSync(join(h.workDir, "in.png"), makePng(8, 8));
    const before = fake.requests.length;
    const result = await run(url, "image", ["make it blue", "--edit", "in.png", "--out", "sub", "--json"], { cwd: h.workDir });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out).image).toStartWith(join(h.workDir, "sub/assets/generated/"));
    expect(fake.requests.length).toBe(before + 1);
  });

  test("a prompt of - is read from standard input", async () => {
    const result = await run(url, "image", ["-", "--json"], { cwd: h.workDir, stdin: "a lighthouse at dusk\n" });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out).prompt).toBe("a lighthouse at dusk");
  });

  test("on a terminal a live line shows the job's state and elapsed time on stderr, then is cleared", async () => {
    fake.slowMs = 1500;
    const result = await run(url, "image", ["[[fake:slow]] a slow one"], { cwd: h.workDir, tty: true });
    fake.slowMs = 0;
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/\rimage running · openclacky\/or-gpt-image-2 · \ds/);
    expect(result.out.trim()).toStartWith(join(h.workDir, "assets/generated/"));
  });

  test("no progress line when stderr is not a terminal", async () => {
    const result = await run(url, "image", ["a quiet one"], { cwd: h.workDir, tty: false });
    expect(result.err).not.toContain("\r");
  });

  test("Ctrl-C while queued cancels the job and exits 130; while running it says the job will finish", async () => {
    const fakeOfItsOwn = startFakeClacky();
    using busy = createHarness({ config: { ...clackyConfig(fakeOfItsOwn.url, fakeOfItsOwn.key), jobs: { image: { concurrency: 1, max_attempts: 1 } } } });
    const other = serveApp((request) => busy.app.handle(request));
    const interruptOn = (word: string) => {
      let done = false;
      return (err: string, interrupt: () => void) => {
        if (!done && err.includes(word)) {
          done = true;
          interrupt();
        }
      };
    };
    try {
      const running = await run(other.url, "image", ["[[fake:slow]] holds the only slot"], { cwd: busy.workDir, tty: true, onErr: interruptOn("running") });
      expect(running.code).toBe(130);
      expect(running.err).toMatch(/interrupted; job \S+ not cancelled: .*already running/);
      const queued = await run(other.url, "image", ["waits in line"], { cwd: busy.workDir, tty: true, onErr: interruptOn("queued (position 1 in line)") });
      expect(queued.code).toBe(130);
      const id = /job (\S+) cancelled/.exec(queued.err)![1]!;
      expect((await busy.ledger.get(id))!.status).toBe("cancelled");
    } finally {
      await other.stop();
      await fakeOfItsOwn.close();
    }
  });
});

describe("mediagen video and speak", () => {
  test("video: --duration and --first-frame reach the request; the MP4's path is printed", async () => {
    writeFileSync(join(h.workDir, "frame.png"), makePng(16, 9));
    const result = await run(url, "video", ["a drone shot", "--duration", "4", "--first-frame", "frame.png", "--json"], { cwd: h.workDir });
    expect(result.code).toBe(0);
    const record = JSON.parse(result.out);
    expect(record).toMatchObject({ success: true, duration_seconds: 4 });
    expect(record.video).toEndWith(".mp4");
  });

  test("speak: --voice reaches the request; the WAV's path is printed", async () => {
    const result = await run(url, "speak", ["Hello", "there.", "--voice", "Puck"], { cwd: h.workDir });
    expect(result.code).toBe(0);
    expect(result.out.trim()).toEndWith(".wav");
    expect((await h.ledger.get((await idOf(result.out.trim()))!))!).toMatchObject({ door: "cli", type: "audio" });
  });
});

describe("exit statuses", () => {
  const cases: [string, "image" | "video" | "speak", string[], number, RegExp][] = [
    ["no prompt", "image", [], 2, /prompt is missing/],
    ["an unknown flag", "image", ["x", "--size", "9"], 2, /Unknown option "--size"/],
    ["a flag without its value", "speak", ["x", "--voice"], 2, /--voice/],
    ["an input file that does not exist", "image", ["x", "--edit", "missing.png"], 2, /no such file: .*missing\.png/],
    ["a duration the daemon refuses", "video", ["x", "--duration", "12"], 2, /duration_seconds must be from 4 to 8.*\[invalid_argument\]/],
    ["a --model that is not configured", "image", ["x", "--model", "nope"], 2, /No image model "nope" is configured.*\[invalid_argument\]/],
    ["the provider's 500", "image", ["[[fake:500]] x"], 4, /\[api_error\]/],
    ["the provider's safety refusal", "image", ["[[fake:content_filter]] x"], 4, /\[content_filtered\]/],
    ["the provider's rejected key", "speak", ["[[fake:401]] x"], 3, /\[auth_required\]/],
  ];
  test.each(cases)("%s", async (_name, command, argv, code, message) => {
    const result = await run(url, command, argv, { cwd: h.workDir });
    expect(result.err).toMatch(message);
    expect(result.code).toBe(code);
  });

  test("--json of a failure prints the API's failure body and exits like the text form", async () => {
    const result = await run(url, "image", ["[[fake:500]] x", "--json"], { cwd: h.workDir });
    expect(result.code).toBe(4);
    expect(JSON.parse(result.out)).toMatchObject({ success: false, image: null, error_type: "api_error" });
  });

  test("no model for the type: exit 3", async () => {
    using empty = createHarness({ config: { models: [] } });
    const other = serveApp((request) => empty.app.handle(request));
    try {
      const result = await run(other.url, "video", ["x"], { cwd: empty.workDir });
      expect(result.code).toBe(3);
      expect(result.err).toContain("[not_configured]");
    } finally {
      await other.stop();
    }
  });

  test("a daemon that wants a token not given: exit 3; with MEDIAGEN_TOKEN it works", async () => {
    using locked = createHarness({ config: { ...clackyConfig(fake.url, fake.key), server: { token: "tok-0123456789abcdef" } } });
    const other = serveApp((request) => locked.app.handle(request));
    try {
      expect((await run(other.url, "image", ["x"], { cwd: locked.workDir })).code).toBe(3);
      expect((await run(other.url, "image", ["x"], { cwd: locked.workDir, env: { MEDIAGEN_TOKEN: "tok-0123456789abcdef" } })).code).toBe(0);
    } finally {
      await other.stop();
    }
  });

  test("no daemon at the URL: exit 5, saying how to start one; --url wins over MEDIAGEN_URL", async () => {
    const result = await run("http://127.0.0.1:9", "image", ["x"], { cwd: h.workDir });
    expect(result.code).toBe(5);
    expect(result.err).toContain("No mediagen daemon answers at http://127.0.0.1:9");
    expect((await run("http://127.0.0.1:9", "speak", ["hi", "--url", url], { cwd: h.workDir })).code).toBe(0);
  });
});

describe("inputFile", () => {
  test("a relative path becomes absolute for a local daemon and a data: URL for a remote one", () => {
    writeFileSync(join(h.workDir, "pic.png"), makePng(2, 2));
    expect(inputFile("pic.png", h.workDir, false)).toBe(join(h.workDir, "pic.png"));
    expect(inputFile("pic.png", h.workDir, true)).toStartWith("data:image/png;base64,iVBORw0KGgo");
    expect(inputFile("data:image/png;base64,AAAA", h.workDir, false)).toBe("data:image/png;base64,AAAA");
    expect(() => inputFile("nope.png", h.workDir, false)).toThrow("no such file");
  });
});
