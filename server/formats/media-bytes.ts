// Recognising media from its bytes: container type, file extension, image dimensions and whether the file is whole.
import { AppError } from "../errors.ts";

/** A media format recognised from its leading bytes. */
export interface SniffedMedia {
  mimeType: string;
  extension: string;
  kind: "image" | "video" | "audio";
}

const ascii = (bytes: Uint8Array, start: number, text: string) =>
  text.split("").every((char, i) => bytes[start + i] === char.charCodeAt(0));

/** Recognises PNG, JPEG, WebP, GIF, MP4/MOV, WebM, WAV, MP3, OGG and FLAC from their magic bytes. */
export function sniffMedia(bytes: Uint8Array): SniffedMedia | undefined {
  if (bytes.length < 12) return undefined;
  if (bytes[0] === 0x89 && ascii(bytes, 1, "PNG")) return { mimeType: "image/png", extension: "png", kind: "image" };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { mimeType: "image/jpeg", extension: "jpg", kind: "image" };
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WEBP")) return { mimeType: "image/webp", extension: "webp", kind: "image" };
  if (ascii(bytes, 0, "GIF8")) return { mimeType: "image/gif", extension: "gif", kind: "image" };
  if (ascii(bytes, 4, "ftyp")) {
    const quicktime = ascii(bytes, 8, "qt  ");
    return quicktime
      ? { mimeType: "video/quicktime", extension: "mov", kind: "video" }
      : { mimeType: "video/mp4", extension: "mp4", kind: "video" };
  }
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3)
    return { mimeType: "video/webm", extension: "webm", kind: "video" };
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WAVE")) return { mimeType: "audio/wav", extension: "wav", kind: "audio" };
  if (ascii(bytes, 0, "ID3") || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0))
    return { mimeType: "audio/mpeg", extension: "mp3", kind: "audio" };
  if (ascii(bytes, 0, "OggS")) return { mimeType: "audio/ogg", extension: "ogg", kind: "audio" };
  if (ascii(bytes, 0, "fLaC")) return { mimeType: "audio/flac", extension: "flac", kind: "audio" };
  return undefined;
}

/** Width and height read from a PNG, JPEG, WebP or GIF header; undefined when they cannot be read. */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = sniffMedia(bytes)?.mimeType;
  try {
    if (type === "image/png") return { width: view.getUint32(16), height: view.getUint32(20) };
    if (type === "image/gif") return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
    if (type === "image/webp") return webpSize(bytes, view);
    if (type === "image/jpeg") return jpegSize(bytes, view);
  } catch {
    return undefined;
  }
  return undefined;
}

