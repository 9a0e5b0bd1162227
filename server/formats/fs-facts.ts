// File-system facts in words for messages: why an operation failed, and what kind of file is in the way.
import type { Stats } from "node:fs";
import { AppError } from "../errors.ts";

/** The errno code of a file-system error (`ENOENT`, `ENOSPC`), or undefined when it has none. */
export function errnoCode(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

/** A file-system error in a few words, led by its code ("ENOSPC: no space left on device, write"). */
export function fsReason(error: unknown): string {
  if (error instanceof AppError) return error.message;
  const code = errnoCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message.replace(/^[A-Z]+: /, "")}` : message;
}

/** What kind of file `stats` describes, for a message saying why it cannot be used ("a folder", "a named pipe (FIFO)"). */
export function describeFileKind(stats: Stats): string {
  if (stats.isFile()) return "a file";
  if (stats.isDirectory()) return "a folder";
  if (stats.isFIFO()) return "a named pipe (FIFO)";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  if (stats.isSymbolicLink()) return "a symbolic link";
  return "a special file";
}
