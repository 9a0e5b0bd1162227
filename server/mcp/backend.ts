// What the MCP tools call: the daemon's API as a small interface with two backends. `mediagen mcp` (stdio) uses
// DaemonClient over HTTP; the daemon's own /mcp calls its services in-process, with the same answers.
import type { Answer } from "../client/daemon-client.ts";
import type { MediaType } from "../config/schema.ts";
import { timeRange, costSummary } from "../costs/summary.ts";
import type { AppDeps } from "../deps.ts";
import { AppError, toAppError } from "../errors.ts";
import { CostQuery, GenerationQuery, isFinished, type CostSummary, type GenerationPage } from "../ledger/schema.ts";
import type { Caller } from "../media/requests.ts";
import { viewWithDownload, withDownload, type FileUrl } from "../media/responses.ts";
import { JOB_URLS } from "../media/routes.ts";
import type { JobAccepted, JobView, MediaResponse, MediaTypes } from "../media/schema.ts";
import { parseOrThrow } from "../validate.ts";

/** The daemon's API as the tools use it; every answer is the HTTP API's status and JSON body. DaemonClient is one. */
export interface McpBackend {
  types(): Promise<Answer<MediaTypes>>;
  submit(type: MediaType, body: Record<string, unknown>, options: { async?: boolean }): Promise<Answer<MediaResponse | JobAccepted>>;
  /** Calls `onState` with each state of the job (the current one first) until it ends; resolves with the last. */
  follow(id: string, onState: (job: JobView) => void, signal?: AbortSignal): Promise<JobView>;
  job(id: string): Promise<Answer<JobView>>;
  cancel(id: string): Promise<Answer<JobView>>;
  generations(query: Record<string, string | number | undefined>): Promise<Answer<GenerationPage>>;
  costs(query: Record<string, string | undefined>): Promise<Answer<CostSummary>>;
  /** Records a generation the MCP SDK refused before any tool ran (its arguments failed the tool's schema). */
  refused?(type: MediaType, body: Record<string, unknown>, error: AppError): void;
}

/** An error as the API answers it. */
function failed(error: unknown): Answer<never> {
  const appError = toAppError(error);
  return { status: appError.status, body: { success: false, ...appError.toJSON() } as never };
}

/** Runs `read` and answers its value with 200, or the error the API would have answered. */
async function answered<T>(read: () => T | Promise<T>): Promise<Answer<T>> {
  try {
    return { status: 200, body: await read() };
  } catch (error) {
    return failed(error);
  }
}

/**
 * The in-process backend of the daemon's /mcp: the services themselves, requests recorded under `caller`; answers
 * carry their file's download_url (built by `fileUrl`; absent in tests that do not need it).
 */
export function localBackend(deps: AppDeps, caller: Caller, fileUrl?: FileUrl): McpBackend {
  const { media, ledger } = deps;
  const remote = caller.remote === true;
  const seen = (view: JobView): JobView => (fileUrl ? viewWithDownload(view, fileUrl, remote) : view);
  const findJob = async (id: string): Promise<JobView> => {
    const job = await media.job(id);
    if (!job) throw new AppError("not_found", `No job with id ${id}`);
    return seen(job);
  };
  return {
    types: () => answered(() => media.types()),
    async submit(type, body, options) {
      const outcome = await media.submit(type, body, caller, { async: options.async, urls: JOB_URLS });
      if (!outcome.ok) return { status: outcome.error.status, body: outcome.body };
      if (outcome.accepted) return { status: 202, body: outcome.body };
      return { status: 200, body: fileUrl ? withDownload(outcome.body, fileUrl, remote) : outcome.body };
    },
    follow(id, onState, signal) {
      return new Promise<JobView>((resolve, reject) => {
        let unsubscribe = () => {};
        const stop = () => {
          unsubscribe();
          signal?.removeEventListener("abort", aborted);
        };
        const aborted = () => {
          stop();
          reject(signal?.reason);
        };
        const seenOnce = (state: JobView) => {
          const view = seen(state);
          onState(view);
          if (!isFinished(view.status)) return false;
          stop();
          resolve(view);
          return true;
        };
        void (async () => {
          const first = await media.job(id);
          if (!first) return reject(new AppError("not_found", `No job with id ${id}`));
          if (seenOnce(first)) return;
          if (signal?.aborted) return aborted();
          signal?.addEventListener("abort", aborted, { once: true });
          unsubscribe = media.subscribe(id, seenOnce);
          // A job that ended between the first look and the subscription is no longer live: read its end now.
          const now = await media.job(id);
          if (now && isFinished(now.status)) seenOnce(now);
        })().catch(reject);
      });
    },
    job: (id) => answered(() => findJob(id)),
    cancel: (id) => answered(() => media.cancel(id)),
    generations: (query) =>
      answered(() => {
        const { from, to, ...filters } = parseOrThrow(GenerationQuery, query);
        return ledger.page(filters, timeRange(from, to));
      }),
    costs: (query) => answered(() => costSummary(ledger, parseOrThrow(CostQuery, query))),
    refused: (type, body, error) => void media.rejected(type, error, caller, body),
  };
}
