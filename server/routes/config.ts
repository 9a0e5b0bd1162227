// Configuration endpoints: POST /api/config/models/test.
import { Elysia } from "elysia";
import type { AppDeps } from "../app.ts";
import { readJsonBody } from "../http/body.ts";
import { testModel } from "../services/model-test.ts";

/** Model configuration: connection tests. */
export const configRoutes = (deps: AppDeps) =>
  new Elysia({ name: "config", prefix: "/api/config" }).post(
    "/models/test",
    async ({ request }) => testModel(deps.config, await readJsonBody(request, deps.config.get().server.max_body_mib * 1048576)),
    { parse: "none" },
  );
