// mediagen types|history|costs|jobs and each command's --help, against a real app on loopback.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CLIENT_COMMANDS, parseArgs } from "../../../server/cli.ts";
import { EXIT, exitCodeFor } from "../../../server/cli-client/exit-codes.ts";
import { monthStart } from "../../../server/cli-client/ledger-commands.ts";
import { formatSeconds, progressLine } from "../../../server/cli-client/progress.ts";
import type { JobView } from "../../../server/media/schema.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";
import { run, serveApp } from "./helpers.ts";

let fake: FakeClacky;
let h: Harness;
let daemon: ReturnType<typeof serveApp>;
let url = "";
beforeAll(async () => {
  fake = startFakeClacky();
  h = createHarness({ config: clackyConfig(fake.url, fake.key) });
  daemon = serveApp((request) => h.app.handle(request));
  url = daemon.url;
  await run(url, "image", ["from the cli"], { cwd: h.workDir });
  await h.post("/api/media/audio/speech", { input: "from the api", output_dir: h.workDir });
});
afterAll(async () => {
  await daemon.stop();
  h[Symbol.dispose]();
  await fake.close();
});

const api = async (path: string) => (await h.call(path)).json();

describe("reading commands", () => {
  test("types lists each type's model; --json is GET /api/media/types", async () => {
    const text = await run(url, "types", []);
    expect(text.code).toBe(0);
    expect(text.out).toContain("image  openclacky/or-gpt-image-2 (img)");
    const json = await run(url, "types", ["--json"]);
    expect(JSON.parse(json.out)).toEqual(await api("/api/media/types"));
  });

  test("history filters by door; --json is the API's page", async () => {
    const text = await run(url, "history", ["--door", "cli"]);
    expect(text.code).toBe(0);
    expect(text.out).toContain("from the cli");
    expect(text.out).not.toContain("from the api");
    const json = await run(url, "history", ["--json", "--type", "audio"]);
    expect(JSON.parse(json.out)).toEqual(await api("/api/generations?type=audio"));
  });

  test("history with a bad filter is bad input (2), with the daemon's message", async () => {
    const result = await run(url, "history", ["--door", "fax"]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain("[invalid_argument]");
  });

  test("costs --month starts on the first of this month; --group-by reaches the API", async () => {
    const json = await run(url, "costs", ["--month", "--group-by", "type", "--json"]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.out);
    const expected = await api(`/api/costs/summary?from=${monthStart(new Date())}&group_by=type`);
    // `to` is "now" on each call.
    expect({ ...body, to: undefined }).toEqual({ ...expected, to: undefined });
    expect(body.total.count).toBeGreaterThanOrEqual(2);
    const text = await run(url, "costs", []);
    expect(text.out).toMatch(/generation\(s\), \$\d/);
  });

  test("jobs lists the live queue (empty here); --json is GET /api/media/jobs", async () => {
    const text = await run(url, "jobs", []);
    expect(text).toMatchObject({ code: 0, out: "" });
    expect(text.err).toContain("No jobs");
    expect(JSON.parse((await run(url, "jobs", ["--json"])).out)).toEqual({ items: [] });
  });

  test("an unexpected argument is a usage error", async () => {
    expect((await run(url, "types", ["extra"])).code).toBe(EXIT.usage);
  });
});

describe("--help", () => {
  test.each(CLIENT_COMMANDS.filter((name) => name !== "skill"))("mediagen %s --help prints its usage and exit statuses, without a daemon", async (name) => {
    const result = await run("http://127.0.0.1:9", name, ["--help"]);
    expect(result.code).toBe(0);
    expect(result.out).toStartWith(`Usage: mediagen ${name}`);
    expect(result.out).toContain("--url URL");
    expect(result.out).toContain("5 no daemon at the URL");
  });

  test("mediagen skill --help", async () => {
    const result = await run("http://127.0.0.1:9", "skill", ["--help"]);
    expect(result.code).toBe(0);
    expect(result.out).toContain("mediagen skill install");
  });
});

describe("the command line", () => {
  test("a client command and everything after it go to its own parser, --help included", () => {
    expect(parseArgs(["image", "a cat", "--aspect", "square"], {})).toEqual({ kind: "client", name: "image", argv: ["a cat", "--aspect", "square"] });
    expect(parseArgs(["video", "--help"], {})).toEqual({ kind: "client", name: "video", argv: ["--help"] });
    expect(parseArgs(["skill", "install"], {})).toEqual({ kind: "client", name: "skill", argv: ["install"] });
    // A serve flag before it is still serve's.
    expect(parseArgs(["--port", "1", "image"], {})).toMatchObject({ kind: "error" });
  });
});

describe("exit statuses by error_type", () => {
  const cases: [string | undefined, boolean, number][] = [
    ["invalid_argument", false, 2],
    ["unknown_model", true, 2],
    ["unknown_model", false, 3],
    ["not_configured", false, 3],
    ["auth_required", false, 3],
    ["unauthorized", false, 3],
    ["api_error", false, 4],
    ["timeout", false, 4],
    ["rate_limited", false, 4],
    ["budget_exceeded", false, 1],
    ["queue_full", false, 1],
    ["internal", false, 1],
    [undefined, false, 1],
  ];
  test.each(cases)("%s (--model given: %p) -> %d", (type, modelGiven, code) => {
    expect(exitCodeFor(type, { modelGiven })).toBe(code as never);
  });
});

describe("the progress line", () => {
  const job = (over: Partial<JobView>): JobView => ({
    id: "j",
    task_id: "j",
    type: "video",
    status: "queued",
    model: "veo-3.1",
    provider: "gemini",
    created_at: "",
    started_at: null,
    finished_at: null,
    attempts: [],
    prompt: "a clip",
    inputs: [],
    door: "cli",
    client: null,
    session_id: null,
    cancellable: true,
    ...over,
  });
  test("queued with its place in line, running with the provider's progress", () => {
    expect(progressLine(job({ position: 2 }), 4.2)).toBe("video queued (position 2 in line) · gemini/veo-3.1 · 4s");
    expect(progressLine(job({ status: "running", progress: 41.6 }), 62)).toBe("video running · gemini/veo-3.1 · 1m02s · 42%");
    expect(formatSeconds(-1)).toBe("0s");
  });
});
