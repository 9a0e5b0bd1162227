// The seed's /api/media endpoints, plus jobs: async submission, status, events, cancel.
import { Elysia } from "elysia";
import type { MediaType } from "../config/schema.ts";
import { MAX_NAME_CHARS } from "../defaults.ts";
import { AppError, errorResponse, invalidArgument, toAppError } from "../errors.ts";
import { readJsonBody } from "../http/body.ts";
import { eventStream } from "../http/sse.ts";
import type { AppDeps } from "../deps.ts";
import { checkDeliveryHeader, downloadUrl, isRemoteCaller, publicOrigin } from "../http/peer.ts";
import { legacyStatus, viewWithDownload, withDownload, type FileUrl, type JobUrls } from "./responses.ts";
import { isFinished, type Door } from "../ledger/schema.ts";
import type { Caller } from "./requests.ts";
import type { Principal } from "../tokens/access.ts";
import { principalOf } from "../tokens/request.ts";
import { JobList, JobView, MediaTypes } from "./schema.ts";
import type { MediaOutcome, SubmitOptions } from "./service.ts";

type Set = { status?: number | string; headers: Record<string, string | number> };

/** Where the daemon serves a job's status and its events (doors inside the daemon point at them too). */
export const JOB_URLS: JobUrls = { status: (id) => `/api/media/jobs/${id}`, events: (id) => `/api/media/jobs/${id}/events` };

/** Async when the body says `"async": true` or the client sends `Prefer: respond-async`. */
function submitOptions(request: Request, body: Record<string, unknown>): SubmitOptions {
  const prefer = request.headers.get("prefer") ?? "";
  const key = request.headers.get("idempotency-key") ?? body.idempotency_key;
  if (key !== undefined && (typeof key !== "string" || key.trim() === "" || key.length > 255)) {
    throw invalidArgument("idempotency_key", "Idempotency-Key must be a non-empty string of at most 255 characters");
  }
  if (body.async !== undefined && typeof body.async !== "boolean") throw invalidArgument("async", "async must be true or false");
  return { async: body.async === true || /\brespond-async\b/i.test(prefer), idempotencyKey: key?.trim(), urls: JOB_URLS };
}

/** Doors that reach the daemon through these endpoints and say so with `X-Mediagen-Door` (a label, not a credential). */
const LABELLED_DOORS = new Set<Door>(["ui", "mcp", "cli"]);

/** The caller's session as it names it in `X-Mediagen-Session` (any door over HTTP), or undefined. */
export function sessionOf(request: Request): string | undefined {
  return request.headers.get("x-mediagen-session")?.trim().slice(0, MAX_NAME_CHARS) || undefined;
}

/**
 * Who is asking: the door (the seed API unless the web UI, `mediagen mcp` or the CLI says otherwise), the
 * User-Agent, the session the caller names and the token's owner.
 */
export function callerOf(request: Request, principal?: Principal): Caller {
  const said = request.headers.get("x-mediagen-door")?.trim().toLowerCase() as Door | undefined;
  return {
    door: said && LABELLED_DOORS.has(said) ? said : "api",
    client: request.headers.get("user-agent")?.slice(0, MAX_NAME_CHARS),
    session: sessionOf(request),
    principal,
    remote: isRemoteCaller(request),
  };
}

/** How answers to `request` point at files: whether its caller is remote, and the absolute URL of a generation's file. */
export function deliveryOf(deps: AppDeps, request: Request): { remote: boolean; fileUrl: FileUrl } {
  const origin = publicOrigin(request, deps.config.get().server.public_url);
  return { remote: isRemoteCaller(request), fileUrl: (id) => downloadUrl(origin, id) };
}

async function answer(deps: AppDeps, type: MediaType, request: Request, set: Set) {
  const maxBytes = deps.config.get().server.max_body_mib * 1048576;
  let outcome: MediaOutcome;
  const caller = callerOf(request, principalOf(deps, request));
  try {
    checkDeliveryHeader(request);
    const body = await readJsonBody(request, maxBytes);
    const options = submitOptions(request, body);
    outcome = await deps.media.submit(type, body, caller, options);
  } catch (error) {
    outcome = deps.media.rejected(type, toAppError(error), caller);
  }
  if (!outcome.ok) return errorResponse(outcome.error, {}, outcome.body);
  if (outcome.accepted) {
    set.status = 202;
    set.headers.location = String(outcome.body.status_url);
    return outcome.body;
  }
  const { remote, fileUrl } = deliveryOf(deps, request);
  return withDownload(outcome.body, fileUrl, remote);
}

async function findJob(deps: AppDeps, id: string): Promise<JobView> {
  const job = await deps.media.job(id);
  if (!job) throw new AppError("not_found", `No job with id ${id}`);
  return job;
}


/** A job's view as `request`'s caller sees it: its result with the file's download_url. */
function jobFor(deps: AppDeps, request: Request, view: JobView): JobView {
  const { remote, fileUrl } = deliveryOf(deps, request);
  return viewWithDownload(view, fileUrl, remote);
}

/** Server-Sent Events of a job's state until it ends. */
async function jobEvents(deps: AppDeps, id: string, request: Request): Promise<Response> {
  const seen = (view: JobView) => jobFor(deps, request, view);
  const first = seen(await findJob(deps, id));
  return eventStream<JobView>(
    {
      first,
      subscribe: (send) => deps.media.subscribe(id, (view) => send(seen(view))),
      current: async () => {
        const now = await deps.media.job(id);
        return now && seen(now);
      },
      event: (view) => view.status,
      last: (view) => isFinished(view.status),
    },
    request.signal,
  );
}

/** `GET /api/media/types`, `POST /api/media/image`, `/video`, `/audio/speech`, and the jobs endpoints. */
export const mediaRoutes = (deps: AppDeps) =>
  new Elysia({ name: "media", prefix: "/api/media" })
    .get("/types", () => deps.media.types(), { response: MediaTypes })
    .post("/image", ({ request, set }) => answer(deps, "image", request, set), { parse: "none" })
    .post("/video", ({ request, set }) => answer(deps, "video", request, set), { parse: "none" })
    .post("/audio/speech", ({ request, set }) => answer(deps, "audio", request, set), { parse: "none" })
    .get("/video/status", async ({ query, request }) => {
      const id = typeof query.task_id === "string" ? query.task_id.trim() : "";
      if (!id) throw invalidArgument("task_id", "task_id is required");
      return legacyStatus(jobFor(deps, request, await findJob(deps, id)));
    })
    .get("/jobs", async () => ({ items: await deps.media.liveJobs() }), { response: JobList })
    .get("/jobs/:id", async ({ params, request }) => jobFor(deps, request, await findJob(deps, params.id)), { response: JobView })
    .get("/jobs/:id/events", ({ params, request }) => jobEvents(deps, params.id, request))
    .delete("/jobs/:id", ({ params }) => deps.media.cancel(params.id), { response: JobView });
