import { createEffect, onCleanup, onMount, Show } from "solid-js";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { axisUsd, dayToSeconds, knownCost, OTHER, seriesLabel, seriesTotals, stackedCosts, type DailySeries, type Split } from "../lib/costs.ts";
import { formatUsd, localDate } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/** Height of the chart's plotting area and axes, in CSS pixels. */
const CHART_HEIGHT_PX = 260;
/** Narrowest width the chart is drawn at, in CSS pixels. */
const MIN_WIDTH_PX = 260;
/** Half a day in seconds: the x range is padded by it so the first and last bars are whole. */
const HALF_DAY_S = 43_200;

/** Whether this browser can draw on a canvas (uPlot needs a 2D context; a DOM without one gets the table only). */
export function canvasAvailable(): boolean {
  try {
    return document.createElement("canvas").getContext("2d") !== null;
  } catch {
    return false;
  }
}

/** Tick spacings of the day axis, in seconds. */
const DAY_STEPS_S = [1, 2, 7, 14, 30].map((days) => days * 86_400);

/** The CSS colour variable of layer `index` of a split: the type's own colour, else a palette slot (grey for "other"). */
export function layerColor(split: Split, key: string, index: number): string {
  if (split === "type") return `--chart-${key}`;
  return key === OTHER ? "--chart-other" : `--chart-s${index + 1}`;
}

function chartOptions(host: HTMLElement, series: DailySeries, width: number): uPlot.Options {
  const style = getComputedStyle(host);
  const css = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const muted = css("--muted", "#62666f");
  const border = css("--border", "#d9dbe0");
  const axis = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
  const bars = uPlot.paths.bars?.({ size: [0.7, 48], align: 0 });
  const totals = seriesTotals(series);
  const first = series.days[0] ?? "";
  const last = series.days.at(-1) ?? "";
  // uPlot draws series in order: the tallest stack (all layers) first, then each lower layer over it.
  const topFirst = series.layers.map((layer, index) => ({ layer, index })).reverse();
  return {
    width,
    height: CHART_HEIGHT_PX,
    scales: {
      x: { time: true, range: (_u, min, max) => [min - HALF_DAY_S, max + HALF_DAY_S] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      // Whole days only: ticks every 1, 2, 7, 14 or 30 days, labelled with the date (never "12pm").
      { ...axis, incrs: DAY_STEPS_S, values: (_u, splits) => splits.map((s) => localDate(new Date(s * 1000)).slice(5)) },
      { ...axis, size: 64, values: (_u, splits) => splits.map(axisUsd) },
    ],
    series: [
      // At rest (no day under the cursor) the legend shows the whole range and each layer's total for it.
      { label: t("costs.day"), value: (_u, v) => (v === null || v === undefined ? `${first} – ${last}` : localDate(new Date(v * 1000))) },
      ...topFirst.map(({ layer, index }): uPlot.Series => {
        const color = css(layerColor(series.split, layer.key, index), "#888");
        return {
          label: seriesLabel(series.split, layer.key),
          stroke: color,
          fill: color,
          width: 1,
          paths: bars,
          points: { show: false },
          value: (_u, _v, _s, idx) => {
            const totalsOfDay = idx === null || idx === undefined ? totals.layers[index] : layer.values[idx];
            const cost = totalsOfDay ? knownCost(totalsOfDay) : null;
            return cost === null ? "—" : formatUsd(cost);
          },
        };
      }),
    ],
  };
}

function chartData(series: DailySeries): uPlot.AlignedData {
  const stacked = stackedCosts(series);
  return [series.days.map(dayToSeconds), ...series.layers.map((_, index) => stacked[index] ?? []).reverse()];
}

/** Spend per day as bars stacked by type, model, provider or caller, drawn by uPlot with the theme's colours; redrawn on resize and theme change. */
export function CostsChart(props: { series: DailySeries; label: string }) {
  const drawable = canvasAvailable();
  let host!: HTMLDivElement;
  let plot: uPlot | undefined;
  const width = () => Math.max(host.clientWidth, MIN_WIDTH_PX);
  const draw = (series: DailySeries) => {
    plot?.destroy();
    plot = new uPlot(chartOptions(host, series, width()), chartData(series), host);
  };

  createEffect(() => {
    if (drawable) draw(props.series);
  });

  onMount(() => {
    if (!drawable) return;
    const resize = new ResizeObserver(() => plot?.setSize({ width: width(), height: CHART_HEIGHT_PX }));
    const scheme = matchMedia("(prefers-color-scheme: dark)");
    const redraw = () => draw(props.series);
    resize.observe(host);
    scheme.addEventListener("change", redraw);
    onCleanup(() => {
      resize.disconnect();
      scheme.removeEventListener("change", redraw);
      plot?.destroy();
    });
  });

  return (
    <Show when={drawable} fallback={<p class="muted costs-chart-unavailable">{t("costs.chartUnavailable")}</p>}>
      <div ref={host} class="costs-chart" role="img" aria-label={props.label} />
    </Show>
  );
}
