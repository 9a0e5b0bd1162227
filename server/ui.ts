// The web UI bundle: Bun bundles web/index.html (with the Solid plugin) and embeds it into the executable.
import index from "../web/index.html";

/** Client-side routes served the UI page. Listed explicitly so unknown /api paths still get JSON 404s. */
export const UI_ROUTES = { "/": index, "/models": index, "/history": index, "/costs": index, "/jobs": index } as const;
