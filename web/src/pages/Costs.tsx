import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { CostsBudget } from "../components/CostsBudget.tsx";
import { CostsBudgetForm } from "../components/CostsBudgetForm.tsx";
import { CostsCallerForm } from "../components/CostsCallerForm.tsx";
import { CostsChart } from "../components/CostsChart.tsx";
import { CostsDailyTable } from "../components/CostsDailyTable.tsx";
import { CostsGroupTable } from "../components/CostsGroupTable.tsx";
import { CostsMine } from "../components/CostsMine.tsx";
import { CostsRangeForm } from "../components/CostsRangeForm.tsx";
import { CostsTotals } from "../components/CostsTotals.tsx";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { OwnerSelect } from "../components/OwnerSelect.tsx";
import { api } from "../lib/api.ts";
import {
  addDays,
  costFilterQuery,
  dailyCsv,
  dailySeries,
  daysBetween,
  groupCsv,
  groupRows,
  knownCost,
  monthStart,
  NO_COST_FILTERS,
  seriesLabel,
  seriesTotals,
  SPLITS,
  type CostFilters,
  type Split,
} from "../lib/costs.ts";
import { downloadText } from "../lib/download.ts";
import { formatUsd, localDate } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";
import "./costs.css";

/** Days the page shows when it opens, today included. */
export const DEFAULT_RANGE_DAYS = 30;

interface Range {
  from: string;
  to: string;
  split: Split;
  filters: CostFilters;
}

/** The note under the totals: why some generations have no cost, or that all do. */
function unknownNote(count: number): string {
  if (count === 0) return t("costs.allPriced");
  return count === 1 ? t("costs.unknownExplainOne") : t("costs.unknownExplain", { count });
}

/** Spend of a range for the caller filters: per day split by `split` (zero-filled), and grouped by `split`. */
async function loadRange({ from, to, split, filters }: Range) {
  const caller = costFilterQuery(filters);
  const [perDay, grouped] = await Promise.all([
    api.costs.summary({ group_by: "day", series: split, from, to, ...caller }),
    api.costs.summary({ group_by: split, from, to, ...caller }),
  ]);
  const series = dailySeries(daysBetween(from, to), split, perDay.groups);
  return { from, to, split, series, totals: seriesTotals(series), rows: groupRows(grouped.groups), total: grouped.total };
}

/** Today's and this month's spend for the caller filters. */
async function loadOverview({ today, filters }: { today: string; filters: CostFilters }) {
  const caller = costFilterQuery(filters);
  const [day, month] = await Promise.all([
    api.costs.summary({ group_by: "type", from: today, to: today, ...caller }),
    api.costs.summary({ group_by: "type", from: monthStart(today), to: today, ...caller }),
  ]);
  return { day: day.total, month: month.total };
}

/**
 * Spend per day stacked by type, model, provider or caller, totals for today, this month and a chosen range (with
 * refusals and billed failures), caller filters, a token holder's own spend against their limits, budgets with the
 * spend against them and their editor, the breakdown table and CSV exports.
 */
