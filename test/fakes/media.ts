// Real media bytes for fake providers: PNG/JPEG/WebP images of a chosen size, WAV tones, minimal MP4s.
import { deflateSync } from "node:zlib";

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Uint8Array) => {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * A PNG of 8-bit pixels, `channels` 3 (RGB) or 4 (RGBA), from rows that each start with their filter byte (0: none);
 * `level` is zlib's (1 for speed on incompressible data).
 */
export function encodePng(width: number, height: number, channels: 3 | 4, rows: Uint8Array, level = 6): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, channels === 4 ? 6 : 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level })),
    chunk("IEND", new Uint8Array()),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

/** A valid solid-colour RGB PNG of the given size. */
export function makePng(width: number, height: number, rgb: [number, number, number] = [40, 90, 200]): Uint8Array {
  const row = new Uint8Array(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = new Uint8Array(row.length * height);
  for (let y = 0; y < height; y++) raw.set(row, y * row.length);
  return encodePng(width, height, 3, raw);
}

/**
 * A valid RGB PNG of seeded random pixels: incompressible, so its size is about width * height * 3 bytes
 * (600 x 560 is about 1 MB), like a real photo and unlike a solid colour.
 */
export function makeNoisePng(width: number, height: number, seed = 1): Uint8Array {
  const raw = new Uint8Array((1 + width * 3) * height);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    if (i % (1 + width * 3) === 0) continue; // filter byte 0
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    raw[i] = state & 0xff;
  }
  return encodePng(width, height, 3, raw, 1);
}

/**
 * A complete baseline grayscale JPEG of the given size, all mid-grey: SOI, APP0 (JFIF), SOF0, DQT, one-code
 * Huffman tables, SOS and entropy-coded 8x8 blocks (DC difference 0, then end-of-block: two bits each), EOI.
 */
export function makeJpeg(width: number, height: number): Uint8Array {
  const header = [
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00,
    0xff, 0xdb, 0x00, 0x43, 0x00, ...new Array<number>(64).fill(1),
    // DC table 0 and AC table 0, each one 1-bit code "0": DC category 0, AC end-of-block.
    0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, ...new Array<number>(15).fill(0), 0x00,
    0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, ...new Array<number>(15).fill(0), 0x00,
    0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00,
  ];
  const bits = 2 * Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan = new Uint8Array(Math.ceil(bits / 8));
  if (bits % 8) scan[scan.length - 1] = 0xff >> (bits % 8); // pad the last byte with 1 bits
  return Buffer.concat([new Uint8Array(header), scan, new Uint8Array([0xff, 0xd9])]);
}

/** A lossless WebP (VP8L) header with the given size. */
export function makeWebp(width: number, height: number): Uint8Array {
  const out = new Uint8Array(30);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode("RIFF"), 0);
  view.setUint32(4, 22, true);
  out.set(new TextEncoder().encode("WEBPVP8L"), 8);
  view.setUint32(16, 10, true);
  out[20] = 0x2f;
  view.setUint32(21, ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14), true);
  return out;
}

/** A mono 16-bit PCM WAV with a sine tone. */
export function makeWav(seconds: number, sampleRate = 24_000, channels = 1, hz = 440): Uint8Array {
  const frames = Math.round(seconds * sampleRate);
  const out = new Uint8Array(44 + frames * channels * 2);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => out.set(new TextEncoder().encode(s), at);
  text(0, "RIFF");
  view.setUint32(4, 36 + frames * channels * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, frames * channels * 2, true);
  for (let i = 0; i < frames; i++) {
    const value = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / sampleRate));
    for (let c = 0; c < channels; c++) view.setInt16(44 + (i * channels + c) * 2, value, true);
  }
  return out;
}

/** Raw little-endian 16-bit mono PCM (what Gemini TTS returns), without a header. */
export function makePcm(seconds: number, sampleRate = 24_000): Uint8Array {
  return makeWav(seconds, sampleRate).subarray(44);
}

/**
 * A structurally complete MP4 of exactly `bytes` bytes: ftyp, moov holding an mvhd (1000 Hz timescale,
 * `seconds` long, no tracks) and an mdat of zero filler.
 */
