// GET /api/costs/summary, /api/costs/budget and /api/costs/prices.
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { CostQuery, CostSummary } from "../ledger/schema.ts";
import { parseOrThrow } from "../validate.ts";
import { PriceList, priceList } from "./price-list.ts";
import { BudgetStatus, budgetStatus, costSummary } from "./summary.ts";

/** Spend per day, model, type or provider. */
export const costRoutes = (deps: AppDeps) =>
  new Elysia({ name: "costs", prefix: "/api/costs" })
    .get("/summary", ({ query }) => costSummary(deps.ledger, parseOrThrow(CostQuery, query)), { response: CostSummary })
    .get("/budget", () => budgetStatus(deps.ledger, deps.config.get().budget), { response: BudgetStatus })
    .get("/prices", () => priceList(deps.config.get()), { response: PriceList });
