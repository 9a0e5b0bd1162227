// GET /api/costs/summary and /api/costs/budget.
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { CostQuery, CostSummary } from "../ledger/schema.ts";
import { parseOrThrow } from "../validate.ts";
import { BudgetStatus, budgetStatus, costSummary } from "./summary.ts";

/** Spend per day, model, type or provider. */
export const costRoutes = (deps: AppDeps) =>
  new Elysia({ name: "costs", prefix: "/api/costs" })
    .get("/summary", ({ query }) => costSummary(deps.ledger, parseOrThrow(CostQuery, query)), { response: CostSummary })
    .get("/budget", () => budgetStatus(deps.ledger, deps.config.get().budget), { response: BudgetStatus });
