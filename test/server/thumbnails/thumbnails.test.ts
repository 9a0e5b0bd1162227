// The thumbnailer over a real ledger and real files: pictures made small in the worker, durations read, failures
// recorded (the UI then shows the full file) and never thrown, and results saved before thumbnails existed backfilled.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { imageSize } from "../../../server/formats/media-bytes.ts";
import { openDatabase } from "../../../server/ledger/database.ts";
import { SqliteLedger } from "../../../server/ledger/ledger.ts";
import type { MediaType } from "../../../server/config/schema.ts";
import { memoryLogger } from "../../../server/log.ts";
import { NO_POSTER, Thumbnails } from "../../../server/thumbnails/thumbnails.ts";
import { makeMp3, makeMp4 } from "../../fakes/media.ts";
import { tempDir } from "../../helpers.ts";
import { gradient, jpeg, png } from "./pictures.ts";

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((clean) => clean()));

/** A ledger on a temp data folder, a thumbnailer, and a way to record a saved file. */
function setup() {
  const dir = tempDir();
  const dataDir = join(dir.path, "data");
  const out = join(dir.path, "out");
  mkdirSync(out, { recursive: true });
  const db = openDatabase(join(dataDir, "mediagen.db"));
  const ledger = new SqliteLedger(db);
  const log = memoryLogger();
  const thumbnails = new Thumbnails({ dataDir, ledger, log });
  cleanups.push(async () => {
    thumbnails.close();
    await ledger.close();
    db.close();
    dir[Symbol.dispose]();
  });
  const save = async (type: MediaType, name: string, bytes: Uint8Array, mimeType: string, durationSeconds?: number) => {
    const outputPath = join(out, name);
    writeFileSync(outputPath, bytes);
    const id = (await ledger.start({ type, model: "m", provider: "p", prompt: name, params: {} }));
    await ledger.succeed(id, { outputPath, mimeType, bytes: bytes.length, durationSeconds, cost: { costUsd: null, source: "unknown" } });
    return { id, type, outputPath, mimeType };
  };
  return { dataDir, ledger, log, thumbnails, save };
}

describe("Thumbnails", () => {
  test("a 4K PNG and a JPEG get WebP thumbnails of 512 px in <data>/thumbnails", async () => {
    const { dataDir, ledger, thumbnails, save } = setup();
    const four = gradient(3840, 2160);
    const a = await save("image", "a.png", png(four), "image/png");
    const b = await save("image", "b.jpg", await jpeg(gradient(1000, 2000)), "image/jpeg");
    thumbnails.saved(a);
    thumbnails.saved(b);
    await thumbnails.idle();
    expect((await ledger.get(a.id))!.has_thumbnail).toBe(true);
    expect(imageSize(await Bun.file(join(dataDir, "thumbnails", (await ledger.thumbnail(a.id))!)).bytes())).toEqual({ width: 512, height: 288 });
    expect(imageSize(await Bun.file(join(dataDir, "thumbnails", (await ledger.thumbnail(b.id))!)).bytes())).toEqual({ width: 256, height: 512 });
  });

  test("a damaged picture, a GIF or a missing file is logged and recorded, never thrown, and not retried", async () => {
    const { ledger, log, thumbnails, save } = setup();
    const broken = await save("image", "broken.png", png(gradient(800, 600)).subarray(0, 3000), "image/png");
    const gif = await save("image", "anim.gif", new TextEncoder().encode("GIF89a........"), "image/gif");
    const gone = await save("image", "gone.png", png(gradient(10, 10)), "image/png");
    Bun.spawnSync(["rm", gone.outputPath]);
    for (const file of [broken, gif, gone]) thumbnails.saved(file);
    await thumbnails.idle();
    for (const file of [broken, gif, gone]) expect((await ledger.get(file.id))!.has_thumbnail).toBe(false);
    expect(log.lines.some((line) => line.includes(broken.id) && line.includes("History shows the full file"))).toBe(true);
    expect(log.lines.some((line) => line.includes(gone.id))).toBe(true);
    expect(await ledger.thumbnailBacklog(10)).toEqual([]);
    // The worker survives a failure: the next picture still gets its thumbnail.
    const fine = await save("image", "fine.png", png(gradient(600, 600)), "image/png");
    thumbnails.saved(fine);
    await thumbnails.idle();
    expect((await ledger.get(fine.id))!.has_thumbnail).toBe(true);
  });

  test("audio and video get the duration their provider did not report; a video has no poster frame", async () => {
    const { ledger, thumbnails, save } = setup();
    const video = await save("video", "v.mp4", makeMp4(4096, 6), "video/mp4");
    const speech = await save("audio", "s.mp3", makeMp3(2), "audio/mpeg");
    thumbnails.saved(video);
    thumbnails.saved(speech);
    await thumbnails.idle();
    expect((await ledger.get(video.id))!.duration_seconds).toBe(6);
    expect((await ledger.get(speech.id))!.duration_seconds).toBeCloseTo(2, 1);
    expect((await ledger.get(video.id))!.has_thumbnail).toBe(false);
    expect(await ledger.thumbnailBacklog(10)).toEqual([]);
    expect(NO_POSTER).toContain("video decoder");
  });

  test("backfill queues earlier results newest first, and skips those already done", async () => {
    const { dataDir, ledger, thumbnails, save } = setup();
    const old = [];
    for (const i of [0, 1, 2]) old.push(await save("image", `old${i}.png`, png(gradient(700, 400)), "image/png"));
    const duration = await save("video", "old.mp4", makeMp4(4096, 4), "video/mp4");
    expect((await ledger.thumbnailBacklog(10)).map((f) => f.id)).toEqual([duration.id, ...old.map((f) => f.id).reverse()]);
    expect(await thumbnails.backfill()).toBe(4);
    await thumbnails.idle();
    for (const file of old) expect(existsSync(join(dataDir, "thumbnails", `${file.id}.webp`))).toBe(true);
    expect(await thumbnails.backfill()).toBe(0);
  });
});
