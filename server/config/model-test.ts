// "Test connection": checks a model entry's key and model id with the cheapest call its provider offers.
import { z } from "zod";
import { ModelEntry } from "./schema.ts";
import { MAX_NAME_CHARS } from "../defaults.ts";
import { describeEntry, resolveApiKey, type ConfigStore } from "./store.ts";
import { AppError, invalidArgument } from "../errors.ts";
import { redact } from "../log.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { parseOrThrow } from "../validate.ts";
import { checkSavedKeyDestination, keyChoice, keyDestination } from "./key-scope.ts";

/** Seconds a connection test may take. */
export const MODEL_TEST_TIMEOUT_SECONDS = 15;

/** Body of `POST /api/config/models/test`: a whole entry, or the name of a configured one. */
export const ModelTestByName = z
  .object({ name: z.string().min(1, "name the configured model to test").max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`) })
  .strict();

/** The answer: whether it worked, and a sentence a person can act on. */
export const ModelTestResult = z.object({ ok: z.boolean(), message: z.string(), error_type: z.string().optional(), provider: z.string(), model: z.string() });
export type ModelTestResult = z.infer<typeof ModelTestResult>;

/** The entry to test, and whether its api_key is the saved one (read as config.yml says) or typed (sent as typed). */
type TestTarget = { entry: ModelEntry; savedKey: boolean };

/**
 * Resolves the entry to test. A key left out, or given masked (containing "****"), is taken from the
 * configured entry of the same name, so a UI never needs to hold a saved key; it goes only to the base URL
 * it was saved with. A typed key is used literally, whatever it looks like.
 */
function entryToTest(config: ConfigStore, raw: unknown): TestTarget {
  const wholeEntry = typeof raw === "object" && raw !== null && ("type" in raw || "provider" in raw || "model" in raw);
  if (!wholeEntry) {
    const { name } = parseOrThrow(ModelTestByName, raw);
    const saved = config.get().models.find((m) => m.name === name);
    if (!saved) throw invalidArgument("name", `No model named "${name}" in config.yml`);
    return { entry: saved, savedKey: true };
  }
  const body = parseOrThrow(ModelEntry, raw);
  const saved = body.name ? config.get().models.find((m) => m.name === body.name) : undefined;
  const choice = keyChoice(body.api_key, saved);
  if (choice.kind === "typed") return { entry: body, savedKey: false };
  if (choice.kind === "none" || !saved?.api_key) return { entry: { ...body, api_key: undefined }, savedKey: false };
  checkSavedKeyDestination(saved, body, `type the key to test against another URL (${keyDestination(body)})`);
  return { entry: { ...body, api_key: saved.api_key }, savedKey: true };
}

/** Runs the provider's connection test for the entry; failures are answers (ok: false), not errors. */
export async function testModel(config: ConfigStore, raw: unknown): Promise<ModelTestResult> {
  const { entry, savedKey } = entryToTest(config, raw);
  const identity = { provider: entry.provider, model: entry.model };
  const provider = PROVIDERS[entry.provider];
  if (!provider?.testConnection) {
    return { ok: false, message: `Provider '${entry.provider}' has no connection test in this version`, error_type: "not_implemented", ...identity };
  }
  let apiKey: string | undefined;
  try {
    apiKey = savedKey ? resolveApiKey(entry) : entry.api_key?.trim() || undefined;
    if (provider.requiresKey && !apiKey) throw new AppError("auth_required", `api_key not configured for ${describeEntry(entry)}`);
    const signal = AbortSignal.timeout(MODEL_TEST_TIMEOUT_SECONDS * 1000);
    const message = await provider.testConnection({ entry, apiKey, baseUrl: entry.base_url ?? provider.defaultBaseUrl, signal, pollIntervalMs: 0 });
    return { ok: true, message, ...identity };
  } catch (error) {
    const appError = error instanceof AppError ? error : new AppError("network_error", `Connection test failed: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, message: redact(appError.message, [apiKey]), error_type: appError.type, ...identity };
  }
}