function webpSize(bytes: Uint8Array, view: DataView) {
  if (ascii(bytes, 12, "VP8X")) {
    const width = 1 + view.getUint16(24, true) + (view.getUint8(26) << 16);
    const height = 1 + view.getUint16(27, true) + (view.getUint8(29) << 16);
    return { width, height };
  }
  if (ascii(bytes, 12, "VP8L")) {
    const bits = view.getUint32(21, true);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (ascii(bytes, 12, "VP8 ")) {
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  return undefined;
}

// JPEG start-of-frame markers that carry the dimensions (SOF0-SOF15 minus DHT, JPG and DAC).
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegSize(bytes: Uint8Array, view: DataView) {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    const length = view.getUint16(offset + 2);
    if (SOF_MARKERS.has(marker)) return { height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    offset += 2 + length;
  }
  return undefined;
}

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
  if (defect) throw new AppError("invalid_response", `Upstream returned a corrupt ${sniffed.extension.toUpperCase()} file (${bytes.length} bytes): ${defect}`);
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

const fourcc = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
const printable = (text: string) => /^[\x20-\x7e]{4}$/.test(text);
const allZero = (bytes: Uint8Array, from: number) => bytes.subarray(from).every((b) => b === 0);

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
 * Top-level ISO BMFF boxes from ftyp to the end, each inside the buffer (64-bit largesize and size 0 = "to the
 * end" handled; zero padding after the last box allowed), with a moov and an mdat among them.
 */
function isoBmffDefect(bytes: Uint8Array, view: DataView, name: string): string | undefined {
  const seen = new Set<string>();
  let offset = 0;
  while (offset < bytes.length) {
    if (allZero(bytes, offset)) break;
    if (offset + 8 > bytes.length) return `${name} ends inside a box header at byte ${offset}: truncated`;
    const type = fourcc(bytes, offset + 4);
    if (!printable(type)) return `${name} has a damaged box header at byte ${offset}`;
    let size = view.getUint32(offset);
    let header = 8;
    if (size === 1) {
      if (offset + 16 > bytes.length) return `${name} ends inside a box header at byte ${offset}: truncated`;
      size = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) size = bytes.length - offset;
    if (size < header) return `${name} ${type} box at byte ${offset} has an impossible size (${size})`;
    if (offset + size > bytes.length) return `${name} ${type} box at byte ${offset} declares ${size} bytes but only ${bytes.length - offset} are present: truncated`;
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
 * EBML header, then a Segment whose children fit in the buffer and include a Cluster. Lenient where live
 * recorders leave sizes unknown: an unknown-size Segment runs to the end; an unknown-size child ends the check.
 */
function webmDefect(bytes: Uint8Array): string | undefined {
  const element = (at: number) => {
    const id = readVint(bytes, at, true);
    const size = id && readVint(bytes, at + id.length, false);
    return id && size ? { id: id.value!, size: size.value, body: at + id.length + size.length } : undefined;
  };
  const header = element(0);
  if (!header || header.size === undefined || header.body + header.size > bytes.length) return "WebM ends inside its EBML header: truncated";
  const segment = element(header.body + header.size);
  if (!segment) return "WebM ends after its EBML header, before its Segment: truncated";
  if (segment.id !== EBML_SEGMENT) return "WebM has no Segment after its EBML header";
  if (segment.size !== undefined && segment.body + segment.size > bytes.length)
    return `WebM Segment declares ${segment.size} bytes but only ${bytes.length - segment.body} are present: truncated`;
  const end = segment.size === undefined ? bytes.length : segment.body + segment.size;
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

// MPEG audio bitrates in kbit/s by [MPEG-1 or not][layer I, II, III], indexed by the header's 4-bit bitrate index.
const MPEG_BITRATES = [
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
];
// Sample rates in Hz by the header's version bits (MPEG-2.5, reserved, MPEG-2, MPEG-1) and 2-bit rate index.
const MPEG_SAMPLE_RATES = [[11025, 12000, 8000], [], [22050, 24000, 16000], [44100, 48000, 32000]];

/** The byte length of the MPEG audio (or ADTS AAC) frame whose header is at `at`; undefined when it cannot be told. */
function audioFrameLength(bytes: Uint8Array, at: number): number | undefined {
  if (at + 7 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1]! & 0xe0) !== 0xe0) return undefined;
  const b1 = bytes[at + 1]!;
  const b2 = bytes[at + 2]!;
  const layer = (b1 >> 1) & 0x03;
  if (layer === 0) return (b1 & 0xf6) === 0xf0 ? ((bytes[at + 3]! & 0x03) << 11) | (bytes[at + 4]! << 3) | (bytes[at + 5]! >> 5) : undefined;
  const version = (b1 >> 3) & 0x03;
  const bitrate = MPEG_BITRATES[version === 3 ? 1 : 0]![3 - layer]![b2 >> 4];
  const sampleRate = MPEG_SAMPLE_RATES[version]![(b2 >> 2) & 0x03];
  if (!bitrate || !sampleRate) return undefined;
  const padding = (b2 >> 1) & 0x01;
  if (layer === 3) return (Math.floor((12 * bitrate * 1000) / sampleRate) + padding) * 4;
  const perFrame = layer === 1 && version !== 3 ? 72 : 144;
  return Math.floor((perFrame * bitrate * 1000) / sampleRate) + padding;
}

/**
 * Lenient: the ID3v2 tag fits, audio frames follow it, and the frames walked in sync from the first one do not
 * run past the end. The walk stops quietly at anything it cannot size (free bitrate, trailing ID3v1/APE tags).
 */
function mp3Defect(bytes: Uint8Array): string | undefined {
  let offset = 0;
  if (fourcc(bytes, 0).startsWith("ID3")) {
    const size = ((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f);
    offset = 10 + size + (bytes[5]! & 0x10 ? 10 : 0);
    if (offset > bytes.length) return "MP3 ends inside its ID3 tag: truncated";
    while (offset < bytes.length && bytes[offset] === 0) offset += 1;
    if (offset >= bytes.length) return "MP3 has an ID3 tag but no audio after it: truncated";
  }
  if (bytes[offset] !== 0xff || (bytes[offset + 1]! & 0xe0) !== 0xe0) return "MP3 has no audio frame after its ID3 tag";
  let frames = 0;
  for (let length = audioFrameLength(bytes, offset); length !== undefined && length > 0; length = audioFrameLength(bytes, offset)) {
    if (offset + length > bytes.length) return `MP3 frame at byte ${offset} is cut short: truncated`;
    offset += length;
    frames += 1;
  }
  const rest = bytes.length - offset;
  if (frames > 0 && rest > 0 && rest < 7 && bytes[offset] === 0xff) return `MP3 frame at byte ${offset} is cut short: truncated`;
  return undefined;
}

/** Every Ogg page is whole (header, segment table and body inside the buffer) and the last one does not end mid-packet. */
function oggDefect(bytes: Uint8Array): string | undefined {
  let offset = 0;
  let lastLacing = 0;
  while (offset < bytes.length) {
    if (fourcc(bytes, offset) !== "OggS") return allZero(bytes, offset) ? undefined : `OGG has a damaged page at byte ${offset}`;
    if (offset + 27 > bytes.length) return `OGG ends inside the page header at byte ${offset}: truncated`;
    const segments = bytes[offset + 26]!;
    const table = bytes.subarray(offset + 27, offset + 27 + segments);
    if (table.length < segments) return `OGG ends inside the page header at byte ${offset}: truncated`;
    const end = offset + 27 + segments + table.reduce((sum, lacing) => sum + lacing, 0);
    if (end > bytes.length) return `OGG page at byte ${offset} runs past the end of the data: truncated`;
    lastLacing = segments > 0 ? table[segments - 1]! : 0;
    offset = end;
  }
  return lastLacing === 255 ? "OGG ends in the middle of a packet: truncated" : undefined;
}

/**
 * Lenient: STREAMINFO first, every metadata block inside the buffer, and an audio frame sync right after the
 * last one when STREAMINFO counts any samples. Frames themselves are not decoded, so a cut inside them passes.
 */
function flacDefect(bytes: Uint8Array, view: DataView): string | undefined {
  let offset = 4;
  let totalSamples = 0;
  for (;;) {
    if (offset + 4 > bytes.length) return "FLAC ends inside its metadata: truncated";
    const type = bytes[offset]! & 0x7f;
    const length = view.getUint32(offset) & 0xffffff;
    if (offset === 4 && (type !== 0 || length !== 34)) return "FLAC does not start with a STREAMINFO block";
    if (type === 127) return `FLAC has a damaged metadata block at byte ${offset}`;
    if (offset + 4 + length > bytes.length) return `FLAC metadata block at byte ${offset} runs past the end of the data: truncated`;
    if (offset === 4) totalSamples = (bytes[21]! & 0x0f) * 2 ** 32 + view.getUint32(22);
    const last = (bytes[offset]! & 0x80) !== 0;
    offset += 4 + length;
    if (last) break;
  }
  if (totalSamples === 0) return undefined;
  if (offset + 2 > bytes.length) return "FLAC ends after its metadata, before any audio frame: truncated";
  return bytes[offset] === 0xff && (bytes[offset + 1]! & 0xfe) === 0xf8 ? undefined : "FLAC has no audio frame after its metadata";
}

// One structure check per sniffed format.
const STRUCTURE_CHECKS: Record<string, StructureCheck> = {
  "image/png": pngDefect,
  "image/jpeg": jpegDefect,
  "image/webp": webpDefect,
  "image/gif": gifDefect,
  "video/mp4": (bytes, view) => isoBmffDefect(bytes, view, "MP4"),
  "video/quicktime": (bytes, view) => isoBmffDefect(bytes, view, "MOV"),
  "video/webm": webmDefect,
  "audio/wav": wavDefect,
  "audio/mpeg": mp3Defect,
  "audio/ogg": oggDefect,
  "audio/flac": flacDefect,
};
