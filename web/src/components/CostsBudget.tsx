import { For, Show } from "solid-js";
import type { Budget, SpendSoFar } from "../lib/api.ts";
import { budgetBars, budgetLevel } from "../lib/costs.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/** One figure's label, spend and progress bar against its limit; with no limit (null), the spend alone. */
export function BudgetItem(props: { label: string; spent: number; limit: number | null }) {
  const ratio = () => (props.limit ? props.spent / props.limit : 0);
  const text = () =>
    props.limit === null
      ? t("costs.mine.noLimit", { spent: formatUsd(props.spent) })
      : t("costs.budget.value", { spent: formatUsd(props.spent), limit: formatUsd(props.limit), percent: Math.round(ratio() * 100) }) +
        (budgetLevel(ratio()) === "over" ? ` · ${t("costs.budget.over")}` : "");
  return (
    <li class="costs-budget-item" data-level={budgetLevel(ratio())}>
      <div class="costs-budget-label">
        <span>{props.label}</span>
        <span class="muted">{text()}</span>
      </div>
      <Show when={props.limit !== null}>
        <div
          class="costs-bar"
          role="progressbar"
          aria-label={props.label}
          aria-valuemin={0}
          aria-valuemax={props.limit ?? 0}
          aria-valuenow={Math.min(props.spent, props.limit ?? 0)}
          aria-valuetext={text()}
        >
          <div class="costs-bar-fill" style={{ width: `${Math.min(100, ratio() * 100)}%` }} />
        </div>
      </Show>
    </li>
  );
}

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
          {(bar) => (
            <BudgetItem
              label={`${t(`costs.budget.${bar.period}`)} · ${bar.scope === "overall" ? t("costs.budget.overall") : t(`common.${bar.scope}`)}`}
              spent={bar.spent}
              limit={bar.limit}
            />
          )}
        </For>
      </ul>
      <p class="muted costs-budget-note">{t("costs.budget.countsEstimates")}</p>
    </Show>
  );
}
