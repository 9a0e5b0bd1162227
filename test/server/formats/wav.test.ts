import { describe, expect, test } from "bun:test";
import { decodeWav, encodeWav, normalizeWav, resample, wavDurationSeconds } from "../../../server/formats/wav.ts";
import { makePng, makeWav } from "../../fakes/media.ts";

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

interface RawWav {
  codec?: number;
  channels?: number;
  sampleRate?: number;
  bits?: number;
  /** Interleaved sample values, written with `bits` bits each. */
  samples: number[];
  /** Chunks written between fmt and data, e.g. LIST metadata. */
  extraChunks?: { id: string; body: Uint8Array }[];
  dataFirst?: boolean;
}

/** A RIFF/WAVE file written field by field, for formats makeWav does not produce. */
function rawWav({ codec = 1, channels = 1, sampleRate = 24_000, bits = 16, samples, extraChunks = [], dataFirst = false }: RawWav): Uint8Array {
  const bytesPerSample = bits / 8;
  const chunk = (id: string, body: Uint8Array) => {
    const out = new Uint8Array(8 + body.length + (body.length % 2));
    out.set(new TextEncoder().encode(id), 0);
    new DataView(out.buffer).setUint32(4, body.length, true);
    out.set(body, 8);
    return out;
  };
  const fmt = new Uint8Array(16);
  const fv = new DataView(fmt.buffer);
  fv.setUint16(0, codec, true);
  fv.setUint16(2, channels, true);
  fv.setUint32(4, sampleRate, true);
  fv.setUint32(8, sampleRate * channels * bytesPerSample, true);
  fv.setUint16(12, channels * bytesPerSample, true);
  fv.setUint16(14, bits, true);
  const data = new Uint8Array(samples.length * bytesPerSample);
  const dv = new DataView(data.buffer);
  samples.forEach((value, i) => (bits === 16 ? dv.setInt16(i * 2, value, true) : dv.setUint8(i, value)));
  const chunks = dataFirst
    ? [chunk("data", data), chunk("fmt ", fmt)]
    : [chunk("fmt ", fmt), ...extraChunks.map((c) => chunk(c.id, c.body)), chunk("data", data)];
  const body = Buffer.concat(chunks);
  const out = new Uint8Array(12 + body.length);
  out.set(new TextEncoder().encode("RIFFxxxxWAVE"), 0);
  new DataView(out.buffer).setUint32(4, 4 + body.length, true);
  out.set(body, 12);
  return out;
}

/** Frequency of a tone from its zero crossings, over the middle of the signal (away from the kernel's edges). */
function toneHz(samples: Int16Array, sampleRate: number): number {
  const margin = Math.floor(samples.length / 10);
  const middle = samples.subarray(margin, samples.length - margin);
  let crossings = 0;
  for (let i = 1; i < middle.length; i++) {
    if ((middle[i - 1]! < 0 && middle[i]! >= 0) || (middle[i - 1]! >= 0 && middle[i]! < 0)) crossings++;
  }
  return crossings / 2 / (middle.length / sampleRate);
}

/** Largest absolute sample over the middle of the signal. */
function peak(samples: Int16Array): number {
  const margin = Math.floor(samples.length / 10);
  return samples.subarray(margin, samples.length - margin).reduce((max, s) => Math.max(max, Math.abs(s)), 0);
}

