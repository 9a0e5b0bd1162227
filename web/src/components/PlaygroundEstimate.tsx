import { Show } from "solid-js";
import type { ModelEstimate } from "../lib/api.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";
import { estimateTotal } from "../lib/playground-requests.ts";

/** An estimate as one phrase: its cost and where it comes from, or why there is none. */
export function estimateText(estimate: ModelEstimate): string {
  if (estimate.estimated_cost_usd === null) return t("playground.estimate.none");
  return `${formatUsd(estimate.estimated_cost_usd)} · ${t(`playground.estimate.basis.${estimate.basis}`)}`;
}

/** The estimated cost of the form's request before it runs: of the one model, or the total of a comparison. */
export function PlaygroundEstimate(props: { estimates: readonly ModelEstimate[] | undefined; error: unknown; compare: boolean }) {
  const total = () => estimateTotal(props.estimates ?? []);
  return (
    <div class="playground-estimate" aria-live="polite">
      <Show when={props.error}>
        <p class="muted">{t("playground.estimate.unavailable")}</p>
      </Show>
      <Show when={!props.error && props.estimates && props.estimates.length > 0}>
        <Show when={props.compare} fallback={<p>{t("playground.estimate.one", { estimate: estimateText(props.estimates![0]!) })}</p>}>
          <p>{t(total().partial ? "playground.estimate.totalPartial" : "playground.estimate.total", { cost: formatUsd(total().usd) })}</p>
        </Show>
      </Show>
    </div>
  );
}
