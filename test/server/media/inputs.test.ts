// Input images through the media endpoints: memory per request and per queue is capped (413), each file is
// read once, and files that are not plain files are a 400 naming the field, never a 500 or a hung daemon.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { createApp } from "../../../server/app.ts";
import { ConfigStore } from "../../../server/config/store.ts";
import { openDatabase } from "../../../server/ledger/database.ts";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import { MAX_INPUT_MIB_PER_REQUEST } from "../../../server/defaults.ts";
import { memoryLogger } from "../../../server/log.ts";
import { MediaService } from "../../../server/media/service.ts";
import { SqliteTokenStore } from "../../../server/tokens/store.ts";
import { TokenService } from "../../../server/tokens/service.ts";
import { makePng } from "../../fakes/media.ts";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, tempDir } from "../../helpers.ts";

/** Bytes of each input file, and the queue's cap: two such jobs fit, a third does not. */
const FILE_BYTES = 100_000;
const QUEUE_CAP = 250_000;

let fake: FakeClacky;
let dir: ReturnType<typeof tempDir>;
let app: ReturnType<typeof createApp>;
let ledger: SqliteLedger;
let close: () => void;

beforeAll(() => {
  fake = startFakeClacky();
  fake.slowMs = 400;
  dir = tempDir();
  const dataDir = join(dir.path, "data");
  mkdirSync(dataDir);
  const once = { max_attempts: 1 };
  writeFileSync(join(dataDir, "config.yml"), stringify({ ...clackyConfig(fake.url, fake.key), jobs: { image: once, video: once, audio: once } }));
  const config = ConfigStore.open(dataDir);
  const db = openDatabase(join(dataDir, "mediagen.db"));
  ledger = new SqliteLedger(db);
  const log = memoryLogger();
  const media = new MediaService({ config, ledger, log, pollIntervalSeconds: 0.01, maxQueuedInputBytes: QUEUE_CAP });
  app = createApp({ config, ledger, media, tokens: new TokenService(new SqliteTokenStore(db)), log, version: "test", startedAt: Date.now(), bindHost: "127.0.0.1" });
  close = () => db.close();
});
afterAll(async () => {
  close();
  dir[Symbol.dispose]();
  await fake.close();
});

