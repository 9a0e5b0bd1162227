import { For } from "solid-js";
import type { CostFilters } from "../lib/costs.ts";
import { DOORS } from "../lib/enums.ts";
import { t } from "../lib/i18n.ts";

/** Narrows the Costs page to one caller: a door, a client (User-Agent or MCP client name), a session. */
export function CostsCallerForm(props: { filters: CostFilters; onChange: (filters: CostFilters) => void }) {
  const update = (change: Partial<CostFilters>) => props.onChange({ ...props.filters, ...change });
  return (
    <form class="card costs-range costs-caller" aria-label={t("costs.caller")} onSubmit={(e) => e.preventDefault()}>
      <label>
        <span>{t("costs.split.door")}</span>
        <select value={props.filters.door} onChange={(e) => update({ door: e.currentTarget.value as CostFilters["door"] })}>
          <option value="">{t("costs.anyDoor")}</option>
          <For each={DOORS}>{(door) => <option value={door}>{t(`door.${door}`)}</option>}</For>
        </select>
      </label>
      <label>
        <span>{t("costs.clientFilter")}</span>
        <input type="search" value={props.filters.client} placeholder={t("costs.clientHint")} onChange={(e) => update({ client: e.currentTarget.value.trim() })} />
      </label>
      <label>
        <span>{t("costs.sessionFilter")}</span>
        <input type="search" value={props.filters.session} placeholder={t("costs.sessionHint")} onChange={(e) => update({ session: e.currentTarget.value.trim() })} />
      </label>
    </form>
  );
}
