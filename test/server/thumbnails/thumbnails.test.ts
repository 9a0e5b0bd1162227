// The thumbnailer over a real ledger and real files: pictures made small in the worker, durations read, failures
// recorded (the UI then shows the full file) and never thrown, and results saved before thumbnails existed backfilled.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { imageSize } from "../../../server/formats/media-bytes.ts";
import { openDatabase } from "../../../server/ledger/database.ts";
import { Ledger } from "../../../server/ledger/ledger.ts";
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
  const ledger = new Ledger(db);
  const log = memoryLogger();
  const thumbnails = new Thumbnails({ dataDir, ledger, log });
  cleanups.push(() => {
    thumbnails.close();
    ledger.close();
    db.close();
    dir[Symbol.dispose]();
  });
  const save = (type: MediaType, name: string, bytes: Uint8Array, mimeType: string, durationSeconds?: number) => {
    const outputPath = join(out, name);
    writeFileSync(outputPath, bytes);
    const id = ledger.start({ type, model: "m", provider: "p", prompt: name, params: {} });
    ledger.succeed(id, { outputPath, mimeType, bytes: bytes.length, durationSeconds, cost: { costUsd: null, source: "unknown" } });
    return { id, type, outputPath, mimeType };
  };
  return { dataDir, ledger, log, thumbnails, save };
}

describe("Thumbnails", () => {
  test("a 4K PNG and a JPEG get WebP thumbnails of 512 px in <data>/thumbnails", async () => {
    const { dataDir, ledger, thumbnails, save } = setup();
    const four = gradient(3840, 2160);
    const a = save("image", "a.png", png(four), "image/png");
    const b = save("image", "b.jpg", await jpeg(gradient(1000, 2000)), "image/jpeg");
    thumbnails.saved(a);
    thumbnails.saved(b);
    await thumbnails.idle();
    expect(ledger.get(a.id)!.has_thumbnail).toBe(true);
    expect(imageSize(await Bun.file(join(dataDir, "thumbnails", ledger.thumbnail(a.id)!)).bytes())).toEqual({ width: 512, height: 288 });
    expect(imageSize(await Bun.file(join(dataDir, "thumbnails", ledger.thumbnail(b.id)!)).bytes())).toEqual({ width: 256, height: 512 });
  });

  test("a damaged picture, a GIF or a missing file is logged and recorded, never thrown, and not retried", async () => {
    const { ledger, log, thumbnails, save } = setup();
    const broken = save("image", "broken.png", png(gradient(800, 600)).subarray(0, 3000), "image/png");
    const gif = save("image", "anim.gif", new TextEncoder().encode("GIF89a........"), "image/gif");
    const gone = save("image", "gone.png", png(gradient(10, 10)), "image/png");
    Bun.spawnSync(["rm", gone.outputPath]);
    for (const file of [broken, gif, gone]) thumbnails.saved(file);
    await thumbnails.idle();
    for (const file of [broken, gif, gone]) expect(ledger.get(file.id)!.has_thumbnail).toBe(false);
    expect(log.lines.some((line) => line.includes(broken.id) && line.includes("History shows the full file"))).toBe(true);
    expect(log.lines.some((line) => line.includes(gone.id))).toBe(true);
    expect(ledger.thumbnailBacklog(10)).toEqual([]);
    // The worker survives a failure: the next picture still gets its thumbnail.
    const fine = save("image", "fine.png", png(gradient(600, 600)), "image/png");
    thumbnails.saved(fine);
    await thumbnails.idle();
    expect(ledger.get(fine.id)!.has_thumbnail).toBe(true);
  });

  test("audio and video get the duration their provider did not report; a video has no poster frame", async () => {
    const { ledger, thumbnails, save } = setup();
    const video = save("video", "v.mp4", makeMp4(4096, 6), "video/mp4");
    const speech = save("audio", "s.mp3", makeMp3(2), "audio/mpeg");
    thumbnails.saved(video);
    thumbnails.saved(speech);
    await thumbnails.idle();
    expect(ledger.get(video.id)!.duration_seconds).toBe(6);
    expect(ledger.get(speech.id)!.duration_seconds).toBeCloseTo(2, 1);
    expect(ledger.get(video.id)!.has_thumbnail).toBe(false);
    expect(ledger.thumbnailBacklog(10)).toEqual([]);
    expect(NO_POSTER).toContain("video decoder");
  });

  test("backfill queues earlier results newest first, and skips those already done", async () => {
    const { dataDir, ledger, thumbnails, save } = setup();
    const old = [0, 1, 2].map((i) => save("image", `old${i}.png`, png(gradient(700, 400)), "image/png"));
    const duration = save("video", "old.mp4", makeMp4(4096, 4), "video/mp4");
    expect(ledger.thumbnailBacklog(10).map((f) => f.id)).toEqual([duration.id, ...old.map((f) => f.id).reverse()]);
    expect(thumbnails.backfill()).toBe(4);
    await thumbnails.idle();
    for (const file of old) expect(existsSync(join(dataDir, "thumbnails", `${file.id}.webp`))).toBe(true);
    expect(thumbnails.backfill()).toBe(0);
  });
});
