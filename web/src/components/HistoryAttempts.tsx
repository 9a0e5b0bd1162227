import { For, Show } from "solid-js";
import type { Generation } from "../lib/api.ts";
import { formatDuration } from "../lib/format.ts";
import { formatTimestamp, orDash } from "../lib/history.ts";
import { codeText, t } from "../lib/i18n.ts";

/** Each call to the provider: when it started and finished, the model entry it went to, its outcome, the upstream status and the wait before a retry. */
export function HistoryAttempts(props: { attempts: Generation["attempts"] }) {
  return (
    <div class="history-table-wrap" role="region" aria-label={t("history.section.attempts")} tabindex="0">
      <table>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">{t("history.field.started")}</th>
            <th scope="col">{t("history.field.finished")}</th>
            <th scope="col">{t("history.field.entry")}</th>
            <th scope="col">{t("history.field.outcome")}</th>
            <th scope="col">{t("history.field.upstreamStatus")}</th>
            <th scope="col" class="num">{t("history.field.retryIn")}</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.attempts}>
            {(a) => (
              <tr>
                <td>{a.n}</td>
                <td>{formatTimestamp(a.started_at)}</td>
                <td>{formatTimestamp(a.finished_at)}</td>
                <td>{a.model === undefined ? "—" : `${a.provider} · ${a.entry ?? a.model}`}</td>
                <td>
                  {codeText(a.outcome === "succeeded" || a.outcome === "retry" ? "outcome" : "errortype", a.outcome)}
                  <Show when={a.error_type ?? (a.outcome !== "succeeded" && a.outcome !== "retry" ? a.outcome : undefined)}>{(type) => <code> ({type()})</code>}</Show>
                </td>
                <td>{orDash(a.upstream_status)}</td>
                <td class="num">{formatDuration(a.retry_in_ms)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
