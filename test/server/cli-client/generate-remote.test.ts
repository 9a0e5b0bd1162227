// mediagen image|speak against a daemon treated as another machine's (MEDIAGEN_DELIVERY=download; a real app served on
// loopback): input files sent as bytes, the result downloaded into --out under the current folder, byte-identical to
// the daemon's copy in its output store; a failed download names the generation and its download_url and exits 1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { DaemonClient } from "../../../server/client/daemon-client.ts";
import { DownloadFailed, downloadResult } from "../../../server/client/download.ts";
import { storeDir } from "../../../server/media/output-files.ts";
import type { MediaResponse } from "../../../server/media/schema.ts";
import { makePng } from "../../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";
import { run, serveApp } from "./helpers.ts";

let fake: FakeClacky;
let h: Harness;
let daemon: ReturnType<typeof serveApp>;
/** The same app, except that every file download fails. */
let broken: ReturnType<typeof serveApp>;
const REMOTE = { MEDIAGEN_DELIVERY: "download" };

beforeAll(() => {
  fake = startFakeClacky();
  h = createHarness({ config: clackyConfig(fake.url, fake.key) });
  mkdirSync(h.workDir, { recursive: true });
  daemon = serveApp((request) => h.app.handle(request));
  broken = serveApp((request) => (new URL(request.url).pathname.endsWith("/file") ? Promise.resolve(Response.json({ error: "gone" }, { status: 503 })) : h.app.handle(request)));
});
afterAll(async () => {
  await daemon.stop();
  await broken.stop();
  h[Symbol.dispose]();
  await fake.close();
});

const visible = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

describe("mediagen against a remote daemon", () => {
  test("--json: the record names the downloaded file under --out, byte-identical to the daemon's copy in its store", async () => {
    const input = join(h.workDir, "photo.png");
    writeFileSync(input, makePng(16, 16));
    const result = await run(daemon.url, "image", ["make it blue", "--edit", "photo.png", "--out", "renders", "--json"], { cwd: h.workDir, env: REMOTE });
    expect(result.code).toBe(0);
    const record = JSON.parse(result.out) as { id: string; image: string; daemon_path: string; download_url: string };
    expect(record.image).toStartWith(join(h.workDir, "renders", "assets", "generated", "img_"));
    const row = (await h.ledger.get(record.id))!;
    expect(row.output_path).toStartWith(storeDir(h.dataDir));
    expect(record.daemon_path).toBe(row.output_path!);
    expect(basename(record.image)).toBe(basename(row.output_path!));
    expect(record.download_url).toBe(`${daemon.url}/api/generations/${record.id}/file`);
    expect(new Uint8Array(readFileSync(record.image))).toEqual(new Uint8Array(readFileSync(row.output_path!)));
    expect(row.params).toMatchObject({ delivery: "download", caller_output_dir: join(h.workDir, "renders"), inputs: ["data-url"] });
    expect(row.door).toBe("cli");
  });

  test("text mode prints the local path on stdout", async () => {
    const result = await run(daemon.url, "speak", ["Hello from afar."], { cwd: h.workDir, env: REMOTE });
    expect(result.code).toBe(0);
    const path = result.out.trim();
    expect(path).toStartWith(join(h.workDir, "assets", "generated", "tts_"));
    expect(existsSync(path)).toBe(true);
  });

  test("a failed download exits 1 naming the generation and its download_url; the ledger keeps the result, no partial file is left", async () => {
    const out = join(h.workDir, "unlucky");
    const result = await run(broken.url, "speak", ["Lost in transit.", "--out", "unlucky", "--json"], { cwd: h.workDir, env: REMOTE });
    expect(result.code).toBe(1);
    const record = JSON.parse(result.out) as { id: string; download_url: string; download_error: string };
    expect(record).toMatchObject({ success: true, download_url: `${broken.url}/api/generations/${record.id}/file` });
    expect(record.download_error).toContain("HTTP 503");
    expect(result.err).toContain(`generation ${record.id}`);
    expect(result.err).toContain(record.download_url);
    expect(await h.ledger.get(record.id)).toMatchObject({ status: "succeeded" });
    expect(existsSync((await h.ledger.get(record.id))!.output_path!)).toBe(true);
    expect(visible(join(out, "assets", "generated"))).toEqual([]);
  });
});

describe("downloadResult", () => {
  test("never overwrites a file of the same name: the download takes a free name, the user's file is untouched", async () => {
    const client = new DaemonClient({ url: daemon.url, door: "cli", client: "test", env: REMOTE });
    const made = await client.submit("image", { prompt: "a clash" });
    const record = made.body as MediaResponse;
    const target = join(h.workDir, "clash", "assets", "generated");
    mkdirSync(target, { recursive: true });
    const taken = join(target, basename(String(record.image)));
    writeFileSync(taken, "the user's own file");
    const local = await downloadResult(client, "image", record, join(h.workDir, "clash"));
    expect(local.image).not.toBe(taken);
    expect(String(local.image)).toMatch(/\/img_\d{8}_\d{6}_[0-9a-f]{8}\.png$/);
    expect(readFileSync(taken, "utf8")).toBe("the user's own file");
    expect(new Uint8Array(readFileSync(String(local.image)))).toEqual(new Uint8Array(readFileSync(String(record.image))));
  });

  test("a generation the daemon does not know is a DownloadFailed naming it", async () => {
    const client = new DaemonClient({ url: daemon.url, door: "cli", client: "test", env: REMOTE });
    const record = { success: true, id: "no-such-id", image: "/x/img_a.png", model: "m", provider: "p" } as MediaResponse;
    let failure: unknown;
    await downloadResult(client, "image", record, join(h.workDir, "nothing")).catch((error: unknown) => {
      failure = error;
    });
    expect(failure).toBeInstanceOf(DownloadFailed);
    expect((failure as DownloadFailed).message).toContain("generation no-such-id");
    expect((failure as DownloadFailed).reason).toContain("HTTP 404");
    expect(visible(join(h.workDir, "nothing", "assets", "generated"))).toEqual([]);
  });
});

