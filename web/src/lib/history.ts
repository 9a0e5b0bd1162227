// Pure helpers of the History page: filters to API queries, the re-run request of a record, field formatting.
import type { Generation, ImageBody, SpeechBody, VideoBody } from "./api.ts";
import { ownerParams } from "./owners.ts";

/** Generations fetched per page (the grid renders only the rows in view, so a page can be generous). */
export const PAGE_SIZE = 60;

/** What the filter bar holds; empty strings mean "any". */
export interface HistoryFilters {
  type: "" | Generation["type"];
  status: "" | Generation["status"];
  model: string;
  q: string;
  /** The caller: a door, a client (User-Agent or MCP client name), a session. */
  door: "" | Generation["door"];
  client: string;
  session: string;
  /** Whose requests: "" (everyone), owner:<name> or team:<name> (a token's owner, a team). */
  who: string;
  /** Local dates `YYYY-MM-DD`, `to` inclusive. */
  from: string;
  to: string;
}

/** No filter at all. */
export const NO_FILTERS: HistoryFilters = { type: "", status: "", model: "", q: "", door: "", client: "", session: "", who: "", from: "", to: "" };

/**
 * Filters read from a query string (`?type=image&q=cat`): every field of `defaults` the string names, the rest
 * left at their defaults; unknown parameters are ignored. Generic, so new filter fields need no change here.
 */
export function filtersFromSearch<T extends { [K in keyof T]: string }>(search: string, defaults: T): T {
  const params = new URLSearchParams(search);
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T & string)[]) {
    const value = params.get(key);
    if (value !== null) out[key] = value as T[keyof T & string];
  }
  return out;
}

/** The query string (with its `?`, or empty) of the filters that differ from `defaults`, in their declared order. */
export function searchFromFilters<T extends { [K in keyof T]: string }>(filters: T, defaults: T): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(defaults) as (keyof T & string)[]) if (filters[key] !== defaults[key] && filters[key] !== "") params.set(key, filters[key]);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The skill's markdown for a saved file: `![](file:///abs/path.png)` for pictures, a link for audio and video. */
export function markdownOf(g: Pick<Generation, "type" | "output_path">): string | undefined {
  if (!g.output_path) return undefined;
  const path = /^[A-Za-z]:[\\/]/.test(g.output_path) ? `/${g.output_path.replaceAll("\\", "/")}` : g.output_path;
  const url = `file://${encodeURI(path).replace(/[()]/g, (c) => (c === "(" ? "%28" : "%29"))}`;
  if (g.type === "image") return `![](${url})`;
  const name = path.slice(path.lastIndexOf("/") + 1);
  return `[${g.type === "audio" ? "🔊 " : "🎬 "}${name}](${url})`;
}

/** Who made a record in team mode: its token's owner and team (`alice (design)`); undefined when it has no owner. */
export function ownerOf(g: Pick<Generation, "owner" | "team">): string | undefined {
  if (!g.owner) return undefined;
  return g.team ? `${g.owner} (${g.team})` : g.owner;
}

/** Whether a record has a file to show: succeeded, saved, and not reported gone from disk. The lightbox moves among these. */
export function isViewable(g: Pick<Generation, "status" | "output_path" | "file_missing">): boolean {
  return g.status === "succeeded" && g.output_path !== null && g.file_missing !== true;
}

/** The `GET /api/generations` query of `filters` (blank fields left out, text trimmed), continuing at `cursor`. */
export function historyQuery(filters: HistoryFilters, cursor?: string | null): Record<string, string | number> {
  const query: Record<string, string | number> = { limit: PAGE_SIZE };
  for (const [key, value] of Object.entries(filters) as [keyof HistoryFilters, string][]) if (key !== "who" && value.trim()) query[key] = value.trim();
  if (filters.who) Object.assign(query, ownerParams(filters.who));
  if (cursor) query.cursor = cursor;
  return query;
}

/** The request that runs a recorded generation again, and whether input images had to be left out. */
export type RerunRequest =
  | { type: "image"; body: ImageBody; droppedInputs: boolean }
  | { type: "video"; body: VideoBody; droppedInputs: boolean }
  | { type: "audio"; body: SpeechBody; droppedInputs: false };

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Whether the original request had input images (edits) or a first frame (image-to-video). */
export function hadInputs(g: Pick<Generation, "params">): boolean {
  const inputs = g.params.inputs;
  return (Array.isArray(inputs) && inputs.length > 0) || g.params.first_frame !== undefined;
}

const isPath = (source: unknown): source is string => typeof source === "string" && source.startsWith("/");

/** The model a re-run names by default: the original's entry name, else its model id. */
export const originalModel = (g: Pick<Generation, "model" | "model_name">): string => g.model_name ?? g.model;

/**
 * The same request again from the recorded prompt and parameters (aspect_ratio, duration_seconds, voice), with the
 * original's model (or `model`, another configured one; "" for the type's default), its output folder and the input
 * images the ledger kept as file paths. Inline inputs (base64, data URLs) were never stored: `droppedInputs` says so.
 */
export function rerunRequest(g: Pick<Generation, "type" | "prompt" | "params" | "model" | "model_name">, model: string = originalModel(g)): RerunRequest {
  const aspect = text(g.params.aspect_ratio);
  const common = { ...(model ? { model } : {}), ...(text(g.params.output_dir) ? { output_dir: text(g.params.output_dir) } : {}) };
  if (g.type === "audio") {
    const voice = text(g.params.voice);
    return { type: "audio", body: { input: g.prompt, ...(voice ? { voice } : {}), ...common }, droppedInputs: false };
  }
  if (g.type === "video") {
    const duration = typeof g.params.duration_seconds === "number" ? g.params.duration_seconds : undefined;
    const frame = g.params.first_frame;
    return {
      type: "video",
      body: {
        prompt: g.prompt,
        ...(aspect ? { aspect_ratio: aspect } : {}),
        ...(duration !== undefined ? { duration_seconds: duration } : {}),
        ...(isPath(frame) ? { first_frame: frame } : {}),
        ...common,
      },
      droppedInputs: frame !== undefined && !isPath(frame),
    };
  }
  const inputs = Array.isArray(g.params.inputs) ? (g.params.inputs as unknown[]) : [];
  const kept = inputs.filter(isPath);
  return {
    type: "image",
    body: { prompt: g.prompt, ...(aspect ? { aspect_ratio: aspect } : {}), ...(kept.length ? { images: kept } : {}), ...common },
    droppedInputs: kept.length < inputs.length,
  };
}

/** A recorded value as text, or a dash when there is none. */
export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

/** A record's key/value object as display rows; values that are not text are shown as JSON. */
export function fieldRows(record: Record<string, unknown> | null | undefined): [string, string][] {
  if (!record) return [];
  return Object.entries(record).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]);
}

/** A local date and time with seconds, `2026-11-23 23:41:05`. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const UNIT_PRICE = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 6 });

/** A unit price with the precision prices have (`$0.000002`, `$0.04`): formatUsd would round those away. */
export function formatUnitPrice(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `$${UNIT_PRICE.format(value)}`;
}

/** `1536×1024` for pictures, `4 s` for videos and speech, or null when neither was recorded. */
export function mediaSize(g: Pick<Generation, "width" | "height" | "duration_seconds">): string | null {
  if (g.width && g.height) return `${g.width}×${g.height}`;
  if (g.duration_seconds !== null && g.duration_seconds !== undefined) return `${Number(g.duration_seconds.toFixed(2))} s`;
  return null;
}
