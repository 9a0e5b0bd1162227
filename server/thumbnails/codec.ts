// Pictures to small WebP thumbnails with WASM codecs (jSquash: libwebp, MozJPEG, the PNG and resize crates of
// Squoosh). No native addon: the .wasm files are embedded into the executable and compiled from memory.
import webpDecoderFactory from "@jsquash/webp/codec/dec/webp_dec.js";
import webpEncoderFactory from "@jsquash/webp/codec/enc/webp_enc.js";
import jpegDecoderFactory from "@jsquash/jpeg/codec/dec/mozjpeg_dec.js";
import { decode as decodePngWasm, initSync as initPng } from "@jsquash/png/codec/pkg/squoosh_png.js";
import { initSync as initResize, resize as resizeWasm } from "@jsquash/resize/lib/resize/pkg/squoosh_resize.js";
// Embedded into the executable by `bun build --compile`; plain file paths when run from source.
import webpDecWasm from "@jsquash/webp/codec/dec/webp_dec.wasm" with { type: "file" };
import webpEncWasm from "@jsquash/webp/codec/enc/webp_enc.wasm" with { type: "file" };
import jpegDecWasm from "@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm" with { type: "file" };
// @ts-expect-error: the package's .wasm.d.ts types the module's exports; imported as a file, it is a path.
import pngWasmFile from "@jsquash/png/codec/pkg/squoosh_png_bg.wasm" with { type: "file" };
// @ts-expect-error: as above.
import resizeWasmFile from "@jsquash/resize/lib/resize/pkg/squoosh_resize_bg.wasm" with { type: "file" };
import { THUMBNAIL_MAX_PIXELS, THUMBNAIL_MAX_SIDE_PX, THUMBNAIL_WEBP_QUALITY } from "../defaults.ts";
import { imageSize, sniffMedia } from "../formats/media-bytes.ts";

/** Decoded RGBA pixels, as the codecs pass them. */
export interface Pixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

