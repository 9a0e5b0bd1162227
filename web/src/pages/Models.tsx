import { createResource, createSignal, For, Match, Show, Switch } from "solid-js";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { ModelsForm } from "../components/ModelsForm.tsx";
import { api, type ModelView } from "../lib/api.ts";
import { t } from "../lib/i18n.ts";
import { MEDIA_TYPES, type MediaType } from "../lib/enums.ts";
import "./Models.css";

/** What the form is open for: a saved entry, or a new one of a type. */
type Editing = { saved: ModelView } | { type: MediaType };

const labelOf = (entry: ModelView) => entry.name ?? entry.model;

/** The Models page: the model in use per type, every entry of config.yml with edit/remove/default, and the add/edit form. */
export function Models() {
  const [list, { refetch, mutate }] = createResource(() => api.models.list());
  const [catalog, { refetch: refetchCatalog }] = createResource(() => api.models.catalog());
  const [editing, setEditing] = createSignal<Editing | null>(null);
  const [confirming, setConfirming] = createSignal<number | null>(null);
  const [actionError, setActionError] = createSignal<unknown>();
  const [notice, setNotice] = createSignal("");
  const [busy, setBusy] = createSignal(false);

  // A resource read while in error throws: check .error first.
  const models = () => (list.error ? [] : (list()?.models ?? []));
  const providers = () => (catalog.error ? undefined : catalog()?.providers);
  const inUse = (type: MediaType) => models().find((m) => m.type === type && m.in_use);

  const open = (next: Editing) => {
    setActionError(undefined);
    setNotice("");
    setConfirming(null);
    setEditing(next);
    requestAnimationFrame(() => document.getElementById("models-form-type")?.focus());
  };

  const act = async (work: () => Promise<{ models: ModelView[] }>, done: string) => {
    setActionError(undefined);
    setNotice("");
    setBusy(true);
    try {
      mutate(await work());
      setNotice(done);
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (entry: ModelView) => {
    const current = editing();
    if (current && "saved" in current && current.saved.index === entry.index) setEditing(null);
    await act(() => api.models.remove(entry.index), t("models.removed", { name: labelOf(entry) }));
    setConfirming(null);
  };

  return (
    <section class="models-page">
      <h1>{t("nav.models")}</h1>
      <p class="muted">
        {t("models.intro")} {t("models.commentsNote")}
      </p>

      <Switch>
        <Match when={list.error}>
          <ErrorMessage error={list.error} onRetry={refetch} />
        </Match>
        <Match when={list.loading && !list()}>
          <p class="muted">{t("common.loading")}</p>
        </Match>
        <Match when={list()}>
          <h2 class="sr-only">{t("models.inUseTitle")}</h2>
          <div class="grid models-in-use">
            <For each={MEDIA_TYPES}>
              {(type) => (
                <div class="card models-type-card" data-type={type}>
                  <h3>{t(`common.${type}`)}</h3>
                  <Show
                    when={inUse(type)}
                    fallback={
                      <>
                        <p class="muted">{t("models.notConfigured")}</p>
                        <button type="button" class="secondary" disabled={!providers()} onClick={() => open({ type })}>
                          {t("models.addFor", { type: t(`common.${type}`) })}
                        </button>
                      </>
                    }
                  >
                    {(entry) => (
                      <dl class="models-facts">
                        <dt>{t("models.field.name")}</dt>
                        <dd>{entry().name ?? <span class="muted">{t("models.unnamed")}</span>}</dd>
                        <dt>{t("models.field.provider")}</dt>
                        <dd>{entry().provider}</dd>
                        <dt>{t("models.field.model")}</dt>
                        <dd>
                          <code>{entry().model}</code>
                        </dd>
                      </dl>
                    )}
                  </Show>
                </div>
              )}
            </For>
          </div>

          <div class="row models-list-head">
            <h2>{t("models.allTitle")}</h2>
            <button type="button" disabled={!providers()} onClick={() => open({ type: "image" })}>
              {t("models.add")}
            </button>
          </div>
          <Show when={catalog.error}>
            <ErrorMessage error={catalog.error} onRetry={refetchCatalog} />
          </Show>
          <Show when={actionError()}>{(error) => <ErrorMessage error={error()} />}</Show>
          <Show when={notice()}>
            <p class="ok" role="status">
              {notice()}
            </p>
          </Show>

          <Show when={providers() && editing()} keyed>
            {(target) => (
              <ModelsForm
                providers={providers()!}
                saved={"saved" in target ? target.saved : undefined}
                type={"type" in target ? target.type : undefined}
                onCancel={() => setEditing(null)}
                onSaved={(view) => {
                  setEditing(null);
                  setNotice(t("models.saved", { name: labelOf(view) }));
                  void refetch();
                }}
              />
            )}
          </Show>

          <Show when={models().length > 0} fallback={<p class="muted">{t("models.empty")}</p>}>
            <ul class="models-list">
              <For each={models()}>
                {(entry) => (
                  <li class="card models-entry">
                    <div class="models-entry-main">
                      <div class="row">
                        <strong>{labelOf(entry)}</strong>
                        <span class="badge">{t(`common.${entry.type}`)}</span>
                        <Show when={entry.in_use}>
                          <span class="badge succeeded">{t("models.inUse")}</span>
                        </Show>
                        <Show when={entry.default}>
                          <span class="badge">{t("models.default")}</span>
                        </Show>
                      </div>
                      <div class="muted models-entry-facts">
                        <span>{entry.provider}</span> · <code>{entry.model}</code>
                        <Show when={entry.base_url}>
                          {(url) => (
                            <>
                              {" "}
                              · <span>{url()}</span>
                            </>
                          )}
                        </Show>
                        {" · "}
                        <span>{entry.api_key.set ? t("models.keyShown", { key: entry.api_key.masked }) : t("models.noKey")}</span>
                      </div>
                    </div>
                    <Show
                      when={confirming() === entry.index}
                      fallback={
                        <div class="row models-entry-actions">
                          <button type="button" class="secondary" disabled={!providers()} onClick={() => open({ saved: entry })} aria-label={t("models.editLabel", { name: labelOf(entry) })}>
                            {t("models.edit")}
                          </button>
                          <Show when={!entry.default}>
                            <button
                              type="button"
                              class="secondary"
                              disabled={busy()}
                              onClick={() => void act(() => api.models.makeDefault(entry.index), t("models.madeDefault", { name: labelOf(entry) }))}
                              aria-label={t("models.makeDefaultLabel", { name: labelOf(entry) })}
                            >
                              {t("models.makeDefault")}
                            </button>
                          </Show>
                          <button type="button" class="secondary" onClick={() => setConfirming(entry.index)} aria-label={t("models.removeLabel", { name: labelOf(entry) })}>
                            {t("models.remove")}
                          </button>
                        </div>
                      }
                    >
                      <div class="row models-confirm" role="group" aria-label={t("models.confirmRemove", { name: labelOf(entry) })}>
                        <span>{t("models.confirmRemove", { name: labelOf(entry) })}</span>
                        <button type="button" class="danger" disabled={busy()} onClick={() => void remove(entry)}>
                          {t("models.confirmYes")}
                        </button>
                        <button type="button" class="secondary" onClick={() => setConfirming(null)}>
                          {t("common.cancel")}
                        </button>
                      </div>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </Show>

        </Match>
      </Switch>
    </section>
  );
}
