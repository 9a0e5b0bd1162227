// Whether a media file is whole: one structure check per format (PNG chunks to IEND, JPEG to EOI, RIFF sizes,
// GIF blocks, ISO-BMFF boxes, EBML sizes, lenient MP3/OGG/FLAC), so a truncated answer is never saved as success.
import { AppError } from "../errors.ts";
import { flacDefect, mp3Defect, oggDefect } from "./integrity-audio.ts";
import { allZero, fourcc, type SniffedMedia } from "./media-bytes.ts";

/**
 * What makes `bytes` of the given format an incomplete or damaged file (a truncated download, a size field
 * running past the end), as a sentence; undefined when the structure is whole. Checks structure, not pixels.
 */
export function mediaDefect(bytes: Uint8Array, mimeType: string): string | undefined {
  const check = STRUCTURE_CHECKS[mimeType];
  if (!check) return undefined;
  try {
    return check(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return `${FORMAT_NAMES[mimeType] ?? mimeType} ends inside a header: truncated`;
  }
}

/** Throws invalid_response when the sniffed media is not a complete file of its format (see mediaDefect). */
export function checkIntegrity(bytes: Uint8Array, sniffed: SniffedMedia): void {
  const defect = mediaDefect(bytes, sniffed.mimeType);
  if (defect) throw corrupt(sniffed, bytes.length, defect);
}

const corrupt = (sniffed: SniffedMedia, size: number, defect: string) =>
  new AppError("invalid_response", `Upstream returned a corrupt ${sniffed.extension.toUpperCase()} file (${size} bytes): ${defect}`);

/** Reads up to `length` bytes at offset `at` of a media file (fewer at its end). */
export type ReadAt = (at: number, length: number) => Uint8Array;

/** The formats whose structure can be checked from small windows of a file, without reading it whole. */
const WINDOWED_CHECKS: Record<string, (size: number, read: ReadAt) => string | undefined> = {
  "video/mp4": (size, read) => isoBmffDefect(size, read, "MP4"),
  "video/quicktime": (size, read) => isoBmffDefect(size, read, "MOV"),
  "video/webm": webmDefect,
};

/** Whether a format's structure is checked from windows of a file (see checkFileIntegrity); other formats are read whole. */
export const checkedInWindows = (mimeType: string): boolean => mimeType in WINDOWED_CHECKS;

/**
 * Throws invalid_response when a file of `size` bytes of a windowed format (MP4, MOV, WebM) is not complete:
 * its boxes or elements are walked by reading a few bytes at each header, so a gigabyte video is never held.
 */
export function checkFileIntegrity(size: number, read: ReadAt, sniffed: SniffedMedia): void {
  const check = WINDOWED_CHECKS[sniffed.mimeType];
  const defect = check?.(size, read);
  if (defect) throw corrupt(sniffed, size, defect);
}

/** A ReadAt over bytes in memory. */
const inMemory = (bytes: Uint8Array): ReadAt => (at, length) => bytes.subarray(at, at + length);

/** Whether every byte from `from` to `size` is zero (padding after a file's end), read a window at a time. */
function zeroFrom(size: number, read: ReadAt, from: number): boolean {
  for (let at = from; at < size; at += 65536) {
    if (!allZero(read(at, Math.min(65536, size - at)), 0)) return false;
  }
  return true;
}

type StructureCheck = (bytes: Uint8Array, view: DataView) => string | undefined;

const FORMAT_NAMES: Record<string, string> = {
  "image/png": "PNG",
  "image/jpeg": "JPEG",
  "image/webp": "WebP",
  "image/gif": "GIF",
  "video/mp4": "MP4",
  "video/quicktime": "MOV",
  "video/webm": "WebM",
  "audio/wav": "WAV",
  "audio/mpeg": "MP3",
  "audio/ogg": "OGG",
  "audio/flac": "FLAC",
};

const printable = (text: string) => /^[\x20-\x7e]{4}$/.test(text);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Signature, then every chunk inside the buffer from IHDR to IEND, with at least one IDAT. */
function pngDefect(bytes: Uint8Array, view: DataView): string | undefined {
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "its PNG signature is damaged";
  let offset = 8;
  let sawData = false;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = fourcc(bytes, offset + 4);
    if (!/^[A-Za-z]{4}$/.test(type) || length > 0x7fffffff) return `PNG has a damaged chunk header at byte ${offset}`;
    if (offset === 8 && type !== "IHDR") return `PNG starts with a ${type} chunk instead of IHDR`;
    if (offset + 12 + length > bytes.length) return `PNG ${type} chunk at byte ${offset} runs past the end of the data: truncated`;
    if (type === "IEND") return sawData ? undefined : "PNG has no IDAT (image data) chunk";
    sawData ||= type === "IDAT";
    offset += 12 + length;
  }
  return "PNG ends before its IEND chunk: truncated";
}

const isRst = (marker: number) => marker >= 0xd0 && marker <= 0xd7;

