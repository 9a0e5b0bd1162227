// How a live job reads: its short id, and the elapsed time ticking locally between server updates.
import type { Generation, JobView } from "./api.ts";
import { t } from "./i18n.ts";

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

/** One model entry a job fell back from: how to name it and the error that moved the job on. */
export interface FellBack {
  label: string;
  errorType: string;
}

/** The entries a live job fell back from (its view's `fallback_from`), labelled `provider · name-or-model`. */
export function fellBackFrom(view: Pick<JobView, "fallback_from">): FellBack[] {
  return (view.fallback_from ?? []).map((entry) => ({ label: `${entry.provider} · ${entry.name ?? entry.model}`, errorType: entry.error_type }));
}

/**
 * The entries a ledger row fell back from, read from its attempts: each entry tried other than the one the row
 * names, with how its last call ended. Attempts recorded before fallbacks existed name no entry and are skipped.
 */
export function fellBackFromAttempts(row: Pick<Generation, "attempts" | "model" | "provider" | "model_name">): FellBack[] {
  const tried: (FellBack & { key: string })[] = [];
  const current = `${row.provider}\n${row.model}\n${row.model_name ?? ""}`;
  for (const attempt of row.attempts) {
    if (attempt.model === undefined || attempt.provider === undefined) continue;
    const key = `${attempt.provider}\n${attempt.model}\n${attempt.entry ?? ""}`;
    const last = tried.at(-1);
    if (last?.key === key) last.errorType = attempt.outcome;
    else tried.push({ key, label: `${attempt.provider} · ${attempt.entry ?? attempt.model}`, errorType: attempt.outcome });
  }
  return tried.filter((entry) => entry.key !== current).map(({ label, errorType }) => ({ label, errorType }));
}

/** "a (overloaded), b (rate_limited)": the entries a job fell back from, for one line of text. */
export function fallbackText(entries: readonly FellBack[]): string {
  return entries.map((entry) => `${entry.label} (${entry.errorType})`).join(", ");
}

/** The last 8 characters of a job id: ids are time-ordered UUIDs, so their heads are alike and their tails differ. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(-8) : id;
}

/** The caller of a job or generation as one line: its door, client and session (`MCP · claude-code · session 1a2b3c4d`). */
export function callerText(caller: Pick<JobView, "door" | "client" | "session_id">): string {
  const parts = [t(`door.${caller.door}`)];
  if (caller.client) parts.push(caller.client);
  if (caller.session_id) parts.push(t("jobs.session", { session: caller.session_id.length > 12 ? caller.session_id.slice(-8) : caller.session_id }));
  return parts.join(" · ");
}

/** An input's short name: a file's base name, a URL's last segment, or the label of inline data as recorded. */
export function inputName(source: string): string {
  const trimmed = source.replace(/[?#].*$/, "").replace(/[\\/]+$/, "");
  return trimmed.split(/[\\/]/).at(-1) || source;
}

/** What the Jobs page narrows the live queue to: a door and text found in the client or session ("" for any). */
export interface CallerFilter {
  door: "" | JobView["door"];
  text: string;
}

/** Whether a job's caller passes the filter (the text is matched case-insensitively in the client and the session). */
export function matchesCaller(job: Pick<JobView, "door" | "client" | "session_id">, filter: CallerFilter): boolean {
  if (filter.door && job.door !== filter.door) return false;
  const text = filter.text.trim().toLowerCase();
  if (!text) return true;
  return [job.client, job.session_id].some((value) => value?.toLowerCase().includes(text) === true);
}
