import { createSignal, For, onCleanup, Show } from "solid-js";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { api, type JobView } from "../lib/api.ts";
import { t } from "../lib/i18n.ts";
import { callerText, elapsedSeconds, fallbackText, fellBackFrom, formatClock, inputName, matchesCaller, shortId, type CallerFilter } from "../lib/job-display.ts";
import { DOORS, MEDIA_TYPES } from "../lib/enums.ts";
import { createNow } from "../lib/now.ts";
import "./Jobs.css";

/** How often the queue is read while the page is open, in ms. */
const REFRESH_MS = 2000;

/**
 * The Jobs page: queued and running jobs per media type, refreshed every 2 s: prompt, input images (a thumbnail
 * when one is an earlier generation's file), caller, queue position, elapsed time and progress; cancel where it can work.
 */
export function Jobs() {
  const [items, setItems] = createSignal<JobView[]>();
  const [receivedAt, setReceivedAt] = createSignal(Date.now());
  const [loadError, setLoadError] = createSignal<unknown>();
  const [cancelError, setCancelError] = createSignal<unknown>();
  const [notice, setNotice] = createSignal("");
  const [cancelling, setCancelling] = createSignal<string | null>(null);
  const now = createNow(1000);

  let loading = false;
  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      const answer = await api.jobs.list();
      setItems(answer.items);
      setReceivedAt(Date.now());
      setLoadError(undefined);
    } catch (error) {
      setLoadError(error);
    } finally {
      loading = false;
    }
  };
  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  onCleanup(() => clearInterval(timer));

  const cancel = async (job: JobView) => {
    setCancelError(undefined);
    setNotice("");
    setCancelling(job.id);
    try {
      await api.jobs.cancel(job.id);
      setNotice(t("jobs.cancelled", { id: shortId(job.id) }));
    } catch (error) {
      setCancelError(error);
    } finally {
      setCancelling(null);
      void load();
    }
  };

  const [filter, setFilter] = createSignal<CallerFilter>({ door: "", text: "" });
  const ofType = (type: string) => (items() ?? []).filter((job) => job.type === type && matchesCaller(job, filter()));

  return (
    <section class="jobs-page">
      <h1>{t("nav.jobs")}</h1>
      <p class="muted">{t("jobs.intro")}</p>
      <form class="card jobs-filter" role="search" aria-label={t("jobs.filter")} onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>{t("jobs.door")}</span>
          <select value={filter().door} onChange={(e) => setFilter({ ...filter(), door: e.currentTarget.value as CallerFilter["door"] })}>
            <option value="">{t("jobs.anyDoor")}</option>
            <For each={DOORS}>{(door) => <option value={door}>{t(`door.${door}`)}</option>}</For>
          </select>
        </label>
        <label>
          <span>{t("jobs.clientOrSession")}</span>
          <input type="search" value={filter().text} onInput={(e) => setFilter({ ...filter(), text: e.currentTarget.value })} />
        </label>
      </form>
      <Show when={loadError()}>{(error) => <ErrorMessage error={error()} onRetry={() => void load()} />}</Show>
      <Show when={cancelError()}>{(error) => <ErrorMessage error={error()} />}</Show>
      <Show when={notice()}>
        <p class="ok" role="status">
          {notice()}
        </p>
      </Show>
      <Show when={items()} fallback={<Show when={!loadError()}>{<p class="muted">{t("common.loading")}</p>}</Show>}>
        <Show when={items()!.length > 0} fallback={<p class="card jobs-empty">{t("jobs.empty")}</p>}>
          <For each={MEDIA_TYPES}>
            {(type) => (
              <section class="card jobs-type" aria-labelledby={`jobs-type-${type}`}>
                <h2 id={`jobs-type-${type}`}>
                  {t(`common.${type}`)} <span class="muted">({ofType(type).length})</span>
                </h2>
                <Show when={ofType(type).length > 0} fallback={<p class="muted">{t("jobs.emptyType")}</p>}>
                  <ul class="jobs-list">
                    <For each={ofType(type)}>
                      {(job) => (
                        <li class="jobs-row">
                          <code class="jobs-id" title={job.id}>
                            {shortId(job.id)}
                          </code>
                          <span class={`badge ${job.status}`} title={job.status === "running" ? t("jobs.runningHint") : undefined}>
                            {t(`status.${job.status}`)}
                          </span>
                          <span class="jobs-model">
                            {job.provider} · {job.model}
                            <Show when={fellBackFrom(job).length > 0}>
                              <span class="muted"> · {t("jobs.fellBack", { from: fallbackText(fellBackFrom(job)) })}</span>
                            </Show>
                          </span>
                          <div class="jobs-what">
                            <Show when={job.inputs.length > 0}>
                              <ul class="jobs-inputs" aria-label={t("jobs.inputs")}>
                                <For each={job.inputs}>
                                  {(input) => (
                                    <li title={input.source}>
                                      <Show when={input.generation_id} fallback={<span class="jobs-input-name">{inputName(input.source)}</span>}>
                                        {(id) => <img src={api.generations.fileUrl(id())} alt={t("jobs.inputFile", { source: inputName(input.source) })} loading="lazy" />}
                                      </Show>
                                    </li>
                                  )}
                                </For>
                              </ul>
                            </Show>
                            <p class="jobs-prompt" title={job.prompt}>
                              {job.prompt}
                            </p>
                            <p class="muted jobs-caller">{t("jobs.caller", { caller: callerText(job) })}</p>
                          </div>
                          <span class="jobs-when">
                            {job.status === "queued"
                              ? job.position
                                ? t("jobs.position", { position: job.position })
                                : t("status.queued")
                              : t("jobs.elapsed", { time: formatClock(elapsedSeconds(job, receivedAt(), now()) ?? 0) })}
                          </span>
                          <span class="jobs-progress">
                            <Show when={job.progress !== undefined}>
                              <progress max="100" value={job.progress} aria-label={t("jobs.progress")} /> {Math.round(job.progress ?? 0)} %
                            </Show>
                          </span>
                          {/* Only where cancel can work (the daemon says so): a queued job; no provider can stop a running one's charge. */}
                          <Show when={job.cancellable} fallback={<Show when={job.status === "running"}><span class="muted jobs-no-cancel" title={t("jobs.noCancel")}>—</span></Show>}>
                            <button
                              type="button"
                              class="secondary"
                              disabled={cancelling() === job.id}
                              aria-label={t("jobs.cancelJob", { id: shortId(job.id) })}
                              onClick={() => void cancel(job)}
                            >
                              {t("common.cancel")}
                            </button>
                          </Show>
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
              </section>
            )}
          </For>
        </Show>
      </Show>
    </section>
  );
}
