import { For } from "solid-js";
import type { ModelView } from "../lib/api.ts";
import { t } from "../lib/i18n.ts";

/** How a request names a configured model: its name, else its model id (what the API's `model` field takes). */
export const modelChoice = (model: ModelView) => model.name ?? model.model;

/**
 * The model that serves the next request of this tab: the type's default (what agents get, unchanged) or any other
 * configured model of the type, sent as the request's `model`.
 */
export function PlaygroundModelSelect(props: { models: readonly ModelView[]; value: string; onChange: (choice: string) => void }) {
  return (
    <label class="playground-model-select">
      {t("playground.modelPick")}
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <For each={props.models}>
          {(model) => (
            <option value={model.in_use ? "" : modelChoice(model)} selected={(model.in_use ? "" : modelChoice(model)) === props.value}>
              {`${modelChoice(model)} (${model.provider} · ${model.model})${model.in_use ? ` · ${t("playground.modelDefault")}` : ""}`}
            </option>
          )}
        </For>
      </select>
    </label>
  );
}