/** SOI, segments whose lengths fit, at least one SOS, and entropy-coded data that reaches an EOI (anything after EOI is ignored). */
function jpegDefect(bytes: Uint8Array, view: DataView): string | undefined {
  let offset = 2;
  let sawScan = false;
  while (offset + 2 <= bytes.length) {
    if (bytes[offset] !== 0xff) return `JPEG has a damaged marker at byte ${offset}`;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    if (marker === 0xd9) return sawScan ? undefined : "JPEG has no image data (no SOS segment before EOI)";
    if (isRst(marker) || marker === 0x01) {
      offset += 2;
      continue;
    }
    if (marker === 0xd8 || marker === 0x00) return `JPEG has a damaged marker at byte ${offset}`;
    if (offset + 4 > bytes.length) break;
    const length = view.getUint16(offset + 2);
    if (length < 2) return `JPEG has a damaged segment length at byte ${offset}`;
    if (offset + 2 + length > bytes.length) return `JPEG segment at byte ${offset} runs past the end of the data: truncated`;
    offset += 2 + length;
    if (marker !== 0xda) continue;
    sawScan = true;
    offset = endOfEntropyData(bytes, offset);
    if (offset < 0) return "JPEG ends inside its image data, before the EOI marker: truncated";
  }
  return "JPEG ends before its EOI marker: truncated";
}

/** The offset of the first marker after entropy-coded data (skipping stuffed 0xff00 and RSTn), or -1 at the end. */
function endOfEntropyData(bytes: Uint8Array, from: number): number {
  let at = bytes.indexOf(0xff, from);
  while (at >= 0 && at + 1 < bytes.length) {
    const next = bytes[at + 1]!;
    if (next !== 0x00 && next !== 0xff && !isRst(next)) return at;
    at = bytes.indexOf(0xff, at + 1);
  }
  return -1;
}

/** A RIFF chunk size written before the length was known (streamed): 0, 0xFFFFFFFF, 0x7FFFFFFF, 2000000036. */
const isPlaceholderSize = (size: number) => size === 0 || size >= 0x7000_0000;

