// The ledger: GET /api/generations, /:id and /:id/file; DELETE /:id.
import { existsSync, unlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { fileResponse } from "../http/range.ts";
import { Deleted, Generation, GenerationPage, GenerationQuery } from "./schema.ts";
import { parseOrThrow } from "../validate.ts";
import { timeRange } from "../costs/summary.ts";
import { thumbnailsDir } from "../thumbnails/thumbnails.ts";

/** Browse the ledger and fetch generated files. */
export const generationRoutes = (deps: AppDeps) =>
  new Elysia({ name: "generations", prefix: "/api/generations" })
    .get("/", async ({ query }) => {
      const { from, to, ...filters } = parseOrThrow(GenerationQuery, query);
      const page = await deps.ledger.page(filters, timeRange(from, to));
      return { ...page, items: page.items.map(withFileState) };
    }, { response: GenerationPage })
    .get("/:id", async ({ params }) => withFileState(await findGeneration(deps, params.id)), { response: Generation })
    .get("/:id/file", async ({ params, query, request }) => {
      const generation = await findGeneration(deps, params.id);
      if (!generation.output_path || !generation.mime_type) {
        throw new AppError("not_found", `Generation ${params.id} has no output file (status ${generation.status})`);
      }
      const download = query.download === "1" || query.download === "true";
      return fileResponse(request, generation.output_path, generation.mime_type, download ? { "content-disposition": attachment(basename(generation.output_path)) } : {});
    })
    .delete("/:id", async ({ params, query }) => {
      const generation = await findGeneration(deps, params.id);
      if (generation.status === "queued" || generation.status === "running") {
        throw new AppError("not_cancellable", `Generation ${params.id} is ${generation.status}; cancel it or wait for it to finish before deleting it`);
      }
      const withFile = query.file === "true" || query.file === "1";
      const fileRemoved = withFile && generation.output_path ? removeOutput(generation.output_path) : false;
      const thumbnail = await deps.ledger.thumbnail(params.id);
      await deps.ledger.remove(params.id);
      // The thumbnail is mediagen's own copy: it goes with the record (one named after another record is left alone).
      if (thumbnail === `${params.id}.webp`) removeOutput(join(thumbnailsDir(deps.config.dataDir), thumbnail));
      return { success: true as const, id: params.id, file_removed: fileRemoved };
    }, { response: Deleted });

/** A record with whether its file has gone from disk, so the UI never asks for a file that is not there. */
function withFileState(generation: Generation): Generation {
  return generation.status === "succeeded" && generation.output_path ? { ...generation, file_missing: !existsSync(generation.output_path) } : generation;
}

/** `Content-Disposition` of a download under the file's own name: RFC 5987 UTF-8, with an ASCII fallback. */
export function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Deletes a file; false when it was already gone. */
function removeOutput(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

async function findGeneration(deps: AppDeps, id: string) {
  const generation = await deps.ledger.get(id);
  if (!generation) throw new AppError("not_found", `No generation with id ${id}`);
  return generation;
}
