// How long a saved audio or video file plays, read from its headers: MP4/MOV (mvhd), WAV (data size / byte rate),
// MP3 (frames counted), FLAC (STREAMINFO). OGG and WebM are not read (undefined).
import { audioFrameLength, MPEG_SAMPLE_RATES } from "./integrity-audio.ts";
import type { ReadAt } from "./integrity.ts";
import { fourcc } from "./media-bytes.ts";

/** The most bytes of an MP3 read to count its frames (a longer file is not measured). */
const MP3_MAX_BYTES = 64 * 1048576;

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Seconds a file of `size` bytes plays, read through `read`; undefined when its format or headers do not tell. */
export function mediaDurationSeconds(size: number, read: ReadAt, mimeType: string): number | undefined {
  try {
    const seconds = DURATION_READERS[mimeType]?.(size, read);
    return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
  } catch {
    return undefined;
  }
}

/** The boxes of an ISO-BMFF stretch [from, to): type and where the box and its body start. */
function* boxes(read: ReadAt, from: number, to: number): Generator<{ type: string; start: number; body: number; end: number }> {
  let at = from;
  while (at + 8 <= to) {
    const head = read(at, 16);
    if (head.length < 8) return;
    let length = view(head).getUint32(0);
    let body = at + 8;
    if (length === 1) {
      length = Number(view(head).getBigUint64(8));
      body = at + 16;
    } else if (length === 0) length = to - at;
    if (length < 8) return;
    yield { type: fourcc(head, 4), start: at, body, end: Math.min(to, at + length) };
    at += length;
  }
}

function mp4Duration(size: number, read: ReadAt): number | undefined {
  for (const moov of boxes(read, 0, size)) {
    if (moov.type !== "moov") continue;
    for (const box of boxes(read, moov.body, moov.end)) {
      if (box.type !== "mvhd") continue;
      const head = view(read(box.body, 32));
      const version = head.getUint8(0);
      const timescale = version === 1 ? head.getUint32(20) : head.getUint32(12);
      const duration = version === 1 ? Number(head.getBigUint64(24)) : head.getUint32(16);
      return timescale > 0 ? duration / timescale : undefined;
    }
  }
  return undefined;
}

function wavDuration(size: number, read: ReadAt): number | undefined {
  let byteRate: number | undefined;
  let at = 12;
  while (at + 8 <= size) {
    const head = read(at, 20);
    const id = fourcc(head, 0);
    const length = view(head).getUint32(4, true);
    if (id === "fmt ") byteRate = view(head).getUint32(16, true);
    if (id === "data") return byteRate ? Math.min(length, size - at - 8) / byteRate : undefined;
    at += 8 + length + (length % 2);
  }
  return undefined;
}

function mp3Duration(size: number, read: ReadAt): number | undefined {
  const bytes = read(0, Math.min(size, MP3_MAX_BYTES));
  if (bytes.length < size) return undefined;
  let at = 0;
  if (fourcc(bytes, 0).startsWith("ID3")) at = 10 + (((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f));
  while (at < bytes.length && bytes[at] === 0) at += 1;
  let seconds = 0;
  for (let length = audioFrameLength(bytes, at); length !== undefined && length > 0 && at + length <= bytes.length; length = audioFrameLength(bytes, at)) {
    const b1 = bytes[at + 1]!;
    const layer = (b1 >> 1) & 0x03;
    const version = (b1 >> 3) & 0x03;
    const rate = MPEG_SAMPLE_RATES[version]?.[(bytes[at + 2]! >> 2) & 0x03];
    if (layer === 0 || !rate) return undefined;
    const samples = layer === 3 ? 384 : layer === 2 || version === 3 ? 1152 : 576;
    seconds += samples / rate;
    at += length;
  }
  return seconds || undefined;
}

function flacDuration(_size: number, read: ReadAt): number | undefined {
  const info = read(8, 18);
  if (info.length < 18) return undefined;
  const v = view(info);
  const rate = v.getUint32(10) >>> 12;
  const total = (v.getUint8(13) & 0x0f) * 2 ** 32 + v.getUint32(14);
  return rate > 0 && total > 0 ? total / rate : undefined;
}

const DURATION_READERS: Record<string, (size: number, read: ReadAt) => number | undefined> = {
  "video/mp4": mp4Duration,
  "video/quicktime": mp4Duration,
  "audio/mp4": mp4Duration,
  "audio/wav": wavDuration,
  "audio/mpeg": mp3Duration,
  "audio/flac": flacDuration,
};
