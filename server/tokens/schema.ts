// Shapes of person and team tokens as the API takes and returns them, shared with the web UI via `import type`.
import { z } from "zod";

/** What a token may do: `member` generates and reads; `admin` also edits models, config, budgets and tokens. */
export const TokenRole = z.enum(["member", "admin"]);
export type TokenRole = z.infer<typeof TokenRole>;

/** The longest token name or team name, in characters. */
export const MAX_TOKEN_NAME_CHARS = 64;

const label = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(MAX_TOKEN_NAME_CHARS, `${what} must be at most ${MAX_TOKEN_NAME_CHARS} characters`)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N}._@-]*$/u, `${what} may hold letters, digits, '.', '_', '@' and '-', starting with a letter or digit`);

/** A positive amount in USD, for a token's own limits. */
const Usd = z.number().positive("must be a positive amount in USD").max(1_000_000, "must be at most 1000000 USD");

/** Body of `POST /api/tokens`. */
export const TokenCreate = z
  .object({
    name: label("name"),
    team: label("team").optional(),
    role: TokenRole.default("member"),
    budget_daily_usd: Usd.optional(),
    budget_monthly_usd: Usd.optional(),
  })
  .strict();
export type TokenCreate = z.infer<typeof TokenCreate>;

/** Body of `PATCH /api/tokens/:id`: a token's own limits; a field left out keeps its limit, `null` removes it. */
export const TokenBudgetUpdate = z
  .object({ budget_daily_usd: Usd.nullable().optional(), budget_monthly_usd: Usd.nullable().optional() })
  .strict()
  .refine((body) => body.budget_daily_usd !== undefined || body.budget_monthly_usd !== undefined, "send budget_daily_usd and/or budget_monthly_usd (a number, or null to remove it)");
export type TokenBudgetUpdate = z.infer<typeof TokenBudgetUpdate>;

/** A token as listed: never the secret, only its first characters for recognising it. */
export const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  team: z.string().nullable(),
  role: TokenRole,
  /** The token's first characters (`mg_AbCd`), not enough to use it. */
  prefix: z.string(),
  budget_daily_usd: z.number().nullable(),
  budget_monthly_usd: z.number().nullable(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  /** When the token last authenticated a request (to the minute: written at most once a minute); null: never. */
  last_used_at: z.string().nullable(),
});
export type TokenView = z.infer<typeof TokenView>;

/** Body of `POST /api/tokens`'s 201: the token itself, shown this once. */
export const TokenCreated = TokenView.extend({ token: z.string() });
export type TokenCreated = z.infer<typeof TokenCreated>;

/** Body of `GET /api/tokens`: every token, active ones first, newest first. */
export const TokenList = z.object({ items: z.array(TokenView) });
export type TokenList = z.infer<typeof TokenList>;

/**
 * A token's or a team's limits (USD; null: none) and its spend today and this month, counted as the budget check
 * counts it (unfinished jobs and unknown costs at their estimate), with the same local day and month.
 */
export const LimitsAndSpend = z.object({
  daily_usd: z.number().nullable(),
  monthly_usd: z.number().nullable(),
  spent_today_usd: z.number(),
  spent_month_usd: z.number(),
});
export type LimitsAndSpend = z.infer<typeof LimitsAndSpend>;

/** Body of `GET /api/tokens/me`: who the caller is, whether they may administer the daemon, and their own spend. */
export const Whoami = z.object({
  /** `server-token` (config.yml's server.token), `token` (a person or team token) or `local` (no token in use). */
  via: z.enum(["server-token", "token", "local"]),
  role: TokenRole,
  name: z.string().nullable(),
  team: z.string().nullable(),
  /** The token's own limits and spend; null unless `via` is `token`. */
  spend: LimitsAndSpend.nullable(),
  /** The team's limits (budget.per_team in config.yml) and the whole team's spend; null when no limit names the team. */
  team_spend: LimitsAndSpend.nullable(),
});
export type Whoami = z.infer<typeof Whoami>;
