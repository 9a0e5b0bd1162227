// The ledger: GET /api/generations, /:id and /:id/file; DELETE /:id.
import { unlinkSync } from "node:fs";
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { fileResponse } from "../http/range.ts";
import { Deleted, Generation, GenerationPage, GenerationQuery } from "./schema.ts";
import { parseOrThrow } from "../validate.ts";
import { timeRange } from "../costs/summary.ts";

/** Browse the ledger and fetch generated files. */
export const generationRoutes = (deps: AppDeps) =>
  new Elysia({ name: "generations", prefix: "/api/generations" })
    .get("/", ({ query }) => {
      const { from, to, ...filters } = parseOrThrow(GenerationQuery, query);
      return deps.ledger.page(filters, timeRange(from, to));
    }, { response: GenerationPage })
    .get("/:id", ({ params }) => findGeneration(deps, params.id), { response: Generation })
    .get("/:id/file", ({ params, request }) => {
      const generation = findGeneration(deps, params.id);
      if (!generation.output_path || !generation.mime_type) {
        throw new AppError("not_found", `Generation ${params.id} has no output file (status ${generation.status})`);
      }
      return fileResponse(request, generation.output_path, generation.mime_type);
    })
    .delete("/:id", ({ params, query }) => {
      const generation = findGeneration(deps, params.id);
      if (generation.status === "queued" || generation.status === "running") {
        throw new AppError("not_cancellable", `Generation ${params.id} is ${generation.status}; cancel it or wait for it to finish before deleting it`);
      }
      const withFile = query.file === "true" || query.file === "1";
      const fileRemoved = withFile && generation.output_path ? removeOutput(generation.output_path) : false;
      deps.ledger.remove(params.id);
      return { success: true as const, id: params.id, file_removed: fileRemoved };
    }, { response: Deleted });

/** Deletes a generated file; false when it was already gone. */
function removeOutput(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

function findGeneration(deps: AppDeps, id: string) {
  const generation = deps.ledger.get(id);
  if (!generation) throw new AppError("not_found", `No generation with id ${id}`);
  return generation;
}
