// Following jobs: event streams up to a budget (browsers cap connections per host), polling past it, slots freed at the end.
import { afterEach, expect, test } from "bun:test";
import type { JobView } from "../../../web/src/lib/api.ts";
import { followJob, MAX_LIVE_STREAMS } from "../../../web/src/lib/job-follow.ts";
import { until } from "../render.ts";
import { jobStream, jobView } from "../fake-routes.ts";

let restore = () => {};
afterEach(() => restore());

/** A daemon where every job is queued: `/events` answers a stream the test controls. */
function daemon() {
  const streams = new Map<string, ReturnType<typeof jobStream>>();
  const paths: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: RequestInfo | URL) => {
    const path = new URL(String(input), location.origin).pathname;
    paths.push(path);
    const [, id, events] = /^\/api\/media\/jobs\/([^/]+)(\/events)?$/.exec(path) ?? [];
    if (!id) return Response.json({ error: "no such path", error_type: "not_found" }, { status: 404 });
    if (!events) return Response.json(jobView({ id, status: "queued", position: 4 }));
    const stream = jobStream();
    streams.set(id, stream);
    return stream.response();
  }) as typeof fetch;
  restore = () => void (globalThis.fetch = realFetch);
  return { paths, streams };
}

test("past the stream budget a job is polled; a finished stream frees its slot", async () => {
  const { paths, streams } = daemon();
  const seen: Record<string, JobView[]> = {};
  const follow = (id: string) => followJob(id, (view) => void (seen[id] ??= []).push(view), () => {});
  const stops = Array.from({ length: MAX_LIVE_STREAMS }, (_, i) => follow(`s${i}`));
  await until(() => streams.size === MAX_LIVE_STREAMS);
  const stopPolled = follow("p1");
  await until(() => seen.p1?.length === 1);
  expect(paths).toContain("/api/media/jobs/p1");
  expect(paths).not.toContain("/api/media/jobs/p1/events");
  stopPolled();

  streams.get("s0")!.send(jobView({ id: "s0", status: "succeeded" }));
  await until(() => seen.s0?.at(-1)?.status === "succeeded");
  const stopNext = follow("s3");
  await until(() => streams.has("s3"));
  for (const stop of [...stops, stopNext]) stop();
});
