import { type JSX, Show } from "solid-js";
import { knownCost, type Totals } from "../lib/costs.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/** One total: spend, count, not-priced count, refusals and billed failures, or "loading" until `totals` is known. */
function CostsTotalCard(props: { title: string; totals: Totals | undefined; children?: JSX.Element }) {
  return (
    <article class="card costs-total" aria-busy={props.totals === undefined}>
      <h2>{props.title}</h2>
      <Show when={props.totals} fallback={<p class="muted">{t("common.loading")}</p>}>
        {(totals) => (
          <>
            <p class="costs-total-value">{formatUsd(knownCost(totals()))}</p>
            <p class="muted costs-total-counts">
              {t("costs.count", { count: totals().count })}
              <Show when={totals().unknown_cost_count > 0}>
                {" · "}
                <span class="costs-unknown-count">{t("costs.unknownCount", { count: totals().unknown_cost_count })}</span>
              </Show>
            </p>
            <Show when={totals().refused_count > 0 || totals().billed_failure_count > 0}>
              <p class="muted costs-total-exceptions">
                <Show when={totals().refused_count > 0}>
                  <span class="costs-refused-count">{t("costs.refusedCount", { count: totals().refused_count })}</span>
                </Show>
                <Show when={totals().refused_count > 0 && totals().billed_failure_count > 0}>{" · "}</Show>
                <Show when={totals().billed_failure_count > 0}>
                  <span class="costs-unknown-count">
                    {t("costs.billedFailureCount", { count: totals().billed_failure_count, usd: formatUsd(totals().billed_failure_usd) })}
                  </span>
                </Show>
              </p>
            </Show>
            {props.children}
          </>
        )}
      </Show>
    </article>
  );
}

/** The totals of today, this month and the chosen range. */
export function CostsTotals(props: { day: Totals | undefined; month: Totals | undefined; range: Totals | undefined }) {
  return (
    <div class="costs-totals">
      <CostsTotalCard title={t("costs.today")} totals={props.day} />
      <CostsTotalCard title={t("costs.month")} totals={props.month} />
      <CostsTotalCard title={t("costs.rangeTotal")} totals={props.range} />
    </div>
  );
}
