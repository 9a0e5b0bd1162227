// Durations read from saved audio and video headers.
import { describe, expect, test } from "bun:test";
import { mediaDurationSeconds } from "../../../server/formats/duration.ts";
import { makeFlac, makeMp3, makeMp4, makeOggOpus, makeWav } from "../../fakes/media.ts";

const readerOf = (bytes: Uint8Array) => (at: number, length: number) => bytes.subarray(at, at + length);
const duration = (bytes: Uint8Array, mime: string) => mediaDurationSeconds(bytes.length, readerOf(bytes), mime);

describe("mediaDurationSeconds", () => {
  test.each([
    ["MP4", makeMp4(4096, 8), "video/mp4", 8],
    ["MOV", makeMp4(2048, 5.5), "video/quicktime", 5.5],
    ["WAV", makeWav(2.5), "audio/wav", 2.5],
    ["WAV at 44.1 kHz stereo", makeWav(1, 44_100, 2), "audio/wav", 1],
    ["FLAC", makeFlac(3), "audio/flac", 3],
  ])("%s", (_name, bytes, mime, seconds) => {
    expect(duration(bytes, mime)).toBeCloseTo(seconds, 3);
  });

  test("MP3 counts its frames", () => {
    expect(duration(makeMp3(3), "audio/mpeg")).toBeCloseTo(3, 1);
  });

  test("formats it does not read, and damaged headers, give undefined", () => {
    expect(duration(makeOggOpus(), "audio/ogg")).toBeUndefined();
    expect(duration(makeMp4(2048, 8).subarray(0, 40), "video/mp4")).toBeUndefined();
    expect(duration(new Uint8Array(64), "audio/wav")).toBeUndefined();
    expect(duration(new Uint8Array(3), "audio/flac")).toBeUndefined();
  });
});
