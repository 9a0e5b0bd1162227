import { createSignal, Match, Show, Switch } from "solid-js";
import { api, type Generation } from "../lib/api.ts";
import { formatClock, formatUsd, formatTime } from "../lib/format.ts";
import { isViewable, ownerOf } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";

/**
 * A generation's output. In a card (`full` unset): the WebP thumbnail of a picture (its full file when it has none), and
 * for video and speech a poster with the stored duration that opens the viewer. In the viewer and the detail dialog
 * (`full`): the full file, with players. A file the list reports gone is never requested; one that fails to load is
 * checked once to tell a missing file from one this browser cannot play.
 */
export function HistoryMedia(props: { generation: Generation; onOpen?: () => void; full?: boolean }) {
  const [broken, setBroken] = createSignal<"missing" | "unplayable" | undefined>();
  // A thumbnail that fails falls back to the full file once.
  const [thumbFailed, setThumbFailed] = createSignal(false);
  const g = () => props.generation;
  const hasFile = () => g().status === "succeeded" && g().output_path !== null && !g().file_missing && !broken();
  const url = () => api.generations.fileUrl(g().id);
  const pictureUrl = () => (!props.full && g().has_thumbnail && !thumbFailed() ? api.generations.thumbnailUrl(g().id) : url());
  const onMediaError = () => {
    if (!props.full && g().has_thumbnail && !thumbFailed()) {
      setThumbFailed(true);
      return;
    }
    void api.generations.fileExists(g().id).then((exists) => setBroken(exists ? "unplayable" : "missing"));
  };
  const missing = () => broken() === "missing" || (g().status === "succeeded" && g().file_missing === true);
  const placeholder = () =>
    broken() === "unplayable" ? (
      <a href={url()} target="_blank" rel="noopener">
        {t("history.unplayable")}
      </a>
    ) : missing() ? (
      t("history.fileMissing")
    ) : (
      t(`history.noFile.${g().status}`)
    );
  const duration = () => formatClock(g().duration_seconds);
  return (
    <div class="history-media" classList={{ "history-media-full": props.full === true }}>
      <Switch fallback={<div class="history-placeholder muted" classList={{ "history-missing": missing() }}>{placeholder()}</div>}>
        <Match when={hasFile() && g().type === "image"}>
          {/* A click on the picture is a mouse shortcut to the card's View button, which keyboards reach. */}
          <img
            loading="lazy"
            decoding="async"
            src={pictureUrl()}
            alt={g().prompt}
            classList={{ "history-thumb": props.onOpen !== undefined }}
            onClick={() => props.onOpen?.()}
            onError={onMediaError}
          />
        </Match>
        <Match when={hasFile() && !props.full}>
          <div class={`history-poster ${g().type}`} onClick={() => props.onOpen?.()} title={g().type === "video" ? t("history.noPoster") : undefined}>
            <span class="history-poster-icon" aria-hidden="true">
              {g().type === "video" ? "▶" : "♪"}
            </span>
            <span class="history-duration">{t(g().type === "video" ? "history.videoPoster" : "history.audioPoster", { duration: duration() })}</span>
          </div>
        </Match>
        <Match when={hasFile() && g().type === "video"}>
          <video controls preload="metadata" src={url()} aria-label={g().prompt} onError={onMediaError} />
        </Match>
        <Match when={hasFile() && g().type === "audio"}>
          <div class="history-audio">
            <audio controls preload="metadata" src={url()} aria-label={g().prompt} onError={onMediaError} />
            <span class="history-duration muted">{duration()}</span>
          </div>
        </Match>
      </Switch>
    </div>
  );
}

/** One generation in the gallery: its output, status, prompt, failure, cost, owner (team mode), and buttons to view it and its details. */
export function HistoryCard(props: { generation: Generation; onView: () => void; onOpen: () => void }) {
  const g = () => props.generation;
  const titleId = () => `history-card-${g().id}`;
  const viewable = () => isViewable(g());
  return (
    <article class="card history-card" aria-labelledby={titleId()} data-id={g().id}>
      <HistoryMedia generation={g()} onOpen={viewable() ? props.onView : props.onOpen} />
      <div class="row history-badges">
        <span class={`badge ${g().status}`}>{t(`status.${g().status}`)}</span>
        <span class="badge">{t(`common.${g().type}`)}</span>
        <Show when={g().status === "running" && g().progress !== null}>
          <span class="muted">{Math.round(g().progress ?? 0)}%</span>
        </Show>
        <Show when={(g().refusal_count ?? 0) > 1}>
          <span class="muted" title={t("history.refusedTimesHint", { count: g().refusal_count ?? 0 })}>
            {t("history.refusedTimes", { count: g().refusal_count ?? 0 })}
          </span>
        </Show>
        <Show when={g().billed_failure}>
          <span class="badge billed" title={t("history.billedFailureHint")}>
            {t("history.billedFailure")}
          </span>
        </Show>
      </div>
      <p class="history-prompt" id={titleId()} title={g().prompt}>
        {g().prompt}
      </p>
      <Show when={g().error}>
        <p class="history-error" title={g().error ?? undefined}>
          {g().error}
          <Show when={g().error_type}>
            {(type) => (
              <>
                {" "}
                <code>({type()})</code>
              </>
            )}
          </Show>
        </p>
      </Show>
      <div class="history-meta muted">
        <span>{g().model_name ?? g().model}</span>
        <span title={t(`history.source.${g().cost_source}`)}>{formatUsd(g().cost_usd)}</span>
        <time datetime={g().created_at}>{formatTime(g().created_at)}</time>
        <Show when={ownerOf(g())}>{(who) => <span class="history-owner">{t("history.by", { who: who() })}</span>}</Show>
      </div>
      <div class="row history-card-actions">
        <Show when={viewable()}>
          <button type="button" class="secondary" aria-describedby={titleId()} onClick={() => props.onView()}>
            {t("history.view")}
          </button>
        </Show>
        <button type="button" class="secondary history-details" aria-describedby={titleId()} onClick={() => props.onOpen()}>
          {t("history.details")}
        </button>
      </div>
    </article>
  );
}
