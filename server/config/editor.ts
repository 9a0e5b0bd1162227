// Editing config.yml from the API (the web UI's Models page): comments are kept, keys are never shown in full.
import { isMap, isSeq, type Document } from "yaml";
import { z } from "zod";
import { MEDIA_TYPES, MediaType, ModelEntry, PROVIDER_IDS, ProviderId } from "./schema.ts";
import { ConfigError, envReferenceOf, maskKey, modelFor, type ConfigStore } from "./store.ts";
import { MAX_SECRET_CHARS } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";
import { CATALOG } from "../costs/catalog.ts";
import { canMake, PROVIDERS } from "../providers/registry.ts";
import { parseOrThrow } from "../validate.ts";
import { checkSavedKeyDestination, keyChoice, keyDestination, refuseEnvReference } from "./key-scope.ts";

/** A configured model as the API shows it: the key masked, an `${ENV}` reference shown as such. */
export const ModelView = z.object({
  index: z.number(),
  type: MediaType,
  provider: ProviderId,
  model: z.string(),
  default: z.boolean(),
  /** Whether this entry is the one serving its type now. */
  in_use: z.boolean(),
  api_key: z.object({ set: z.boolean(), masked: z.string(), env: z.string().optional() }),
  name: z.string().optional(),
  base_url: z.string().optional(),
  /** Entries of the same type tried in order when this one answers "not now" and charged nothing. */
  fallbacks: z.array(z.string()).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});
export type ModelView = z.infer<typeof ModelView>;

/** Body of `GET /api/config/models` (and of a removal or a new default). */
export const ModelList = z.object({ models: z.array(ModelView) });
export type ModelList = z.infer<typeof ModelList>;

/** A model entry as the UI sends it: `api_key` absent or masked keeps the saved key, `null` removes it. */
export const ModelInput = ModelEntry.extend({
  api_key: z.string().max(MAX_SECRET_CHARS, `must be at most ${MAX_SECRET_CHARS} characters`).nullable().optional(),
});
export type ModelInput = z.infer<typeof ModelInput>;

function viewOf(entry: ModelEntry, index: number, inUse: boolean): ModelView {
  const key = entry.api_key?.trim() ?? "";
  const env = envReferenceOf(key);
  const view: ModelView = {
    index,
    type: entry.type,
    provider: entry.provider,
    model: entry.model,
    default: entry.default === true,
    in_use: inUse,
    api_key: env ? { set: true, masked: key, env } : { set: key !== "", masked: maskKey(key) },
  };
  if (entry.name) view.name = entry.name;
  if (entry.base_url) view.base_url = entry.base_url;
  if (entry.fallbacks?.length) view.fallbacks = entry.fallbacks;
  if (entry.options) view.options = entry.options;
  return view;
}

/** Every configured model, in file order. */
export function listModels(store: ConfigStore): { models: ModelView[] } {
  const config = store.get();
  const inUse = new Set(MEDIA_TYPES.map((type) => modelFor(config, type)));
  return { models: config.models.map((entry, index) => viewOf(entry, index, inUse.has(entry))) };
}

function modelsSeq(doc: Document) {
  if (!isSeq(doc.get("models"))) doc.set("models", doc.createNode([]));
  return doc.get("models") as { items: unknown[] };
}

function checkIndex(store: ConfigStore, index: number): ModelEntry {
  const entry = store.get().models[index];
  if (!Number.isInteger(index) || !entry) throw new AppError("not_found", `No model at index ${index} in config.yml`);
  return entry;
}

/** Writes through the store; a config the edit would make invalid is a 400 naming the field. */
function save(store: ConfigStore, edit: (doc: Document) => void): void {
  try {
    store.update(edit);
  } catch (error) {
    if (error instanceof ConfigError && error.issue) throw invalidArgument(error.issue.field, error.issue.message, error.issue.allowed);
    throw error;
  }
}

/**
 * The key to write: the saved one when left out or masked, and then only if the entry still sends it to the
 * URL it was saved for; a typed key as typed, never an `${ENV_VAR}` reference; none for null or "".
 */
function keyToWrite(input: ModelInput, saved?: ModelEntry): string | undefined {
  const choice = keyChoice(input.api_key, saved);
  if (choice.kind === "none") return undefined;
  if (choice.kind === "typed") {
    refuseEnvReference(choice.key);
    return choice.key;
  }
  if (!saved?.api_key) return undefined;
  checkSavedKeyDestination(saved, input, `re-enter the key when changing base_url or provider (the entry would send it to ${keyDestination(input)})`);
  return saved.api_key;
}

