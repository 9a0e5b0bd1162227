import { Show } from "solid-js";
import type { Generation } from "../lib/api.ts";
import { formatBytes, formatDuration, formatUsd } from "../lib/format.ts";
import { fieldRows, formatTimestamp, formatUnitPrice, mediaSize, orDash, ownerOf } from "../lib/history.ts";
import { costSourceText } from "../lib/cost-source.ts";
import { codeText, t } from "../lib/i18n.ts";
import { fallbackText, fellBackFromAttempts } from "../lib/job-display.ts";
import { HistoryAttempts } from "./HistoryAttempts.tsx";
import { HistoryCostBreakdown } from "./HistoryCostBreakdown.tsx";
import { HistoryFields, HistorySection, type FieldRow } from "./HistoryFields.tsx";

/** Every recorded field of a generation, read-only: identity, parameters, usage, cost, timings, attempts, file and context. */
export function HistoryRecord(props: { generation: Generation }) {
  const g = () => props.generation;
  return (
    <>
      <HistoryFields
        rows={[
          [t("history.field.id"), <code>{g().id}</code>],
          [t("history.field.status"), <span class={`badge ${g().status}`}>{t(`status.${g().status}`)}</span>],
          [t("history.field.type"), t(`common.${g().type}`)],
          [t("history.field.model"), g().model_name ? `${g().model_name} (${g().model})` : g().model],
          [t("history.field.provider"), g().provider],
        ]}
      />

      <HistorySection title={t("history.section.params")}>
        <Show when={fieldRows(g().params).length > 0} fallback={<p class="muted">{t("history.none")}</p>}>
          <HistoryFields rows={fieldRows(g().params).map(([key, value]): FieldRow => [codeText("param", key), <code title={key}>{value}</code>])} />
        </Show>
      </HistorySection>

      <HistorySection title={t("history.section.usage")}>
        <Show when={fieldRows(g().usage).length > 0} fallback={<p class="muted">{t("history.noUsage")}</p>}>
          <HistoryFields rows={fieldRows(g().usage).map(([key, value]): FieldRow => [codeText("usage", key), <code title={key}>{value}</code>])} />
        </Show>
      </HistorySection>

      <HistorySection title={t("history.section.cost")}>
        <HistoryFields
          rows={[
            [t("history.field.cost"), <strong>{formatUsd(g().cost_usd)}</strong>],
            [
              t("history.field.costSource"),
              <>
                <span class={`history-source ${g().cost_source}`}>{t(costSourceText(g()).label)}</span>{" "}
                <span class="muted">{t(costSourceText(g()).help)}</span>
              </>,
            ],
            [t("history.field.unit"), orDash(g().cost_unit)],
            [t("history.field.quantity"), orDash(g().cost_quantity)],
            [t("history.field.unitPrice"), formatUnitPrice(g().cost_unit_price)],
            [t("history.field.estimate"), formatUsd(g().estimated_cost_usd)],
            ...(g().cost_note ? [[t("history.field.costNote"), <span class="muted">{g().cost_note}</span>] as FieldRow] : []),
          ]}
        />
        <Show when={g().cost_breakdown?.length}>
          <HistoryCostBreakdown lines={g().cost_breakdown ?? []} />
        </Show>
      </HistorySection>

      <HistorySection title={t("history.section.timings")}>
        <HistoryFields
          rows={[
            [t("history.field.created"), formatTimestamp(g().created_at)],
            [t("history.field.started"), formatTimestamp(g().started_at)],
            [t("history.field.finished"), formatTimestamp(g().finished_at)],
            [t("history.field.latency"), formatDuration(g().latency_ms)],
          ]}
        />
      </HistorySection>

      <HistorySection title={t("history.section.attempts")}>
        <Show when={fellBackFromAttempts(g()).length > 0}>
          <p class="history-fallback">{t("jobs.fellBack", { from: fallbackText(fellBackFromAttempts(g())) })}</p>
        </Show>
        <Show when={g().attempts.length > 0} fallback={<p class="muted">{t("history.none")}</p>}>
          <HistoryAttempts attempts={g().attempts} />
        </Show>
      </HistorySection>

      <HistorySection title={t("history.section.file")}>
        <HistoryFields
          rows={[
            [t("history.field.path"), <code class="history-path">{orDash(g().output_path)}</code>],
            [t("history.field.mime"), orDash(g().mime_type)],
            [t("history.field.bytes"), formatBytes(g().bytes)],
            [g().type === "image" ? t("history.field.size") : t("history.field.duration"), orDash(mediaSize(g()))],
          ]}
        />
      </HistorySection>

      <HistorySection title={t("history.section.context")}>
        <HistoryFields
          rows={[
            [t("history.field.door"), t(`door.${g().door}`)],
            ...(ownerOf(g()) ? [[t("history.field.owner"), ownerOf(g())] as FieldRow] : []),
            [t("history.field.session"), orDash(g().session_id)],
            [t("history.field.client"), orDash(g().client)],
            [t("history.field.operation"), orDash(g().operation_id)],
            [t("history.field.upstreamStatus"), orDash(g().upstream_status)],
          ]}
        />
      </HistorySection>
    </>
  );
}
