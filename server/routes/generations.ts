// The ledger: GET /api/generations, /:id and /:id/file.
import { Elysia } from "elysia";
import type { AppDeps } from "../app.ts";
import { AppError } from "../errors.ts";
import { fileResponse } from "../http/range.ts";
import { GenerationQuery } from "../schemas/generation.ts";
import { parseOrThrow } from "../schemas/validate.ts";

/** Browse the ledger and fetch generated files. */
export const generationRoutes = (deps: AppDeps) =>
  new Elysia({ name: "generations", prefix: "/api/generations" })
    .get("/", ({ query }) => deps.ledger.list(parseOrThrow(GenerationQuery, query)))
    .get("/:id", ({ params }) => findGeneration(deps, params.id))
    .get("/:id/file", ({ params, request }) => {
      const generation = findGeneration(deps, params.id);
      if (!generation.output_path || !generation.mime_type) {
        throw new AppError("not_found", `Generation ${params.id} has no output file (status ${generation.status})`);
      }
      return fileResponse(request, generation.output_path, generation.mime_type);
    });

function findGeneration(deps: AppDeps, id: string) {
  const generation = deps.ledger.get(id);
  if (!generation) throw new AppError("not_found", `No generation with id ${id}`);
  return generation;
}
