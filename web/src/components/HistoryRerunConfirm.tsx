import { Show } from "solid-js";
import type { RerunRequest } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";

/** Asks before running a generation again, showing the request that will be sent and what it cannot repeat. */
export function HistoryRerunConfirm(props: { request: RerunRequest; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  return (
    <div class="history-confirm" role="group" aria-label={t("history.rerunConfirm")}>
      <p>{t("history.rerunConfirm")}</p>
      <pre class="history-request">{JSON.stringify(props.request.body, null, 2)}</pre>
      <p class="muted">{t("history.rerunModel", { type: t(`common.${props.request.type}`) })}</p>
      <Show when={props.request.droppedInputs}>
        <p class="history-warning">{t("history.rerunNoInputs")}</p>
      </Show>
      <div class="row">
        <button type="button" onClick={() => props.onConfirm()} disabled={props.busy}>
          {t("history.rerunSubmit")}
        </button>
        <button type="button" class="secondary" onClick={() => props.onCancel()} disabled={props.busy}>
          {t("common.cancel")}
        </button>
      </div>
    </div>
  );
}
