import { createSignal, Match, Show, Switch } from "solid-js";
import { api, type Generation } from "../lib/api.ts";
import { formatUsd, formatTime } from "../lib/format.ts";
import { t } from "../lib/i18n.ts";

/** A generation's output inline: a lazy thumbnail, a video or audio player, or a placeholder when there is no file. */
export function HistoryMedia(props: { generation: Generation; onOpen?: () => void }) {
  // A media element that fails is either a file gone from disk or one this browser cannot decode: ask the server which.
  const [broken, setBroken] = createSignal<"missing" | "unplayable" | undefined>();
  const g = () => props.generation;
  const hasFile = () => g().status === "succeeded" && g().output_path !== null && !broken();
  const url = () => api.generations.fileUrl(g().id);
  const onMediaError = () => {
    void api.generations.fileExists(g().id).then((exists) => setBroken(exists ? "unplayable" : "missing"));
  };
  const placeholder = () =>
    broken() === "unplayable" ? (
      <a href={url()} target="_blank" rel="noopener">
        {t("history.unplayable")}
      </a>
    ) : broken() === "missing" ? (
      t("history.fileMissing")
    ) : (
      t(`history.noFile.${g().status}`)
    );
  return (
    <div class="history-media">
      <Switch fallback={<div class="history-placeholder muted">{placeholder()}</div>}>
        <Match when={hasFile() && g().type === "image"}>
          {/* A click on the picture is a mouse shortcut to the card's Details button, which keyboards reach. */}
          <img
            loading="lazy"
            src={url()}
            alt={g().prompt}
            classList={{ "history-thumb": props.onOpen !== undefined }}
            onClick={() => props.onOpen?.()}
            onError={onMediaError}
          />
        </Match>
        <Match when={hasFile() && g().type === "video"}>
          <video controls preload="metadata" src={url()} aria-label={g().prompt} onError={onMediaError} />
        </Match>
        <Match when={hasFile() && g().type === "audio"}>
          <audio controls preload="none" src={url()} aria-label={g().prompt} onError={onMediaError} />
        </Match>
      </Switch>
    </div>
  );
}

/** One generation in the gallery: its output, status, prompt, failure, cost and a button to its details. */
export function HistoryCard(props: { generation: Generation; onOpen: () => void }) {
  const g = () => props.generation;
  const titleId = () => `history-card-${g().id}`;
  return (
    <article class="card history-card" aria-labelledby={titleId()} data-id={g().id}>
      <HistoryMedia generation={g()} onOpen={props.onOpen} />
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
        <p class="history-error">
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
      </div>
      <button type="button" class="secondary history-details" aria-describedby={titleId()} onClick={() => props.onOpen()}>
        {t("history.details")}
      </button>
    </article>
  );
}
