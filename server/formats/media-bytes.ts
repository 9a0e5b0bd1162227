// Recognising media from its bytes: container type, file extension and image dimensions.

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

/** The four bytes at `at` as text (a RIFF, ISO-BMFF or Ogg tag). */
export const fourcc = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

/** Whether every byte from `from` on is zero (padding after a file's end). */
export const allZero = (bytes: Uint8Array, from: number) => bytes.subarray(from).every((b) => b === 0);
