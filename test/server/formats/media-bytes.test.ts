import { describe, expect, test } from "bun:test";
import { AppError } from "../../../server/errors.ts";
import { checkedInWindows, checkFileIntegrity, checkIntegrity, mediaDefect, type ReadAt } from "../../../server/formats/integrity.ts";
import { imageSize, type SniffedMedia, sniffMedia } from "../../../server/formats/media-bytes.ts";
import { makeAac, makeJpeg, makeMp3, makeMp4, makeOggOpus, makePng, makeWav, makeWebp } from "../../fakes/media.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

/** `head` followed by zero padding up to `length` bytes. */
function padded(head: Uint8Array | number[], length = 64): Uint8Array {
  const out = new Uint8Array(Math.max(length, head.length));
  out.set(head);
  return out;
}

/** A GIF89a header with the given logical screen size. */
function makeGif(width: number, height: number): Uint8Array {
  const out = padded(ascii("GIF89a"), 32);
  const view = new DataView(out.buffer);
  view.setUint16(6, width, true);
  view.setUint16(8, height, true);
  return out;
}

/** A RIFF/WEBP file whose first chunk is `fourcc` with `payload`, optionally followed by more bytes. */
function webpChunk(fourcc: string, payload: Uint8Array, trailing = 0): Uint8Array {
  const out = new Uint8Array(20 + payload.length + trailing);
  const view = new DataView(out.buffer);
  out.set(ascii("RIFF"), 0);
  view.setUint32(4, out.length - 8, true);
  out.set(ascii("WEBP"), 8);
  out.set(ascii(fourcc), 12);
  view.setUint32(16, payload.length, true);
  out.set(payload, 20);
  return out;
}

/** An extended WebP (VP8X) header: canvas size stored as 24-bit width-1 and height-1. */
function makeWebpVp8x(width: number, height: number, trailing = 0): Uint8Array {
  const payload = new Uint8Array(10);
  const set24 = (at: number, value: number) => payload.set([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff], at);
  set24(4, width - 1);
  set24(7, height - 1);
  return webpChunk("VP8X", payload, trailing);
}

/** A lossy WebP (VP8) key frame header: frame tag, start code 9d 01 2a, 14-bit width and height. */
function makeWebpVp8(width: number, height: number): Uint8Array {
  const payload = new Uint8Array(10);
  const view = new DataView(payload.buffer);
  payload.set([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a], 0);
  view.setUint16(6, width, true);
  view.setUint16(8, height, true);
  return webpChunk("VP8 ", payload);
}

describe("sniffMedia", () => {
  const mov = padded([0, 0, 0, 0x14, ...ascii("ftypqt  ")]);
  const cases: [string, Uint8Array, string, string, SniffedMedia["kind"]][] = [
    ["PNG", makePng(2, 2), "image/png", "png", "image"],
    ["JPEG", makeJpeg(4, 3), "image/jpeg", "jpg", "image"],
    ["WebP", makeWebp(8, 8), "image/webp", "webp", "image"],
    ["GIF", makeGif(5, 7), "image/gif", "gif", "image"],
    ["MP4", makeMp4(), "video/mp4", "mp4", "video"],
    ["QuickTime", mov, "video/quicktime", "mov", "video"],
    ["WebM", padded([0x1a, 0x45, 0xdf, 0xa3]), "video/webm", "webm", "video"],
    ["WAV", makeWav(0.01), "audio/wav", "wav", "audio"],
    ["MP3 with ID3 tag", padded(ascii("ID3\x04")), "audio/mpeg", "mp3", "audio"],
    ["MP3 frame sync", padded([0xff, 0xfb, 0x90, 0x64]), "audio/mpeg", "mp3", "audio"],
    ["OGG", padded(ascii("OggS")), "audio/ogg", "ogg", "audio"],
    ["FLAC", padded(ascii("fLaC")), "audio/flac", "flac", "audio"],
  ];
  test.each(cases)("%s", (_name, bytes, mimeType, extension, kind) => {
    expect(sniffMedia(bytes)).toEqual({ mimeType, extension, kind });
  });

  const garbage: [string, Uint8Array][] = [
    ["empty", new Uint8Array()],
    ["text", ascii("hello, this is not media at all")],
    ["zeros", new Uint8Array(64)],
    ["a PNG cut to 8 bytes", makePng(2, 2).subarray(0, 8)],
    ["RIFF of another kind", padded(ascii("RIFF\0\0\0\0AVI LIST"))],
    ["JSON", ascii('{"error":"quota exceeded"}')],
  ];
  test.each(garbage)("%s is not recognised", (_name, bytes) => {
    expect(sniffMedia(bytes)).toBeUndefined();
  });
});

