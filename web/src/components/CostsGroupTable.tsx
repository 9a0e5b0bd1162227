import { For } from "solid-js";
import { knownCost, seriesLabel, type GroupRow, type Split, type Totals } from "../lib/costs.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/**
 * Spend per model, provider, type or caller over the range: succeeded count, known cost, not-priced count, refused
 * requests and billed failures, with the range's total.
 */
export function CostsGroupTable(props: { split: Split; rows: readonly GroupRow[]; total: Totals }) {
  return (
    <div class="costs-table-wrap">
      <table class="costs-models">
        <thead>
          <tr>
            <th scope="col">{t(`costs.split.${props.split}`)}</th>
            <th scope="col" class="num">{t("costs.succeeded")}</th>
            <th scope="col" class="num">{t("costs.cost")}</th>
            <th scope="col" class="num">{t("costs.notPriced")}</th>
            <th scope="col" class="num">{t("costs.refused")}</th>
            <th scope="col" class="num">{t("costs.billedFailures")}</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.rows}>
            {(row) => (
              <tr>
                <th scope="row">
                  <code>{seriesLabel(props.split, row.key)}</code>
                </th>
                <td class="num">{row.count}</td>
                <td class="num">{formatUsd(knownCost(row))}</td>
                <td class={row.unknown_cost_count > 0 ? "num costs-unknown-count" : "num"}>{row.unknown_cost_count}</td>
                <td class={row.refused_count > 0 ? "num costs-refused-count" : "num"}>{row.refused_count}</td>
                <td class={row.billed_failure_count > 0 ? "num costs-unknown-count" : "num"}>
                  {row.billed_failure_count > 0 ? `${row.billed_failure_count} (${formatUsd(row.billed_failure_usd)})` : "0"}
                </td>
              </tr>
            )}
          </For>
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t("costs.total")}</th>
            <td class="num">{props.total.count}</td>
            <td class="num">{formatUsd(knownCost(props.total))}</td>
            <td class="num">{props.total.unknown_cost_count}</td>
            <td class="num">{props.total.refused_count}</td>
            <td class="num">{props.total.billed_failure_count > 0 ? `${props.total.billed_failure_count} (${formatUsd(props.total.billed_failure_usd)})` : "0"}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