// The codecs build results with `new ImageData(...)`, which Bun does not have.
if (typeof (globalThis as { ImageData?: unknown }).ImageData === "undefined") {
  (globalThis as { ImageData?: unknown }).ImageData = class ImageData implements Pixels {
    readonly colorSpace = "srgb";
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
}

const pngWasm = pngWasmFile as string;
const resizeWasmPath = resizeWasmFile as string;

type Emscripten<T> = (options: Record<string, unknown>) => Promise<T>;
type WebpDecoder = { decode(data: ArrayBuffer | Uint8Array): Pixels | null };
type JpegDecoder = { decode(data: ArrayBuffer | Uint8Array, preserveOrientation: boolean): Pixels | null };
type WebpEncoder = { encode(data: Uint8ClampedArray, width: number, height: number, options: Record<string, number>): Uint8Array | null };

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles an embedded .wasm file once per process. */
function wasm(path: string): Promise<WebAssembly.Module> {
  let module = compiled.get(path);
  if (!module) {
    module = Bun.file(path)
      .arrayBuffer()
      .then((bytes) => WebAssembly.compile(bytes));
    compiled.set(path, module);
  }
  return module;
}

/** Starts an Emscripten codec on a module compiled here (it would otherwise fetch its .wasm by URL). */
async function emscripten<T>(factory: Emscripten<T>, path: string): Promise<T> {
  const module = await wasm(path);
  return factory({
    noInitialRun: true,
    instantiateWasm: (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) => {
      const instance = new WebAssembly.Instance(module, imports);
      done(instance);
      return instance.exports;
    },
  });
}

let webpDecoder: Promise<WebpDecoder> | undefined;
let jpegDecoder: Promise<JpegDecoder> | undefined;
let webpEncoder: Promise<WebpEncoder> | undefined;
let pngReady: Promise<unknown> | undefined;
let resizeReady: Promise<unknown> | undefined;

/** The RGBA pixels of a PNG, JPEG or WebP picture; throws for anything else or a damaged file. */
export async function decodePicture(bytes: Uint8Array): Promise<Pixels> {
  const mime = sniffMedia(bytes)?.mimeType;
  if (mime !== "image/png" && mime !== "image/jpeg" && mime !== "image/webp") {
    throw new Error(`${mime ?? "this format"} cannot be made into a thumbnail (PNG, JPEG and WebP can)`);
  }
  const size = imageSize(bytes);
  if (size && size.width * size.height > THUMBNAIL_MAX_PIXELS) {
    throw new Error(`${size.width}×${size.height} is more than ${THUMBNAIL_MAX_PIXELS} pixels: not decoded`);
  }
  let pixels: Pixels | null;
  if (mime === "image/png") {
    pngReady ??= wasm(pngWasm).then((module) => initPng(module));
    await pngReady;
    pixels = decodePngWasm(bytes) as Pixels;
  } else if (mime === "image/jpeg") {
    jpegDecoder ??= emscripten(jpegDecoderFactory as Emscripten<JpegDecoder>, jpegDecWasm);
    pixels = (await jpegDecoder).decode(bytes, true);
  } else {
    webpDecoder ??= emscripten(webpDecoderFactory as Emscripten<WebpDecoder>, webpDecWasm);
    pixels = (await webpDecoder).decode(bytes);
  }
  if (!pixels || !pixels.width || !pixels.height) throw new Error(`the ${mime} file could not be decoded`);
  return pixels;
}

/** The size that fits `width`×`height` within `maxSide` on its long side, keeping the aspect (never enlarging). */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Shrinks pixels to at most `maxSide` on the long side (Lanczos3, premultiplied alpha); smaller ones pass unchanged. */
export async function shrink(pixels: Pixels, maxSide = THUMBNAIL_MAX_SIDE_PX): Promise<Pixels> {
  const target = fitWithin(pixels.width, pixels.height, maxSide);
  if (target.width === pixels.width && target.height === pixels.height) return pixels;
  resizeReady ??= wasm(resizeWasmPath).then((module) => initResize(module));
  await resizeReady;
  // Arguments: pixels, input size, output size, method 3 (lanczos3), premultiply, colour-space linear RGB.
  const data = resizeWasm(new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength), pixels.width, pixels.height, target.width, target.height, 3, true, true);
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), ...target };
}

/** Encodes pixels as lossy WebP. */
export async function encodeWebp(pixels: Pixels, quality = THUMBNAIL_WEBP_QUALITY): Promise<Uint8Array> {
  webpEncoder ??= emscripten(webpEncoderFactory as Emscripten<WebpEncoder>, webpEncWasm);
  const options = { ...WEBP_OPTIONS, quality };
  const out = (await webpEncoder).encode(pixels.data, pixels.width, pixels.height, options);
  if (!out) throw new Error("the WebP encoder failed");
  return new Uint8Array(out);
}

/** A WebP thumbnail, at most `maxSide` px on its long side, of a PNG, JPEG or WebP picture. */
export async function makeThumbnail(bytes: Uint8Array, maxSide = THUMBNAIL_MAX_SIDE_PX): Promise<{ webp: Uint8Array; width: number; height: number }> {
  const small = await shrink(await decodePicture(bytes), maxSide);
  return { webp: await encodeWebp(small), width: small.width, height: small.height };
}

// libwebp's WebPConfig defaults (as @jsquash/webp's meta.js lists them); quality is set per call.
const WEBP_OPTIONS = {
  target_size: 0, target_PSNR: 0, method: 4, sns_strength: 50, filter_strength: 60, filter_sharpness: 0, filter_type: 1,
  partitions: 0, segments: 4, pass: 1, show_compressed: 0, preprocessing: 0, autofilter: 0, partition_limit: 0,
  alpha_compression: 1, alpha_filtering: 1, alpha_quality: 100, lossless: 0, exact: 0, image_hint: 0, emulate_jpeg_size: 0,
  thread_level: 0, low_memory: 0, near_lossless: 100, use_delta_palette: 0, use_sharp_yuv: 0,
};
