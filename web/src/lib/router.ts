// A small path router: the current path as a signal, history navigation, and the page table.
import { createSignal } from "solid-js";

const [path, setPath] = createSignal(typeof location === "undefined" ? "/" : location.pathname);
if (typeof window !== "undefined") window.addEventListener("popstate", () => setPath(location.pathname));

/** The current path. */
export const currentPath = path;

/** Goes to `to` without reloading, keeping the query string if given. */
export function navigate(to: string): void {
  history.pushState(null, "", to);
  setPath(new URL(to, location.origin).pathname);
}
