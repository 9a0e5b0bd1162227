// GET /api/costs/summary, GET and PUT /api/costs/budget, GET /api/costs/prices; POST /api/costs/estimate.
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { readJsonBody } from "../http/body.ts";
import { CostQuery, CostSummary } from "../ledger/schema.ts";
import { parseOrThrow } from "../validate.ts";
import { setBudget } from "./budget-editor.ts";
import { EstimateAnswer, EstimateRequest, estimateRequest } from "./estimate.ts";
import { PriceList, priceList } from "./price-list.ts";
import { BudgetStatus, budgetStatus, costSummary } from "./summary.ts";

/** Spend per day, model, type, provider or caller; the budget and its limits; prices; what a request would cost before it is sent. */
export const costRoutes = (deps: AppDeps) =>
  new Elysia({ name: "costs", prefix: "/api/costs" })
    .get("/summary", ({ query }) => costSummary(deps.ledger, parseOrThrow(CostQuery, query)), { response: CostSummary })
    .get("/budget", () => budgetStatus(deps.ledger, deps.config.get().budget), { response: BudgetStatus })
    .put(
      "/budget",
      async ({ request }) => {
        const budget = setBudget(deps.config, await readJsonBody(request, deps.config.get().server.max_body_mib * 1048576));
        return budgetStatus(deps.ledger, budget);
      },
      { parse: "none", response: BudgetStatus },
    )
    .get("/prices", () => priceList(deps.config.get()), { response: PriceList })
    .post(
      "/estimate",
      async ({ request }) => {
        const body = await readJsonBody(request, deps.config.get().server.max_body_mib * 1048576);
        return estimateRequest(deps.config.get(), deps.ledger, parseOrThrow(EstimateRequest, body));
      },
      { parse: "none", response: EstimateAnswer },
    );
