// Reading the reference media a video request passes (Seedance's frames, reference images, videos and audios): a public
// http(s) URL is passed on unread, anything else (an absolute file path, base64, a data: URL, {b64_json, mime_type}) is
// read here within its cap, images through input-images.ts and its checks.
import { readFileSync, statSync } from "node:fs";
import { extname, isAbsolute } from "node:path";
import { MAX_REFERENCE_AUDIO_MIB, MAX_REFERENCE_VIDEO_MIB } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";
import type { MediaInput } from "../providers/types.ts";
import { describeFileKind } from "./fs-facts.ts";
import { type InputBudget, type InputReservation, loadInputImages, remotePathRefused, type ImageRef } from "./input-images.ts";

/** A reference as a request names it. */
export type MediaRefValue = string | { b64_json: string; mime_type?: string };

/** What a reference is: an image, a video or an audio clip. */
export type RefKind = "image" | "video" | "audio";

const MiB = 1024 * 1024;
const CAPS: Record<Exclude<RefKind, "image">, number> = { video: MAX_REFERENCE_VIDEO_MIB * MiB, audio: MAX_REFERENCE_AUDIO_MIB * MiB };
const DEFAULT_MIME: Record<RefKind, string> = { image: "image/png", video: "video/mp4", audio: "audio/mpeg" };
const MIME_BY_EXTENSION: Record<Exclude<RefKind, "image">, Record<string, string>> = {
  video: { ".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm", ".m4v": "video/mp4" },
  audio: { ".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4", ".aac": "audio/aac", ".ogg": "audio/ogg", ".flac": "audio/flac" },
};
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Whether a reference is a public http(s) URL (passed to the provider as it is). */
export const isWebUrl = (value: MediaRefValue): value is string => typeof value === "string" && /^https?:\/\/\S+$/i.test(value.trim());

/** One reference to read, and the request field naming it (`reference_videos[1]`). */
export interface MediaRef {
  value: MediaRefValue;
  field: string;
  kind: RefKind;
}

/** The references of one request, read, and the bytes they hold reserved in the queue's budget. */
export interface LoadedRefs {
  inputs: MediaInput[];
  reservation?: InputReservation;
}

/**
 * Reads a request's references in order: URLs are kept as URLs; images are read and checked by `loadInputImages`
 * (sniffed, capped, reserved in `budget`); videos and audio files are read within MAX_REFERENCE_VIDEO_MIB /
 * MAX_REFERENCE_AUDIO_MIB (their type from the extension, or the data URL's or `mime_type`'s), inline ones decoded.
 */
export async function loadMediaRefs(refs: readonly MediaRef[], budget?: InputBudget, localFiles = true): Promise<LoadedRefs> {
  const images: ImageRef[] = [];
  for (const ref of refs) if (ref.kind === "image" && !isWebUrl(ref.value)) images.push({ value: ref.value, field: ref.field });
  const loaded = images.length > 0 ? await loadInputImages(images, { budget, field: images[0]!.field.replace(/\[\d+\]$/, ""), localFiles }) : undefined;
  const reservations: InputReservation[] = loaded ? [loaded.reservation] : [];
  try {
    let image = 0;
    const inputs: MediaInput[] = [];
    for (const ref of refs) {
      if (isWebUrl(ref.value)) {
        inputs.push({ url: ref.value.trim(), source: ref.value.trim() });
        continue;
      }
      if (ref.kind === "image") {
        inputs.push(loaded!.images[image++]!);
        continue;
      }
      const input = readOther(ref, ref.kind, localFiles);
      if (budget) reservations.push(budget.reserve(input.bytes.length, ref.field));
      inputs.push(input);
    }
    return { inputs, reservation: reservations.length > 0 ? joined(reservations) : undefined };
  } catch (error) {
    for (const reservation of reservations) reservation.release();
    throw error;
  }
}

