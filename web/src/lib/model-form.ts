// The Models page's form logic without a DOM: which providers and models to offer, the request bodies
// for saving and testing an entry (a saved key is never sent back in full), and where a server error belongs.
import type { ModelInput, ModelView, ProviderInfo } from "./api.ts";
import type { MediaType } from "./enums.ts";

/** The key part of the form: the saved key kept (shown masked), a key being typed, or the saved key to be removed. */
export type KeyDraft = { mode: "keep"; masked: string } | { mode: "enter"; value: string } | { mode: "remove" };

/** What the form holds; `options` is JSON text (empty for none). */
export interface ModelDraft {
  type: MediaType;
  provider: string;
  model: string;
  baseUrl: string;
  name: string;
  isDefault: boolean;
  /** Names of the entries to fall back to, comma-separated. */
  fallbacks: string;
  options: string;
  key: KeyDraft;
}

/** A form field the page can show a message next to. */
export type FormField = "type" | "provider" | "model" | "base_url" | "name" | "api_key" | "default" | "fallbacks" | "options";
const FORM_FIELDS: readonly string[] = ["type", "provider", "model", "base_url", "name", "api_key", "default", "fallbacks", "options"];

/** Providers able to produce `type`. */
export function providersFor(providers: readonly ProviderInfo[], type: MediaType): ProviderInfo[] {
  return providers.filter((p) => p.types.includes(type));
}

/** Model ids mediagen knows for `provider` and `type` (free text stays allowed). */
export function knownModels(providers: readonly ProviderInfo[], provider: string, type: MediaType): string[] {
  return providers.find((p) => p.id === provider)?.models[type] ?? [];
}

/** The provider to keep when the type changes: the current one if it can produce `type`, else the first that can. */
export function providerForType(providers: readonly ProviderInfo[], type: MediaType, current: string): string {
  const able = providersFor(providers, type);
  return able.some((p) => p.id === current) ? current : (able[0]?.id ?? "");
}

/** A form for a new entry of `type`, or one filled from a saved entry. */
export function draftOf(providers: readonly ProviderInfo[], saved?: ModelView, type: MediaType = "image"): ModelDraft {
  if (!saved) {
    return { type, provider: providerForType(providers, type, ""), model: "", baseUrl: "", name: "", isDefault: false, fallbacks: "", options: "", key: { mode: "enter", value: "" } };
  }
  return {
    type: saved.type,
    provider: saved.provider,
    model: saved.model,
    baseUrl: saved.base_url ?? "",
    name: saved.name ?? "",
    isDefault: saved.default,
    fallbacks: (saved.fallbacks ?? []).join(", "),
    options: saved.options ? JSON.stringify(saved.options, null, 2) : "",
    key: saved.api_key.set ? { mode: "keep", masked: saved.api_key.masked } : { mode: "enter", value: "" },
  };
}

/** A problem found before anything is sent: the field and the i18n key of its message. */
export interface DraftProblem {
  field: FormField;
  messageKey: string;
}

/** Whether the form shows the options editor for `type` (speech entries get nothing extra; their saved options are kept). */
export const hasOptionsEditor = (type: MediaType) => type !== "audio";

function optionsOf(draft: ModelDraft, saved?: ModelView): Record<string, unknown> | undefined | DraftProblem {
  if (!hasOptionsEditor(draft.type)) return saved?.type === "audio" ? saved.options : undefined;
  const text = draft.options.trim();
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  return { field: "options", messageKey: "models.form.optionsInvalid" };
}

/** Whether a save/test body is really a problem found before sending. */
export function isProblem(value: unknown): value is DraftProblem {
  return typeof value === "object" && value !== null && "messageKey" in value;
}

function commonFields(draft: ModelDraft): ModelInput {
  // The form offers only the catalogue's provider ids; the server still checks the one sent.
  const input: ModelInput = { type: draft.type, provider: draft.provider as ModelInput["provider"], model: draft.model.trim() };
  if (draft.name.trim()) input.name = draft.name.trim();
  if (draft.baseUrl.trim()) input.base_url = draft.baseUrl.trim();
  return input;
}

/**
 * The body of add/update. The key: kept (left out) unless a new one was typed; a replacement left empty
 * keeps it too; "remove" sends null.
 */
export function saveInput(draft: ModelDraft, saved?: ModelView): ModelInput | DraftProblem {
  const options = optionsOf(draft, saved);
  if (isProblem(options)) return options;
  const input = commonFields(draft);
  input.default = draft.isDefault;
  const fallbacks = draft.fallbacks.split(",").map((name) => name.trim()).filter((name) => name !== "");
  if (fallbacks.length > 0) input.fallbacks = fallbacks;
  if (options) input.options = options;
  if (draft.key.mode === "remove") input.api_key = null;
  if (draft.key.mode === "enter" && draft.key.value.trim()) input.api_key = draft.key.value.trim();
  return input;
}

/**
 * The body of a connection test with the form's values. A saved key travels masked with the saved entry's
 * name, which makes the server use the key it holds.
 */
export function testInput(draft: ModelDraft, saved?: ModelView): ModelInput | DraftProblem {
  const options = optionsOf(draft, saved);
  if (isProblem(options)) return options;
  const input = commonFields(draft);
  if (options) input.options = options;
  const typed = draft.key.mode === "enter" ? draft.key.value.trim() : "";
  if (typed) input.api_key = typed;
  else if (draft.key.mode !== "remove" && saved?.api_key.set) {
    input.api_key = saved.api_key.masked;
    if (saved.name) input.name = saved.name;
  }
  return input;
}

/** The form field a server `field` belongs to: `models[1].options.quality` -> `options`, `base_url` -> `base_url`; else undefined. */
export function formFieldOf(field: string | undefined): FormField | undefined {
  if (!field) return undefined;
  const head = field.replace(/^models\[\d+\]\./, "").split(/[.[]/)[0] ?? "";
  return FORM_FIELDS.includes(head) ? (head as FormField) : undefined;
}
