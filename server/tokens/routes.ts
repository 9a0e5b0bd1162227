// /api/tokens: person and team tokens, created, listed, given new limits and revoked (admins only, by the rule in access.ts), and /api/tokens/me (who the caller is, and their own spend) for everyone.
import { Elysia } from "elysia";
import { ownerSpend } from "../costs/budget.ts";
import type { AppDeps } from "../deps.ts";
import { readJsonBody } from "../http/body.ts";
import { parseOrThrow } from "../validate.ts";
import { principalOf } from "./request.ts";
import { TokenBudgetUpdate, TokenCreate, TokenCreated, TokenList, TokenView, Whoami } from "./schema.ts";

/** Create, list and revoke tokens; say who the caller is. */
export const tokenRoutes = (deps: AppDeps) =>
  new Elysia({ name: "tokens", prefix: "/api/tokens" })
    .get("/", () => deps.tokens.list(), { response: TokenList })
    .get("/me", async ({ request }) => {
      const principal = principalOf(deps, request);
      // Who the caller is never depends on the database: with the ledger unreachable, the spend is unknown (null).
      const spend = await ownerSpend(principal, deps.config.get().budget?.per_team, (from, who) => deps.ledger.spendSinceBy(from, who), Date.now()).catch(() => ({ spend: null, team_spend: null }));
      return { via: principal.via, role: principal.role, name: principal.name ?? null, team: principal.team ?? null, ...spend };
    }, { response: Whoami })
    .post(
      "/",
      async ({ request, set }) => {
        const body = await readJsonBody(request, deps.config.get().server.max_body_mib * 1048576);
        const created = await deps.tokens.create(parseOrThrow(TokenCreate, body), Boolean(deps.config.get().server.token));
        deps.log.info(`token ${created.id} (${created.name}${created.team ? `, team ${created.team}` : ""}, ${created.role}) created`);
        set.status = 201;
        return created;
      },
      { parse: "none", response: { 201: TokenCreated } },
    )
    .patch(
      "/:id",
      async ({ params, request }) => {
        const body = await readJsonBody(request, deps.config.get().server.max_body_mib * 1048576);
        const updated = await deps.tokens.setBudget(params.id, parseOrThrow(TokenBudgetUpdate, body));
        deps.log.info(`token ${updated.id} (${updated.name}) limits set to ${updated.budget_daily_usd ?? "none"}/day, ${updated.budget_monthly_usd ?? "none"}/month`);
        return updated;
      },
      { parse: "none", response: TokenView },
    )
    .delete("/:id", async ({ params }) => {
      const revoked = await deps.tokens.revoke(params.id, Boolean(deps.config.get().server.token));
      deps.log.info(`token ${revoked.id} (${revoked.name}) revoked`);
      return revoked;
    }, { response: TokenView });
