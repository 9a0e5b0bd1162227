import { createSignal, For, Match, Show, Switch } from "solid-js";
import { api, ApiError, type ModelTestResult, type ModelView, type ProviderInfo } from "../lib/api.ts";
import { hasText, locale, t } from "../lib/i18n.ts";
import {
  draftOf,
  formFieldOf,
  hasOptionsEditor,
  isProblem,
  knownModels,
  providerForType,
  providersFor,
  saveInput,
  testInput,
  type FormField,
  type KeyDraft,
  type ModelDraft,
} from "../lib/model-form.ts";
import { MEDIA_TYPES, type MediaType } from "../lib/enums.ts";
import { ErrorMessage } from "./ErrorMessage.tsx";

/** Add or edit one model entry: fields checked by the server shown next to the field, the saved key never shown in full. */
export function ModelsForm(props: { providers: ProviderInfo[]; saved?: ModelView; type?: MediaType; onSaved: (view: ModelView) => void; onCancel: () => void }) {
  // The form is created per entry (the page re-mounts it), so reading props once here is intended.
  const saved = props.saved;
  const [draft, setDraft] = createSignal<ModelDraft>(draftOf(props.providers, saved, props.type));
  const [errors, setErrors] = createSignal<Partial<Record<FormField, string>>>({});
  const [formError, setFormError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal<"save" | "test" | null>(null);
  const [testResult, setTestResult] = createSignal<ModelTestResult>();

  const update = (patch: Partial<ModelDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setKey = (key: KeyDraft) => update({ key });
  const provider = () => props.providers.find((p) => p.id === draft().provider);
  const fieldId = (field: FormField) => `models-form-${field}`;
  const errorId = (field: FormField) => `models-form-${field}-error`;
  const ariaInvalid = (field: FormField) => (errors()[field] ? "true" : undefined);
  const describedBy = (field: FormField) => (errors()[field] ? errorId(field) : undefined);

  /** Puts an error next to its field when the server (or the form) names one, else above the buttons. */
  const report = (error: unknown) => {
    const field = error instanceof ApiError ? formFieldOf(error.field) : undefined;
    if (field && error instanceof ApiError) {
      // The daemon's sentence is English: another language leads with its own words for the error type.
      const summary = locale() !== "en" && hasText(`errortype.${error.errorType}`) ? `${t(`errortype.${error.errorType}`)} ` : "";
      setErrors({ [field]: `${summary}${error.message}` });
      document.getElementById(fieldId(field))?.focus();
      return;
    }
    setFormError(error);
  };

  const clearMessages = () => {
    setErrors({});
    setFormError(undefined);
  };

  const save = async (event: Event) => {
    event.preventDefault();
    clearMessages();
    const input = saveInput(draft(), saved);
    if (isProblem(input)) return setErrors({ [input.field]: t(input.messageKey) });
    setBusy("save");
    try {
      const view = saved ? await api.models.update(saved.index, input) : await api.models.add(input);
      props.onSaved(view);
    } catch (error) {
      report(error);
    } finally {
      setBusy(null);
    }
  };

  const test = async () => {
    clearMessages();
    setTestResult(undefined);
    const input = testInput(draft(), saved);
    if (isProblem(input)) return setErrors({ [input.field]: t(input.messageKey) });
    setBusy("test");
    try {
      setTestResult(await api.models.test(input));
    } catch (error) {
      report(error);
    } finally {
      setBusy(null);
    }
  };

  const FieldError = (p: { field: FormField }) => (
    <Show when={errors()[p.field]}>
      {(message) => (
        <span class="models-field-error" id={errorId(p.field)}>
          {message()}
        </span>
      )}
    </Show>
  );

  return (
    <form class="card models-form" onSubmit={save} aria-labelledby="models-form-title" novalidate>
      <h2 id="models-form-title">{saved ? t("models.form.editTitle", { name: saved.name ?? saved.model }) : t("models.form.addTitle")}</h2>
      <div class="models-form-grid">
        <label>
          {t("models.field.type")}
          <select
            id={fieldId("type")}
            value={draft().type}
            onChange={(e) => {
              const type = e.currentTarget.value as MediaType;
              update({ type, provider: providerForType(props.providers, type, draft().provider) });
            }}
            aria-invalid={ariaInvalid("type")} aria-describedby={describedBy("type")}
          >
            <For each={MEDIA_TYPES}>{(type) => (
                <option value={type} selected={type === draft().type}>
                  {t(`common.${type}`)}
                </option>
              )}</For>
          </select>
          <FieldError field="type" />
        </label>

        <label>
          {t("models.field.provider")}
          <select id={fieldId("provider")} value={draft().provider} onChange={(e) => update({ provider: e.currentTarget.value })} aria-invalid={ariaInvalid("provider")} aria-describedby={describedBy("provider")}>
            <For each={providersFor(props.providers, draft().type)}>{(p) => (
                <option value={p.id} selected={p.id === draft().provider}>
                  {p.id}
                </option>
              )}</For>
          </select>
          <FieldError field="provider" />
        </label>

        <label>
          {t("models.field.model")}
          <input
            id={fieldId("model")}
            list="models-known-models"
            autocomplete="off"
            required
            value={draft().model}
            placeholder={knownModels(props.providers, draft().provider, draft().type)[0] ?? ""}
            onInput={(e) => update({ model: e.currentTarget.value })}
            aria-invalid={ariaInvalid("model")} aria-describedby={describedBy("model")}
          />
          <datalist id="models-known-models">
            <For each={knownModels(props.providers, draft().provider, draft().type)}>{(model) => <option value={model} />}</For>
          </datalist>
          <FieldError field="model" />
        </label>

        <label>
          {t("models.field.name")}
          <input id={fieldId("name")} autocomplete="off" value={draft().name} placeholder={t("models.field.namePlaceholder")} onInput={(e) => update({ name: e.currentTarget.value })} aria-invalid={ariaInvalid("name")} aria-describedby={describedBy("name")} />
          <FieldError field="name" />
        </label>

        <label class="models-form-wide">
          {t("models.field.baseUrl")}
          <input
            id={fieldId("base_url")}
            type="url"
            autocomplete="off"
            value={draft().baseUrl}
            placeholder={provider()?.default_base_url ?? ""}
            onInput={(e) => update({ baseUrl: e.currentTarget.value })}
            aria-invalid={ariaInvalid("base_url")} aria-describedby={describedBy("base_url")}
          />
          <FieldError field="base_url" />
        </label>

        <label class="models-form-wide">
          {t("models.field.fallbacks")}
          <input
            id={fieldId("fallbacks")}
            autocomplete="off"
            value={draft().fallbacks}
            placeholder={t("models.field.fallbacksPlaceholder")}
            onInput={(e) => update({ fallbacks: e.currentTarget.value })}
            aria-invalid={ariaInvalid("fallbacks")} aria-describedby={describedBy("fallbacks")}
          />
          <span class="muted">{t("models.field.fallbacksHint")}</span>
          <FieldError field="fallbacks" />
        </label>

        <div class="models-form-wide models-key" role="group" aria-labelledby="models-key-label">
          <span id="models-key-label" class="models-key-label">
            {t("models.field.apiKey")}
            <Show when={provider() && !provider()!.key_required}>
              <span class="muted"> {t("models.key.optional")}</span>
            </Show>
          </span>
          <Switch>
            <Match when={draft().key.mode === "keep"}>
              <div class="row">
                <code class="models-key-masked" aria-label={t("models.key.savedLabel")}>
                  {(draft().key as { masked: string }).masked}
                </code>
                <button type="button" class="secondary" onClick={() => setKey({ mode: "enter", value: "" })}>
                  {t("models.key.replace")}
                </button>
                <button type="button" class="secondary" onClick={() => setKey({ mode: "remove" })}>
                  {t("models.key.remove")}
                </button>
              </div>
              <span class="muted">{saved?.api_key.env ? t("models.key.fromEnv", { env: saved.api_key.env }) : t("models.key.kept")}</span>
            </Match>
            <Match when={draft().key.mode === "enter"}>
              <div class="row">
                <input
                  id={fieldId("api_key")}
                  type="password"
                  autocomplete="new-password"
                  aria-labelledby="models-key-label"
                  value={(draft().key as { value: string }).value}
                  placeholder={saved?.api_key.set ? t("models.key.emptyKeeps") : provider()?.key_env ? `\${${provider()!.key_env}}` : ""}
                  onInput={(e) => setKey({ mode: "enter", value: e.currentTarget.value })}
                  aria-invalid={ariaInvalid("api_key")} aria-describedby={describedBy("api_key")}
                />
                <Show when={saved?.api_key.set}>
                  <button type="button" class="secondary" onClick={() => setKey({ mode: "keep", masked: saved!.api_key.masked })}>
                    {t("models.key.keepSaved")}
                  </button>
                </Show>
              </div>
              <span class="muted">{t("models.key.help")}</span>
            </Match>
            <Match when={draft().key.mode === "remove"}>
              <div class="row">
                <span>{t("models.key.willRemove")}</span>
                <button type="button" class="secondary" onClick={() => setKey({ mode: "keep", masked: saved?.api_key.masked ?? "" })}>
                  {t("models.key.undo")}
                </button>
              </div>
            </Match>
          </Switch>
          <FieldError field="api_key" />
        </div>

        <Show
          when={hasOptionsEditor(draft().type)}
          fallback={
            <Show when={saved?.type === "audio" && saved.options}>
              <p class="muted models-form-wide">{t("models.form.optionsKept", { options: JSON.stringify(saved?.options) })}</p>
            </Show>
          }
        >
          <label class="models-form-wide">
            {t("models.field.options")}
            <textarea
              id={fieldId("options")}
              class="models-options"
              spellcheck={false}
              value={draft().options}
              placeholder={t("models.field.optionsPlaceholder")}
              onInput={(e) => update({ options: e.currentTarget.value })}
              aria-invalid={ariaInvalid("options")} aria-describedby={describedBy("options")}
            />
            <FieldError field="options" />
          </label>
        </Show>

        <label class="models-check models-form-wide">
          <input type="checkbox" checked={draft().isDefault} onChange={(e) => update({ isDefault: e.currentTarget.checked })} />
          {t("models.field.default")}
        </label>
      </div>

      <Show when={formError()}>{(error) => <ErrorMessage error={error()} />}</Show>
      <Show when={testResult()}>
        {(result) => (
          <div class={result().ok ? "models-test ok" : "models-test error"} role="status">
            <strong>{result().ok ? t("models.test.ok") : t("models.test.failed")}</strong> {result().message}
            <Show when={result().error_type}>{(type) => <code class="muted"> ({type()})</code>}</Show>
          </div>
        )}
      </Show>
      <div class="row">
        <button type="submit" disabled={busy() !== null}>
          {busy() === "save" ? t("models.form.saving") : t("common.save")}
        </button>
        <button type="button" class="secondary" disabled={busy() !== null} onClick={() => void test()}>
          {busy() === "test" ? t("models.test.running") : t("models.test.button")}
        </button>
        <button type="button" class="secondary" onClick={() => props.onCancel()}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
