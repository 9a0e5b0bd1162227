// Where and how generated files are written: <output_dir>/assets/generated/<prefix>_<stamp>_<hex>.<ext>, atomically.
import { randomBytes } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, fsync, linkSync, mkdirSync, openSync, renameSync, rmSync, statfsSync, statSync, writeSync, type Stats } from "node:fs";
import { copyFile, open } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import type { MediaType } from "../config/schema.ts";
import { SPOOL_WRITE_KIB } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";
import { describeFileKind, errnoCode, fsReason } from "../formats/fs-facts.ts";
import type { Spool, SpooledFile } from "../providers/types.ts";

/** Name prefix of the temp files a generation is written to before its rename (cleaned after a crash). */
export const PARTIAL_PREFIX = ".mediagen-";

/** File name prefix per media type, as the original server used. */
export const FILE_PREFIX: Record<MediaType, string> = { image: "img", video: "vid", audio: "tts" };

const GENERATED_SUBDIR = join("assets", "generated");

/** The daemon's own output store under its data folder, where remote callers' results are kept. */
export const OUTPUT_STORE_SUBDIR = "outputs";

/** The store folder of results made at `now`: `<data-dir>/outputs/<yyyy-mm>` (local time, as file names are). */
export function storeDir(dataDir: string, now = new Date()): string {
  return join(dataDir, OUTPUT_STORE_SUBDIR, `${now.getFullYear()}-${pad(now.getMonth() + 1)}`);
}

/**
 * The folder a generation is written to: `<output_dir>/assets/generated`. An output_dir that already
 * ends in assets/generated (as newer versions of the skill pass) is used as is.
 */
export function generatedDir(outputDir: string | undefined, fallback: string): string {
  const base = outputDir ?? fallback;
  if (base.includes("\0")) throw invalidArgument("output_dir", "output_dir contains a NUL byte; pass an absolute folder path");
  if (!isAbsolute(base)) {
    throw invalidArgument("output_dir", `output_dir must be an absolute path, got "${base}"`);
  }
  const clean = resolve(base);
  return clean.endsWith(`${sep}${GENERATED_SUBDIR}`) ? clean : join(clean, GENERATED_SUBDIR);
}

/**
 * Why a result could not be written into `dir` (created on demand), or undefined when it can: checked on
 * its nearest existing folder without creating anything. Catches a file or pipe in the way, a read-only
 * or unwritable folder, a virtual filesystem such as /proc, and less than `minFreeBytes` free.
 */
export function outputDirProblem(dir: string, minFreeBytes: number): string | undefined {
  let existing = dir;
  let stat: Stats | undefined;
  for (;;) {
    try {
      stat = statSync(existing);
      break;
    } catch (error) {
      const code = errnoCode(error);
      if (code !== "ENOENT" && code !== "ENOTDIR") return `${existing} cannot be read (${fsReason(error)})`;
      const parent = dirname(existing);
      if (parent === existing) return `no folder of ${dir} exists`;
      existing = parent;
    }
  }
  if (!stat.isDirectory()) return `${existing} is ${describeFileKind(stat)}, not a folder`;
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    return errnoCode(error) === "EROFS" ? `${existing} is on a read-only file system` : `${existing} is not writable by mediagen (${fsReason(error)})`;
  }
  try {
    const fs = statfsSync(existing);
    if (fs.blocks === 0) return `${existing} is on a virtual file system (like /proc) that cannot hold files`;
    const free = fs.bavail * fs.bsize;
    if (free < minFreeBytes) return `the disk holding ${existing} has ${(free / 1048576).toFixed(1)} MiB free; at least ${Math.round(minFreeBytes / 1048576)} MiB is needed`;
  } catch {
    // statfs is unavailable on some file systems: the write itself will tell
  }
  return undefined;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `img_20260525_011820_a1b2c3d4.png`: local time plus 4 random bytes. */
