import { For } from "solid-js";
import { dayTotals, knownCost, type DailySeries, type Totals } from "../lib/costs.ts";
import { MEDIA_TYPES } from "../lib/enums.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

const ZERO_TOTALS: Totals = { count: 0, cost_usd: 0, unknown_cost_count: 0 };

/** The chart's numbers as a table, folded: spend per day per media type and the day's total. */
export function CostsDailyTable(props: { series: DailySeries }) {
  return (
    <details class="costs-daily-table">
      <summary>{t("costs.showTable")}</summary>
      <div class="costs-table-wrap">
        <table>
          <caption class="sr-only">{t("costs.daily")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("costs.day")}</th>
              <For each={MEDIA_TYPES}>{(type) => <th scope="col" class="num">{t(`common.${type}`)}</th>}</For>
              <th scope="col" class="num">{t("costs.total")}</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.series.days}>
              {(day, i) => (
                <tr>
                  <th scope="row">{day}</th>
                  <For each={MEDIA_TYPES}>{(type) => <td class="num">{formatUsd(knownCost(props.series.byType[type][i()] ?? ZERO_TOTALS))}</td>}</For>
                  <td class="num">{formatUsd(knownCost(dayTotals(props.series, i())))}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </details>
  );
}
