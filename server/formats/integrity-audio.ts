// Structure checks of compressed audio (MPEG audio frames, OGG pages, FLAC metadata): lenient where a whole file
// cannot be told from a cut at a frame boundary, strict where a header or a frame runs past the end.
import { allZero, fourcc } from "./media-bytes.ts";

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
export const MPEG_SAMPLE_RATES = [[11025, 12000, 8000], [], [22050, 24000, 16000], [44100, 48000, 32000]];

/** The byte length of the MPEG audio (or ADTS AAC) frame whose header is at `at`; undefined when it cannot be told. */
export function audioFrameLength(bytes: Uint8Array, at: number): number | undefined {
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
export function mp3Defect(bytes: Uint8Array): string | undefined {
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
export function oggDefect(bytes: Uint8Array): string | undefined {
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
export function flacDefect(bytes: Uint8Array, view: DataView): string | undefined {
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