export function Costs() {
  const today = localDate(new Date());
  const [from, setFrom] = createSignal(addDays(today, 1 - DEFAULT_RANGE_DAYS));
  const [to, setTo] = createSignal(today);
  const [split, setSplit] = createSignal<Split>("type");
  const [filters, setFilters] = createSignal<CostFilters>(NO_COST_FILTERS);
  const range = createMemo<Range | undefined>(
    () => (from() && to() && from() <= to() ? { from: from(), to: to(), split: split(), filters: filters() } : undefined),
    undefined,
    { equals: (a, b) => a?.from === b?.from && a?.to === b?.to && a?.split === b?.split && JSON.stringify(a?.filters) === JSON.stringify(b?.filters) },
  );
  const [spend, { refetch: refetchSpend }] = createResource(range, loadRange);
  const [overview, { refetch: refetchOverview }] = createResource(() => ({ today, filters: filters() }), loadOverview);
  const [budget, { refetch: refetchBudget }] = createResource(() => api.costs.budget());
  // A token's holder sees their own spend against their token's and their team's limits.
  const [me] = createResource(() => api.tokens.me().catch(() => undefined));
  // A resource that failed throws when read: look at the error first.
  const data = () => (spend.error ? undefined : spend.latest);
  const summary = () => (overview.error ? undefined : overview.latest);
  const limits = () => (budget.error ? undefined : budget.latest);
  const splitName = () => t(`costs.split.${split()}`).toLowerCase();

  const exportDaily = () => {
    const d = data();
    if (d) downloadText(`mediagen-costs-per-day-by-${d.split}-${d.from}-to-${d.to}.csv`, dailyCsv(d.series, (key) => seriesLabel(d.split, key)));
  };
  const exportGroups = () => {
    const d = data();
    if (d) downloadText(`mediagen-costs-per-${d.split}-${d.from}-to-${d.to}.csv`, groupCsv(d.split, d.rows));
  };

  return (
    <section class="costs-page">
      <h1>{t("nav.costs")}</h1>

      <CostsRangeForm today={today} from={from()} to={to()} onFrom={setFrom} onTo={setTo} />
      <OwnerSelect value={filters().who} onChange={(who) => setFilters({ ...filters(), who })} />
      <Show when={!range()}>
        <p class="error" role="alert">
          {t("costs.badRange")}
        </p>
      </Show>
      <CostsCallerForm filters={filters()} onChange={setFilters} />

      <Show when={overview.error}>
        <ErrorMessage error={overview.error} onRetry={refetchOverview} />
      </Show>
      <Show when={spend.error}>
        <ErrorMessage error={spend.error} onRetry={refetchSpend} />
      </Show>

      <CostsTotals day={summary()?.day} month={summary()?.month} range={data()?.totals.all} />

      <Show when={data()}>
        {(d) => (
          <>
            <p class={d().totals.all.unknown_cost_count > 0 ? "costs-unknown" : "muted"} role="note">
              {unknownNote(d().totals.all.unknown_cost_count)}
            </p>
            <Show when={d().total.refused_count > 0 || d().total.billed_failure_count > 0}>
              <p class="costs-unknown costs-exceptions" role="note">
                {[
                  d().total.refused_count > 0 ? t("costs.refusedExplain", { count: d().total.refused_count }) : "",
                  d().total.billed_failure_count > 0 ? t("costs.billedExplain", { count: d().total.billed_failure_count, usd: formatUsd(d().total.billed_failure_usd) }) : "",
                ]
                  .filter(Boolean)
                  .join(" ")}
              </p>
            </Show>
          </>
        )}
      </Show>

      <Show when={me()?.via === "token" && me()}>{(mine) => <CostsMine me={mine()} />}</Show>

      <section class="card costs-section" aria-labelledby="costs-budget-title">
        <h2 id="costs-budget-title">{t("costs.budget.title")}</h2>
        <Show when={budget.error}>
          <ErrorMessage error={budget.error} onRetry={refetchBudget} />
        </Show>
        <Show when={limits()} fallback={<Show when={!budget.error}><p class="muted">{t("common.loading")}</p></Show>}>
          {(status) => (
            <>
              <CostsBudget budget={status().budget} spent={status().spent} />
              <CostsBudgetForm budget={status().budget} onSaved={() => void refetchBudget()} />
            </>
          )}
        </Show>
      </section>

      <section class="card costs-section" aria-labelledby="costs-daily-title">
        <div class="costs-section-head">
          <h2 id="costs-daily-title">{t("costs.daily")}</h2>
          <div class="row">
            <label class="costs-split">
              <span>{t("costs.splitBy")}</span>
              <select value={split()} onChange={(e) => setSplit(e.currentTarget.value as Split)}>
                <For each={SPLITS}>{(value) => <option value={value}>{t(`costs.split.${value}`)}</option>}</For>
              </select>
            </label>
            <button type="button" class="secondary" onClick={exportDaily} disabled={!data()}>
              {t("costs.exportDaily")}
            </button>
          </div>
        </div>
        <Show when={data()} fallback={<Show when={!spend.error}><p class="muted">{t("common.loading")}</p></Show>}>
          {(d) => (
            <>
              <CostsChart
                series={d().series}
                label={t("costs.chartLabel", { split: t(`costs.split.${d().split}`).toLowerCase(), from: d().from, to: d().to, total: formatUsd(knownCost(d().totals.all)) })}
              />
              <CostsDailyTable series={d().series} />
            </>
          )}
        </Show>
      </section>

      <section class="card costs-section" aria-labelledby="costs-groups-title">
        <div class="costs-section-head">
          <h2 id="costs-groups-title">{t("costs.perGroup", { split: splitName() })}</h2>
          <button type="button" class="secondary" onClick={exportGroups} disabled={!data()}>
            {t("costs.exportGroups", { split: splitName() })}
          </button>
        </div>
        <Show when={data()} fallback={<Show when={!spend.error}><p class="muted">{t("common.loading")}</p></Show>}>
          {(d) => (
            <Show when={d().rows.length > 0} fallback={<p class="muted">{t("costs.noSpend")}</p>}>
              <CostsGroupTable split={d().split} rows={d().rows} total={d().total} />
            </Show>
          )}
        </Show>
      </section>
    </section>
  );
}
