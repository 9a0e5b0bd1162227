// Small DOM helpers for component tests: typing, choosing, finding buttons by their text or label.

/** Types `value` into an input or textarea as a person would (an `input` event that bubbles). */
export function typeInto(element: Element | null, value: string): void {
  const field = element as HTMLInputElement | HTMLTextAreaElement;
  field.value = value;
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

/** Picks `value` in a select (a `change` event), or toggles a checkbox to `value === "on"`. */
export function choose(element: Element | null, value: string): void {
  const field = element as HTMLSelectElement;
  field.value = value;
  field.dispatchEvent(new Event("change", { bubbles: true }));
}

/** The button whose text or aria-label is `name`; throws when there is none. */
export function button(root: ParentNode, name: string): HTMLButtonElement {
  const found = [...root.querySelectorAll("button")].find((b) => b.textContent?.trim() === name || b.getAttribute("aria-label") === name);
  if (!found) throw new Error(`no button "${name}" in: ${[...root.querySelectorAll("button")].map((b) => b.textContent?.trim()).join(" | ")}`);
  return found;
}

/** Whether a button named `name` is there. */
export function hasButton(root: ParentNode, name: string): boolean {
  return [...root.querySelectorAll("button")].some((b) => b.textContent?.trim() === name || b.getAttribute("aria-label") === name);
}

/** The values of a select's options. */
export function optionValues(select: Element | null): string[] {
  return [...(select as HTMLSelectElement).options].map((o) => o.value);
}
