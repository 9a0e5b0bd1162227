import { createResource, createSignal, Show } from "solid-js";
import { api, type FolderOpenerStatus, type Generation } from "../lib/api.ts";
import { markdownOf } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";
import { ErrorMessage } from "./ErrorMessage.tsx";

/** Whether this daemon can open folders; a failed question counts as "no", with its reason. */
const folderOpener = (): Promise<FolderOpenerStatus> =>
  api.generations.folderOpener().catch((error: unknown) => ({ available: false, reason: error instanceof Error ? error.message : String(error) }));

/** What can be done with a saved file: download it under its own name, copy its path or markdown, open its folder. */
export function HistoryFileActions(props: { generation: Generation }) {
  const g = () => props.generation;
  const [status, setStatus] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  const [canOpen] = createResource(folderOpener);
  const name = () => (g().output_path ?? "").split(/[\\/]/).pop() ?? "";

  async function copy(text: string) {
    setError(undefined);
    try {
      await navigator.clipboard.writeText(text);
      setStatus(t("history.copied"));
    } catch {
      setStatus(t("history.copyFailed", { text }));
    }
  }

  async function openFolder() {
    setError(undefined);
    setStatus("");
    try {
      const opened = await api.generations.openFolder(g().id);
      setStatus(t("history.folderOpened", { folder: opened.folder }));
    } catch (e) {
      setError(e);
    }
  }

  return (
    <Show when={g().status === "succeeded" && g().output_path}>
      <div class="history-file-actions">
        <div class="row">
          <a class="history-open" href={api.generations.fileUrl(g().id, { download: true })} download={name()}>
            {t("history.download")}
          </a>
          <button type="button" class="secondary" onClick={() => void copy(g().output_path ?? "")}>
            {t("history.copyPath")}
          </button>
          <button type="button" class="secondary" onClick={() => void copy(markdownOf(g()) ?? "")}>
            {t("history.copyMarkdown")}
          </button>
          <button type="button" class="secondary" onClick={() => void openFolder()} disabled={canOpen()?.available !== true}>
            {t("history.openFolder")}
          </button>
        </div>
        <Show when={canOpen()?.available === false}>
          <p class="muted history-folder-note">{t("history.folderUnavailable", { reason: canOpen()?.reason ?? "" })}</p>
        </Show>
        <div class="muted history-action-status" role="status">
          {status()}
        </div>
        <Show when={error()}>
          <ErrorMessage error={error()} />
        </Show>
      </div>
    </Show>
  );
}
