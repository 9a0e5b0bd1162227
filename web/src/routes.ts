// The UI's pages: their paths and navigation labels. No Solid here, so the server imports it to know which paths get the UI page.

/** Each page's path and the i18n key of its navigation label, in navigation order. */
export const UI_ROUTES = [
  { path: "/", label: "nav.playground" },
  { path: "/models", label: "nav.models" },
  { path: "/history", label: "nav.history" },
  { path: "/costs", label: "nav.costs" },
  { path: "/jobs", label: "nav.jobs" },
  { path: "/tokens", label: "nav.tokens" },
] as const;

/** A page's path. */
export type UiPath = (typeof UI_ROUTES)[number]["path"];

/** Every page's path. */
export const UI_PATHS: readonly UiPath[] = UI_ROUTES.map((route) => route.path);

/** Other names of a page: the skill sends users to "the settings page" (设置页), which is Models. */
export const UI_ALIASES: Readonly<Record<string, UiPath>> = { "/settings": "/models" };

/**
 * The page a typed path means when it is not the page's exact path: the same path in other letter case or with
 * trailing slashes (`/Costs`, `/models/`), or an alias (`/settings`). Undefined for an exact page path and for
 * paths that name no page.
 */
export function canonicalUiPath(path: string): UiPath | undefined {
  if ((UI_PATHS as readonly string[]).includes(path)) return undefined;
  const folded = path.replace(/\/+$/, "").toLowerCase() || "/";
  if ((UI_PATHS as readonly string[]).includes(folded)) return folded as UiPath;
  return Object.hasOwn(UI_ALIASES, folded) ? UI_ALIASES[folded] : undefined;
}
