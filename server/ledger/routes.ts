// The ledger: GET /api/generations, /:id and /:id/file; DELETE /:id.
import { existsSync, unlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { forwardToHolder, heldElsewhere, storedFileResponse } from "../files/holder.ts";
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
      return { ...page, items: await withFileStates(deps, page.items) };
    }, { response: GenerationPage })
    .get("/:id", async ({ params }) => (await withFileStates(deps, [await findGeneration(deps, params.id)]))[0]!, { response: Generation })
    .get("/:id/file", async ({ params, query, request }) => {
      const generation = await findGeneration(deps, params.id);
      if (!generation.output_path || !generation.mime_type) {
        throw new AppError("not_found", `Generation ${params.id} has no output file (status ${generation.status})`);
      }
      const download = query.download === "1" || query.download === "true";
      return storedFileResponse(deps, request, params.id, generation.output_path, generation.mime_type, download ? { "content-disposition": attachment(basename(generation.output_path)) } : {});
    })
    .delete("/:id", async ({ params, query, request }) => {
      const generation = await findGeneration(deps, params.id);
      if (generation.status === "queued" || generation.status === "running") {
        throw new AppError("not_cancellable", `Generation ${params.id} is ${generation.status}; cancel it or wait for it to finish before deleting it`);
      }
      const withFile = query.file === "true" || query.file === "1";
      // Its file (and thumbnail) on another daemon's disk: that daemon deletes the record with them.
      if (withFile && generation.output_path && !existsSync(generation.output_path)) {
        const forwarded = await forwardToHolder(deps, request, params.id);
        // (The holder's answer is a Deleted too, or its error: passed through as it came.)
        if (forwarded) return forwarded as unknown as Deleted;
      }
      const fileRemoved = withFile && generation.output_path ? removeOutput(generation.output_path) : false;
      const thumbnail = await deps.ledger.thumbnail(params.id);
      await deps.ledger.remove(params.id);
      // The thumbnail is mediagen's own copy: it goes with the record (one named after another record is left alone).
      if (thumbnail === `${params.id}.webp`) removeOutput(join(thumbnailsDir(deps.config.dataDir), thumbnail));
      return { success: true as const, id: params.id, file_removed: fileRemoved };
    }, { response: Deleted });

/**
 * Records with whether their files have gone from disk, so the UI never asks for a file that is not there. A file
 * another daemon of the same database made is on that daemon's disk: it is not missing (its download is forwarded).
 */
async function withFileStates(deps: AppDeps, generations: Generation[]): Promise<Generation[]> {
  const absent = new Set(generations.filter((g) => g.status === "succeeded" && g.output_path && !existsSync(g.output_path)).map((g) => g.id));
  const elsewhere = await heldElsewhere(deps, [...absent]);
  return generations.map((g) => (g.status === "succeeded" && g.output_path ? { ...g, file_missing: absent.has(g.id) && !elsewhere.has(g.id) } : g));
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