async function post(path: string, body: unknown) {
  const response = await app.handle(
    new Request(`http://127.0.0.1:7070${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** A PNG padded to `bytes` (the fake never looks past the header). */
function pngFile(name: string, bytes = FILE_BYTES): string {
  const path = join(dir.path, name);
  writeFileSync(path, makePng(4, 4));
  truncateSync(path, bytes);
  return path;
}

describe("input images per request", () => {
  test("one 19 MB file named 16 times is a 413 naming the field, with no ledger row and no upstream call", async () => {
    const path = pngFile("big.png", 19_000_000);
    const before = fake.requests.length;
    const { status, body } = await post("/api/media/image", { prompt: "edit", images: Array(16).fill(path) });
    expect(status).toBe(413);
    expect(body.error_type).toBe("payload_too_large");
    expect(body.field).toMatch(/^images\[\d+\]$/);
    expect(body.error).toContain(`${MAX_INPUT_MIB_PER_REQUEST} MiB`);
    expect(body.success).toBe(false);
    expect(body.image).toBeNull();
    expect(fake.requests.length).toBe(before);
    expect((await ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
  });

  test.each([["/proc/self/mem"], ["/proc/self/status"], ["/dev/zero"]])("%s as an input is a 400 naming the field", async (path) => {
    const { status, body } = await post("/api/media/image", { prompt: "edit", images: [pngFile("ok.png"), path] });
    expect(status).toBe(400);
    expect(body.error_type).toBe("invalid_argument");
    expect(body.field).toBe("images[1]");
  });

  test("a FIFO as the first frame of a video is a 400 at once, the daemon not blocked", async () => {
    const fifo = join(dir.path, "frame.png");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const { status, body } = await post("/api/media/video", { prompt: "waves", image: fifo });
    expect(status).toBe(400);
    expect(body.field).toBe("image");
    expect(body.error).toContain("named pipe");
  });
});

describe("input images held by the queue", () => {
  test("past the cap a request is a 413; once jobs finish their bytes are free again", async () => {
    const first = await post("/api/media/image", { prompt: "[[fake:slow]] one", images: [pngFile("a.png")], async: true });
    const second = await post("/api/media/image", { prompt: "[[fake:slow]] two", image: pngFile("b.png"), async: true });
    expect([first.status, second.status]).toEqual([202, 202]);

    const refused = await post("/api/media/image", { prompt: "three", images: [pngFile("c.png")], async: true });
    expect(refused.status).toBe(413);
    expect(refused.body.error_type).toBe("payload_too_large");
    expect(refused.body.field).toBe("images");
    expect(refused.body.error).toContain("Retry when");
    // A request without inputs is not held back by the inputs of others.
    expect((await post("/api/media/image", { prompt: "no inputs", async: true })).status).toBe(202);

    for (let i = 0; i < 100 && (await ledger.list({ status: "succeeded" })).items.length < 3; i++) await Bun.sleep(50);
    expect((await ledger.list({ status: "succeeded" })).items).toHaveLength(3);
    const again = await post("/api/media/image", { prompt: "three", images: [pngFile("c.png")] });
    expect(again.status).toBe(200);
  });

  test("concurrent requests that together pass the queue cap are 413s before their files are read", async () => {
    const held = await post("/api/media/image", { prompt: "[[fake:slow]] holds 200 KB", images: [pngFile("held.png", 200_000)], async: true });
    expect(held.status).toBe(202);
    // Zeros: a file that was read would be a 400 "not a PNG"; a 413 proves it was refused unread.
    const zeros = Array.from({ length: 4 }, (_, i) => {
      const path = join(dir.path, `zeros${i}.png`);
      writeFileSync(path, "");
      truncateSync(path, FILE_BYTES);
      return path;
    });
    const answers = await Promise.all(zeros.map((path, i) => post(i % 2 ? "/api/media/video" : "/api/media/image", { prompt: "refused", image: path })));
    for (const answer of answers) {
      expect(answer.status).toBe(413);
      expect(answer.body.error_type).toBe("payload_too_large");
      expect(answer.body.field).toBe("image");
    }
    const succeeded = async () => (await ledger.list({ status: "succeeded" })).items.some((item) => item.id === held.body.id);
    for (let i = 0; i < 100 && !(await succeeded()); i++) await Bun.sleep(50);
    expect(await succeeded()).toBe(true);
  });

  test("nothing stays reserved after requests refused once their files were read, nor after a replay", async () => {
    const input = pngFile("refused.png");
    for (let i = 0; i < 3; i++) {
      const refused = await post("/api/media/image", { prompt: "refused after reading", images: [input], output_dir: "relative/folder" });
      expect(refused.status).toBe(400);
      expect(refused.body.field).toBe("output_dir");
    }
    const first = await post("/api/media/image", { prompt: "replayed", images: [input], idempotency_key: "replay-1" });
    const replay = await post("/api/media/image", { prompt: "replayed", images: [input], idempotency_key: "replay-1" });
    expect([first.status, replay.status]).toEqual([200, 200]);
    expect(replay.body.id).toBe(first.body.id);
    // The whole cap is free again: one request of exactly 250 KB is accepted.
    const full = await post("/api/media/image", { prompt: "the whole cap", images: [pngFile("full.png", QUEUE_CAP)] });
    expect(full.status).toBe(200);
  });

  test("the same file named twice in one request is held once", async () => {
    const path = pngFile("twice.png", 120_000);
    const { status } = await post("/api/media/image", { prompt: "[[fake:slow]] twice", images: [path, path], async: true });
    expect(status).toBe(202);
    // 120 KB held (not 240 KB): another 120 KB job still fits under the 250 KB cap.
    expect((await post("/api/media/image", { prompt: "[[fake:slow]] other", images: [pngFile("other.png", 120_000)], async: true })).status).toBe(202);
    for (let i = 0; i < 100 && (await ledger.list({ status: "succeeded" })).items.length < 6; i++) await Bun.sleep(50);
  });
});
