// Thumbnails of saved results, made after the answer has gone out: a WebP of at most THUMBNAIL_MAX_SIDE_PX per
// picture in <data>/thumbnails, and the duration of audio and video the provider did not report. One worker makes
// them one at a time; a failure is logged and recorded (the UI then shows the full file), never a job's failure.
import { closeSync, openSync, readSync, renameSync, statSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { THUMBNAIL_MAX_INPUT_MIB, THUMBNAIL_MAX_SIDE_PX } from "../defaults.ts";
import { mediaDurationSeconds } from "../formats/duration.ts";
import type { Ledger, SavedFile } from "../ledger/ledger.ts";
import type { Logger } from "../log.ts";
import type { ThumbnailAnswer, ThumbnailRequest } from "./worker.ts";

/** Picture formats a thumbnail is made of; others (GIF) are shown from their full file. */
const DECODABLE = new Set(["image/png", "image/jpeg", "image/webp"]);
/** Saved results from before thumbnails existed that are queued at start, newest first. */
const BACKLOG_PER_START = 2000;
/** Why a video has no thumbnail: no H.264/H.265/VP9 decoder fits in the executable. */
export const NO_POSTER = "no poster frame: the executable carries no video decoder";

/** Where a data folder keeps its thumbnails. */
export const thumbnailsDir = (dataDir: string): string => join(dataDir, "thumbnails");

/** What the thumbnailer needs. */
export interface ThumbnailsDeps {
  dataDir: string;
  ledger: Ledger;
  log: Logger;
  /** Longest side in px; default THUMBNAIL_MAX_SIDE_PX. */
  maxSide?: number;
}

/** The worker's entry: an entry point of build.ts too, found in the executable by its path under server/. */
function spawnWorker(): Worker {
  const url = Bun.isStandaloneExecutable ? "./thumbnails/worker.ts" : new URL("./worker.ts", import.meta.url).href;
  const worker = new Worker(url);
  (worker as Worker & { unref(): void }).unref();
  return worker;
}

/** Makes thumbnails and reads durations of saved results in the background. */
export class Thumbnails {
  /** The folder thumbnails are written to. */
  readonly dir: string;
  private readonly queue: SavedFile[] = [];
  private worker: Worker | undefined;
  private running: Promise<void> | undefined;
  private nextId = 1;

  constructor(private readonly deps: ThumbnailsDeps) {
    this.dir = thumbnailsDir(deps.dataDir);
  }

  /** Queues a result just saved; returns at once. */
  saved(file: SavedFile): void {
    this.queue.push(file);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Queues the newest saved results that have no thumbnail (or duration) yet; returns how many. */
  async backfill(limit = BACKLOG_PER_START): Promise<number> {
    const files = await this.deps.ledger.thumbnailBacklog(limit);
    for (const file of files) this.saved(file);
    return files.length;
  }

  /** Resolves once the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops the worker; queued files are left for the next start's backfill. */
  close(): void {
    this.queue.length = 0;
    this.worker?.terminate();
    this.worker = undefined;
  }

  private async drain(): Promise<void> {
    try {
      await this.drainQueue();
    } finally {
      // WASM memory never shrinks: a worker kept after decoding a 4K picture would hold its peak heap. A new batch
      // starts a new worker (tens of ms).
      this.worker?.terminate();
      this.worker = undefined;
    }
  }

  private async drainQueue(): Promise<void> {
    for (let file = this.queue.shift(); file; file = this.queue.shift()) {
      try {
        await this.process(file);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.deps.log.warn(`no thumbnail or duration for generation ${file.id} (${file.outputPath}): ${message}`);
        await this.deps.ledger.setThumbnail(file.id, { error: message.slice(0, 500) });
      }
    }
  }

  private async process(file: SavedFile): Promise<void> {
    const { ledger, log } = this.deps;
    if (file.type !== "image") {
      const seconds = durationOf(file);
      if (seconds !== undefined) await ledger.setDuration(file.id, seconds);
      await ledger.setThumbnail(file.id, { error: file.type === "video" ? NO_POSTER : "audio has no picture" });
      return;
    }
    const problem = !DECODABLE.has(file.mimeType)
      ? `${file.mimeType} is shown from its full file`
      : statSync(file.outputPath).size > THUMBNAIL_MAX_INPUT_MIB * 1048576
        ? `larger than ${THUMBNAIL_MAX_INPUT_MIB} MiB`
        : undefined;
    if (problem) {
      await ledger.setThumbnail(file.id, { error: problem });
      return;
    }
    try {
      const made = await this.make(file.outputPath);
      const name = `${file.id}.webp`;
      await mkdir(this.dir, { recursive: true });
      const temp = join(this.dir, `.${name}.${process.pid}.partial`);
      writeFileSync(temp, made.webp);
      renameSync(temp, join(this.dir, name));
      await ledger.setThumbnail(file.id, { name });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.warn(`no thumbnail for generation ${file.id} (${file.outputPath}): ${message}; History shows the full file`);
      await ledger.setThumbnail(file.id, { error: message.slice(0, 500) });
      await rm(join(this.dir, `.${file.id}.webp.${process.pid}.partial`), { force: true });
    }
  }

  /** Asks the worker for one thumbnail; a worker that dies is replaced on the next call. */
  private make(path: string): Promise<{ webp: Uint8Array; width: number; height: number }> {
    const worker = (this.worker ??= spawnWorker());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<ThumbnailAnswer>) => {
        if (event.data.id !== id) return;
        if ("error" in event.data) reject(new Error(event.data.error));
        else resolve(event.data);
      };
      worker.onerror = (event) => {
        worker.terminate();
        if (this.worker === worker) this.worker = undefined;
        reject(new Error(event.message || "the thumbnail worker stopped"));
      };
      worker.postMessage({ id, path, maxSide: this.deps.maxSide ?? THUMBNAIL_MAX_SIDE_PX } satisfies ThumbnailRequest);
    });
  }
}

/** The playing time of a saved audio or video file; undefined when its headers do not tell. */
function durationOf(file: SavedFile): number | undefined {
  const fd = openSync(file.outputPath, "r");
  try {
    const size = statSync(file.outputPath).size;
    return mediaDurationSeconds(size, (at, length) => {
      const out = new Uint8Array(Math.max(0, Math.min(length, size - at)));
      const n = readSync(fd, out, 0, out.length, at);
      return out.subarray(0, n);
    }, file.mimeType);
  } finally {
    closeSync(fd);
  }
}
