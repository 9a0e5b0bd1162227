// Who may do what: the one rule. Everyone who passes the guard may generate and read; only an admin (server.token,
// a token of role admin, or anyone when no token is in use on loopback) may change models, config, budgets, tokens
// or the ledger's records.
import { AppError } from "../errors.ts";
import type { TokenRole } from "./schema.ts";

/** The caller as the guard identified it. */
export interface Principal {
  /** `server-token`: config.yml's server.token; `token`: a person or team token; `local`: no token is in use. */
  via: "server-token" | "token" | "local";
  role: TokenRole;
  /** The token's id, name and team, for the ledger and the token's own budgets (absent unless `via` is `token`). */
  tokenId?: string;
  name?: string;
  team?: string | null;
  budgetDailyUsd?: number | null;
  budgetMonthlyUsd?: number | null;
}

/** The admin a request is when the daemon has no token at all (today's single-user loopback setup). */
export const LOCAL_ADMIN: Principal = { via: "local", role: "admin" };

/** What only an admin may do: methods on paths, and the words a refusal uses. */
const ADMIN_ONLY: readonly { methods: readonly string[] | "any"; path: RegExp; what: string }[] = [
  { methods: ["POST", "PUT", "PATCH", "DELETE"], path: /^\/api\/config(\/|$)/, what: "change models or config (keys, budgets)" },
  { methods: "any", path: /^\/api\/tokens(?!\/me\/?$)(\/|$)/, what: "manage tokens" },
  { methods: ["DELETE"], path: /^\/api\/generations\//, what: "delete ledger records (they are what budgets count)" },
];

/** The admin-only action a request is, in words, or undefined when any caller may make it. */
export function adminAction(method: string, path: string): string | undefined {
  return ADMIN_ONLY.find((rule) => (rule.methods === "any" || rule.methods.includes(method)) && rule.path.test(path))?.what;
}

/** A 403 `forbidden` when a member asks for an admin-only action; undefined when the request may go on. */
export function refuseMember(principal: Principal, method: string, path: string): AppError | undefined {
  if (principal.role === "admin") return undefined;
  const what = adminAction(method, path);
  if (!what) return undefined;
  return new AppError("forbidden", `Only an admin may ${what}; the token of ${principal.name ?? "this caller"} has role member. Ask an admin, or use server.token or a token of role admin.`);
}
