// Worker thread making thumbnails, so decoding a 4K picture never blocks the daemon's event loop.
import { readFileSync } from "node:fs";
import { makeThumbnail } from "./codec.ts";

declare const self: Worker;

/** A thumbnail request from the daemon: the picture's path. */
export type ThumbnailRequest = { id: number; path: string; maxSide: number };
/** Its answer: the WebP bytes and size, or the failure's message. */
export type ThumbnailAnswer = { id: number; webp: Uint8Array; width: number; height: number } | { id: number; error: string };

self.onmessage = async (event: MessageEvent<ThumbnailRequest>) => {
  const { id, path, maxSide } = event.data;
  try {
    const made = await makeThumbnail(new Uint8Array(readFileSync(path)), maxSide);
    self.postMessage({ id, ...made } satisfies ThumbnailAnswer, [made.webp.buffer]);
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies ThumbnailAnswer);
  }
};