describe("imageSize", () => {
  const cases: [string, Uint8Array, number, number][] = [
    ["PNG", makePng(37, 21), 37, 21],
    ["JPEG", makeJpeg(1920, 1080), 1920, 1080],
    ["JPEG with fill bytes before SOF", fillBeforeSof(makeJpeg(640, 480)), 640, 480],
    ["WebP VP8L", makeWebp(1024, 768), 1024, 768],
    ["WebP VP8L at the 14-bit limit", makeWebp(16384, 16384), 16384, 16384],
    ["WebP VP8X", makeWebpVp8x(3000, 2000, 64), 3000, 2000],
    ["WebP VP8X beyond 16 bits", makeWebpVp8x(70000, 1, 64), 70000, 1],
    ["WebP VP8X header alone", makeWebpVp8x(1280, 720), 1280, 720],
    ["WebP VP8", makeWebpVp8(800, 600), 800, 600],
    ["GIF", makeGif(320, 200), 320, 200],
  ];
  test.each(cases)("%s", (_name, bytes, width, height) => {
    expect(imageSize(bytes)).toEqual({ width, height });
  });

  test("reads a view into a larger buffer at its own offset", () => {
    const png = makePng(9, 5);
    const big = new Uint8Array(png.length + 100);
    big.set(png, 100);
    expect(imageSize(big.subarray(100))).toEqual({ width: 9, height: 5 });
  });

  const unreadable: [string, Uint8Array][] = [
    ["garbage", ascii("definitely not an image file")],
    ["empty", new Uint8Array()],
    ["a video", makeMp4()],
    ["a WAV", makeWav(0.01)],
    ["JPEG without a SOF marker", padded([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])],
    ["JPEG with a broken marker", padded([0xff, 0xd8, 0x00, 0x00, 0x00, 0x10])],
    ["WebP with an unknown chunk", webpChunk("ABCD", new Uint8Array(16))],
    ["WebP VP8X cut short", makeWebpVp8x(100, 100).subarray(0, 26)],
  ];
  test.each(unreadable)("%s gives undefined", (_name, bytes) => {
    expect(imageSize(bytes)).toBeUndefined();
  });
});

/** Inserts 0xff fill bytes (allowed before any marker) in front of the SOF0 marker of makeJpeg's output. */
function fillBeforeSof(jpeg: Uint8Array): Uint8Array {
  const sof = 20;
  return Buffer.concat([jpeg.subarray(0, sof), new Uint8Array([0xff, 0xff]), jpeg.subarray(sof)]);
}

const u32be = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const concat = (...parts: (Uint8Array | number[])[]) => Buffer.concat(parts.map((part) => new Uint8Array(part)));

/** The smallest real GIF89a: 1x1, two-colour table, a graphic control extension, one image, the trailer. */
const GIF_1X1 = new Uint8Array([
  ...ascii("GIF89a"), 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
  0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
]);

/** An ISO BMFF box with a 32-bit size, or a 64-bit largesize when `large`. */
function box(type: string, body: Uint8Array | number[], large = false): Uint8Array {
  const payload = new Uint8Array(body);
  if (!large) return concat(u32be(8 + payload.length), ascii(type), payload);
  return concat(u32be(1), ascii(type), u32be(0), u32be(16 + payload.length), payload);
}