/** The fields to write for an entry: the saved key is kept unless a new one (or null) is given. */
function fieldsOf(input: ModelInput, saved?: ModelEntry): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    name: input.name,
    type: input.type,
    provider: input.provider,
    model: input.model,
    api_key: keyToWrite(input, saved),
    base_url: input.base_url,
    default: input.default || undefined,
    fallbacks: input.fallbacks && input.fallbacks.length > 0 ? input.fallbacks : undefined,
    options: input.options && Object.keys(input.options).length > 0 ? input.options : undefined,
  };
  return fields;
}

/** Sets the entry at `index` field by field, so the comments on unchanged lines stay. */
function writeEntry(doc: Document, index: number, fields: Record<string, unknown>): void {
  const node = doc.getIn(["models", index]);
  if (!isMap(node)) {
    doc.setIn(["models", index], doc.createNode(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))));
    return;
  }
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) doc.deleteIn(["models", index, key]);
    else doc.setIn(["models", index, key], value);
  }
}

/** Only one default per type: marking one clears the others of its type. */
function clearOtherDefaults(doc: Document, store: ConfigStore, type: MediaType, keep: number): void {
  store.get().models.forEach((entry, index) => {
    if (index !== keep && entry.type === type && entry.default) doc.deleteIn(["models", index, "default"]);
  });
}

/** Adds a model entry at the end of `models:`. */
export function addModel(store: ConfigStore, raw: unknown): ModelView {
  const input = parseOrThrow(ModelInput, raw);
  const index = store.get().models.length;
  const fields = fieldsOf(input);
  save(store, (doc) => {
    const seq = modelsSeq(doc);
    seq.items.push(doc.createNode(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))));
    if (input.default) clearOtherDefaults(doc, store, input.type, index);
  });
  return listModels(store).models[index]!;
}

/** Replaces the model entry at `index`; a key left out or masked keeps the saved one. */
export function updateModel(store: ConfigStore, index: number, raw: unknown): ModelView {
  const saved = checkIndex(store, index);
  const input = parseOrThrow(ModelInput, raw);
  const fields = fieldsOf(input, saved);
  save(store, (doc) => {
    writeEntry(doc, index, fields);
    if (input.default) clearOtherDefaults(doc, store, input.type, index);
  });
  return listModels(store).models[index]!;
}

/** Removes the model entry at `index`. */
export function removeModel(store: ConfigStore, index: number): { models: ModelView[] } {
  checkIndex(store, index);
  save(store, (doc) => doc.deleteIn(["models", index]));
  return listModels(store);
}

/** Makes the entry at `index` the one used for its type. */
export function makeDefault(store: ConfigStore, index: number): { models: ModelView[] } {
  const entry = checkIndex(store, index);
  save(store, (doc) => {
    doc.setIn(["models", index, "default"], true);
    clearOtherDefaults(doc, store, entry.type, index);
  });
  return listModels(store);
}

/** One provider as the Models page offers it. */
export const ProviderInfo = z.object({
  id: ProviderId,
  key_required: z.boolean(),
  default_base_url: z.string(),
  /** The environment variable the provider's key is usually kept in, offered as `${NAME}`. */
  key_env: z.string().optional(),
  types: z.array(MediaType),
  models: z.partialRecord(MediaType, z.array(z.string())),
  /** Voices per speech model (an empty list: any voice name may be sent). */
  voices: z.record(z.string(), z.array(z.string()).readonly()),
});
export type ProviderInfo = z.infer<typeof ProviderInfo>;

/** Body of `GET /api/config/catalog`. */
export const ProviderCatalog = z.object({ providers: z.array(ProviderInfo) });
export type ProviderCatalog = z.infer<typeof ProviderCatalog>;

/** Providers, the media types each can produce, the models mediagen knows for each and their voices. */
export function providerCatalog(): { providers: ProviderInfo[] } {
  return {
    providers: PROVIDER_IDS.map((id) => {
      const provider = PROVIDERS[id];
      const models: Partial<Record<MediaType, string[]>> = {};
      for (const type of MEDIA_TYPES) {
        const listed = CATALOG.filter((e) => e.provider === id && e.type === type).map((e) => e.model);
        const known = [...new Set([...(provider?.models?.[type] ?? []), ...listed])];
        if (known.length > 0) models[type] = known;
      }
      const types = MEDIA_TYPES.filter((type) => canMake(provider, type));
      const voices = Object.fromEntries((models.audio ?? []).map((model) => [model, provider?.voices?.(model) ?? []]));
      const keyEnv = provider?.keyEnv ? { key_env: provider.keyEnv } : {};
      return { id, key_required: provider?.requiresKey ?? true, default_base_url: provider?.defaultBaseUrl ?? "", ...keyEnv, types, models, voices };
    }),
  };
}
