// One daemon per data folder: `<dataDir>/mediagen.lock`, held with flock(2) for the life of the process.
//
// Why flock and not "exclusive create + is the PID alive": the kernel drops an flock the moment its holder dies,
// kill -9 included, so a stale lock can never block a start, a reused PID can never be mistaken for a live
// daemon, and two daemons starting at the same instant cannot both win (flock is atomic). The PID written into
// the file is only there for the message. Bun has no file-lock API, so flock is called from libc through bun:ffi;
// where that is unavailable (no glibc/libSystem), an exclusive create plus a liveness check is the fallback.
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { dlopen, FFIType, read } from "bun:ffi";

/** Name of the lock file inside the data folder. */
export const LOCK_FILE_NAME = "mediagen.lock";

/** Another live process holds the data folder. */
export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";

  constructor(
    readonly dataDir: string,
    /** The holder's PID, when its lock file names one. */
    readonly pid: number | undefined,
  ) {
    super(
      `data directory ${dataDir} is in use by ${pid ? `PID ${pid}` : "another process"} (another mediagen daemon); ` +
        "stop it first, or start this one with a different --data-dir",
    );
  }
}

/** A held data-folder lock. */
export interface DataLock {
  path: string;
  /** Removes the lock file and releases the lock (idempotent). */
  release(): void;
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = new Set([11, 35]); // Linux EAGAIN, macOS EWOULDBLOCK

type Flock = (fd: number) => "locked" | "busy" | "unsupported";

let flockImpl: Flock | undefined;

// flock(fd, LOCK_EX | LOCK_NB) from libc, or a stub answering "unsupported".
function loadFlock(): Flock {
  if (flockImpl) return flockImpl;
  const unsupported: Flock = () => "unsupported";
  try {
    const candidates =
      process.platform === "darwin"
        ? [{ lib: "libc.dylib", errno: "__error" }]
        : [
            { lib: "libc.so.6", errno: "__errno_location" },
            { lib: "libc.so", errno: "__errno_location" },
          ];
    for (const { lib, errno } of candidates) {
      try {
        const libc = dlopen(lib, {
          flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
          [errno]: { args: [], returns: FFIType.ptr },
        });
        const errnoOf = libc.symbols[errno] as () => number | null;
        flockImpl = (fd) => {
          if (libc.symbols.flock(fd, LOCK_EX | LOCK_NB) === 0) return "locked";
          const pointer = errnoOf();
          return pointer && EWOULDBLOCK.has(read.i32(pointer as never)) ? "busy" : "unsupported";
        };
        return flockImpl;
      } catch {
        // try the next name
      }
    }
  } catch {
    // bun:ffi unavailable
  }
  flockImpl = unsupported;
  return flockImpl;
}

function pidIn(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sameFile(fd: number, path: string): boolean {
  try {
    const held = fstatSync(fd);
    const named = statSync(path);
    return held.ino === named.ino && held.dev === named.dev;
  } catch {
    return false;
  }
}

/** The holder's PID, read a few times: a starter that just won the lock writes it a moment later. */
function holderPid(path: string): number | undefined {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pid = pidIn(path);
    if (pid) return pid;
    Bun.sleepSync(25);
  }
  return undefined;
}

/**
 * Takes the lock of `dataDir` (creating the folder), or throws DataDirInUseError naming the holder's PID.
 * Call it before opening the database: a second daemon must not touch the first one's jobs.
 */
export function lockDataDir(dataDir: string): DataLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE_NAME);
  const flock = loadFlock();
  for (let attempt = 0; attempt < 10; attempt++) {
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    const state = flock(fd);
    if (state === "unsupported") {
      closeSync(fd);
      return lockByPidFile(dataDir, path);
    }
    if (state === "busy") {
      closeSync(fd);
      throw new DataDirInUseError(dataDir, holderPid(path));
    }
    // The previous holder may have removed the file between our open and our flock: lock the file the path names.
    if (!sameFile(fd, path)) {
      closeSync(fd);
      continue;
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
    return heldLock(path, fd);
  }
  throw new DataDirInUseError(dataDir, pidIn(path));
}

function heldLock(path: string, fd: number | undefined): DataLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      try {
        // Unlink while still holding the lock, so no one else's fresh lock file is removed.
        if (fd === undefined ? pidIn(path) === process.pid : sameFile(fd, path)) unlinkSync(path);
      } catch {
        // already gone
      }
      if (fd !== undefined) closeSync(fd);
    },
  };
}

// Fallback without flock: exclusive create; a file naming a dead PID is stale and taken over.
// Weaker than flock: a reused PID keeps the lock until that process ends.
function lockByPidFile(dataDir: string, path: string): DataLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return heldLock(path, undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = pidIn(path);
      if (pid && pid !== process.pid && isAlive(pid)) throw new DataDirInUseError(dataDir, pid);
      try {
        unlinkSync(path);
      } catch {
        // another starter took it over first; retry the create
      }
    }
  }
  throw new DataDirInUseError(dataDir, pidIn(path));
}