/** An EBML element with an 8-byte size field (or the "unknown size" marker when size is null). */
function ebml(id: number[], body: Uint8Array | number[], unknownSize = false): Uint8Array {
  const payload = new Uint8Array(body);
  const size = unknownSize ? [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [0x01, 0, 0, 0, ...u32be(payload.length)];
  return concat(id, size, payload);
}

const WEBM_HEADER = ebml([0x1a, 0x45, 0xdf, 0xa3], ebml([0x42, 0x82], ascii("webm")));

/** A small WebM: EBML header (DocType webm), Segment with Info and one Cluster holding a SimpleBlock. */
function makeWebm({ liveSizes = false } = {}): Uint8Array {
  const header = WEBM_HEADER;
  const info = ebml([0x15, 0x49, 0xa9, 0x66], ebml([0x2a, 0xd7, 0xb1], [0x0f, 0x42, 0x40]));
  const cluster = ebml([0x1f, 0x43, 0xb6, 0x75], concat(ebml([0xe7], [0]), ebml([0xa3], new Uint8Array(200).fill(7))), liveSizes);
  return concat(header, ebml([0x18, 0x53, 0x80, 0x67], concat(info, cluster), liveSizes));
}

/** FLAC: `fLaC`, STREAMINFO counting `samples`, then (when given) bytes standing for audio frames. */
function makeFlacStream(samples: number, frames?: Uint8Array): Uint8Array {
  const info = new Uint8Array(34);
  info.set([0x10, 0x00, 0x10, 0x00], 0);
  info.set([0x05, 0xdc, 0x00, 0xf0], 10); // 24 kHz, mono, 16 bits
  new DataView(info.buffer).setUint32(14, samples);
  return concat(ascii("fLaC"), [0x80, 0x00, 0x00, 34], info, frames ?? []);
}

/** A WAV whose RIFF and data sizes are `placeholder`, as streaming encoders write them. */
function streamedWav(placeholder: number): Uint8Array {
  const wav = makeWav(0.05);
  const view = new DataView(wav.buffer);
  view.setUint32(4, placeholder, true);
  view.setUint32(40, placeholder, true);
  return wav;
}

/** A WAV with a LIST chunk of odd size (so a pad byte) between fmt and data. */
function wavWithList(): Uint8Array {
  const wav = makeWav(0.02);
  const list = concat(ascii("LIST"), [5, 0, 0, 0], ascii("INFOx"), [0]);
  const out = concat(wav.subarray(0, 36), list, wav.subarray(36));
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

/** A JPEG whose single scan is split by RST markers, followed by zero padding after EOI. */
function jpegWithRestartsAndPadding(): Uint8Array {
  const jpeg = makeJpeg(64, 64);
  const eoi = jpeg.length - 2;
  return concat(jpeg.subarray(0, eoi), [0xff, 0xd0, 0x00, 0xff, 0x00, 0xff, 0xd1], jpeg.subarray(eoi), new Uint8Array(32));
}

const MP4_HEAD = box("ftyp", ascii("isom\0\0\x02\0isomiso2mp41"));
const MOOV = box("moov", box("mvhd", new Uint8Array(100)));
const MDAT = box("mdat", new Uint8Array(3000).fill(9));

type Format = { name: string; mime: string; valid: Uint8Array; cuts?: number[] };

/** Whole files of each format, and lengths to cut them to (default: a spread from the header to the last byte). */
const FORMATS: Format[] = [
  { name: "PNG", mime: "image/png", valid: makePng(64, 64) },
  { name: "JPEG", mime: "image/jpeg", valid: makeJpeg(640, 480) },
  { name: "WebP", mime: "image/webp", valid: makeWebp(32, 32) },
  { name: "GIF", mime: "image/gif", valid: GIF_1X1 },
  { name: "MP4", mime: "video/mp4", valid: makeMp4(4096) },
  { name: "MP4 with a 64-bit mdat before moov", mime: "video/mp4", valid: concat(MP4_HEAD, box("mdat", new Uint8Array(500), true), MOOV) },
  { name: "MOV", mime: "video/quicktime", valid: concat(box("ftyp", ascii("qt  \0\0\0\0qt  ")), box("wide", []), MDAT, MOOV) },
  { name: "WebM", mime: "video/webm", valid: makeWebm() },
  { name: "WAV", mime: "audio/wav", valid: makeWav(0.25) },
  { name: "MP3 with an ID3 tag", mime: "audio/mpeg", valid: concat(ascii("ID3"), [4, 0, 0, 0, 0, 0, 20], new Uint8Array(20), makeMp3(0.1)), cuts: [15, 40, 100, 300] },
  { name: "AAC (ADTS)", mime: "audio/mpeg", valid: makeAac(0.2), cuts: [20, 40] },
  { name: "OGG", mime: "audio/ogg", valid: makeOggOpus(), cuts: [20, 30, 50, 70] },
  { name: "FLAC", mime: "audio/flac", valid: makeFlacStream(24_000, new Uint8Array([0xff, 0xf8, 0x79, 0x08, 0, 0, 0])), cuts: [6, 20, 41, 42, 43] },
];

/** Default cut points: inside the first header, a quarter, half, nine tenths, one byte short. */
const cutsOf = ({ valid, cuts }: Format) => cuts ?? [10, 16, Math.floor(valid.length / 4), Math.floor(valid.length / 2), Math.floor(valid.length * 0.9), valid.length - 1];

describe("mediaDefect", () => {
  test.each(FORMATS.map((f) => [f.name, f] as const))("a whole %s passes", (_name, format) => {
    expect(mediaDefect(format.valid, format.mime)).toBeUndefined();
  });

  const truncated = FORMATS.flatMap((format) => cutsOf(format).map((length) => [format.name, length, format] as const));
  test.each(truncated)("%s cut to %i bytes is caught", (_name, length, format) => {
    expect(mediaDefect(format.valid.subarray(0, length), format.mime)).toMatch(/truncated|damaged|no /);
  });

  const lenient: [string, Uint8Array, string][] = [
    ["PNG with bytes after IEND", concat(makePng(4, 4), ascii("trailing")), "image/png"],
    ["JPEG with RST markers and zero padding after EOI", jpegWithRestartsAndPadding(), "image/jpeg"],
    ["JPEG with fill bytes before a marker", fillBeforeSof(makeJpeg(8, 8)), "image/jpeg"],
    ["WebP followed by extra bytes", concat(makeWebp(8, 8), [0, 0]), "image/webp"],
    ["WAV streamed with 0xFFFFFFFF sizes (OpenAI)", streamedWav(0xffffffff), "audio/wav"],
    ["WAV streamed with 0x7FFFFFFF sizes (ElevenLabs)", streamedWav(0x7fffffff), "audio/wav"],
    ["WAV streamed with 0 sizes (libsndfile)", streamedWav(0), "audio/wav"],
    ["WAV with an odd-sized LIST chunk before data", wavWithList(), "audio/wav"],
    ["MP4 whose mdat has size 0 (to the end of the file)", concat(MP4_HEAD, MOOV, [0, 0, 0, 0], ascii("mdat"), new Uint8Array(100)), "video/mp4"],
    ["MP4 followed by zero padding", concat(makeMp4(1024), new Uint8Array(5)), "video/mp4"],
    ["WebM recorded live (unknown Segment and Cluster sizes)", makeWebm({ liveSizes: true }), "video/webm"],
    ["WebM live recording cut short (cannot be told)", makeWebm({ liveSizes: true }).subarray(0, 200), "video/webm"],
    ["MP3 frames followed by an ID3v1 tag", concat(makeMp3(0.1), ascii("TAG"), new Uint8Array(125)), "audio/mpeg"],
    ["MP3 cut exactly between frames (cannot be told)", makeMp3(0.2).subarray(0, 192 * 3), "audio/mpeg"],
    ["FLAC without a sample count or frames", makeFlacStream(0), "audio/flac"],
    ["a format without a structure check", ascii("anything"), "audio/aiff"],
  ];
  test.each(lenient)("%s passes", (_name, bytes, mime) => {
    expect(mediaDefect(bytes, mime)).toBeUndefined();
  });

  const damaged: [string, Uint8Array, string, RegExp][] = [
    ["the 79-byte PNG of issue 8", makePng(256, 256).subarray(0, 79), "image/png", /^PNG (ends before its IEND chunk|IDAT chunk at byte 33 runs past the end of the data): truncated$/],
    ["PNG without IDAT", concat(makePng(1, 1).subarray(0, 33), makePng(1, 1).subarray(-12)), "image/png", /no IDAT/],
    ["PNG whose chunk length is garbage", concat(makePng(2, 2).subarray(0, 33), [0xff, 0xff, 0xff, 0xff], makePng(2, 2).subarray(37)), "image/png", /damaged chunk header at byte 33/],
    ["PNG with a damaged signature", concat([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0], makePng(2, 2).subarray(8)), "image/png", /signature/],
    ["JPEG headers with no scan (EOI right after SOF)", concat(makeJpeg(8, 8).subarray(0, 33), [0xff, 0xd9]), "image/jpeg", /no SOS/],
    ["JPEG cut in the middle of its entropy data", makeJpeg(512, 512).subarray(0, 300), "image/jpeg", /ends inside its image data, before the EOI marker: truncated/],
    ["JPEG segment longer than the file", concat([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00], new Uint8Array(30)), "image/jpeg", /segment at byte 2 runs past the end/],
    ["WebP whose RIFF size is larger than the file", makeWebp(8, 8).subarray(0, 26), "image/webp", /^WebP is 26 bytes but its RIFF header declares 30: truncated$/],
    ["GIF without its trailer", GIF_1X1.subarray(0, GIF_1X1.length - 1), "image/gif", /^GIF ends before its trailer \(0x3B\): truncated$/],
    ["MP4 with only an ftyp box and zero filler (the old fake)", concat(MP4_HEAD, new Uint8Array(2000)), "video/mp4", /no moov box/],
    ["MP4 with moov but no mdat", concat(MP4_HEAD, MOOV), "video/mp4", /no mdat box/],
    ["MP4 whose 64-bit mdat is larger than the file", concat(MP4_HEAD, MOOV, box("mdat", new Uint8Array(500), true).subarray(0, 300)), "video/mp4", /mdat box at byte \d+ declares 516 bytes but only 300 are present: truncated/],
    ["MP4 with an impossible box size", concat(MP4_HEAD, [0, 0, 0, 4], ascii("free")), "video/mp4", /impossible size/],
    ["WebM with nothing after its EBML header", WEBM_HEADER, "video/webm", /before its Segment: truncated/],
    ["WebM Segment without a Cluster", concat(WEBM_HEADER, ebml([0x18, 0x53, 0x80, 0x67], ebml([0x15, 0x49, 0xa9, 0x66], []))), "video/webm", /no Cluster/],
    ["WAV whose data chunk is incomplete", makeWav(0.25).subarray(0, 1000), "audio/wav", /^WAV is 1000 bytes but its RIFF header declares 12044: truncated$/],
    ["WAV data chunk cut, RIFF size rewritten to match", fixedRiff(makeWav(0.25).subarray(0, 1000)), "audio/wav", /^WAV data chunk declares 12000 bytes of audio but only 956 are present: truncated$/],
    ["WAV with data before fmt", concat(ascii("RIFF"), [12, 0, 0, 0], ascii("WAVEdata"), [0, 0, 0, 0]), "audio/wav", /before its fmt chunk/],
    ["MP3 whose ID3 tag is larger than the file", concat(ascii("ID3"), [4, 0, 0, 0, 0, 0x10, 0], new Uint8Array(50)), "audio/mpeg", /inside its ID3 tag/],
    ["MP3 with an ID3 tag and no audio", concat(ascii("ID3"), [4, 0, 0, 0, 0, 0, 10], ascii("0123456789"), ascii("junk junk junk")), "audio/mpeg", /no audio frame/],
    ["OGG ending in the middle of a packet", oggEndingMidPacket(), "audio/ogg", /middle of a packet/],
    ["FLAC with samples but no frames (the fake's header-only stream)", makeFlacStream(24_000), "audio/flac", /before any audio frame: truncated/],
    ["FLAC with garbage after its metadata", makeFlacStream(24_000, ascii("garbage")), "audio/flac", /no audio frame/],
  ];
  test.each(damaged)("%s is caught", (_name, bytes, mime, message) => {
    expect(mediaDefect(bytes, mime)).toMatch(message);
  });
});

describe("checkFileIntegrity: videos checked from windows give the same verdict as in memory", () => {
  /** A reader over `bytes` that adds up how much it was asked for. */
  const counting = (bytes: Uint8Array) => {
    const stats = { bytesRead: 0 };
    const read: ReadAt = (at, length) => {
      const window = bytes.subarray(at, at + length);
      stats.bytesRead += window.length;
      return window;
    };
    return { read, stats };
  };
  const verdict = (bytes: Uint8Array, mime: string) => {
    const sniffed: SniffedMedia = { mimeType: mime, extension: mime.split("/")[1]!, kind: "video" };
    try {
      checkFileIntegrity(bytes.length, counting(bytes).read, sniffed);
      return "whole";
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      return "corrupt";
    }
  };
  const videos = FORMATS.filter((f) => checkedInWindows(f.mime));
  const cases = [
    ...videos.flatMap((f) => [[`${f.name}, whole`, f.valid, f.mime] as const, ...cutsOf(f).map((n) => [`${f.name} cut to ${n} bytes`, f.valid.subarray(0, n), f.mime] as const)]),
    ["MP4 followed by zero padding", concat(makeMp4(1024), new Uint8Array(5)), "video/mp4"] as const,
    ["MP4 whose mdat has size 0", concat(MP4_HEAD, MOOV, [0, 0, 0, 0], ascii("mdat"), new Uint8Array(100)), "video/mp4"] as const,
    ["MP4 with moov but no mdat", concat(MP4_HEAD, MOOV), "video/mp4"] as const,
    ["WebM recorded live", makeWebm({ liveSizes: true }), "video/webm"] as const,
  ];
  test.each(cases)("%s", (_name, bytes, mime) => {
    expect(verdict(bytes, mime)).toBe(mediaDefect(bytes, mime) === undefined ? "whole" : "corrupt");
  });

  test("a 1 GiB MP4 is checked by reading a few windows, not the file", () => {
    const head = makeMp4(4096);
    const size = 1024 * 1048576;
    // ftyp and moov as makeMp4 writes them, then one mdat box declared to the end of the gigabyte (zeros past the head).
    const at = Buffer.from(head).indexOf("mdat") - 4;
    new DataView(head.buffer, head.byteOffset).setUint32(at, size - at);
    const stats = { bytesRead: 0 };
    const read: ReadAt = (offset, length) => {
      const window = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      if (offset < head.length) window.set(head.subarray(offset, offset + window.length));
      stats.bytesRead += window.length;
      return window;
    };
    expect(() => checkFileIntegrity(size, read, sniffMedia(head)!)).not.toThrow();
    expect(stats.bytesRead).toBeLessThan(1048576);
  });
});

describe("checkIntegrity", () => {
  test("a whole file passes", () => {
    const png = makePng(8, 8);
    expect(() => checkIntegrity(png, sniffMedia(png)!)).not.toThrow();
  });

  test("a truncated file throws invalid_response naming the format, the size and what is wrong", () => {
    const png = makePng(256, 256).subarray(0, 79);
    const error = (() => {
      try {
        checkIntegrity(png, sniffMedia(png)!);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ type: "invalid_response" });
    expect((error as AppError).message).toMatch(/^Upstream returned a corrupt PNG file \(79 bytes\): PNG .*truncated$/);
  });
});

/** A WAV cut short whose RIFF size was then rewritten to the cut length (so only the data chunk tells). */
function fixedRiff(wav: Uint8Array): Uint8Array {
  const out = new Uint8Array(wav);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

/** An Ogg stream whose last page ends with a 255 lacing value: the packet continues on a page that is missing. */
function oggEndingMidPacket(): Uint8Array {
  const page = new Uint8Array(27 + 1 + 255);
  page.set(ascii("OggS"), 0);
  page[26] = 1;
  page[27] = 255;
  return concat(makeOggOpus(), page);
}
