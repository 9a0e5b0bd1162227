import { createResource, createSignal, For, Show } from "solid-js";
import { api, type Generation } from "../lib/api.ts";
import { originalModel, rerunRequest, type RerunRequest } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";
import { modelChoice } from "./PlaygroundModelSelect.tsx";

/**
 * Asks before running a generation again: the same model (or another configured one of its type, chosen here), output
 * folder and input images; shows the request that will be sent and what it cannot repeat.
 */
export function HistoryRerunConfirm(props: { generation: Generation; busy: boolean; onConfirm: (request: RerunRequest) => void; onCancel: () => void }) {
  const [list] = createResource(() => api.models.list());
  const models = () => list()?.models.filter((m) => m.type === props.generation.type) ?? [];
  const original = () => originalModel(props.generation);
  /** The original's entry when it is still configured: by its name (or id), else an entry of the same provider and model. */
  const stillThere = () =>
    models().find((m) => modelChoice(m) === original()) ?? models().find((m) => m.model === props.generation.model && m.provider === props.generation.provider);
  const [picked, setPicked] = createSignal<string>();
  /** The model sent: the user's pick, else the original's entry, else (once the list shows it is gone) the type's default. */
  const choice = () => {
    const chosen = picked();
    if (chosen !== undefined) return chosen;
    if (!list()) return original();
    const found = stillThere();
    return found ? modelChoice(found) : "";
  };
  const request = () => rerunRequest(props.generation, choice());
  const type = () => t(`common.${props.generation.type}`);
  return (
    <div class="history-confirm" role="group" aria-label={t("history.rerunConfirm")}>
      <p>{t("history.rerunConfirm")}</p>
      <p class="muted">{t("history.rerunModel")}</p>
      <Show when={list() && !stillThere()}>
        <p class="history-warning">{t("history.rerunModelGone", { model: original() })}</p>
      </Show>
      <Show when={models().length > 0}>
        <label class="history-rerun-model">
          {t("history.rerunModelPick")}
          <select value={choice()} onChange={(e) => setPicked(e.currentTarget.value)}>
            <For each={models()}>
              {(model) => (
                <option value={modelChoice(model)} selected={modelChoice(model) === choice()}>
                  {`${modelChoice(model)} (${model.provider} · ${model.model})`}
                </option>
              )}
            </For>
            <Show when={models().find((m) => m.in_use)}>
              {(inUse) => (
                <option value="" selected={choice() === ""}>
                  {t("history.rerunModelDefault", { model: modelChoice(inUse()), type: type() })}
                </option>
              )}
            </Show>
          </select>
        </label>
      </Show>
      <pre class="history-request">{JSON.stringify(request().body, null, 2)}</pre>
      <Show when={request().droppedInputs}>
        <p class="history-warning">{t("history.rerunNoInputs")}</p>
      </Show>
      <div class="row">
        <button type="button" onClick={() => props.onConfirm(request())} disabled={props.busy}>
          {t("history.rerunSubmit")}
        </button>
        <button type="button" class="secondary" onClick={() => props.onCancel()} disabled={props.busy}>
          {t("common.cancel")}
        </button>
      </div>
    </div>
  );
}
