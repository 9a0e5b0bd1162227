// Following a job until it ends: its event stream while few are open, else polling its state.
import { api, ApiError, type JobView } from "./api.ts";
import { isFinished } from "./enums.ts";

/**
 * Event streams open at once. Browsers allow about 6 HTTP/1.1 connections per host and each stream holds
 * one, so past this budget jobs are polled, leaving connections for the page's own calls.
 */
export const MAX_LIVE_STREAMS = 3;

/** Delay between two reads of a polled job, in ms. */
export const JOB_POLL_MS = 2000;

let openStreams = 0;

/** Calls `onView` with each new state of job `id` until it ends or the returned function is called. */
export function followJob(id: string, onView: (view: JobView) => void, onError: (error: ApiError) => void): () => void {
  if (openStreams < MAX_LIVE_STREAMS) return stream(id, onView, onError);
  return poll(id, onView, onError);
}

function stream(id: string, onView: (view: JobView) => void, onError: (error: ApiError) => void): () => void {
  openStreams++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    openStreams--;
  };
  const stop = api.jobs.events(
    id,
    (view) => {
      onView(view);
      if (!isFinished(view.status)) return;
      release();
      stop();
    },
    (error) => {
      release();
      onError(error);
    },
  );
  return () => {
    release();
    stop();
  };
}

function poll(id: string, onView: (view: JobView) => void, onError: (error: ApiError) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = async () => {
    try {
      const view = await api.jobs.get(id);
      if (stopped) return;
      onView(view);
      if (!isFinished(view.status)) timer = setTimeout(() => void read(), JOB_POLL_MS);
    } catch (error) {
      if (!stopped) onError(error instanceof ApiError ? error : new ApiError(String(error), "network_error", 0));
    }
  };
  void read();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