export function makeMp4(bytes = 2048, seconds = 8): Uint8Array {
  const box = (type: string, body: Uint8Array) => {
    const out = new Uint8Array(8 + body.length);
    new DataView(out.buffer).setUint32(0, out.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(body, 8);
    return out;
  };
  const ftyp = box("ftyp", new TextEncoder().encode("mp42\0\0\0\0mp42isom"));
  const mvhd = new Uint8Array(100);
  const view = new DataView(mvhd.buffer);
  view.setUint32(12, 1000);
  view.setUint32(16, Math.round(seconds * 1000));
  view.setUint32(20, 0x00010000); // rate 1.0
  view.setUint16(24, 0x0100); // volume 1.0
  [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000].forEach((value, i) => view.setUint32(36 + i * 4, value)); // identity matrix
  view.setUint32(96, 1); // next track ID
  const moov = box("moov", box("mvhd", mvhd));
  const mdat = box("mdat", new Uint8Array(Math.max(0, bytes - ftyp.length - moov.length - 8)));
  return Buffer.concat([ftyp, moov, mdat]);
}

/** Base64 of bytes. */
export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** Silent MPEG-2 Layer III frames (24 kHz mono, 64 kbit/s, 192-byte frames of 576 samples): a playable MP3. */
export function makeMp3(seconds: number): Uint8Array {
  const frames = Math.max(1, Math.ceil((seconds * 24_000) / 576));
  const out = new Uint8Array(frames * 192);
  for (let i = 0; i < frames; i++) out.set([0xff, 0xf3, 0x84, 0xc4], i * 192);
  return out;
}

/** A FLAC stream header (`fLaC` + STREAMINFO for 24 kHz mono 16-bit) without audio frames: enough for sniffing. */
export function makeFlac(seconds: number, sampleRate = 24_000): Uint8Array {
  const out = new Uint8Array(4 + 4 + 34);
  out.set(new TextEncoder().encode("fLaC"), 0);
  out.set([0x80, 0, 0, 34], 4); // last metadata block, type 0 (STREAMINFO), length 34
  const view = new DataView(out.buffer);
  view.setUint16(8, 4096);
  view.setUint16(10, 4096);
  const samples = Math.round(seconds * sampleRate);
  // 20 bits sample rate, 3 bits channels-1 (0), 5 bits bps-1 (15), 36 bits total samples
  out[18] = (sampleRate >> 12) & 0xff;
  out[19] = (sampleRate >> 4) & 0xff;
  out[20] = ((sampleRate & 0x0f) << 4) | (0 << 1) | (15 >> 4);
  out[21] = ((15 & 0x0f) << 4) | (Math.floor(samples / 2 ** 32) & 0x0f);
  view.setUint32(22, samples >>> 0);
  return out;
}

/** ADTS-framed AAC-LC headers (24 kHz mono) with empty payloads: enough for sniffing. */
export function makeAac(seconds: number): Uint8Array {
  const frames = Math.max(1, Math.ceil((seconds * 24_000) / 1024));
  const frameLength = 7 + 9;
  const out = new Uint8Array(frames * frameLength);
  for (let i = 0; i < frames; i++) {
    out.set(
      [0xff, 0xf1, 0x58, 0x40 | ((frameLength >> 11) & 0x03), (frameLength >> 3) & 0xff, ((frameLength & 0x07) << 5) | 0x1f, 0xfc],
      i * frameLength,
    );
  }
  return out;
}

const oggCrcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n << 24;
  for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  return c >>> 0;
});

function oggPage(payload: Uint8Array, sequence: number, headerType: number): Uint8Array {
  const out = new Uint8Array(27 + 1 + payload.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode("OggS"), 0);
  out[5] = headerType;
  view.setUint32(14, 0x6d656469, true); // stream serial number
  view.setUint32(18, sequence, true);
  out[26] = 1;
  out[27] = payload.length;
  out.set(payload, 28);
  let crc = 0;
  for (const b of out) crc = ((crc << 8) ^ oggCrcTable[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  view.setUint32(22, crc, true);
  return out;
}

/** An Ogg Opus stream's two header pages (OpusHead, OpusTags) with valid CRCs, no audio packets: enough for sniffing. */
export function makeOggOpus(): Uint8Array {
  const head = new Uint8Array(19);
  head.set(new TextEncoder().encode("OpusHead"), 0);
  const hv = new DataView(head.buffer);
  head[8] = 1;
  head[9] = 1;
  hv.setUint16(10, 312, true);
  hv.setUint32(12, 24_000, true);
  const vendor = new TextEncoder().encode("mediagen-fake");
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  tags.set(new TextEncoder().encode("OpusTags"), 0);
  new DataView(tags.buffer).setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  return Buffer.concat([oggPage(head, 0, 0x02), oggPage(tags, 1, 0)]);
}

/** The container type and pixel size of PNG, JPEG and WebP bytes (for checking what the fakes send and receive). */
export function imageInfo(bytes: Uint8Array): { mime: "image/png" | "image/jpeg" | "image/webp"; width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (at: number, s: string) => s.split("").every((c, i) => bytes[at + i] === c.charCodeAt(0));
  try {
    if (bytes[0] === 0x89 && text(1, "PNG")) return { mime: "image/png", width: view.getUint32(16), height: view.getUint32(20) };
    if (text(0, "RIFF") && text(8, "WEBP")) {
      if (text(12, "VP8L")) {
        const bits = view.getUint32(21, true);
        return { mime: "image/webp", width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
      }
      if (text(12, "VP8X"))
        return {
          mime: "image/webp",
          width: 1 + view.getUint16(24, true) + (view.getUint8(26) << 16),
          height: 1 + view.getUint16(27, true) + (view.getUint8(29) << 16),
        };
      if (text(12, "VP8 ")) return { mime: "image/webp", width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
      return undefined;
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      let at = 2;
      while (at + 9 < bytes.length) {
        if (bytes[at] !== 0xff) return undefined;
        const marker = bytes[at + 1]!;
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
          return { mime: "image/jpeg", height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
        at += 2 + view.getUint16(at + 2);
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}
