// Every answer of the media endpoints is built here and nowhere else: success, failure, accepted (202) and the
// original server's legacy status shape.
import type { MediaType, ModelEntry } from "../config/schema.ts";
import type { AppError } from "../errors.ts";
import type { ProviderResult } from "../providers/types.ts";
import { KINDS, type ResultFacts } from "./kinds.ts";
import { skillUsage } from "./usage.ts";
import type { JobAccepted, JobView, MediaResponse } from "./schema.ts";

/** A finished media request: the seed-shaped body, and the error when it failed. `accepted` marks an async 202. */
export type MediaOutcome = { ok: true; body: MediaResponse; accepted?: boolean } | { ok: false; error: AppError; body: MediaResponse };

/** Where a job's status and events are served (the routes own the URLs). */
export interface JobUrls {
  status: (id: string) => string;
  events: (id: string) => string;
}

/** The answer of a generation that produced `outputPath`. */
export function successBody(
  type: MediaType,
  id: string,
  entry: ModelEntry,
  echo: Record<string, unknown>,
  saved: ResultFacts & { outputPath: string },
  result: ProviderResult,
  costUsd: number | null,
): MediaResponse {
  const kind = KINDS[type];
  const body: MediaResponse = { success: true, [kind.resultField]: saved.outputPath, model: entry.model, provider: entry.provider, ...echo };
  Object.assign(body, kind.answer(saved, result, echo));
  const usage = skillUsage(result.usage);
  if (usage) body.usage = usage;
  if (costUsd !== null) body.cost_usd = costUsd;
  body.id = id;
  return body;
}

/**
 * The answer of a failed request: the error, the model that would have served it, and the echoed fields.
 * `extra` carries what a particular failure adds (the job id, a saved file's path, a billed cost).
 */
export function failureBody(
  type: MediaType,
  error: AppError,
  entry: { model: string; provider: string } | undefined,
  echo: Record<string, unknown>,
  extra: { id?: string; outputPath?: string; costUsd?: number | null } = {},
): MediaResponse {
  const known = error.type !== "not_configured" && entry;
  const field = KINDS[type].resultField;
  const body: MediaResponse = {
    success: false,
    [field]: null,
    ...error.toJSON(),
    model: known ? entry.model : "",
    provider: known ? entry.provider : "",
    ...echo,
  };
  if (extra.outputPath !== undefined) body[field] = extra.outputPath;
  if (extra.id !== undefined) body.id = extra.id;
  // Only a validated cost is answered (a provider's raw figure on a refusal may be implausible).
  if ("costUsd" in extra) {
    if (extra.costUsd === undefined || extra.costUsd === null) delete body.cost_usd;
    else body.cost_usd = extra.costUsd;
  }
  return body;
}

/** Builds the absolute URL a generation's file is served at (the routes own the URL and its origin). */
export type FileUrl = (id: string) => string;

/**
 * A success answer with its file's `download_url`, and `delivery: "download"` when the caller it goes to is remote
 * (the path field then names the daemon's copy). Any other answer (a failure, a receipt, a 202) is returned as is.
 */
export function withDownload<T extends Record<string, unknown>>(body: T, fileUrl: FileUrl, remote: boolean): T {
  const hasFile = Object.values(KINDS).some((kind) => typeof body[kind.resultField] === "string");
  if (body.success !== true || typeof body.id !== "string" || !hasFile) return body;
  return { ...body, download_url: fileUrl(body.id), ...(remote ? { delivery: "download" } : {}) };
}

/** A job's view with its result's download_url (see withDownload). */
export function viewWithDownload(view: JobView, fileUrl: FileUrl, remote: boolean): JobView {
  return view.result ? { ...view, result: withDownload(view.result, fileUrl, remote) } : view;
}

/** The 202 answer of an async submission. */
export function acceptedBody(view: JobView, urls: JobUrls): JobAccepted {
  return {
    success: true,
    status: view.status,
    task_id: view.id,
    id: view.id,
    type: view.type,
    model: view.model,
    provider: view.provider,
    ...(view.position ? { position: view.position } : {}),
    status_url: urls.status(view.id),
    events_url: urls.events(view.id),
  };
}

/**
 * The original server's answer to a Seedance submission: `status: "submitted"` and the task id to poll at
 * `GET /api/media/video/status` (here the job's id, which that endpoint and /api/media/jobs/{id} both answer).
 */
export function receiptBody(id: string, entry: ModelEntry, echo: Record<string, unknown>, params: Record<string, unknown>): MediaResponse {
  const ratio = typeof params.ratio === "string" ? params.ratio : params.aspect_ratio === "portrait" ? "9:16" : "16:9";
  return { success: true, status: "submitted", task_id: id, id, provider: entry.provider, model: entry.model, ...echo, ratio };
}

/** The original server's `GET /api/media/video/status` shape, for agents written against it. */
export function legacyStatus(job: JobView) {
  const base = { task_id: job.id, provider: job.provider, model: job.model };
  if (job.status === "queued" || job.status === "running") return { success: true, status: "running", ...base, ...(job.progress !== undefined ? { progress: job.progress } : {}) };
  const result = job.result ?? {};
  const path = Object.values(KINDS)
    .map((kind) => result[kind.resultField])
    .find((value) => value !== undefined && value !== null);
  if (job.status === "succeeded") {
    const download = typeof result.download_url === "string" ? { download_url: result.download_url } : {};
    return { success: true, status: "succeeded", ...base, video: path, ...(result.cost_usd !== undefined ? { cost_usd: result.cost_usd } : {}), ...download };
  }
  return { success: false, status: "failed", ...base, error: job.error ?? "failed", error_type: job.error_type ?? job.status };
}
