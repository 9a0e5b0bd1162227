// Real picture files for thumbnail tests: PNG written by hand (zlib), JPEG by MozJPEG's WASM encoder, WebP by ours.
import { deflateSync } from "node:zlib";
import jpegEncoderFactory from "@jsquash/jpeg/codec/enc/mozjpeg_enc.js";
import jpegEncWasm from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm" with { type: "file" };
import { encodeWebp, type Pixels } from "../../../server/thumbnails/codec.ts";
import { prng } from "../../prng.ts";

/**
 * A colourful gradient of `width`×`height` RGBA pixels (opaque); `grain` (0-255) adds seeded noise per pixel and per
 * 8×8 block, so that the files (and their thumbnails, where fine grain averages away) compress about as badly as
 * photographs do.
 */
export function gradient(width: number, height: number, grain = 0, seed = 1): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  const random = prng(seed);
  const blocksPerRow = Math.ceil(width / 8);
  const blocks = grain ? Array.from({ length: blocksPerRow * Math.ceil(height / 8) }, () => (random() - 0.5) * grain * 2) : [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const noise = grain ? (random() - 0.5) * grain + blocks[(y >> 3) * blocksPerRow + (x >> 3)]! : 0;
      data[i] = (x * 255) / width + noise;
      data[i + 1] = (y * 255) / height + noise;
      data[i + 2] = ((x + y) * 97) % 256;
      data[i + 3] = 255;
    }
  }
  return { data, width, height };
}

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

/** A PNG (8-bit RGBA, no filter) of the pixels. */
export function png(pixels: Pixels): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, pixels.width);
  hv.setUint32(4, pixels.height);
  header.set([8, 6, 0, 0, 0], 8);
  const raw = new Uint8Array((pixels.width * 4 + 1) * pixels.height);
  for (let y = 0; y < pixels.height; y++) raw.set(pixels.data.subarray(y * pixels.width * 4, (y + 1) * pixels.width * 4), y * (pixels.width * 4 + 1) + 1);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array())];
  return new Uint8Array(Buffer.concat(parts));
}

type JpegEncoder = { encode(data: Uint8ClampedArray, width: number, height: number, options: Record<string, unknown>): Uint8Array };
let jpegEncoder: Promise<JpegEncoder> | undefined;

/** A baseline JPEG of the pixels (MozJPEG, quality 85). */
export async function jpeg(pixels: Pixels): Promise<Uint8Array> {
  jpegEncoder ??= WebAssembly.compile(await Bun.file(jpegEncWasm).arrayBuffer()).then((module) =>
    (jpegEncoderFactory as (o: Record<string, unknown>) => Promise<JpegEncoder>)({
      noInitialRun: true,
      instantiateWasm: (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) => {
        const instance = new WebAssembly.Instance(module, imports);
        done(instance);
        return instance.exports;
      },
    }),
  );
  const options = {
    quality: 85, baseline: false, arithmetic: false, progressive: true, optimize_coding: true, smoothing: 0, color_space: 3,
    quant_table: 3, trellis_multipass: false, trellis_opt_zero: false, trellis_opt_table: false, trellis_loops: 1, auto_subsample: true,
    chroma_subsample: 2, separate_chroma_quality: false, chroma_quality: 75,
  };
  return new Uint8Array((await jpegEncoder).encode(pixels.data, pixels.width, pixels.height, options));
}

/** A lossy WebP of the pixels. */
export const webp = (pixels: Pixels): Promise<Uint8Array> => encodeWebp(pixels, 80);
