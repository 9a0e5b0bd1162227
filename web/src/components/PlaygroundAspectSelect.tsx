import { For } from "solid-js";
import { t } from "../lib/i18n.ts";

/** The aspect ratio choice of a generation form (its label is the caller's). */
export function PlaygroundAspectSelect(props: { aspects: readonly string[]; value: string; onChange: (aspect: string) => void }) {
  return (
    <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
      <For each={props.aspects}>
        {(aspect) => (
          <option value={aspect} selected={aspect === props.value}>
            {t(`playground.aspect.${aspect}`)}
          </option>
        )}
      </For>
    </select>
  );
}
