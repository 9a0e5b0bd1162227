// A provider's answer turned into a file: its format and structure checked, speech normalised, written atomically.
import type { MediaType } from "../config/schema.ts";
import { SPEECH_SAMPLE_RATE_HZ } from "../defaults.ts";
import { AppError } from "../errors.ts";
import { checkIntegrity } from "../formats/integrity.ts";
import { imageSize, sniffMedia } from "../formats/media-bytes.ts";
import { normalizeWav, wavDurationSeconds } from "../formats/wav.ts";
import type { SavedOutput } from "../ledger/ledger.ts";
import type { ProviderResult } from "../providers/types.ts";
import { KINDS } from "./kinds.ts";
import { outputFileName, writeNewFile } from "./output-files.ts";

/** What was written to disk. */
export type Saved = SavedOutput;

/** A provider's answer checked and ready to write: its bytes (speech normalised), format, dimensions and duration. */
export type CheckedMedia = Omit<SavedOutput, "outputPath"> & { data: Uint8Array; extension: string };

/** Checks the bytes are the media type asked for and normalises speech WAV; throws invalid_response. Writes nothing. */
export function checkResult(type: MediaType, result: ProviderResult): CheckedMedia {
  let bytes = result.bytes;
  let sniffed = sniffMedia(bytes);
  if (!sniffed || sniffed.kind !== type) {
    const what = sniffed ? `${sniffed.mimeType} data` : "data of an unknown format";
    throw new AppError("invalid_response", `Upstream returned ${what} where ${KINDS[type].article} was expected`);
  }
  checkIntegrity(bytes, sniffed);
  if (sniffed.mimeType === "audio/wav") {
    try {
      bytes = normalizeWav(bytes, SPEECH_SAMPLE_RATE_HZ);
    } catch (error) {
      throw new AppError("invalid_response", `Upstream returned an unreadable WAV: ${error instanceof Error ? error.message : String(error)}`);
    }
    sniffed = sniffMedia(bytes)!;
  }
  const size = sniffed.kind === "image" ? imageSize(bytes) : undefined;
  const durationSeconds = sniffed.mimeType === "audio/wav" ? wavDurationSeconds(bytes) : result.durationSeconds;
  return { data: bytes, extension: sniffed.extension, mimeType: sniffed.mimeType, bytes: bytes.length, ...size, durationSeconds };
}

/** Writes checked media into `dir` atomically under a new name. */
export async function writeResult(type: MediaType, media: CheckedMedia, dir: string): Promise<Saved> {
  const outputPath = await writeNewFile(dir, () => outputFileName(type, media.extension), media.data);
  const { data: _data, extension: _extension, ...facts } = media;
  return { outputPath, ...facts };
}
