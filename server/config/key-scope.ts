// Where a model's API key may travel: a saved key only to the base URL it was saved with (or its provider's
// default), a key typed into a request as typed, never read from the daemon's environment.
import type { ModelEntry } from "./schema.ts";
import { describeEntry, envReferenceOf, isMaskedKey } from "./store.ts";
import { invalidArgument } from "../errors.ts";
import { PROVIDERS } from "../providers/registry.ts";

/** What a request's `api_key` says about the key to use. */
export type KeyChoice = { kind: "saved" } | { kind: "none" } | { kind: "typed"; key: string };

/**
 * Reads a request's `api_key` against the saved entry: left out, masked (contains "****") or the saved
 * `${VAR}` reference sent back as the API shows it all mean the saved key; null or "" mean none.
 */
export function keyChoice(typed: string | null | undefined, saved: ModelEntry | undefined): KeyChoice {
  if (typed === null || typed?.trim() === "") return { kind: "none" };
  if (typed === undefined || isMaskedKey(typed)) return { kind: "saved" };
  const savedKey = saved?.api_key?.trim();
  if (savedKey !== undefined && envReferenceOf(savedKey) !== undefined && typed.trim() === savedKey) return { kind: "saved" };
  return { kind: "typed", key: typed };
}

/** The URL an entry's key is sent to, normalised (origin and path, no trailing slash): base_url, else the provider's default. */
export function keyDestination(entry: Pick<ModelEntry, "provider" | "base_url">): string {
  const url = entry.base_url ?? PROVIDERS[entry.provider]?.defaultBaseUrl ?? "";
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return url;
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
  } catch {
    return url;
  }
}

/**
 * Throws a 400 naming `api_key` when `saved`'s key would be sent somewhere other than where it was saved for;
 * `advice` says what to do instead (it follows "; " in the message).
 */
export function checkSavedKeyDestination(saved: ModelEntry, next: Pick<ModelEntry, "provider" | "base_url">, advice: string): void {
  if (!saved.api_key?.trim()) return;
  const savedFor = keyDestination(saved);
  if (keyDestination(next) === savedFor) return;
  throw invalidArgument("api_key", `The saved key of ${describeEntry(saved)} only goes to ${savedFor}; ${advice}`);
}

/**
 * Throws a 400 naming `api_key` for a key typed through the API that is an `${ENV_VAR}` reference: config.yml
 * reads those from the daemon's environment, which no request may do. Written by hand in config.yml they work.
 */
export function refuseEnvReference(typed: string): void {
  const name = envReferenceOf(typed);
  if (name === undefined) return;
  throw invalidArgument(
    "api_key",
    `\${${name}} would be read from the daemon's environment, which a key sent through the API may not do: type the key itself, or write \${${name}} by hand in config.yml`,
  );
}