function joined(reservations: InputReservation[]): InputReservation {
  return {
    bytes: reservations.reduce((sum, r) => sum + r.bytes, 0),
    release: () => reservations.forEach((r) => r.release()),
    holdUntil: (until) => reservations.forEach((r) => r.holdUntil(until)),
  };
}

function tooLarge(field: string, kind: "video" | "audio", bytes: number): AppError {
  const cap = kind === "video" ? MAX_REFERENCE_VIDEO_MIB : MAX_REFERENCE_AUDIO_MIB;
  return new AppError("payload_too_large", `${field} is ${(bytes / MiB).toFixed(1)} MiB; the limit per reference ${kind} is ${cap} MiB (or pass a public URL)`, { field });
}

function decodeInline(base64: string, field: string, kind: "video" | "audio", mimeType: string): MediaInput & { bytes: Uint8Array } {
  const compact = base64.replace(/\s+/g, "");
  if (!compact || !BASE64.test(compact)) throw invalidArgument(field, `${field} is not valid base64 data`);
  if (Math.floor((compact.replace(/=+$/, "").length * 3) / 4) > CAPS[kind]) throw tooLarge(field, kind, Math.floor((compact.length * 3) / 4));
  const bytes = Buffer.from(compact, compact.includes("-") || compact.includes("_") ? "base64url" : "base64");
  if (bytes.length === 0) throw invalidArgument(field, `${field} is empty`);
  return { bytes, mimeType, source: "base64" };
}

/** A video or audio reference that is not a URL: a data URL, {b64_json, mime_type}, an absolute file path, or bare base64. */
function readOther(ref: MediaRef, kind: "video" | "audio", localFiles: boolean): MediaInput & { bytes: Uint8Array } {
  const { value, field } = ref;
  if (typeof value !== "string") return decodeInline(value.b64_json, `${field}.b64_json`, kind, value.mime_type?.trim() || DEFAULT_MIME[kind]);
  const text = value.trim();
  if (!text) throw invalidArgument(field, `${field} is empty`);
  const dataUrl = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(text);
  if (dataUrl) {
    if (!dataUrl[2]?.split(";").includes("base64")) throw invalidArgument(field, `${field} is a data: URL but not a base64 one (expected data:${DEFAULT_MIME[kind]};base64,...)`);
    return { ...decodeInline(dataUrl[3] ?? "", field, kind, dataUrl[1] || DEFAULT_MIME[kind]), source: "data-url" };
  }
  if (isAbsolute(text)) {
    if (!localFiles) throw remotePathRefused(field);
    return readFile(text, field, kind);
  }
  if (BASE64.test(text.replace(/\s+/g, "")) && text.length >= 16) return decodeInline(text, field, kind, DEFAULT_MIME[kind]);
  throw invalidArgument(field, `${field} is neither an existing file path, a URL, nor base64 data: "${text.slice(0, 60)}" (relative paths are not accepted)`);
}

function readFile(path: string, field: string, kind: "video" | "audio"): MediaInput & { bytes: Uint8Array } {
  const mimeType = MIME_BY_EXTENSION[kind][extname(path).toLowerCase()];
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw invalidArgument(field, `${field}: file not found or not readable: ${path}`);
  }
  if (!stats.isFile()) throw invalidArgument(field, `${field} is not a file: ${path} is ${describeFileKind(stats)}`);
  if (!mimeType) {
    const known = Object.keys(MIME_BY_EXTENSION[kind]).join(", ");
    throw invalidArgument(field, `${field}: ${path} does not end in a ${kind} extension mediagen knows (${known})`);
  }
  if (stats.size === 0) throw invalidArgument(field, `${field}: ${path} is empty`);
  if (stats.size > CAPS[kind]) throw tooLarge(field, kind, stats.size);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw invalidArgument(field, `${field}: file not found or not readable: ${path}`);
  }
  if (bytes.length > CAPS[kind]) throw tooLarge(field, kind, bytes.length);
  return { bytes, mimeType, source: path };
}
