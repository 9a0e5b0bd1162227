import { For } from "solid-js";
import { dayTotals, knownCost, seriesLabel, ZERO, type DailySeries } from "../lib/costs.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/** The chart's numbers as a table, folded: spend per day per series (type, model, provider or caller) and the day's total. */
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
              <For each={props.series.layers}>{(layer) => <th scope="col" class="num">{seriesLabel(props.series.split, layer.key)}</th>}</For>
              <th scope="col" class="num">{t("costs.total")}</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.series.days}>
              {(day, i) => (
                <tr>
                  <th scope="row">{day}</th>
                  <For each={props.series.layers}>{(layer) => <td class="num">{formatUsd(knownCost(layer.values[i()] ?? ZERO))}</td>}</For>
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
