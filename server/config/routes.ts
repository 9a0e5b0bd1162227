// Configuration endpoints: the models in config.yml (list, add, edit, remove, make default), connection
// tests, and the providers/models/voices catalogue the Models page offers.
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { invalidArgument } from "../errors.ts";
import { readJsonBody } from "../http/body.ts";
import { addModel, listModels, makeDefault, ModelList, ModelView, ProviderCatalog, providerCatalog, removeModel, updateModel } from "./editor.ts";
import { ModelTestResult, testModel } from "./model-test.ts";

const body = (deps: AppDeps, request: Request) => readJsonBody(request, deps.config.get().server.max_body_mib * 1048576);

function indexOf(text: string): number {
  const index = Number(text);
  if (!/^\d+$/.test(text)) throw invalidArgument("index", `model index must be a whole number, got "${text}"`);
  return index;
}

/** Model configuration. */
export const configRoutes = (deps: AppDeps) =>
  new Elysia({ name: "config", prefix: "/api/config" })
    .get("/models", () => listModels(deps.config), { response: ModelList })
    .post(
      "/models",
      async ({ request, set }) => {
        set.status = 201;
        return addModel(deps.config, await body(deps, request));
      },
      { parse: "none", response: { 201: ModelView } },
    )
    .put("/models/:index", async ({ params, request }) => updateModel(deps.config, indexOf(params.index), await body(deps, request)), { parse: "none", response: ModelView })
    .delete("/models/:index", ({ params }) => removeModel(deps.config, indexOf(params.index)), { response: ModelList })
    .post("/models/:index/default", ({ params }) => makeDefault(deps.config, indexOf(params.index)), { response: ModelList })
    .post("/models/test", async ({ request }) => testModel(deps.config, await body(deps, request)), { parse: "none", response: ModelTestResult })
    .get("/catalog", () => providerCatalog(), { response: ProviderCatalog });
