import { createEffect, createSignal, on, onCleanup, onMount, Show } from "solid-js";
import type { Generation } from "../lib/api.ts";
import { lightboxAction, stepIndex, stepZoom, wantsMore } from "../lib/lightbox.ts";
import { ownerOf } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";
import { HistoryFileActions } from "./HistoryFileActions.tsx";
import { HistoryMedia } from "./HistoryCard.tsx";

/**
 * The results shown one at a time over the page: ← and → (or the buttons) move through the loaded results, loading
 * the next page at the end; + − 0 zoom a picture; Escape closes. Each result shows its full file and its file actions.
 */
export function HistoryLightbox(props: {
  items: readonly Generation[];
  index: number;
  hasMore: boolean;
  onIndex: (index: number) => void;
  onMore: () => void;
  onClose: () => void;
  onDetails: (generation: Generation) => void;
}) {
  let dialog!: HTMLDialogElement;
  const [zoom, setZoom] = createSignal(1);
  const g = () => props.items[props.index];
  const count = () => props.items.length;

  onMount(() => {
    if (!dialog.open) dialog.showModal();
    // On the document, not the dialog: a button that becomes disabled (Previous at the first result) drops the focus
    // to the body, and the keys must still work.
    document.addEventListener("keydown", onKeyDown);
    onCleanup(() => document.removeEventListener("keydown", onKeyDown));
  });
  // Each result starts fitted to the window.
  createEffect(on(() => props.index, () => setZoom(1), { defer: true }));
  createEffect(() => {
    if (wantsMore(props.index, count(), props.hasMore)) props.onMore();
  });

  const close = () => (dialog.open ? dialog.close() : props.onClose());
  const move = (action: "next" | "previous" | "first" | "last") => props.onIndex(stepIndex(props.index, action, count()));

  function onKeyDown(event: KeyboardEvent) {
    // Keys typed into a control (a player's seek bar, a button) keep their own meaning, except Escape.
    const target = event.target as HTMLElement | null;
    if (event.key !== "Escape" && target?.closest("video, audio, input, textarea, select")) return;
    const action = lightboxAction(event.key);
    if (!action || event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    event.preventDefault();
    if (action === "close") close();
    else if (action === "zoomIn") setZoom((z) => stepZoom(z, 1));
    else if (action === "zoomOut") setZoom((z) => stepZoom(z, -1));
    else if (action === "zoomReset") setZoom(1);
    else move(action);
  }

  return (
    <dialog ref={dialog} class="history-lightbox" aria-labelledby="history-lightbox-title" onClose={() => props.onClose()}>
      <div class="history-lightbox-bar">
        <h2 id="history-lightbox-title">{t("history.lightbox.title", { n: props.index + 1, count: count() })}</h2>
        <div class="row">
          <button type="button" class="secondary" onClick={() => move("previous")} disabled={props.index === 0} aria-keyshortcuts="ArrowLeft">
            {t("history.lightbox.previous")}
          </button>
          <button type="button" class="secondary" onClick={() => move("next")} disabled={props.index >= count() - 1} aria-keyshortcuts="ArrowRight">
            {t("history.lightbox.next")}
          </button>
          <Show when={g()?.type === "image"}>
            <button type="button" class="secondary" onClick={() => setZoom((z) => stepZoom(z, -1))} disabled={zoom() <= 1} aria-keyshortcuts="-">
              {t("history.lightbox.zoomOut")}
            </button>
            <span class="muted history-zoom" aria-live="polite">
              {t("history.lightbox.zoom", { percent: Math.round(zoom() * 100) })}
            </span>
            <button type="button" class="secondary" onClick={() => setZoom((z) => stepZoom(z, 1))} disabled={zoom() >= 4} aria-keyshortcuts="+">
              {t("history.lightbox.zoomIn")}
            </button>
            <button type="button" class="secondary" onClick={() => setZoom(1)} disabled={zoom() === 1} aria-keyshortcuts="0">
              {t("history.lightbox.zoomReset")}
            </button>
          </Show>
          <Show when={g()}>
            {(current) => (
              <button type="button" class="secondary" onClick={() => props.onDetails(current())}>
                {t("history.lightbox.details")}
              </button>
            )}
          </Show>
          <button type="button" onClick={close} aria-keyshortcuts="Escape">
            {t("common.close")}
          </button>
        </div>
      </div>
      <Show when={g()} keyed>
        {(current) => (
          <>
            <div class="history-lightbox-stage" classList={{ zoomed: zoom() > 1 }} style={{ "--zoom": String(zoom()) }}>
              <HistoryMedia generation={current} full />
            </div>
            <div class="history-lightbox-info">
              <p class="history-prompt-full">{current.prompt}</p>
              <Show when={ownerOf(current)}>{(who) => <p class="muted history-owner">{t("history.by", { who: who() })}</p>}</Show>
              <HistoryFileActions generation={current} />
              <p class="muted history-lightbox-keys">{t("history.lightbox.keys")}</p>
              <Show when={props.hasMore && props.index >= count() - 1}>
                <p class="muted">{t("history.lightbox.more")}</p>
              </Show>
            </div>
          </>
        )}
      </Show>
    </dialog>
  );
}
