// What a CLI client command reads and writes: injected so tests run commands in-process and read their output.
import type { ExitCode } from "./exit-codes.ts";

/** The terminal and process a command runs in. */
export interface Io {
  /** Writes to stdout (results: paths, tables, --json records). */
  out(text: string): void;
  /** Writes to stderr (progress, messages, errors). */
  err(text: string): void;
  /** Whether stderr is a terminal (a live progress line is drawn only then). */
  tty: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Standard input as text (a prompt given as `-`). */
  stdin(): Promise<string>;
  /** Registers what Ctrl-C does while a generation runs; returns the function that unregisters it. */
  onInterrupt(handler: () => void): () => void;
}

/** The real process's streams and environment. */
export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    tty: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    env: process.env,
    stdin: () => Bun.stdin.text(),
    onInterrupt(handler) {
      process.on("SIGINT", handler);
      return () => void process.off("SIGINT", handler);
    },
  };
}

/** A finished command: its exit status. */
export type Outcome = Promise<ExitCode>;
