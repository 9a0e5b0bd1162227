// Reading the images a request passes for editing: an absolute file path, bare base64 or a data: URL.
// Files are checked before they are read: only regular files, each read once however often it is named,
// and the total of one request capped before a byte is read. Requests and jobs holding inputs share a cap too,
// reserved before a byte is read.
import { constants, statSync, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { MAX_INPUT_IMAGE_MIB, MAX_INPUT_MIB_PER_REQUEST, MAX_QUEUED_INPUT_MIB } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";
import { describeFileKind, fsReason } from "./fs-facts.ts";
import { sniffMedia } from "./media-bytes.ts";

/** An input image ready to send to a provider. Only the bytes are read; the file itself is never touched. */
export interface InputImage {
  bytes: Uint8Array;
  mimeType: string;
  /** Where it came from, for the ledger: the file path, or `base64`/`data-url`. */
  source: string;
}

/** One input image as a request names it, and the request field naming it (`images[2]`, `image`). */
export interface ImageRef {
  value: string | { b64_json: string; mime_type?: string };
  field: string;
}

const MiB = 1024 * 1024;
const MAX_BYTES = MAX_INPUT_IMAGE_MIB * MiB;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;
// Non-blocking, so opening a FIFO swapped in after the stat cannot hang the daemon; never a controlling terminal.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

function decodeBase64(text: string, field: string): Uint8Array {
  const compact = text.replace(/\s+/g, "");
  if (!compact || !BASE64.test(compact)) {
    throw invalidArgument(field, `${field} is not valid base64 data`);
  }
  return Buffer.from(compact, compact.includes("-") || compact.includes("_") ? "base64url" : "base64");
}

/** Decoded size of base64 text, known before decoding it. */
const base64Size = (text: string) => Math.floor((text.replace(/[\s=]+/g, "").length * 3) / 4);

function tooLargeImage(field: string, bytes: number): AppError {
  return new AppError("payload_too_large", `${field} is ${mib(bytes)}; the limit per image is ${MAX_INPUT_IMAGE_MIB} MiB`, { field });
}

function checkImage(bytes: Uint8Array, field: string, source: string): InputImage {
  if (bytes.length > MAX_BYTES) throw tooLargeImage(field, bytes.length);
  const sniffed = sniffMedia(bytes);
  if (sniffed?.kind !== "image") {
    throw invalidArgument(field, `${field} is not a PNG, JPEG, WebP or GIF image`);
  }
  return { bytes, mimeType: sniffed.mimeType, source };
}

// Base64 of a JPEG starts with "/9j/", which is also an absolute path: decode the start and sniff it.
function isBase64Image(text: string): boolean {
  const compact = text.replace(/\s+/g, "");
  return BASE64.test(compact) && sniffMedia(Buffer.from(compact.slice(0, 24), "base64"))?.kind === "image";
}

/** What a reference turned out to be, before anything is read or decoded. */
type Classified = { kind: "file"; path: string } | { kind: "inline"; base64: string; source: "base64" | "data-url"; field: string };

/** The refusal of a file path sent by a caller the daemon must not read its own files for (another machine). */
export function remotePathRefused(field: string): AppError {
  return invalidArgument(
    field,
    `${field} names a file path, but this request comes from another machine (or asked for download delivery), and the daemon does not read its own files for it; send the file's bytes as a data: URL or base64 instead`,
  );
}

function classify(ref: ImageRef, localFiles: boolean): Classified {
  const { value, field } = ref;
  if (typeof value !== "string") return { kind: "inline", base64: value.b64_json, source: "base64", field: `${field}.b64_json` };
  const text = value.trim();
  if (!text) throw invalidArgument(field, `${field} is empty`);
  if (text.startsWith("data:")) {
    const dataUrl = DATA_URL.exec(text);
    if (!dataUrl || !dataUrl[2]?.split(";").includes("base64")) {
      throw invalidArgument(field, `${field} is a data: URL but not a base64 one (expected data:image/png;base64,...)`);
    }
    return { kind: "inline", base64: dataUrl[3] ?? "", source: "data-url", field };
  }
  if (/^https?:\/\//i.test(text)) {
    throw invalidArgument(field, `${field} is a URL; mediagen does not download inputs. Pass an absolute file path, base64 data or a data: URL`);
  }
  if (isAbsolute(text) && !isBase64Image(text)) {
    if (!localFiles) throw remotePathRefused(field);
    return { kind: "file", path: text };
  }
  if (BASE64.test(text.replace(/\s+/g, "")) && text.length >= 16) return { kind: "inline", base64: text, source: "base64", field };
  throw invalidArgument(
    field,
    `${field} must be an absolute file path, bare base64 image data or a data: URL; "${text.slice(0, 60)}" is none of these (relative paths are not accepted)`,
  );
}

/** Refuses anything but a regular file with a size: folders, FIFOs, devices, and /proc files (which report size 0). */
function checkRegular(stats: Stats, path: string, field: string): void {
  if (!stats.isFile()) throw invalidArgument(field, `${field} is not a file: ${path} is ${describeFileKind(stats)}`);
  if (stats.size === 0) {
    throw invalidArgument(field, `${field} is not a PNG, JPEG, WebP or GIF image: ${path} is empty or a special file that reports no size (such as /proc)`);
  }
  if (stats.size > MAX_BYTES) throw tooLargeImage(field, stats.size);
}

/** An input file opened and checked, not yet read. */
interface OpenFile {
  path: string;
  field: string;
  handle: FileHandle;
  size: number;
  /** Device and inode: the same file under any name or link. */
  identity: string;
  bytes?: Uint8Array;
}

async function openChecked(path: string, field: string): Promise<OpenFile> {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    throw invalidArgument(field, `${field}: file not found or not readable: ${path}`);
  }
  checkRegular(stats, path, field);
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch {
    throw invalidArgument(field, `${field}: file not found or not readable: ${path}`);
  }
  try {
    const opened = await handle.stat();
    checkRegular(opened, path, field);
    return { path, field, handle, size: opened.size, identity: `${opened.dev}:${opened.ino}` };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads exactly the size the file had when checked: a file growing meanwhile cannot make the read larger. */
async function readChecked(file: OpenFile): Promise<Uint8Array> {
  const bytes = new Uint8Array(file.size);
  let offset = 0;
  try {
    while (offset < file.size) {
      const { bytesRead } = await file.handle.read(bytes, offset, file.size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
  } catch (error) {
    throw invalidArgument(file.field, `${file.field}: ${file.path} could not be read (${fsReason(error)}); pass a regular image file`);
  }
  if (offset < file.size) throw invalidArgument(file.field, `${file.field}: ${file.path} changed while it was being read`);
  return bytes;
}

/** How `loadInputImages` counts what it reads against the caps. */
export interface LoadOptions {
  /** The queue-wide budget the bytes are reserved in before any is read; none: only the per-request cap applies. */
  budget?: InputBudget;
  /** The request field a refusal by the budget names (`images`, `image`). */
  field?: string;
  /** Cap on the input bytes of this one request. */
  maxTotalBytes?: number;
  /** Whether file paths may be read (false for a remote caller: a path is then a 400 naming its field). Default true. */
  localFiles?: boolean;
}

/** The images of one request, and the bytes they hold reserved in the budget. */
export interface LoadedInputs {
  images: InputImage[];
  reservation: InputReservation;
}

/**
 * Reads the input images of one request. Every file is checked first (a regular file, within the per-image
 * limit); the total of all references, counting a file named twice twice (it is sent twice), must stay within
 * `maxTotalBytes`, else a 413 names the field that passes it. Then the bytes to hold (each distinct file
 * once, inline images by their decoded size) are reserved in `budget`, a 413 when it is full. Only then is
 * anything read or decoded, each distinct file (same device and inode) once and its bytes shared. A failure
 * after the reservation releases it; on success the caller owns it.
 */
export async function loadInputImages(refs: readonly ImageRef[], options: LoadOptions = {}): Promise<LoadedInputs> {
  const { budget = new InputBudget(Infinity), field: budgetField = "images", maxTotalBytes = MAX_INPUT_MIB_PER_REQUEST * MiB, localFiles = true } = options;
  const classified = refs.map((ref) => classify(ref, localFiles));
  const files = new Map<string, OpenFile>();
  const fileOf: (OpenFile | undefined)[] = [];
  let reservation: InputReservation | undefined;
  try {
    let total = 0;
    let inlineBytes = 0;
    for (const [i, item] of classified.entries()) {
      const field = refs[i]!.field;
      let size: number;
      if (item.kind === "inline") {
        size = base64Size(item.base64);
        if (size > MAX_BYTES) throw tooLargeImage(item.field, size);
        inlineBytes += size;
        fileOf.push(undefined);
      } else {
        const opened = await openChecked(item.path, field);
        const known = files.get(opened.identity);
        if (known) await opened.handle.close();
        else files.set(opened.identity, opened);
        fileOf.push(known ?? opened);
        size = opened.size;
      }
      total += size;
      if (total > maxTotalBytes) {
        throw new AppError(
          "payload_too_large",
          `The input images of this request add up to more than ${Math.round(maxTotalBytes / MiB)} MiB at ${field} (${mib(total)} so far, counting an image named twice twice); send fewer or smaller images`,
          { field },
        );
      }
    }
    const fileBytes = [...files.values()].reduce((sum, file) => sum + file.size, 0);
    reservation = budget.reserve(fileBytes + inlineBytes, budgetField);
    for (const file of files.values()) file.bytes = await readChecked(file);
    const images = classified.map((item, i) => {
      const file = fileOf[i];
      if (file) return checkImage(file.bytes!, refs[i]!.field, file.path);
      const inline = item as Extract<Classified, { kind: "inline" }>;
      return checkImage(decodeBase64(inline.base64, inline.field), inline.field, inline.source);
    });
    return { images, reservation };
  } catch (error) {
    reservation?.release();
    throw error;
  } finally {
    await Promise.all([...files.values()].map((file) => file.handle.close().catch(() => {})));
  }
}

/** Bytes of input images reserved in an `InputBudget` for one request. */
export interface InputReservation {
  /** Bytes reserved: each distinct file once, inline images by their decoded size. */
  readonly bytes: number;
  /** Frees the bytes now, unless a job already holds them (`holdUntil`). Calling it again does nothing. */
  release(): void;
  /** Hands the bytes to a job: they stay reserved until `until` settles, however it settles. */
  holdUntil(until: Promise<unknown>): void;
}

/** Bytes of input images reserved by requests being prepared and held by queued and running jobs, against a cap. */
export class InputBudget {
  private held = 0;

  constructor(readonly maxBytes: number = MAX_QUEUED_INPUT_MIB * MiB) {}

  /** Bytes reserved or held now. */
  get heldBytes(): number {
    return this.held;
  }

  /** Reserves `bytes` before they are read; throws payload_too_large, naming `field`, when they would pass the cap. Zero bytes always pass. */
  reserve(bytes: number, field: string): InputReservation {
    if (bytes > 0 && this.held + bytes > this.maxBytes) {
      throw new AppError(
        "payload_too_large",
        `Queued and running jobs already hold ${mib(this.held)} of input images; this request's ${mib(bytes)} would pass the ${Math.round(this.maxBytes / MiB)} MiB limit. Retry when some of them finish`,
        { field },
      );
    }
    this.held += bytes;
    let state: "reserved" | "held" | "released" = "reserved";
    const free = () => {
      if (state === "released") return;
      state = "released";
      this.held -= bytes;
    };
    return {
      bytes,
      release: () => {
        if (state === "reserved") free();
      },
      holdUntil: (until) => {
        if (state !== "reserved") return;
        state = "held";
        until.then(free, free);
      },
    };
  }
}
