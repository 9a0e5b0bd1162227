// The UI's pages: their paths and navigation labels. No Solid here, so the server imports it to know which paths get the UI page.

/** Each page's path and the i18n key of its navigation label, in navigation order. */
export const UI_ROUTES = [
  { path: "/", label: "nav.playground" },
  { path: "/models", label: "nav.models" },
  { path: "/history", label: "nav.history" },
  { path: "/costs", label: "nav.costs" },
  { path: "/jobs", label: "nav.jobs" },
] as const;

/** A page's path. */
export type UiPath = (typeof UI_ROUTES)[number]["path"];

/** Every page's path. */
export const UI_PATHS: readonly UiPath[] = UI_ROUTES.map((route) => route.path);
