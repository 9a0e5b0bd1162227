// Builds the HTTP app from explicit dependencies. Never listens: tests drive it with app.handle().
import { Elysia } from "elysia";
import { AppError, errorResponse, toAppError } from "./errors.ts";
import { createGuard } from "./http/guard.ts";
import { configRoutes } from "./config/routes.ts";
import { costRoutes } from "./costs/routes.ts";
import { fileRoutes } from "./files/routes.ts";
import { generationRoutes } from "./ledger/routes.ts";
import { healthRoutes } from "./health/routes.ts";
import { mediaRoutes } from "./media/routes.ts";
import { mcpRoutes } from "./mcp/routes.ts";
import { openaiRoutes } from "./openai-api/routes.ts";
import { skillRoutes } from "./skill/routes.ts";
import { tokenRoutes } from "./tokens/routes.ts";
import type { AppDeps } from "./deps.ts";

/** The mediagen HTTP API. */
export function createApp(deps: AppDeps) {
  const guard = createGuard({
    bindHost: deps.bindHost,
    allowedHosts: () => deps.config.get().server.allowed_hosts,
    token: () => deps.config.get().server.token,
    people: deps.tokens,
  });
  return new Elysia()
    .onRequest(({ request }) => {
      const refused = guard(request, new URL(request.url).pathname);
      if (refused) return errorResponse(refused);
    })
    .onError(({ code, error }) => {
      if (error instanceof AppError) return errorResponse(error);
      if (code === "NOT_FOUND") return errorResponse(new AppError("not_found", "No such endpoint; see README.md for the API"));
      if (code === "PARSE") return errorResponse(new AppError("invalid_argument", "Request body is not valid JSON", { field: "body" }));
      // A route's own answer that fails its declared schema is a bug in mediagen, not a bad request.
      if (code === "VALIDATION" && (error as { type?: string }).type === "response") {
        deps.log.error(`answer does not match its schema: ${(error as Error).message.slice(0, 500)}`);
        return errorResponse(new AppError("internal"));
      }
      if (code === "VALIDATION") return errorResponse(new AppError("invalid_argument", String((error as Error).message)));
      deps.log.error(`unhandled error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return errorResponse(toAppError(error));
    })
    .use(healthRoutes(deps))
    .use(mediaRoutes(deps))
    .use(generationRoutes(deps))
    .use(fileRoutes(deps))
    .use(costRoutes(deps))
    .use(configRoutes(deps))
    .use(skillRoutes(deps))
    .use(tokenRoutes(deps))
    .use(openaiRoutes(deps))
    .use(mcpRoutes(deps));
}

export type App = ReturnType<typeof createApp>;
