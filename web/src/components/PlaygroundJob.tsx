import { createEffect, createResource, createSignal, Match, onCleanup, Show, Switch } from "solid-js";
import { api, ApiError, type JobAccepted, type JobView } from "../lib/api.ts";
import { isFinished } from "../lib/enums.ts";
import { formatBytes, formatDuration, formatUsd } from "../lib/format.ts";
import { followJob } from "../lib/job-follow.ts";
import { t } from "../lib/i18n.ts";
import { elapsedSeconds, fallbackText, fellBackFrom, formatClock, shortId } from "../lib/job-display.ts";
import { createNow } from "../lib/now.ts";
import { ErrorMessage } from "./ErrorMessage.tsx";

/** A job as the 202 answer describes it, until its first event arrives. */
function viewOf(accepted: JobAccepted): JobView {
  return {
    id: accepted.id,
    task_id: accepted.task_id,
    type: accepted.type as JobView["type"],
    status: accepted.status as JobView["status"],
    model: accepted.model,
    provider: accepted.provider,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    position: accepted.position,
    attempts: [],
    prompt: "",
    inputs: [],
    door: "ui",
    client: null,
    session_id: null,
    cancellable: accepted.status === "queued",
  };
}

/** A number field of a result body, if it is one. */
const numberIn = (result: Record<string, unknown> | undefined, key: string) => (typeof result?.[key] === "number" ? (result[key] as number) : undefined);
const textIn = (result: Record<string, unknown> | undefined, key: string) => (typeof result?.[key] === "string" && result[key] !== "" ? (result[key] as string) : undefined);

/** Milliseconds from a job's start to its end, when it has both. */
const tookMs = (view: JobView) => (view.started_at && view.finished_at ? Math.max(0, Date.parse(view.finished_at) - Date.parse(view.started_at)) : undefined);

/** One submitted job followed live: queue position, elapsed time, progress, then the media with its time, file size and cost, or the error. */
export function PlaygroundJob(props: { accepted: JobAccepted; label: string }) {
  const id = props.accepted.id;
  const [view, setView] = createSignal<JobView>(viewOf(props.accepted));
  const [receivedAt, setReceivedAt] = createSignal(Date.now());
  const [streamError, setStreamError] = createSignal<ApiError>();
  const now = createNow(1000);

  let stop = () => {};
  const follow = () => {
    stop();
    setStreamError(undefined);
    stop = followJob(
      id,
      (next) => {
        setView(next);
        setReceivedAt(Date.now());
      },
      setStreamError,
    );
  };
  follow();
  onCleanup(() => stop());

  const status = () => view().status;
  const result = () => view().result;
  const elapsed = () => elapsedSeconds(view(), receivedAt(), now());
  const cost = () => {
    const usd = numberIn(result(), "cost_usd");
    return usd === undefined ? t("common.unknown") : formatUsd(usd);
  };
  const failure = () => new ApiError(view().error ?? textIn(result(), "error") ?? t(`status.${status()}`), view().error_type ?? textIn(result(), "error_type") ?? status(), 0);
  const fileUrl = () => api.generations.fileUrl(id);
  // The file's size is in its ledger row, read once the job has succeeded.
  const [succeeded, setSucceeded] = createSignal(false);
  createEffect(() => {
    if (status() === "succeeded") setSucceeded(true);
  });
  const [record] = createResource(
    () => succeeded() || undefined,
    () => api.generations.get(id).catch(() => undefined),
  );

  return (
    <article class="card playground-job" aria-label={t("playground.job.label", { id: shortId(id) })}>
      <div class="row playground-job-head">
        <span class={`badge ${status()}`}>{t(`status.${status()}`)}</span>
        <span class="muted">
          {view().provider} · {view().model}
        </span>
        <code class="muted" title={id}>
          {shortId(id)}
        </code>
      </div>
      <p class="playground-job-prompt">{props.label}</p>
      <Show when={fellBackFrom(view()).length > 0}>
        <p class="muted playground-job-fallback">{t("jobs.fellBack", { from: fallbackText(fellBackFrom(view())) })}</p>
      </Show>
      <div aria-live="polite">
        <Switch>
          <Match when={status() === "queued"}>
            <p>{view().position ? t("playground.job.position", { position: view().position! }) : t("playground.job.queued")}</p>
          </Match>
          <Match when={status() === "running"}>
            <p>{t("playground.job.elapsed", { time: formatClock(elapsed() ?? 0) })}</p>
          </Match>
          <Match when={status() === "succeeded"}>
            <div class="playground-media">
              <Switch>
                <Match when={view().type === "image"}>
                  <img src={fileUrl()} alt={props.label} />
                </Match>
                <Match when={view().type === "video"}>
                  <video controls src={fileUrl()} aria-label={props.label} />
                </Match>
                <Match when={view().type === "audio"}>
                  <audio controls src={fileUrl()} aria-label={props.label} />
                </Match>
              </Switch>
            </div>
            <dl class="playground-facts">
              <Show when={textIn(result(), "size")}>
                {(size) => (
                  <>
                    <dt>{t("playground.job.size")}</dt>
                    <dd>{size()}</dd>
                  </>
                )}
              </Show>
              <Show when={numberIn(result(), "duration_seconds")}>
                {(seconds) => (
                  <>
                    <dt>{t("playground.job.duration")}</dt>
                    <dd>{t("playground.job.seconds", { seconds: seconds() })}</dd>
                  </>
                )}
              </Show>
              <Show when={textIn(result(), "voice")}>
                {(voice) => (
                  <>
                    <dt>{t("playground.job.voice")}</dt>
                    <dd>{voice()}</dd>
                  </>
                )}
              </Show>
              <Show when={tookMs(view())}>
                {(ms) => (
                  <>
                    <dt>{t("playground.job.took")}</dt>
                    <dd class="playground-took">{formatDuration(ms())}</dd>
                  </>
                )}
              </Show>
              <Show when={record()?.bytes}>
                {(bytes) => (
                  <>
                    <dt>{t("playground.job.bytes")}</dt>
                    <dd class="playground-bytes">{formatBytes(bytes())}</dd>
                  </>
                )}
              </Show>
              <dt>{t("playground.job.cost")}</dt>
              <dd class="playground-cost">{cost()}</dd>
              <Show when={textIn(result(), view().type)}>
                {(path) => (
                  <>
                    <dt>{t("playground.job.file")}</dt>
                    <dd>
                      <a href={fileUrl()} target="_blank" rel="noopener">
                        <code>{path()}</code>
                      </a>
                    </dd>
                  </>
                )}
              </Show>
            </dl>
          </Match>
          <Match when={status() === "cancelled"}>
            <p class="muted">{view().error ?? t("status.cancelled")}</p>
          </Match>
          <Match when={isFinished(status())}>
            <ErrorMessage error={failure()} />
            <Show when={tookMs(view())}>{(ms) => <p class="muted playground-took">{t("playground.job.failedAfter", { time: formatDuration(ms()) })}</p>}</Show>
            <Show when={numberIn(result(), "cost_usd") !== undefined}>
              <p class="muted">{t("playground.job.chargedAnyway", { cost: cost() })}</p>
            </Show>
          </Match>
        </Switch>
        <Show when={status() === "running" && view().progress !== undefined}>
          <div class="row playground-progress">
            <progress max="100" value={view().progress} aria-label={t("playground.job.progress")} />
            <span>{Math.round(view().progress ?? 0)} %</span>
          </div>
        </Show>
      </div>
      <Show when={streamError()}>{(error) => <ErrorMessage error={error()} onRetry={follow} />}</Show>
    </article>
  );
}
