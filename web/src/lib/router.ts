// A small path router: the current path as a signal, history navigation, and the page table.
import { createSignal } from "solid-js";
import { canonicalUiPath } from "../routes.ts";

/** The location's path after replacing another spelling of a page (`/Costs`, `/models/`, `/settings`) with the page's own path. */
function settledPath(): string {
  const canonical = canonicalUiPath(location.pathname);
  if (canonical) history.replaceState(history.state, "", `${canonical}${location.search}${location.hash}`);
  return location.pathname;
}

const [path, setPath] = createSignal(typeof location === "undefined" ? "/" : settledPath());
if (typeof window !== "undefined") window.addEventListener("popstate", () => setPath(settledPath()));

/** The current path. */
export const currentPath = path;

/** Goes to `to` without reloading, keeping the query string if given. */
export function navigate(to: string): void {
  history.pushState(null, "", to);
  setPath(settledPath());
}
