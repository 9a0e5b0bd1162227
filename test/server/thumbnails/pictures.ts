// Real picture files for thumbnail tests: PNG through the fakes' encoder (zlib), JPEG by MozJPEG's WASM encoder, WebP by ours.
import jpegEncoderFactory from "@jsquash/jpeg/codec/enc/mozjpeg_enc.js";
import jpegEncWasm from "@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm" with { type: "file" };
import { encodeWebp, type Pixels } from "../../../server/thumbnails/codec.ts";
import { encodePng } from "../../fakes/media.ts";
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

/** A PNG (8-bit RGBA, no filter) of the pixels. */
export function png(pixels: Pixels): Uint8Array {
  const stride = pixels.width * 4;
  const raw = new Uint8Array((stride + 1) * pixels.height);
  for (let y = 0; y < pixels.height; y++) raw.set(pixels.data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return encodePng(pixels.width, pixels.height, 4, raw);
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
