// GET /api/health: is the daemon up, is its config file the one in force, and can it write its ledger.
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { Health } from "./schema.ts";

/** Liveness and config status; answers without a token so a UI can tell "down" from "locked". */
export const healthRoutes = (deps: AppDeps) =>
  new Elysia({ name: "health", prefix: "/api" }).get("/health", (): Health => {
    const config = deps.config.status();
    const storage = deps.ledger.storage();
    return {
      ok: storage.ok,
      version: deps.version,
      uptime_seconds: Math.round((Date.now() - deps.startedAt) / 1000),
      config: { ok: config.ok, ...(config.error ? { error: config.error } : {}), ...(config.warning ? { warning: config.warning } : {}) },
      storage: { ...storage, backend: deps.ledger.backend },
      running_generations: deps.media.running,
      token_required: Boolean(deps.config.get().server.token) || deps.tokens.anyActive(),
    };
  }, { response: Health });