/** The RIFF size fits in the buffer and every chunk fits in the RIFF body; the first chunk is VP8, VP8L or VP8X. */
function webpDefect(bytes: Uint8Array, view: DataView): string | undefined {
  const riffEnd = view.getUint32(4, true) + 8;
  if (bytes.length < riffEnd) return `WebP is ${bytes.length} bytes but its RIFF header declares ${riffEnd}: truncated`;
  if (!["VP8 ", "VP8L", "VP8X"].includes(fourcc(bytes, 12))) return "WebP does not start with a VP8, VP8L or VP8X chunk";
  let offset = 12;
  while (offset + 8 <= riffEnd) {
    const size = view.getUint32(offset + 4, true);
    if (offset + 8 + size > riffEnd) return `WebP ${fourcc(bytes, offset)} chunk at byte ${offset} runs past the end of the data: truncated`;
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/**
 * The RIFF size fits in the buffer, a fmt chunk precedes the data chunk, and the data chunk is complete. Sizes
 * written as placeholders by streaming encoders (OpenAI and ElevenLabs send 0xFFFFFFFF / 0x7FFFFFFF) mean
 * "to the end of the file" and are accepted.
 */
function wavDefect(bytes: Uint8Array, view: DataView): string | undefined {
  const riffSize = view.getUint32(4, true);
  const streamed = isPlaceholderSize(riffSize);
  if (!streamed && bytes.length < riffSize + 8) return `WAV is ${bytes.length} bytes but its RIFF header declares ${riffSize + 8}: truncated`;
  let offset = 12;
  let sawFormat = false;
  while (offset + 8 <= bytes.length) {
    const id = fourcc(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (!printable(id)) return `WAV has a damaged chunk header at byte ${offset}`;
    if (id === "data") {
      if (!sawFormat) return "WAV data chunk comes before its fmt chunk";
      if (isPlaceholderSize(size)) return undefined;
      if (body + size > bytes.length) return `WAV data chunk declares ${size} bytes of audio but only ${bytes.length - body} are present: truncated`;
      return undefined;
    }
    if (body + size > bytes.length) return `WAV ${id.trim()} chunk at byte ${offset} runs past the end of the data: truncated`;
    if (id === "fmt ") {
      if (size < 16) return "WAV fmt chunk is too short";
      sawFormat = true;
    }
    offset = body + size + (size % 2);
  }
  return sawFormat ? "WAV ends before its data chunk: truncated" : "WAV ends before its fmt chunk: truncated";
}

const colourTableBytes = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);

/** Header, colour table, then extension and image blocks whose sub-blocks fit, up to the 0x3B trailer. */
function gifDefect(bytes: Uint8Array): string | undefined {
  if (!/^GIF8[79]a$/.test(String.fromCharCode(...bytes.subarray(0, 6)))) return "its GIF header is damaged";
  let offset = 13 + colourTableBytes(bytes[10]!);
  let images = 0;
  while (offset < bytes.length) {
    const block = bytes[offset]!;
    if (block === 0x3b) return images > 0 ? undefined : "GIF has no image";
    if (block === 0x21) offset = skipSubBlocks(bytes, offset + 2);
    else if (block === 0x2c) {
      if (offset + 10 > bytes.length) break;
      offset = skipSubBlocks(bytes, offset + 10 + colourTableBytes(bytes[offset + 9]!) + 1);
      images += 1;
    } else return `GIF has a damaged block at byte ${offset}`;
  }
  return "GIF ends before its trailer (0x3B): truncated";
}

/** The offset after a chain of GIF data sub-blocks ended by a zero-length block; past the end when cut short. */
function skipSubBlocks(bytes: Uint8Array, from: number): number {
  let offset = from;
  while (offset < bytes.length) {
    const length = bytes[offset]!;
    offset += 1 + length;
    if (length === 0) return offset;
  }
  return bytes.length + 1;
}

/**
 * Top-level ISO BMFF boxes from ftyp to the end, each inside the data (64-bit largesize and size 0 = "to the
 * end" handled; zero padding after the last box allowed), with a moov and an mdat among them.
 */
function isoBmffDefect(total: number, read: ReadAt, name: string): string | undefined {
  const seen = new Set<string>();
  let offset = 0;
  while (offset < total) {
    if (zeroFrom(total, read, offset)) break;
    if (offset + 8 > total) return `${name} ends inside a box header at byte ${offset}: truncated`;
    const header = read(offset, 16);
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const type = fourcc(header, 4);
    if (!printable(type)) return `${name} has a damaged box header at byte ${offset}`;
    let size = view.getUint32(0);
    let headerSize = 8;
    if (size === 1) {
      if (offset + 16 > total) return `${name} ends inside a box header at byte ${offset}: truncated`;
      size = Number(view.getBigUint64(8));
      headerSize = 16;
    } else if (size === 0) size = total - offset;
    if (size < headerSize) return `${name} ${type} box at byte ${offset} has an impossible size (${size})`;
    if (offset + size > total) return `${name} ${type} box at byte ${offset} declares ${size} bytes but only ${total - offset} are present: truncated`;
    seen.add(type);
    offset += size;
  }
  if (!seen.has("moov")) return `${name} has no moov box (its track index): truncated or incomplete`;
  if (!seen.has("mdat")) return `${name} has no mdat box (its media data): truncated or incomplete`;
  return undefined;
}

/** An EBML variable-length integer at `at`: its byte length and value (undefined value = "unknown size"). */
function readVint(bytes: Uint8Array, at: number, keepMarker: boolean): { length: number; value: number | undefined } | undefined {
  const first = bytes[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (at + length > bytes.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[at + i]!;
    allOnes &&= bytes[at + i] === 0xff;
  }
  return { length, value: !keepMarker && allOnes ? undefined : value };
}

const EBML_SEGMENT = 0x18538067;
const EBML_CLUSTER = 0x1f43b675;

/**
 * EBML header, then a Segment whose children fit in the data and include a Cluster. Lenient where live
 * recorders leave sizes unknown: an unknown-size Segment runs to the end; an unknown-size child ends the check.
 */
function webmDefect(total: number, read: ReadAt): string | undefined {
  // An element header is an ID of at most 4 bytes and a size of at most 8.
  const element = (at: number) => {
    const window = read(at, 12);
    const id = readVint(window, 0, true);
    const size = id && readVint(window, id.length, false);
    return id && size ? { id: id.value!, size: size.value, body: at + id.length + size.length } : undefined;
  };
  const header = element(0);
  if (!header || header.size === undefined || header.body + header.size > total) return "WebM ends inside its EBML header: truncated";
  const segment = element(header.body + header.size);
  if (!segment) return "WebM ends after its EBML header, before its Segment: truncated";
  if (segment.id !== EBML_SEGMENT) return "WebM has no Segment after its EBML header";
  if (segment.size !== undefined && segment.body + segment.size > total)
    return `WebM Segment declares ${segment.size} bytes but only ${total - segment.body} are present: truncated`;
  const end = segment.size === undefined ? total : segment.body + segment.size;
  let offset = segment.body;
  let sawCluster = false;
  while (offset < end) {
    const child = element(offset);
    if (!child) return `WebM ends inside an element header at byte ${offset}: truncated`;
    if (child.size === undefined) return undefined;
    if (child.body + child.size > end) return `WebM element at byte ${offset} runs past the end of the data: truncated`;
    sawCluster ||= child.id === EBML_CLUSTER;
    offset = child.body + child.size;
  }
  return sawCluster ? undefined : "WebM has no Cluster (no media data): truncated or incomplete";
}

// One structure check per sniffed format.
const STRUCTURE_CHECKS: Record<string, StructureCheck> = {
  "image/png": pngDefect,
  "image/jpeg": jpegDefect,
  "image/webp": webpDefect,
  "image/gif": gifDefect,
  "video/mp4": (bytes) => isoBmffDefect(bytes.length, inMemory(bytes), "MP4"),
  "video/quicktime": (bytes) => isoBmffDefect(bytes.length, inMemory(bytes), "MOV"),
  "video/webm": (bytes) => webmDefect(bytes.length, inMemory(bytes)),
  "audio/wav": wavDefect,
  "audio/mpeg": mp3Defect,
  "audio/ogg": oggDefect,
  "audio/flac": flacDefect,
};
