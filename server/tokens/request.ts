// The principal of a request that the guard has let through, for the routes that record or limit by it.
import type { AppDeps } from "../deps.ts";
import { identify } from "../http/guard.ts";
import { LOCAL_ADMIN, type Principal } from "./access.ts";

/** Who sent `request` (the token service's cache answers; the guard already refused anything unknown). */
export function principalOf(deps: AppDeps, request: Request): Principal {
  const found = identify(request, new URL(request.url).pathname, deps.config.get().server.token, deps.tokens);
  return found instanceof Error ? LOCAL_ADMIN : found;
}
