// Reading the images a request passes for editing: an absolute file path, bare base64 or a data: URL.
import { statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { MAX_INPUT_IMAGE_MIB } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";
import { sniffMedia } from "./media-bytes.ts";

/** An input image ready to send to a provider. Only the bytes are read; the file itself is never touched. */
export interface InputImage {
  bytes: Uint8Array;
  mimeType: string;
  /** Where it came from, for the ledger: the file path, or `base64`/`data-url`. */
  source: string;
}

const MAX_BYTES = MAX_INPUT_IMAGE_MIB * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;

function decodeBase64(text: string, field: string): Uint8Array {
  const compact = text.replace(/\s+/g, "");
  if (!compact || !BASE64.test(compact)) {
    throw invalidArgument(field, `${field} is not valid base64 data`);
  }
  return Buffer.from(compact, compact.includes("-") || compact.includes("_") ? "base64url" : "base64");
}

function checkImage(bytes: Uint8Array, field: string, source: string): InputImage {
  if (bytes.length > MAX_BYTES) {
    throw new AppError("payload_too_large", `${field} is ${(bytes.length / 1048576).toFixed(1)} MiB; the limit per image is ${MAX_INPUT_IMAGE_MIB} MiB`, { field });
  }
  const sniffed = sniffMedia(bytes);
  if (sniffed?.kind !== "image") {
    throw invalidArgument(field, `${field} is not a PNG, JPEG, WebP or GIF image`);
  }
  return { bytes, mimeType: sniffed.mimeType, source };
}

async function readImageFile(path: string, field: string): Promise<InputImage> {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw invalidArgument(field, `${field} is not a file: ${path}`);
    size = stat.size;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw invalidArgument(field, `${field}: file not found or not readable: ${path}`);
  }
  if (size > MAX_BYTES) {
    throw new AppError("payload_too_large", `${field} is ${(size / 1048576).toFixed(1)} MiB; the limit per image is ${MAX_INPUT_IMAGE_MIB} MiB`, { field });
  }
  const bytes = new Uint8Array(await Bun.file(path).arrayBuffer());
  return checkImage(bytes, field, path);
}

// Base64 of a JPEG starts with "/9j/", which is also an absolute path: decode the start and sniff it.
function isBase64Image(text: string): boolean {
  const compact = text.replace(/\s+/g, "");
  return BASE64.test(compact) && sniffMedia(Buffer.from(compact.slice(0, 24), "base64"))?.kind === "image";
}

/** Reads one input image given as an absolute path, a data: URL or bare base64; a 400 says which rule failed. */
export async function loadInputImage(value: string, field: string): Promise<InputImage> {
  const text = value.trim();
  if (!text) throw invalidArgument(field, `${field} is empty`);
  const dataUrl = DATA_URL.exec(text);
  if (text.startsWith("data:")) {
    if (!dataUrl || !dataUrl[2]?.split(";").includes("base64")) {
      throw invalidArgument(field, `${field} is a data: URL but not a base64 one (expected data:image/png;base64,...)`);
    }
    return checkImage(decodeBase64(dataUrl[3] ?? "", field), field, "data-url");
  }
  if (/^https?:\/\//i.test(text)) {
    throw invalidArgument(field, `${field} is a URL; mediagen does not download inputs. Pass an absolute file path, base64 data or a data: URL`);
  }
  if (isAbsolute(text) && !isBase64Image(text)) return readImageFile(text, field);
  if (BASE64.test(text.replace(/\s+/g, "")) && text.length >= 16) {
    return checkImage(decodeBase64(text, field), field, "base64");
  }
  throw invalidArgument(
    field,
    `${field} must be an absolute file path, bare base64 image data or a data: URL; "${text.slice(0, 60)}" is none of these (relative paths are not accepted)`,
  );
}

/** Reads the `{b64_json, mime_type}` first-frame object of a video request. */
export function loadInlineImage(value: { b64_json: string; mime_type?: string }, field: string): InputImage {
  const image = checkImage(decodeBase64(value.b64_json, `${field}.b64_json`), `${field}.b64_json`, "base64");
  return image;
}
