import { describe, expect, test } from "bun:test";
import { imageSize, type SniffedMedia, sniffMedia } from "../../../server/services/media-bytes.ts";
import { makeJpeg, makeMp4, makePng, makeWav, makeWebp } from "../../fakes/media.ts";

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