export function outputFileName(type: MediaType, extension: string, now = new Date()): string {
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${FILE_PREFIX[type]}_${date}_${time}_${randomBytes(4).toString("hex")}.${extension}`;
}

/**
 * Writes `bytes` to a new file in `dir` atomically (temp file, fsync, rename) and returns its path.
 * Never overwrites an existing file: a name clash picks a new name.
 */
export async function writeNewFile(dir: string, name: () => string, bytes: Uint8Array): Promise<string> {
  mkdirSync(dir, { recursive: true });
  let target = join(dir, name());
  while (existsSync(target)) target = join(dir, name());
  const temp = join(dir, `${PARTIAL_PREFIX}${randomBytes(6).toString("hex")}.partial`);
  const handle = await open(temp, "wx", 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    rmSync(temp, { force: true });
    throw error;
  }
  await handle.close();
  renameSync(temp, target);
  return target;
}

const tempName = (dir: string) => join(dir, `${PARTIAL_PREFIX}${randomBytes(6).toString("hex")}.partial`);

/** fsync as a promise (on the thread pool: syncing a gigabyte must not stall the daemon). */
const syncFd = (fd: number) => new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));

/**
 * Opens a new temp file in `dir` (created on demand) that a download is streamed into: chunks are gathered into
 * SPOOL_WRITE_KIB pieces and written at once, `finish` syncs it. Its name starts with PARTIAL_PREFIX, so a crash
 * leaves nothing that recovery does not remove.
 */
export function openSpool(dir: string): Spool {
  mkdirSync(dir, { recursive: true });
  const path = tempName(dir);
  const fd = openSync(path, "wx", 0o644);
  // Allocated on the first write: a body Bun writes natively (`pipe`) never needs it.
  let buffer = new Uint8Array();
  let buffered = 0;
  let open = true;
  const writeAll = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
  };
  const flush = () => {
    writeAll(buffer.subarray(0, buffered));
    buffered = 0;
  };
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  const spool: Spool = {
    path,
    size: 0,
    write(chunk) {
      if (buffer.length === 0) buffer = new Uint8Array(SPOOL_WRITE_KIB * 1024);
      if (buffered + chunk.byteLength > buffer.length) flush();
      if (chunk.byteLength >= buffer.length) writeAll(chunk);
      else {
        buffer.set(chunk, buffered);
        buffered += chunk.byteLength;
      }
      spool.size += chunk.byteLength;
    },
    async pipe(response) {
      flush();
      spool.size += await Bun.write(Bun.file(fd), response);
    },
    async finish() {
      flush();
      await syncFd(fd);
      close();
      return { path, size: spool.size };
    },
    discard() {
      try {
        close();
      } finally {
        rmSync(path, { force: true });
      }
    },
  };
  return spool;
}

/**
 * Opens a spool in the first of `dirs` that takes one (the job's folder, then the default one): a download is paid
 * for, so it goes where it can be kept. Throws storage_error when none can.
 */
export async function openSpoolIn(dirs: readonly string[]): Promise<Spool> {
  const reasons: string[] = [];
  for (const dir of new Set(dirs)) {
    try {
      return openSpool(dir);
    } catch (error) {
      reasons.push(`${dir}: ${fsReason(error)}`);
    }
  }
  throw new AppError("storage_error", `No folder could take the download (${reasons.join("; ")}); free space or make the folder writable`);
}

/**
 * Moves a synced temp file into `dir` under a new name and returns its path: a hard link then an unlink, so an
 * existing file is never overwritten and the file appears whole; where links are not supported, a rename; across
 * disks, a copy synced before its rename. The temp file is gone afterwards unless this throws.
 */
export async function placeFile(dir: string, name: () => string, file: SpooledFile): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (;;) {
    const target = join(dir, name());
    try {
      linkSync(file.path, target);
      rmSync(file.path, { force: true });
      return target;
    } catch (error) {
      const code = errnoCode(error);
      if (code === "EEXIST") continue;
      if (code === "EXDEV") return copyInto(dir, target, name, file);
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EMLINK") throw error;
    }
    if (existsSync(target)) continue;
    try {
      renameSync(file.path, target);
      return target;
    } catch (error) {
      if (errnoCode(error) !== "EXDEV") throw error;
      return copyInto(dir, target, name, file);
    }
  }
}

/** Copies a temp file onto another disk: into a temp file of `dir`, synced, renamed to `target`; then removes the source. */
async function copyInto(dir: string, target: string, name: () => string, file: SpooledFile): Promise<string> {
  const temp = tempName(dir);
  try {
    await copyFile(file.path, temp, constants.COPYFILE_EXCL);
    const handle = await open(temp, "r+");
    await handle.sync().finally(() => handle.close());
    let final = target;
    while (existsSync(final)) final = join(dir, name());
    renameSync(temp, final);
    rmSync(file.path, { force: true });
    return final;
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
