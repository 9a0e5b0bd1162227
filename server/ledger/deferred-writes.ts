// Ledger writes that survive a broken disk: a write that fails (disk full, read-only or vanished database)
// is kept in memory, in order, and retried until the disk recovers, so the daemon never dies of it and no
// outcome is dropped. The state is what /api/health reports as `storage`.
import { closeSync, fstatSync, openSync, statSync } from "node:fs";
import type { StorageStatus } from "./schema.ts";

export type { StorageStatus } from "./schema.ts";

/** Delay between retries of deferred writes, in ms. */
export const DEFERRED_WRITE_RETRY_MS = 2000;

interface Pending {
  label: string;
  write: () => void;
}

/** The message of a failed write, without a stack. */
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

const DISK_ERROR = /^(SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PROTOCOL|CORRUPT|NOTADB)|ENOSPC|EROFS|EIO|EDQUOT|EACCES|EPERM)/;

/** Whether a write failed because of the disk or the database file (worth retrying), not because of the write itself. */
export function isDiskError(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && DISK_ERROR.test(code);
}

/** Keeps failed writes in order and replays them; `write` never throws. */
export class DeferredWrites {
  private readonly pending: Pending[] = [];
  private failure?: string;
  private timer?: ReturnType<typeof setInterval>;
  /** An open descriptor of the database file: while it is held, a deleted file's inode cannot be reused by another. */
  private fd?: number;
  private readonly identity?: string;

  /**
   * `path` is the database file (undefined or ":memory:" for none): its replacement or removal while the
   * daemon runs is reported too. `onProblem` hears each new failure and the recovery (for the log).
   */
  constructor(
    private readonly path: string | undefined,
    private readonly onProblem: (message: string, recovered: boolean) => void = () => {},
    private readonly retryMs = DEFERRED_WRITE_RETRY_MS,
  ) {
    if (path && path !== ":memory:") {
      try {
        this.fd = openSync(path, "r");
        const stat = fstatSync(this.fd);
        this.identity = `${stat.dev}:${stat.ino}`;
      } catch {
        this.fd = undefined;
      }
    }
  }

  /** Runs `write` now, or after the writes already waiting; a failure defers it. True when it is written now. */
  run(label: string, write: () => void): boolean {
    if (this.pending.length > 0) this.flush();
    if (this.pending.length === 0) {
      try {
        write();
        this.recovered();
        return true;
      } catch (error) {
        if (!isDiskError(error)) return this.dropped(label, error);
        this.failed(error);
      }
    }
    this.pending.push({ label, write });
    this.schedule();
    return false;
  }

  /** Replays waiting writes in order until one fails; returns how many are left. */
  flush(): number {
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      try {
        next.write();
      } catch (error) {
        if (isDiskError(error)) {
          this.failed(error);
          return this.pending.length;
        }
        this.dropped(next.label, error);
      }
      this.pending.shift();
    }
    this.recovered();
    this.unschedule();
    return 0;
  }

  /** Runs a write that must not be deferred (an insert, refused instead); it throws, and a disk failure counts for health. */
  now<T>(write: () => T): T {
    try {
      const value = write();
      this.recovered();
      return value;
    } catch (error) {
      if (isDiskError(error)) this.failed(error);
      throw error;
    }
  }

  /** What is still waiting to be written, by label ("succeed <id>"), oldest first. */
  waiting(): string[] {
    return this.pending.map((entry) => entry.label);
  }

  /** The database's health now: a pending write or a replaced file is a problem. */
  status(): StorageStatus {
    if (this.pending.length > 0) this.flush();
    const file = this.fileProblem();
    const problem = file ?? (this.pending.length > 0 || this.failure !== undefined ? this.failure : undefined);
    if (!problem) return { ok: true, pending_writes: 0 };
    const advice = file
      ? "restart mediagen to start a new ledger"
      : `${this.pending.length} write(s) are kept in memory and retried every ${this.retryMs / 1000} s; free disk space or make the data folder writable`;
    return { ok: false, error: `${problem}; ${advice}`, pending_writes: this.pending.length };
  }

  /** Why new jobs must not start (the database file is gone, so their records would be lost), or undefined. */
  unusable(): string | undefined {
    const file = this.fileProblem();
    return file && `${file}; restart mediagen to start a new ledger`;
  }

  /** Stops the retry timer and lets go of the database file (at shutdown). */
  close(): void {
    this.unschedule();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** A write that failed for a reason retrying cannot mend (a bug, not the disk): reported, not kept. */
  private dropped(label: string, error: unknown): false {
    this.onProblem(`ledger write "${label}" failed and was dropped: ${reason(error)}`, false);
    return false;
  }

  private failed(error: unknown): void {
    const message = `ledger database write failed: ${reason(error)}`;
    if (this.failure !== message) this.onProblem(message, false);
    this.failure = message;
  }

  private recovered(): void {
    if (this.failure === undefined || this.pending.length > 0) return;
    this.failure = undefined;
    this.onProblem("ledger database writable again; deferred writes recorded", true);
  }

  private fileIdentity(): string | undefined {
    if (!this.path || this.path === ":memory:") return undefined;
    try {
      const stat = statSync(this.path);
      return `${stat.dev}:${stat.ino}`;
    } catch {
      return undefined;
    }
  }

  private fileProblem(): string | undefined {
    if (this.identity === undefined) return undefined;
    const now = this.fileIdentity();
    if (now === this.identity) return undefined;
    return now === undefined
      ? `the ledger database ${this.path} was deleted while mediagen was running; new records would be lost`
      : `the ledger database ${this.path} was replaced by another file while mediagen was running; new records would be lost`;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.retryMs);
    this.timer.unref?.();
  }

  private unschedule(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
