import { For } from "solid-js";
import type { Generation } from "../lib/api.ts";
import { formatUsd } from "../lib/format.ts";
import { formatUnitPrice } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";

/** How a generation's cost adds up: unit, quantity, unit price and cost per line. */
export function HistoryCostBreakdown(props: { lines: NonNullable<Generation["cost_breakdown"]> }) {
  return (
    <div class="history-table-wrap" role="region" aria-label={t("history.breakdown")} tabindex="0">
      <table class="history-breakdown">
        <caption>{t("history.breakdown")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("history.field.unit")}</th>
            <th scope="col" class="num">{t("history.field.quantity")}</th>
            <th scope="col" class="num">{t("history.field.unitPrice")}</th>
            <th scope="col" class="num">{t("history.field.cost")}</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.lines}>
            {(line) => (
              <tr>
                <td>{line.unit}</td>
                <td class="num">{line.quantity}</td>
                <td class="num">{formatUnitPrice(line.unit_price_usd)}</td>
                <td class="num">{formatUsd(line.usd)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
