import { createSignal, onMount, Show } from "solid-js";
import { ErrorMessage } from "./ErrorMessage.tsx";
import { HistoryMedia } from "./HistoryCard.tsx";
import { HistoryFileActions } from "./HistoryFileActions.tsx";
import { HistoryDeleteConfirm } from "./HistoryDeleteConfirm.tsx";
import { HistoryRecord } from "./HistoryRecord.tsx";
import { HistoryRerunConfirm } from "./HistoryRerunConfirm.tsx";
import { Link } from "./Link.tsx";
import { api, type Generation, type JobAccepted } from "../lib/api.ts";
import { isFinished } from "../lib/enums.ts";
import type { RerunRequest } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";
import { prefillFrom } from "../lib/playground-requests.ts";
import { playground } from "../lib/playground-store.ts";
import { navigate } from "../lib/router.ts";

/** What a delete did, for the page to drop the card and say so. */
export interface DeleteOutcome {
  id: string;
  withFile: boolean;
  fileRemoved: boolean;
}

/** Every recorded field of one generation in a modal dialog (Escape or Close closes it), with Re-run, Open file and Delete. */
export function HistoryDetail(props: { generation: Generation; onClose: () => void; onDeleted: (outcome: DeleteOutcome) => void }) {
  let dialog!: HTMLDialogElement;
  const g = () => props.generation;
  const [confirmRerun, setConfirmRerun] = createSignal(false);
  const [confirmDelete, setConfirmDelete] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [rerunJob, setRerunJob] = createSignal<JobAccepted>();
  const [actionError, setActionError] = createSignal<unknown>();

  onMount(() => {
    if (!dialog.open) dialog.showModal();
  });
  const close = () => (dialog.open ? dialog.close() : props.onClose());
  const finished = () => isFinished(g().status);
  const hasFile = () => g().output_path !== null;

  async function rerun(r: RerunRequest) {
    setBusy(true);
    setActionError(undefined);
    try {
      if (r.type === "image") setRerunJob(await api.generate.image(r.body));
      if (r.type === "video") setRerunJob(await api.generate.video(r.body));
      if (r.type === "audio") setRerunJob(await api.generate.speech(r.body));
      setConfirmRerun(false);
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(false);
    }
  }

  async function remove(withFile: boolean) {
    setBusy(true);
    setActionError(undefined);
    try {
      const result = await api.generations.remove(g().id, withFile);
      props.onDeleted({ id: g().id, withFile, fileRemoved: result.file_removed });
      close();
    } catch (error) {
      setActionError(error);
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={dialog}
      class="history-detail"
      aria-labelledby="history-detail-title"
      onClose={() => props.onClose()}
      onKeyDown={(e) => {
        if (e.key !== "Escape") return;
        e.preventDefault();
        close();
      }}
      onClick={(e) => e.target === dialog && close()}
    >
      <div class="history-detail-body">
        <div class="history-detail-header">
          <h2 id="history-detail-title">{t("history.detailTitle")}</h2>
          <button type="button" class="secondary" onClick={close}>
            {t("common.close")}
          </button>
        </div>

        <HistoryMedia generation={g()} full />
        <HistoryFileActions generation={g()} />
        <p class="history-prompt-full">{g().prompt}</p>
        <Show when={g().error}>
          <div class="error">
            {g().error} <Show when={g().error_type}>{(type) => <code>({type()})</code>}</Show>
          </div>
        </Show>

        <HistoryRecord generation={g()} />

        <Show when={actionError()}>
          <ErrorMessage error={actionError()} />
        </Show>
        <Show when={rerunJob()}>
          {(job) => (
            <p class="ok" role="status">
              {t("history.rerunStarted", { id: job().id })}{" "}
              <Link href={`/jobs?id=${encodeURIComponent(job().id)}`} onNavigate={close}>
                {t("history.openJobs")}
              </Link>
            </p>
          )}
        </Show>

        <Show when={confirmRerun()}>
          <HistoryRerunConfirm generation={g()} busy={busy()} onConfirm={rerun} onCancel={() => setConfirmRerun(false)} />
        </Show>

        <Show when={confirmDelete()}>
          <HistoryDeleteConfirm hasFile={hasFile()} busy={busy()} onDelete={remove} onCancel={() => setConfirmDelete(false)} />
        </Show>

        <div class="row history-actions">
          <button
            type="button"
            onClick={() => {
              setConfirmDelete(false);
              setConfirmRerun(true);
            }}
            disabled={busy() || confirmRerun()}
          >
            {t("history.rerun")}
          </button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              playground.prefill(prefillFrom(g()));
              close();
              navigate("/");
            }}
          >
            {t("history.openInPlayground")}
          </button>
          <Show when={hasFile() && g().status === "succeeded"}>
            <a class="history-open" href={api.generations.fileUrl(g().id)} target="_blank" rel="noopener noreferrer">
              {t("history.openFile")}
            </a>
          </Show>
          <button
            type="button"
            class="danger"
            onClick={() => {
              setConfirmRerun(false);
              setConfirmDelete(true);
            }}
            disabled={busy() || confirmDelete() || !finished()}
          >
            {t("common.delete")}
          </button>
          <Show when={!finished()}>
            <span class="muted">{t("history.deleteUnfinished")}</span>
          </Show>
        </div>
      </div>
    </dialog>
  );
}
