// A provider's answer turned into a file: its format and structure checked, speech normalised, written atomically.
// A result streamed to disk is checked from windows of its file and renamed into place, never read whole.
import { closeSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import type { MediaType } from "../config/schema.ts";
import { SPEECH_SAMPLE_RATE_HZ } from "../defaults.ts";
import { AppError } from "../errors.ts";
import { checkedInWindows, checkFileIntegrity, checkIntegrity, type ReadAt } from "../formats/integrity.ts";
import { imageSize, sniffMedia, type SniffedMedia } from "../formats/media-bytes.ts";
import { normalizeWav, wavDurationSeconds } from "../formats/wav.ts";
import type { SavedOutput } from "../ledger/ledger.ts";
import { resultCapBytes, resultTooLarge } from "../providers/http.ts";
import type { ProviderResult, SpooledFile } from "../providers/types.ts";
import { KINDS } from "./kinds.ts";
import { outputFileName, placeFile, writeNewFile } from "./output-files.ts";

/** What was written to disk. */
export type Saved = SavedOutput;

/**
 * A provider's answer checked and ready to write: its bytes (speech normalised) or the temp file it was streamed
 * into, format, dimensions and duration.
 */
export type CheckedMedia = Omit<SavedOutput, "outputPath"> & { extension: string } & ({ data: Uint8Array; file?: undefined } | { file: SpooledFile; data?: undefined });

/** Bytes read from the start of a streamed file to recognise it and read an image's size (JPEG headers can be long). */
const HEAD_BYTES = 256 * 1024;

/** Checks the bytes are the media type asked for and normalises speech WAV; throws invalid_response. Writes nothing. */
export function checkResult(type: MediaType, result: ProviderResult): CheckedMedia {
  const size = result.file ? result.file.size : result.bytes.length;
  if (size > resultCapBytes(type)) throw resultTooLarge(type, size);
  if (result.file) return checkFile(type, result.file, result.durationSeconds);
  return checkBytes(type, result.bytes, result.durationSeconds);
}

function checkBytes(type: MediaType, data: Uint8Array, reportedSeconds: number | undefined): CheckedMedia {
  let bytes = data;
  let sniffed = sniffAs(type, bytes);
  checkIntegrity(bytes, sniffed);
  if (sniffed.mimeType === "audio/wav") {
    try {
      bytes = normalizeWav(bytes, SPEECH_SAMPLE_RATE_HZ);
    } catch (error) {
      throw new AppError("invalid_response", `Upstream returned an unreadable WAV: ${error instanceof Error ? error.message : String(error)}`);
    }
    sniffed = sniffMedia(bytes)!;
  }
  const dimensions = sniffed.kind === "image" ? imageSize(bytes) : undefined;
  const durationSeconds = sniffed.mimeType === "audio/wav" ? wavDurationSeconds(bytes) : reportedSeconds;
  return { data: bytes, extension: sniffed.extension, mimeType: sniffed.mimeType, bytes: bytes.length, ...dimensions, durationSeconds };
}

/**
 * A streamed result: videos are checked from windows of the file and stay on disk; images and speech (capped far
 * lower) are read whole for their checks, and WAV speech is normalised into memory (its temp file then removed).
 */
function checkFile(type: MediaType, file: SpooledFile, reportedSeconds: number | undefined): CheckedMedia {
  const head = readHead(file);
  const sniffed = sniffAs(type, head);
  if (checkedInWindows(sniffed.mimeType)) {
    withReader(file.path, (read) => checkFileIntegrity(file.size, read, sniffed));
    return { file, extension: sniffed.extension, mimeType: sniffed.mimeType, bytes: file.size, durationSeconds: reportedSeconds };
  }
  const bytes = new Uint8Array(readFileSync(file.path));
  if (sniffed.mimeType === "audio/wav") {
    const checked = checkBytes(type, bytes, reportedSeconds);
    rmSync(file.path, { force: true });
    return checked;
  }
  const { data: _data, ...facts } = checkBytes(type, bytes, reportedSeconds);
  return { ...facts, file };
}

function sniffAs(type: MediaType, bytes: Uint8Array): SniffedMedia {
  const sniffed = sniffMedia(bytes);
  if (!sniffed || sniffed.kind !== type) {
    const what = sniffed ? `${sniffed.mimeType} data` : "data of an unknown format";
    throw new AppError("invalid_response", `Upstream returned ${what} where ${KINDS[type].article} was expected`);
  }
  return sniffed;
}

/** Runs `use` with a ReadAt over the file at `path`, closed afterwards. */
function withReader<T>(path: string, use: (read: ReadAt) => T): T {
  const fd = openSync(path, "r");
  try {
    return use((at, length) => {
      const out = new Uint8Array(length);
      const n = readSync(fd, out, 0, length, at);
      return out.subarray(0, n);
    });
  } finally {
    closeSync(fd);
  }
}

const readHead = (file: SpooledFile): Uint8Array => withReader(file.path, (read) => read(0, Math.min(HEAD_BYTES, file.size)));

/** The start of a result's media (all of it when in memory): enough to recognise it and read an image's size. */
export function resultHead(result: ProviderResult): Uint8Array {
  if (!result.file) return result.bytes;
  try {
    return readHead(result.file);
  } catch {
    return new Uint8Array();
  }
}

/** Removes the temp file of a streamed result that could not be saved (a failed check or no writable folder). */
export function discardResult(result: ProviderResult | undefined): void {
  if (result?.file) rmSync(result.file.path, { force: true });
}

/** Writes checked media into `dir` atomically under a new name (a streamed file is moved there, not copied). */
export async function writeResult(type: MediaType, media: CheckedMedia, dir: string): Promise<Saved> {
  const name = () => outputFileName(type, media.extension);
  const outputPath = media.file ? await placeFile(dir, name, media.file) : await writeNewFile(dir, name, media.data);
  const { data: _data, file: _file, extension: _extension, ...facts } = media;
  return { outputPath, ...facts };
}
