// The live progress line of a generation on a terminal: queue position, elapsed time and the provider's progress.
import type { JobView } from "../media/schema.ts";
import type { Io } from "./io.ts";

/** How often the line is redrawn between job events, in ms (the elapsed time keeps counting). */
export const PROGRESS_REDRAW_MS = 1000;

/** Seconds as `42s` or `3m05s`. */
export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 60) return `${whole}s`;
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
}

/** One line describing a job: `image queued (position 2 in line) · 4s` or `video running · gemini/veo-3.1 · 1m02s · 40%`. */
export function progressLine(job: JobView, elapsedSeconds: number): string {
  const parts = [`${job.type} ${job.status}${job.status === "queued" && job.position ? ` (position ${job.position} in line)` : ""}`];
  parts.push(`${job.provider}/${job.model}`, formatSeconds(elapsedSeconds));
  if (job.progress !== undefined) parts.push(`${Math.round(job.progress)}%`);
  return parts.join(" · ");
}

/** Draws the job's progress on stderr when it is a terminal (nothing otherwise); `stop` clears the line. */
export function progressDisplay(io: Io, now: () => number = Date.now): { update(job: JobView): void; stop(): void } {
  if (!io.tty) return { update() {}, stop() {} };
  const started = now();
  let job: JobView | undefined;
  // The daemon's elapsed time counts from the start of the run; before it, the wait since submitting is shown.
  let runningSince: number | undefined;
  let width = 0;
  const draw = () => {
    if (!job) return;
    const elapsed = (now() - (runningSince ?? started)) / 1000;
    const line = progressLine(job, elapsed);
    io.err(`\r${line.padEnd(width)}`);
    width = line.length;
  };
  const timer = setInterval(draw, PROGRESS_REDRAW_MS);
  return {
    update(next) {
      job = next;
      if (next.status === "running" && next.elapsed_seconds !== undefined) runningSince = now() - next.elapsed_seconds * 1000;
      draw();
    },
    stop() {
      clearInterval(timer);
      if (width > 0) io.err(`\r${" ".repeat(width)}\r`);
    },
  };
}
