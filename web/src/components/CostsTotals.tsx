import { For, type JSX, Show } from "solid-js";
import { knownCost, type Totals } from "../lib/costs.ts";
import { MEDIA_TYPES, type MediaType } from "../lib/enums.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/** One total: spend, count and not-priced count, or "loading" until `totals` is known. */
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
            {props.children}
          </>
        )}
      </Show>
    </article>
  );
}

/** The totals of today, this month and the chosen range, the range's split by media type. */
export function CostsTotals(props: { day: Totals | undefined; month: Totals | undefined; range: Record<MediaType | "all", Totals> | undefined }) {
  return (
    <div class="costs-totals">
      <CostsTotalCard title={t("costs.today")} totals={props.day} />
      <CostsTotalCard title={t("costs.month")} totals={props.month} />
      <CostsTotalCard title={t("costs.rangeTotal")} totals={props.range?.all}>
        <Show when={props.range}>
          {(range) => (
            <ul class="costs-by-type muted">
              <For each={MEDIA_TYPES}>
                {(type) => (
                  <li>
                    <span class={`costs-swatch ${type}`} aria-hidden="true" />
                    {t(`common.${type}`)} {formatUsd(knownCost(range()[type]))}
                  </li>
                )}
              </For>
            </ul>
          )}
        </Show>
      </CostsTotalCard>
    </div>
  );
}
