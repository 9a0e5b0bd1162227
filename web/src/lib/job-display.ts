// How a live job reads: its short id, and the elapsed time ticking locally between server updates.
import type { JobView } from "./api.ts";

/**
 * Seconds a running job has been running at `now`: the server's `elapsed_seconds` at `receivedAt` plus the
 * local time since (so the browser's clock need not agree with the daemon's); undefined unless running.
 */
export function elapsedSeconds(view: Pick<JobView, "status" | "elapsed_seconds" | "started_at">, receivedAt: number, now: number): number | undefined {
  if (view.status !== "running") return undefined;
  if (view.elapsed_seconds !== undefined) return view.elapsed_seconds + Math.max(0, now - receivedAt) / 1000;
  if (view.started_at) return Math.max(0, (now - Date.parse(view.started_at)) / 1000);
  return undefined;
}

/** Whole seconds as a clock: `0:07`, `2:05`, `1:02:03`. */
export function formatClock(seconds: number): string {
  const total = Math.floor(Math.max(0, seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** The last 8 characters of a job id: ids are time-ordered UUIDs, so their heads are alike and their tails differ. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(-8) : id;
}
