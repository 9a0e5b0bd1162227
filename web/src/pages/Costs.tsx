import { createMemo, createResource, createSignal, Show } from "solid-js";
import { CostsBudget } from "../components/CostsBudget.tsx";
import { CostsChart } from "../components/CostsChart.tsx";
import { CostsDailyTable } from "../components/CostsDailyTable.tsx";
import { CostsModelTable } from "../components/CostsModelTable.tsx";
import { CostsRangeForm } from "../components/CostsRangeForm.tsx";
import { CostsTotals } from "../components/CostsTotals.tsx";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { OwnerSelect } from "../components/OwnerSelect.tsx";
import { api } from "../lib/api.ts";
import { addDays, dailyCsv, dailySeries, daysBetween, knownCost, modelCsv, modelRows, monthStart, seriesTotals } from "../lib/costs.ts";
import { MEDIA_TYPES } from "../lib/enums.ts";
import { downloadText } from "../lib/download.ts";
import { formatUsd, localDate } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";
import { ownerParams } from "../lib/owners.ts";
import "./costs.css";

/** Days the page shows when it opens, today included. */
export const DEFAULT_RANGE_DAYS = 30;

interface Range {
  from: string;
  to: string;
  /** Whose spend: "" (everyone), owner:<name> or team:<name>. */
  who?: string;
}

/** The note under the totals: why some generations have no cost, or that all do. */
function unknownNote(count: number): string {
  if (count === 0) return t("costs.allPriced");
  return count === 1 ? t("costs.unknownExplainOne") : t("costs.unknownExplain", { count });
}

/** Spend of a range: per day per type (zero-filled) from one day-grouped summary per type, and per model. */
async function loadRange({ from, to, who = "" }: Range) {
  const whose = ownerParams(who);
  const [models, ...perType] = await Promise.all([
    api.costs.summary({ group_by: "model", from, to, ...whose }),
    ...MEDIA_TYPES.map((type) => api.costs.summary({ group_by: "day", type, from, to, ...whose })),
  ]);
  const series = dailySeries(daysBetween(from, to), Object.fromEntries(MEDIA_TYPES.map((type, i) => [type, perType[i]?.groups ?? []])));
  return { from, to, series, totals: seriesTotals(series), models: modelRows(models.groups) };
}

/** Today's and this month's spend, and the budget with what has been spent against it. */
async function loadOverview(today: string, who = "") {
  const whose = ownerParams(who);
  const [day, month, budget] = await Promise.all([
    api.costs.summary({ group_by: "type", from: today, to: today, ...whose }),
    api.costs.summary({ group_by: "type", from: monthStart(today), to: today, ...whose }),
    api.costs.budget(),
  ]);
  return { day: day.total, month: month.total, budget };
}

/** Spend per day stacked by type, totals for today, this month and a chosen range, budgets, per-model spend and CSV exports. */
export function Costs() {
  const today = localDate(new Date());
  const [from, setFrom] = createSignal(addDays(today, 1 - DEFAULT_RANGE_DAYS));
  const [to, setTo] = createSignal(today);
  const [who, setWho] = createSignal("");
  const range = createMemo<Range | undefined>(
    () => (from() && to() && from() <= to() ? { from: from(), to: to(), who: who() } : undefined),
    undefined,
    { equals: (a, b) => a?.from === b?.from && a?.to === b?.to && a?.who === b?.who },
  );
  const [spend, { refetch: refetchSpend }] = createResource(range, loadRange);
  const [overview, { refetch: refetchOverview }] = createResource(() => ({ who: who() }), ({ who }) => loadOverview(today, who));
  // A resource that failed throws when read: look at the error first.
  const data = () => (spend.error ? undefined : spend.latest);
  const summary = () => (overview.error ? undefined : overview.latest);

  const exportDaily = () => {
    const d = data();
    if (d) downloadText(`mediagen-costs-per-day-${d.from}-to-${d.to}.csv`, dailyCsv(d.series));
  };
  const exportModels = () => {
    const d = data();
    if (d) downloadText(`mediagen-costs-per-model-${d.from}-to-${d.to}.csv`, modelCsv(d.models));
  };

  return (
    <section class="costs-page">
      <h1>{t("nav.costs")}</h1>

      <CostsRangeForm today={today} from={from()} to={to()} onFrom={setFrom} onTo={setTo} />
      <OwnerSelect value={who()} onChange={setWho} />
      <Show when={!range()}>
        <p class="error" role="alert">
          {t("costs.badRange")}
        </p>
      </Show>

      <Show when={overview.error}>
        <ErrorMessage error={overview.error} onRetry={refetchOverview} />
      </Show>
      <Show when={spend.error}>
        <ErrorMessage error={spend.error} onRetry={refetchSpend} />
      </Show>

      <CostsTotals day={summary()?.day} month={summary()?.month} range={data()?.totals} />

      <Show when={data()}>
        {(d) => (
          <p class={d().totals.all.unknown_cost_count > 0 ? "costs-unknown" : "muted"} role="note">
            {unknownNote(d().totals.all.unknown_cost_count)}
          </p>
        )}
      </Show>

      <section class="card costs-section" aria-labelledby="costs-budget-title">
        <h2 id="costs-budget-title">{t("costs.budget.title")}</h2>
        <Show when={summary()} fallback={<Show when={!overview.error}><p class="muted">{t("common.loading")}</p></Show>}>
          {(s) => <CostsBudget budget={s().budget.budget} spent={s().budget.spent} />}
        </Show>
      </section>

      <section class="card costs-section" aria-labelledby="costs-daily-title">
        <div class="costs-section-head">
          <h2 id="costs-daily-title">{t("costs.daily")}</h2>
          <button type="button" class="secondary" onClick={exportDaily} disabled={!data()}>
            {t("costs.exportDaily")}
          </button>
        </div>
        <Show when={data()} fallback={<Show when={!spend.error}><p class="muted">{t("common.loading")}</p></Show>}>
          {(d) => (
            <>
              <CostsChart
                series={d().series}
                label={t("costs.chartLabel", { from: d().from, to: d().to, total: formatUsd(knownCost(d().totals.all)) })}
              />
              <CostsDailyTable series={d().series} />
            </>
          )}
        </Show>
      </section>

      <section class="card costs-section" aria-labelledby="costs-models-title">
        <div class="costs-section-head">
          <h2 id="costs-models-title">{t("costs.perModel")}</h2>
          <button type="button" class="secondary" onClick={exportModels} disabled={!data()}>
            {t("costs.exportModels")}
          </button>
        </div>
        <Show when={data()} fallback={<Show when={!spend.error}><p class="muted">{t("common.loading")}</p></Show>}>
          {(d) => (
            <Show when={d().models.length > 0} fallback={<p class="muted">{t("costs.noSpend")}</p>}>
              <CostsModelTable rows={d().models} total={d().totals.all} />
            </Show>
          )}
        </Show>
      </section>
    </section>
  );
}
