import { For, Show } from "solid-js";
import type { ModelEstimate, ModelView } from "../lib/api.ts";
import { t } from "../lib/i18n.ts";
import { toggleChoice } from "../lib/playground-requests.ts";
import { COMPARE_MAX, COMPARE_MIN } from "../lib/playground-store.ts";
import { estimateText } from "./PlaygroundEstimate.tsx";
import { modelChoice } from "./PlaygroundModelSelect.tsx";

/** The models one prompt is sent to side by side (2 to 4 of the type's configured models), each with its estimate. */
export function PlaygroundCompare(props: { models: readonly ModelView[]; chosen: readonly string[]; estimates: readonly ModelEstimate[] | undefined; onChange: (chosen: string[]) => void }) {
  const estimateOf = (choice: string) => props.estimates?.find((e) => e.choice === choice);
  return (
    <fieldset class="card playground-compare">
      <legend>{t("playground.compare.legend", { min: COMPARE_MIN, max: COMPARE_MAX })}</legend>
      <ul>
        <For each={props.models}>
          {(model) => {
            const choice = modelChoice(model);
            const chosen = () => props.chosen.includes(choice);
            return (
              <li>
                <label>
                  <input
                    type="checkbox"
                    value={choice}
                    checked={chosen()}
                    disabled={!chosen() && props.chosen.length >= COMPARE_MAX}
                    onChange={() => props.onChange(toggleChoice(props.chosen, choice, COMPARE_MAX))}
                  />
                  <span>
                    {choice} <span class="muted">({model.provider} · {model.model})</span>
                    {model.in_use ? ` · ${t("playground.modelDefault")}` : ""}
                  </span>
                </label>
                <Show when={chosen() && estimateOf(choice)}>{(estimate) => <span class="muted playground-compare-estimate">{estimateText(estimate())}</span>}</Show>
              </li>
            );
          }}
        </For>
      </ul>
    </fieldset>
  );
}
