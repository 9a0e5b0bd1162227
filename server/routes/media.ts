// The seed's /api/media endpoints.
import { Elysia } from "elysia";
import type { MediaType } from "../config/schema.ts";
import { toAppError } from "../errors.ts";
import { readJsonBody } from "../http/body.ts";
import type { AppDeps } from "../app.ts";
import type { Caller, MediaOutcome } from "../services/generation.ts";

type Set = { status?: number | string; headers: Record<string, string | number> };

async function answer(
  deps: AppDeps,
  type: MediaType,
  request: Request,
  set: Set,
  run: (body: Record<string, unknown>, caller: Caller) => Promise<MediaOutcome>,
) {
  const maxBytes = deps.config.get().server.max_body_mib * 1048576;
  let outcome: MediaOutcome;
  try {
    const body = await readJsonBody(request, maxBytes);
    outcome = await run(body, { client: request.headers.get("user-agent") ?? undefined });
  } catch (error) {
    outcome = deps.media.rejected(type, toAppError(error));
  }
  if (!outcome.ok) {
    set.status = outcome.error.status;
    const retry = outcome.error.details.retry_after_seconds;
    if (retry !== undefined) set.headers["retry-after"] = String(retry);
  }
  return outcome.body;
}

/** `GET /api/media/types`, `POST /api/media/image`, `/video` and `/audio/speech`. */
export const mediaRoutes = (deps: AppDeps) =>
  new Elysia({ name: "media", prefix: "/api/media" })
    .get("/types", () => deps.media.types())
    .post("/image", ({ request, set }) => answer(deps, "image", request, set, (b, c) => deps.media.image(b, c)), { parse: "none" })
    .post("/video", ({ request, set }) => answer(deps, "video", request, set, (b, c) => deps.media.video(b, c)), { parse: "none" })
    .post("/audio/speech", ({ request, set }) => answer(deps, "audio", request, set, (b, c) => deps.media.speech(b, c)), {
      parse: "none",
    });
