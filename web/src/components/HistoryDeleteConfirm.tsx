import { Show } from "solid-js";
import { t } from "../lib/i18n.ts";

/** Asks before deleting a generation: the record alone, or (when it has one) the record and its file. */
export function HistoryDeleteConfirm(props: { hasFile: boolean; busy: boolean; onDelete: (withFile: boolean) => void; onCancel: () => void }) {
  return (
    <div class="history-confirm" role="group" aria-label={t("history.deleteConfirm")}>
      <p>{t("history.deleteConfirm")}</p>
      <div class="row">
        <button type="button" class="danger" onClick={() => props.onDelete(false)} disabled={props.busy}>
          {t("history.deleteRecord")}
        </button>
        <Show when={props.hasFile}>
          <button type="button" class="danger" onClick={() => props.onDelete(true)} disabled={props.busy}>
            {t("history.deleteRecordAndFile")}
          </button>
        </Show>
        <button type="button" class="secondary" onClick={() => props.onCancel()} disabled={props.busy}>
          {t("common.cancel")}
        </button>
      </div>
    </div>
  );
}
