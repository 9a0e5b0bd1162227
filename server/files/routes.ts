// The gallery's file routes: GET /api/generations/:id/thumbnail, POST /api/generations/:id/open-folder and
// GET /api/files/folder-opener.
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { isRemoteCaller } from "../http/peer.ts";
import { storedFileResponse } from "./holder.ts";
import { thumbnailsDir } from "../thumbnails/thumbnails.ts";
import { folderOpener, spawnOpener } from "./open-folder.ts";
import { FolderOpened, FolderOpenerStatus } from "./schema.ts";

/** A thumbnail never changes once made (a new one gets a new ETag): browsers keep it a day without asking. */
const THUMBNAIL_CACHE = "private, max-age=86400, immutable";

/** Thumbnails and opening a result's folder. */
export const fileRoutes = (deps: AppDeps) =>
  new Elysia({ name: "files" })
    .get("/api/generations/:id/thumbnail", async ({ params, request }) => {
      const generation = await deps.ledger.get(params.id);
      if (!generation) throw new AppError("not_found", `No generation with id ${params.id}`);
      const name = await deps.ledger.thumbnail(params.id);
      if (!name) throw new AppError("not_found", `Generation ${params.id} has no thumbnail; use /api/generations/${params.id}/file`);
      return storedFileResponse(deps, request, params.id, join(thumbnailsDir(deps.config.dataDir), name), "image/webp", { "cache-control": THUMBNAIL_CACHE });
    })
    .get("/api/files/folder-opener", ({ request }) => {
      const opener = openerFor(deps, request);
      return "reason" in opener ? { available: false, reason: opener.reason } : { available: true };
    }, { response: FolderOpenerStatus })
    .post("/api/generations/:id/open-folder", async ({ params, request }) => {
      const generation = await deps.ledger.get(params.id);
      if (!generation) throw new AppError("not_found", `No generation with id ${params.id}`);
      if (!generation.output_path) throw new AppError("not_found", `Generation ${params.id} has no output file (status ${generation.status})`);
      const folder = dirname(generation.output_path);
      if (!existsSync(folder)) throw new AppError("not_found", `The folder of this generation is no longer on disk: ${folder}`);
      const opener = openerFor(deps, request);
      if ("reason" in opener) throw new AppError("no_desktop", `The folder cannot be opened here: ${opener.reason}. Its path is ${folder}`);
      spawnOpener(opener.argv(folder));
      return { opened: true as const, folder };
    }, { response: FolderOpened });

const openerOf = (deps: AppDeps) => (deps.folderOpener ? deps.folderOpener() : folderOpener(deps.bindHost));

/** The opener for a request's caller: none for a caller on another machine (the window would open on the daemon's desktop). */
function openerFor(deps: AppDeps, request: Request): ReturnType<typeof openerOf> {
  if (isRemoteCaller(request)) return { reason: "the request comes from another machine, and the folder would open on the daemon's desktop" };
  return openerOf(deps);
}
