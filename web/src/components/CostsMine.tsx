import { For } from "solid-js";
import type { Whoami } from "../lib/api.ts";
import { ownSpendRows } from "../lib/costs.ts";
import { t } from "../lib/i18n.ts";
import { BudgetItem } from "./CostsBudget.tsx";

/** A token holder's own spend today and this month against their token's limits and their team's (GET /api/tokens/me). */
export function CostsMine(props: { me: Whoami }) {
  const scope = (row: { scope: "token" | "team" }) => (row.scope === "token" ? t("costs.mine.token", { name: props.me.name ?? "" }) : t("costs.mine.team", { team: props.me.team ?? "" }));
  return (
    <section class="card costs-section" aria-labelledby="costs-mine-title">
      <h2 id="costs-mine-title">{t("costs.mine.title")}</h2>
      <ul class="costs-budget">
        <For each={ownSpendRows(props.me)}>{(row) => <BudgetItem label={`${t(`costs.budget.${row.period}`)} · ${scope(row)}`} spent={row.spent} limit={row.limit} />}</For>
      </ul>
      <p class="muted costs-budget-note">{t("costs.budget.countsEstimates")}</p>
    </section>
  );
}
