import { createSignal, For, type JSX, onMount, Show } from "solid-js";
import { ErrorMessage } from "./ErrorMessage.tsx";
import { Link } from "./Link.tsx";
import { HistoryMedia } from "./HistoryCard.tsx";
import { api, type Generation, type JobAccepted } from "../lib/api.ts";
import { isFinished } from "../lib/enums.ts";
import { formatBytes, formatDuration, formatUsd } from "../lib/format.ts";
import { fieldRows, formatTimestamp, formatUnitPrice, mediaSize, rerunRequest } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";

/** What a delete did, for the page to drop the card and say so. */
export interface DeleteOutcome {
  id: string;
  withFile: boolean;
  fileRemoved: boolean;
}

type Row = [label: string, value: JSX.Element];

const orDash = (value: string | number | null | undefined): string => (value === null || value === undefined || value === "" ? "—" : String(value));

function Fields(props: { rows: Row[] }) {
  return (
    <dl class="history-fields">
      <For each={props.rows}>
        {([label, value]) => (
          <>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </>
        )}
      </For>
    </dl>
  );
}

function Section(props: { title: string; children: JSX.Element }) {
  return (
    <section class="history-section">
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
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
  const request = () => rerunRequest(g());

  async function rerun() {
    const r = request();
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

        <HistoryMedia generation={g()} />
        <p class="history-prompt-full">{g().prompt}</p>
        <Show when={g().error}>
          <div class="error">
            {g().error} <Show when={g().error_type}>{(type) => <code>({type()})</code>}</Show>
          </div>
        </Show>

        <Fields
          rows={[
            [t("history.field.id"), <code>{g().id}</code>],
            [t("history.field.status"), <span class={`badge ${g().status}`}>{t(`status.${g().status}`)}</span>],
            [t("history.field.type"), t(`common.${g().type}`)],
            [t("history.field.model"), g().model_name ? `${g().model_name} (${g().model})` : g().model],
            [t("history.field.provider"), g().provider],
          ]}
        />

        <Section title={t("history.section.params")}>
          <Show when={fieldRows(g().params).length > 0} fallback={<p class="muted">{t("history.none")}</p>}>
            <Fields rows={fieldRows(g().params).map(([key, value]): Row => [key, <code>{value}</code>])} />
          </Show>
        </Section>

        <Section title={t("history.section.usage")}>
          <Show when={fieldRows(g().usage).length > 0} fallback={<p class="muted">{t("history.noUsage")}</p>}>
            <Fields rows={fieldRows(g().usage).map(([key, value]): Row => [key, <code>{value}</code>])} />
          </Show>
        </Section>

        <Section title={t("history.section.cost")}>
          <Fields
            rows={[
              [t("history.field.cost"), <strong>{formatUsd(g().cost_usd)}</strong>],
              [
                t("history.field.costSource"),
                <>
                  <span class={`history-source ${g().cost_source}`}>{t(`history.source.${g().cost_source}`)}</span>{" "}
                  <span class="muted">{t(`history.sourceHelp.${g().cost_source}`)}</span>
                </>,
              ],
              [t("history.field.unit"), orDash(g().cost_unit)],
              [t("history.field.quantity"), orDash(g().cost_quantity)],
              [t("history.field.unitPrice"), formatUnitPrice(g().cost_unit_price)],
              [t("history.field.estimate"), formatUsd(g().estimated_cost_usd)],
              ...(g().cost_note ? [[t("history.field.costNote"), <span class="muted">{g().cost_note}</span>] as Row] : []),
            ]}
          />
          <Show when={g().cost_breakdown?.length}>
            <div class="history-table-wrap">
              <table class="history-breakdown">
                <caption>{t("history.breakdown")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("history.field.unit")}</th>
                    <th scope="col" class="num">{t("history.field.quantity")}</th>
                    <th scope="col" class="num">{t("history.field.unitPrice")}</th>
                    <th scope="col" class="num">{t("history.field.cost")}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={g().cost_breakdown ?? []}>
                    {(line) => (
                      <tr>
                        <td>{line.unit}</td>
                        <td class="num">{line.quantity}</td>
                        <td class="num">{formatUnitPrice(line.unit_price_usd)}</td>
                        <td class="num">{formatUsd(line.usd)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        </Section>

        <Section title={t("history.section.timings")}>
          <Fields
            rows={[
              [t("history.field.created"), formatTimestamp(g().created_at)],
              [t("history.field.started"), formatTimestamp(g().started_at)],
              [t("history.field.finished"), formatTimestamp(g().finished_at)],
              [t("history.field.latency"), formatDuration(g().latency_ms)],
            ]}
          />
        </Section>

        <Section title={t("history.section.attempts")}>
          <Show when={g().attempts.length > 0} fallback={<p class="muted">{t("history.none")}</p>}>
            <div class="history-table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">{t("history.field.started")}</th>
                    <th scope="col">{t("history.field.finished")}</th>
                    <th scope="col">{t("history.field.outcome")}</th>
                    <th scope="col">{t("history.field.upstreamStatus")}</th>
                    <th scope="col" class="num">{t("history.field.retryIn")}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={g().attempts}>
                    {(a) => (
                      <tr>
                        <td>{a.n}</td>
                        <td>{formatTimestamp(a.started_at)}</td>
                        <td>{formatTimestamp(a.finished_at)}</td>
                        <td>
                          {a.outcome}
                          <Show when={a.error_type}>{(type) => <code> ({type()})</code>}</Show>
                        </td>
                        <td>{orDash(a.upstream_status)}</td>
                        <td class="num">{formatDuration(a.retry_in_ms)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        </Section>

        <Section title={t("history.section.file")}>
          <Fields
            rows={[
              [t("history.field.path"), <code class="history-path">{orDash(g().output_path)}</code>],
              [t("history.field.mime"), orDash(g().mime_type)],
              [t("history.field.bytes"), formatBytes(g().bytes)],
              [g().type === "image" ? t("history.field.size") : t("history.field.duration"), orDash(mediaSize(g()))],
            ]}
          />
        </Section>

        <Section title={t("history.section.context")}>
          <Fields
            rows={[
              [t("history.field.session"), orDash(g().session_id)],
              [t("history.field.client"), orDash(g().client)],
              [t("history.field.operation"), orDash(g().operation_id)],
              [t("history.field.upstreamStatus"), orDash(g().upstream_status)],
            ]}
          />
        </Section>

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
          <div class="history-confirm" role="group" aria-label={t("history.rerunConfirm")}>
            <p>{t("history.rerunConfirm")}</p>
            <pre class="history-request">{JSON.stringify(request().body, null, 2)}</pre>
            <p class="muted">{t("history.rerunModel", { type: t(`common.${g().type}`) })}</p>
            <Show when={request().droppedInputs}>
              <p class="history-warning">{t("history.rerunNoInputs")}</p>
            </Show>
            <div class="row">
              <button type="button" onClick={rerun} disabled={busy()}>
                {t("history.rerunSubmit")}
              </button>
              <button type="button" class="secondary" onClick={() => setConfirmRerun(false)} disabled={busy()}>
                {t("common.cancel")}
              </button>
            </div>
          </div>
        </Show>

        <Show when={confirmDelete()}>
          <div class="history-confirm" role="group" aria-label={t("history.deleteConfirm")}>
            <p>{t("history.deleteConfirm")}</p>
            <div class="row">
              <button type="button" class="danger" onClick={() => remove(false)} disabled={busy()}>
                {t("history.deleteRecord")}
              </button>
              <Show when={hasFile()}>
                <button type="button" class="danger" onClick={() => remove(true)} disabled={busy()}>
                  {t("history.deleteRecordAndFile")}
                </button>
              </Show>
              <button type="button" class="secondary" onClick={() => setConfirmDelete(false)} disabled={busy()}>
                {t("common.cancel")}
              </button>
            </div>
          </div>
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
