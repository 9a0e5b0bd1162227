import { For, Show } from "solid-js";
import { ApiError, type ModelView } from "../lib/api.ts";
import { t } from "../lib/i18n.ts";
import type { Run, RunCard } from "../lib/playground-store.ts";
import { ErrorMessage } from "./ErrorMessage.tsx";
import { PlaygroundJob } from "./PlaygroundJob.tsx";

/** A model of a comparison that was refused before it became a job (no key, a budget, bad input for that model). */
function RefusedCard(props: { card: RunCard; models: readonly ModelView[] }) {
  const label = () => {
    const model = props.models.find((m) => (m.name ?? m.model) === props.card.choice);
    return model ? `${model.provider} · ${model.model}` : props.card.choice;
  };
  const error = () => new ApiError(props.card.refused!.message, props.card.refused!.error_type, props.card.refused!.status, props.card.refused!.field);
  return (
    <article class="card playground-job playground-refused" aria-label={t("playground.compare.card", { model: props.card.choice })}>
      <div class="row playground-job-head">
        <span class="badge failed">{t("playground.refused")}</span>
        <span class="muted">{label()}</span>
      </div>
      <ErrorMessage error={error()} />
    </article>
  );
}

/** One press of Generate: a job, or a comparison of one prompt across models, side by side. */
export function PlaygroundRun(props: { run: Run; models: readonly ModelView[] }) {
  const card = (item: RunCard) => (
    <Show when={item.accepted} fallback={<RefusedCard card={item} models={props.models} />}>
      {(accepted) => <PlaygroundJob accepted={accepted()} label={props.run.label} />}
    </Show>
  );
  return (
    <Show when={props.run.compare} fallback={<For each={props.run.cards}>{card}</For>}>
      <section class="playground-compare-run" aria-label={t("playground.compare.run", { label: props.run.label })}>
        <p class="playground-job-prompt">
          <strong>{t("playground.compare.title")}</strong> {props.run.label}
        </p>
        <div class="playground-compare-grid">
          <For each={props.run.cards}>{card}</For>
        </div>
      </section>
    </Show>
  );
}