describe("encodeWav", () => {
  test("writes a 44-byte header for mono 16-bit PCM at 24 kHz", () => {
    const samples = Int16Array.from([0, 1000, -1000, 32767, -32768]);
    const wav = encodeWav({ sampleRate: 24_000, samples });
    const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
    expect(wav.length).toBe(44 + samples.length * 2);
    expect(ascii(wav, 0)).toBe("RIFF");
    expect(view.getUint32(4, true)).toBe(36 + samples.length * 2);
    expect(ascii(wav, 8)).toBe("WAVE");
    expect(ascii(wav, 12)).toBe("fmt ");
    expect(view.getUint32(16, true)).toBe(16);
    expect(view.getUint16(20, true)).toBe(1);
    expect(view.getUint16(22, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(24_000);
    expect(view.getUint32(28, true)).toBe(48_000);
    expect(view.getUint16(32, true)).toBe(2);
    expect(view.getUint16(34, true)).toBe(16);
    expect(ascii(wav, 36)).toBe("data");
    expect(view.getUint32(40, true)).toBe(samples.length * 2);
    expect(view.getInt16(44 + 3 * 2, true)).toBe(32767);
    expect(view.getInt16(44 + 4 * 2, true)).toBe(-32768);
  });

  test("round-trips through decodeWav", () => {
    const samples = Int16Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const decoded = decodeWav(encodeWav({ sampleRate: 16_000, samples }));
    expect(decoded.sampleRate).toBe(16_000);
    expect(decoded.samples).toEqual(samples);
  });

  test("an empty signal is a bare header", () => {
    const wav = encodeWav({ sampleRate: 24_000, samples: new Int16Array() });
    expect(wav.length).toBe(44);
    expect(decodeWav(wav).samples.length).toBe(0);
  });
});

describe("decodeWav", () => {
  test("reads makeWav's tone", () => {
    const { sampleRate, samples } = decodeWav(makeWav(0.5, 16_000));
    expect(sampleRate).toBe(16_000);
    expect(samples.length).toBe(8000);
    expect(toneHz(samples, sampleRate)).toBeCloseTo(440, -1);
  });

  test("mixes stereo down to mono by averaging the channels", () => {
    const wav = rawWav({ channels: 2, sampleRate: 44_100, samples: [1000, 3000, -2000, 2000, 32767, 32767, -32768, -32766] });
    const { sampleRate, samples } = decodeWav(wav);
    expect(sampleRate).toBe(44_100);
    expect(Array.from(samples)).toEqual([2000, 0, 32767, -32767]);
  });

  test("skips chunks between fmt and data, including an odd-sized padded one", () => {
    const wav = rawWav({
      samples: [1, 2, 3],
      extraChunks: [
        { id: "LIST", body: new TextEncoder().encode("INFOabc") },
        { id: "fact", body: new Uint8Array(4) },
      ],
    });
    expect(Array.from(decodeWav(wav).samples)).toEqual([1, 2, 3]);
  });

  test("a data chunk longer than the file is read up to the end of the file", () => {
    const wav = makeWav(0.01);
    const truncated = wav.subarray(0, wav.length - 10);
    expect(decodeWav(truncated).samples.length).toBe((wav.length - 44) / 2 - 5);
  });

  const errors: [string, Uint8Array, RegExp][] = [
    ["a PNG", makePng(2, 2), /not a RIFF\/WAVE/],
    ["text", new TextEncoder().encode("this is not audio at all"), /not a RIFF\/WAVE/],
    ["empty bytes", new Uint8Array(), /not a RIFF\/WAVE/],
    ["8-bit PCM", rawWav({ bits: 8, samples: [128, 129] }), /16-bit PCM/],
    ["IEEE float (format 3)", rawWav({ codec: 3, samples: [0, 0] }), /16-bit PCM/],
    ["data before fmt", rawWav({ samples: [1, 2], dataFirst: true }), /before fmt/],
    ["no data chunk", makeWav(0.01).subarray(0, 36), /no data chunk/],
  ];
  test.each(errors)("refuses %s", (_name, bytes, message) => {
    expect(() => decodeWav(bytes)).toThrow(message);
  });
});

describe("resample", () => {
  const rates: [number, number][] = [
    [16_000, 24_000],
    [8_000, 24_000],
    [48_000, 24_000],
    [22_050, 24_000],
  ];
  test.each(rates)("%d Hz -> %d Hz keeps length ratio, pitch and loudness of a 440 Hz tone", (from, to) => {
    const input = decodeWav(makeWav(1, from));
    const output = resample(input, to);
    expect(output.sampleRate).toBe(to);
    expect(output.samples.length).toBe(Math.round((input.samples.length * to) / from));
    expect(Math.abs(toneHz(output.samples, to) - 440)).toBeLessThan(440 * 0.01);
    expect(Math.abs(peak(output.samples) - 8000)).toBeLessThan(8000 * 0.05);
  });

  test("odd lengths round to the nearest sample", () => {
    const samples = new Int16Array(1001);
    expect(resample({ sampleRate: 16_000, samples }, 24_000).samples.length).toBe(Math.round((1001 * 24_000) / 16_000));
    expect(resample({ sampleRate: 8_000, samples: new Int16Array(3) }, 24_000).samples.length).toBe(9);
  });

  test("a full-scale signal is clipped, not wrapped around", () => {
    const samples = Int16Array.from({ length: 2000 }, (_, i) => (Math.floor(i / 4) % 2 === 0 ? 32767 : -32768));
    const out = resample({ sampleRate: 8_000, samples }, 24_000).samples;
    const jumps = out.slice(1).filter((s, i) => Math.abs(s - out[i]!) > 40_000).length;
    expect(jumps).toBe(0);
  });

  test("the same rate gives an equal copy, not the same array", () => {
    const samples = Int16Array.from([5, -5, 7]);
    const out = resample({ sampleRate: 24_000, samples }, 24_000);
    expect(out.samples).toEqual(samples);
    expect(out.samples).not.toBe(samples);
  });
});

describe("normalizeWav", () => {
  test("turns 16 kHz stereo into 24 kHz mono 16-bit", () => {
    const wav = normalizeWav(makeWav(0.5, 16_000, 2), 24_000);
    const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
    expect(view.getUint16(22, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(24_000);
    expect(view.getUint16(34, true)).toBe(16);
    const { samples } = decodeWav(wav);
    expect(samples.length).toBe(12_000);
    expect(Math.abs(toneHz(samples, 24_000) - 440)).toBeLessThan(5);
  });
});

describe("wavDurationSeconds", () => {
  const cases: [string, Uint8Array, number | undefined][] = [
    ["1.5 s at 24 kHz", makeWav(1.5), 1.5],
    ["2 s of stereo at 44.1 kHz", makeWav(2, 44_100, 2), 2],
    ["a PNG", makePng(1, 1), undefined],
    ["8-bit PCM", rawWav({ bits: 8, samples: [1, 2, 3] }), undefined],
  ];
  test.each(cases)("%s", (_name, bytes, seconds) => {
    expect(wavDurationSeconds(bytes)).toBe(seconds);
  });
});
