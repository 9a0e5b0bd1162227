import { For, type JSX } from "solid-js";

/** One label and its value. */
export type FieldRow = [label: string, value: JSX.Element];

/** Labelled values as a description list. */
export function HistoryFields(props: { rows: FieldRow[] }) {
  return (
    <dl class="history-fields">
      <For each={props.rows}>
        {([label, value]) => (
          <>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </>
        )}
      </For>
    </dl>
  );
}

/** A titled part of the generation detail. */
export function HistorySection(props: { title: string; children: JSX.Element }) {
  return (
    <section class="history-section">
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
}
