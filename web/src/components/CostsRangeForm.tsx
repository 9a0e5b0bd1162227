import { For } from "solid-js";
import { addDays, monthStart } from "../lib/costs.ts";
import { t } from "../lib/i18n.ts";

/** Shortcuts for the date range: the last n days, today included. */
const PRESET_DAYS = [7, 30, 90] as const;

/** The date range of the Costs page: from and to (local days), and shortcuts for the last 7, 30, 90 days and this month. */
export function CostsRangeForm(props: { today: string; from: string; to: string; onFrom: (day: string) => void; onTo: (day: string) => void }) {
  const select = (from: string) => {
    props.onFrom(from);
    props.onTo(props.today);
  };
  const selected = (from: string) => props.from === from && props.to === props.today;
  return (
    <form class="card costs-range" aria-label={t("costs.range")} onSubmit={(e) => e.preventDefault()}>
      <label>
        <span>{t("costs.from")}</span>
        <input type="date" value={props.from} max={props.to || undefined} onChange={(e) => props.onFrom(e.currentTarget.value)} />
      </label>
      <label>
        <span>{t("costs.to")}</span>
        <input type="date" value={props.to} min={props.from || undefined} onChange={(e) => props.onTo(e.currentTarget.value)} />
      </label>
      <div class="row costs-presets" role="group" aria-label={t("costs.presets")}>
        <For each={PRESET_DAYS}>
          {(days) => (
            <button type="button" class="secondary" onClick={() => select(addDays(props.today, 1 - days))} aria-pressed={selected(addDays(props.today, 1 - days))}>
              {t("costs.lastDays", { days })}
            </button>
          )}
        </For>
        <button type="button" class="secondary" onClick={() => select(monthStart(props.today))} aria-pressed={selected(monthStart(props.today))}>
          {t("costs.thisMonth")}
        </button>
      </div>
    </form>
  );
}
