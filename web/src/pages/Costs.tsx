import { createMemo, createResource, createSignal, For, type JSX, Show } from "solid-js";
import { CostsBudget } from "../components/CostsBudget.tsx";
import { CostsChart } from "../components/CostsChart.tsx";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { api } from "../lib/api.ts";
import {
  addDays,
  dailyCsv,
  dailySeries,
  dayTotals,
  daysBetween,
  knownCost,
  modelCsv,
  modelRows,
  monthStart,
  seriesTotals,
  type Totals,
} from "../lib/costs.ts";
import { MEDIA_TYPES } from "../lib/enums.ts";
import { downloadText } from "../lib/download.ts";
import { formatUsd, localDate } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";
import "./costs.css";

/** Days the page shows when it opens, today included. */
export const DEFAULT_RANGE_DAYS = 30;

/** Shortcuts for the date range: the last n days, today included. */
const PRESET_DAYS = [7, 30, 90] as const;

interface Range {
  from: string;
  to: string;
}

const ZERO_TOTALS: Totals = { count: 0, cost_usd: 0, unknown_cost_count: 0 };

/** The note under the totals: why some generations have no cost, or that all do. */
function unknownNote(count: number): string {
  if (count === 0) return t("costs.allPriced");
  return count === 1 ? t("costs.unknownExplainOne") : t("costs.unknownExplain", { count });
}

/** Spend of a range: per day per type (zero-filled) from one day-grouped summary per type, and per model. */
async function loadRange({ from, to }: Range) {
  const [models, ...perType] = await Promise.all([
    api.costs.summary({ group_by: "model", from, to }),
    ...MEDIA_TYPES.map((type) => api.costs.summary({ group_by: "day", type, from, to })),
  ]);
  const series = dailySeries(daysBetween(from, to), Object.fromEntries(MEDIA_TYPES.map((type, i) => [type, perType[i]?.groups ?? []])));
  return { from, to, series, totals: seriesTotals(series), models: modelRows(models.groups) };
}

/** Today's and this month's spend, and the budget with what has been spent against it. */
async function loadOverview(today: string) {
  const [day, month, budget] = await Promise.all([
    api.costs.summary({ group_by: "type", from: today, to: today }),
    api.costs.summary({ group_by: "type", from: monthStart(today), to: today }),
    api.costs.budget(),
  ]);
  return { day: day.total, month: month.total, budget };
}

function TotalCard(props: { title: string; totals: Totals | undefined; children?: JSX.Element }) {
  return (
    <article class="card costs-total" aria-busy={props.totals === undefined}>
      <h2>{props.title}</h2>
      <Show when={props.totals} fallback={<p class="muted">{t("common.loading")}</p>}>
        {(totals) => (
          <>
            <p class="costs-total-value">{formatUsd(knownCost(totals()))}</p>
            <p class="muted costs-total-counts">
              {t("costs.count", { count: totals().count })}
              <Show when={totals().unknown_cost_count > 0}>
                {" · "}
                <span class="costs-unknown-count">{t("costs.unknownCount", { count: totals().unknown_cost_count })}</span>
              </Show>
            </p>
            {props.children}
          </>
        )}
      </Show>
    </article>
  );
}

/** Spend per day stacked by type, totals for today, this month and a chosen range, budgets, per-model spend and CSV exports. */
export function Costs() {
  const today = localDate(new Date());
  const [from, setFrom] = createSignal(addDays(today, 1 - DEFAULT_RANGE_DAYS));
  const [to, setTo] = createSignal(today);
  const range = createMemo<Range | undefined>(
    () => (from() && to() && from() <= to() ? { from: from(), to: to() } : undefined),
    undefined,
    { equals: (a, b) => a?.from === b?.from && a?.to === b?.to },
  );
  const [spend, { refetch: refetchSpend }] = createResource(range, loadRange);
  const [overview, { refetch: refetchOverview }] = createResource(() => loadOverview(today));
  // A resource that failed throws when read: look at the error first.
  const data = () => (spend.error ? undefined : spend.latest);
  const summary = () => (overview.error ? undefined : overview.latest);

  const preset = (days: number) => {
    setFrom(addDays(today, 1 - days));
    setTo(today);
  };
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

      <form class="card costs-range" aria-label={t("costs.range")} onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>{t("costs.from")}</span>
          <input type="date" value={from()} max={to() || undefined} onChange={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          <span>{t("costs.to")}</span>
          <input type="date" value={to()} min={from() || undefined} onChange={(e) => setTo(e.currentTarget.value)} />
        </label>
        <div class="row costs-presets" role="group" aria-label={t("costs.presets")}>
          <For each={PRESET_DAYS}>
            {(days) => (
              <button
                type="button"
                class="secondary"
                onClick={() => preset(days)}
                aria-pressed={from() === addDays(today, 1 - days) && to() === today}
              >
                {t("costs.lastDays", { days })}
              </button>
            )}
          </For>
          <button
            type="button"
            class="secondary"
            onClick={() => (setFrom(monthStart(today)), setTo(today))}
            aria-pressed={from() === monthStart(today) && to() === today}
          >
            {t("costs.thisMonth")}
          </button>
        </div>
      </form>
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

      <div class="costs-totals">
        <TotalCard title={t("costs.today")} totals={summary()?.day} />
        <TotalCard title={t("costs.month")} totals={summary()?.month} />
        <TotalCard title={t("costs.rangeTotal")} totals={data()?.totals.all}>
          <Show when={data()}>
            {(d) => (
              <ul class="costs-by-type muted">
                <For each={MEDIA_TYPES}>
                  {(type) => (
                    <li>
                      <span class={`costs-swatch ${type}`} aria-hidden="true" />
                      {t(`common.${type}`)} {formatUsd(knownCost(d().totals[type]))}
                    </li>
                  )}
                </For>
              </ul>
            )}
          </Show>
        </TotalCard>
      </div>

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
                      <For each={d().series.days}>
                        {(day, i) => (
                          <tr>
                            <th scope="row">{day}</th>
                            <For each={MEDIA_TYPES}>
                              {(type) => <td class="num">{formatUsd(knownCost(d().series.byType[type][i()] ?? ZERO_TOTALS))}</td>}
                            </For>
                            <td class="num">{formatUsd(knownCost(dayTotals(d().series, i())))}</td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </div>
              </details>
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
                    <For each={d().models}>
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
                      <td class="num">{d().totals.all.count}</td>
                      <td class="num">{formatUsd(knownCost(d().totals.all))}</td>
                      <td class="num">{d().totals.all.unknown_cost_count}</td>
                    </tr>
                  </tfoot>
                </table>
              </div>
            </Show>
          )}
        </Show>
      </section>
    </section>
  );
}
