import { For } from "solid-js";
import { knownCost, type ModelRow, type Totals } from "../lib/costs.ts";
import { formatUsd } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/** Spend per model over the range: succeeded count, known cost and not-priced count, with the range's total. */
export function CostsModelTable(props: { rows: readonly ModelRow[]; total: Totals }) {
  return (
    <div class="costs-table-wrap">
      <table class="costs-models">
        <thead>
          <tr>
            <th scope="col">{t("costs.model")}</th>
            <th scope="col" class="num">{t("costs.succeeded")}</th>
            <th scope="col" class="num">{t("costs.cost")}</th>
            <th scope="col" class="num">{t("costs.notPriced")}</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.rows}>
            {(row) => (
              <tr>
                <th scope="row">
                  <code>{row.model}</code>
                </th>
                <td class="num">{row.count}</td>
                <td class="num">{formatUsd(knownCost(row))}</td>
                <td class={row.unknown_cost_count > 0 ? "num costs-unknown-count" : "num"}>{row.unknown_cost_count}</td>
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
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
