// GET /skill.md: the media-gen agent skill filled in with the address this daemon was reached at.
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { renderSkill } from "./template.ts";

/** The skill as Markdown; behind the same Host, Origin and token guard as /api (it is mounted on the same app). */
export const skillRoutes = (deps: AppDeps) =>
  new Elysia({ name: "skill" }).get("/skill.md", ({ request }) => {
    // The guard has already accepted this Host: it is an address of this daemon, as the caller reached it.
    const authority = request.headers.get("host") ?? new URL(request.url).host;
    const body = renderSkill({ authority, tokenRequired: Boolean(deps.config.get().server.token) });
    return new Response(body, { headers: { "content-type": "text/markdown; charset=utf-8", "cache-control": "no-store" } });
  });
