// GET /api/health: is the daemon up, and is its config file the one in force.
import { Elysia } from "elysia";
import type { AppDeps } from "../app.ts";

/** Liveness and config status; answers without a token so a UI can tell "down" from "locked". */
export const healthRoutes = (deps: AppDeps) =>
  new Elysia({ name: "health", prefix: "/api" }).get("/health", () => {
    const config = deps.config.status();
    return {
      ok: true,
      version: deps.version,
      uptime_seconds: Math.round((Date.now() - deps.startedAt) / 1000),
      config: { ok: config.ok, ...(config.error ? { error: config.error } : {}) },
      running_generations: deps.media.running,
      token_required: Boolean(deps.config.get().server.token),
    };
  });
