import { For, Show } from "solid-js";
import type { Budget, SpendSoFar } from "../lib/api.ts";
import { budgetBars, budgetLevel } from "../lib/costs.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/**
 * A progress bar per configured limit (today and this month, overall and per type), with how the spend against them
 * is counted, or a note that none is set.
 */
export function CostsBudget(props: { budget: Budget | null; spent: SpendSoFar }) {
  const bars = () => budgetBars(props.budget, props.spent);
  return (
    <Show when={bars().length > 0} fallback={<p class="muted">{t("costs.budget.none")}</p>}>
      <ul class="costs-budget">
        <For each={bars()}>
          {(bar) => {
            const scope = () => (bar.scope === "overall" ? t("costs.budget.overall") : t(`common.${bar.scope}`));
            const label = () => `${t(`costs.budget.${bar.period}`)} · ${scope()}`;
            const percent = () => Math.round(bar.ratio * 100);
            const text = () =>
              t("costs.budget.value", { spent: formatUsd(bar.spent), limit: formatUsd(bar.limit), percent: percent() }) +
              (budgetLevel(bar.ratio) === "over" ? ` · ${t("costs.budget.over")}` : "");
            return (
              <li class="costs-budget-item" data-level={budgetLevel(bar.ratio)}>
                <div class="costs-budget-label">
                  <span>{label()}</span>
                  <span class="muted">{text()}</span>
                </div>
                <div
                  class="costs-bar"
                  role="progressbar"
                  aria-label={label()}
                  aria-valuemin={0}
                  aria-valuemax={bar.limit}
                  aria-valuenow={Math.min(bar.spent, bar.limit)}
                  aria-valuetext={text()}
                >
                  <div class="costs-bar-fill" style={{ width: `${Math.min(100, bar.ratio * 100)}%` }} />
                </div>
              </li>
            );
          }}
        </For>
      </ul>
      <p class="muted costs-budget-note">{t("costs.budget.countsEstimates")}</p>
    </Show>
  );
}
