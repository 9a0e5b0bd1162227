// Renders a Solid component into a node attached to document.body (Solid delegates events to document).
import type { JSX } from "solid-js";
import { render } from "solid-js/web";

/** Mounts `ui`; the returned object disposes it and removes its node. */
export function mount(ui: () => JSX.Element): { root: HTMLElement; [Symbol.dispose](): void } {
  const root = document.createElement("div");
  document.body.appendChild(root);
  const dispose = render(ui, root);
  return {
    root,
    [Symbol.dispose]() {
      dispose();
      root.remove();
    },
  };
}

/** Waits until `check` passes (for resources and effects), or fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
