// The client the CLI and `mediagen mcp` use to reach a running daemon: its door and caller recorded, jobs followed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DaemonClient, DaemonUnreachable, daemonTarget } from "../../../server/client/daemon-client.ts";
import type { JobView } from "../../../server/media/schema.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";

let fake: FakeClacky;
let h: Harness;
let server: ReturnType<typeof Bun.serve>;
let client: DaemonClient;
beforeAll(() => {
  fake = startFakeClacky();
  h = createHarness({ config: clackyConfig(fake.url, fake.key) });
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => h.app.handle(request) });
  client = new DaemonClient({ url: server.url.href, door: "cli", client: "mediagen-cli/test", env: {} });
});
afterAll(async () => {
  await server.stop(true);
  h[Symbol.dispose]();
  await fake.close();
});

describe("DaemonClient", () => {
  test("the URL and token come from options, then MEDIAGEN_URL / MEDIAGEN_TOKEN, else the default port", () => {
    expect(daemonTarget({ env: {} })).toEqual({ url: "http://127.0.0.1:7070", token: undefined, downloads: false });
    expect(daemonTarget({ env: { MEDIAGEN_URL: "http://h:1/", MEDIAGEN_TOKEN: "t" } })).toEqual({ url: "http://h:1", token: "t", downloads: true });
    expect(daemonTarget({ url: "http://x:2", env: { MEDIAGEN_URL: "http://h:1" } }).url).toBe("http://x:2");
  });

  test("results are downloaded from a daemon at a non-loopback address, or when MEDIAGEN_DELIVERY=download says so", () => {
    const cases: [Record<string, string>, boolean][] = [
      [{ MEDIAGEN_URL: "http://localhost:7070" }, false],
      [{ MEDIAGEN_URL: "http://127.0.0.2:7070" }, false],
      [{ MEDIAGEN_URL: "http://[::1]:7070" }, false],
      [{ MEDIAGEN_URL: "http://10.0.0.5:7070" }, true],
      [{ MEDIAGEN_URL: "https://mediagen.example.com" }, true],
      [{ MEDIAGEN_URL: "http://127.0.0.1:7070", MEDIAGEN_DELIVERY: "download" }, true],
      [{ MEDIAGEN_URL: "http://127.0.0.1:7070", MEDIAGEN_DELIVERY: "Download " }, true],
    ];
    for (const [env, downloads] of cases) expect({ env, downloads: daemonTarget({ env }).downloads }).toEqual({ env, downloads });
  });

  test("a blocking generation is recorded under its door and client", async () => {
    const { status, body } = await client.submit("image", { prompt: "a cat", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, provider: "openclacky" });
    expect((await h.ledger.get(String(body.id)))).toMatchObject({ door: "cli", client: "mediagen-cli/test" });
  });

  test("an async job is followed to its end through its events", async () => {
    const { status, body } = await client.submit("audio", { input: "Hello there.", output_dir: h.workDir }, { async: true });
    expect(status).toBe(202);
    const states: JobView[] = [];
    const last = await client.follow(String(body.id), (job) => states.push(job));
    expect(last.status).toBe("succeeded");
    expect(last.result).toMatchObject({ success: true });
    expect(states.at(-1)!.status).toBe("succeeded");
  });

  test("errors are the API's own answers; no daemon is DaemonUnreachable saying how to start one", async () => {
    const bad = await client.submit("image", { output_dir: h.workDir });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error_type: "invalid_argument", field: "prompt" });
    const nobody = new DaemonClient({ url: "http://127.0.0.1:9", door: "mcp", client: "t", env: {} });
    const error = await nobody.health().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonUnreachable);
    expect((error as Error).message).toContain("Start one with `mediagen`");
  });
});
