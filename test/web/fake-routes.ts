// A fake daemon for the Models, Playground and Jobs tests: answers `fetch` by "METHOD /path", records every
// request, and streams job events the test pushes.
import type { JobView } from "../../web/src/lib/api.ts";

/** One request the UI sent. */
export interface SentRequest {
  method: string;
  path: string;
  body: unknown;
  headers: Headers;
}

/** An answer: a JSON value (status 200), or a function of the request. */
export type Route = unknown | ((request: SentRequest) => Response | Promise<Response>);

/** Replaces `fetch` with routes keyed `"GET /api/x"` (the path without its query string); `restore()` puts it back. */
export function fakeRoutes(routes: Record<string, Route>): { sent: SentRequest[]; restore(): void } {
  const realFetch = globalThis.fetch;
  const sent: SentRequest[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), location.origin);
    const text = typeof init?.body === "string" ? init.body : undefined;
    const request: SentRequest = { method: init?.method ?? "GET", path: url.pathname, body: text ? JSON.parse(text) : undefined, headers: new Headers(init?.headers) };
    sent.push(request);
    const route = routes[`${request.method} ${request.path}`];
    if (route === undefined) return errorAnswer(404, `no fake for ${request.method} ${request.path}`, "not_found");
    if (typeof route === "function") return route(request);
    return Response.json(route);
  }) as typeof fetch;
  return { sent, restore: () => void (globalThis.fetch = realFetch) };
}

/** A JSON error answer as the daemon sends it, with extra fields such as `field`. */
export function errorAnswer(status: number, error: string, errorType: string, extra: Record<string, unknown> = {}): Response {
  return Response.json({ success: false, error, error_type: errorType, ...extra }, { status });
}

/** A job's Server-Sent Events stream that the test pushes states into. */
export function jobStream(): { response: () => Response; send: (view: JobView) => void } {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const pending: Uint8Array[] = [];
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      for (const chunk of pending.splice(0)) c.enqueue(chunk);
    },
  });
  return {
    response: () => new Response(stream, { headers: { "content-type": "text/event-stream" } }),
    send: (view) => {
      const chunk = encoder.encode(`event: ${view.status}\ndata: ${JSON.stringify(view)}\n\n`);
      if (controller) controller.enqueue(chunk);
      else pending.push(chunk);
    },
  };
}

/** A job view with defaults for the fields a test does not care about. */
export function jobView(fields: Partial<JobView> & Pick<JobView, "id" | "status">): JobView {
  return {
    task_id: fields.id,
    type: "image",
    model: "gpt-image-2",
    provider: "openai",
    created_at: "2026-11-23T10:00:00.000Z",
    started_at: null,
    finished_at: null,
    attempts: [],
    prompt: "a lighthouse at dusk",
    inputs: [],
    door: "ui",
    client: null,
    session_id: null,
    cancellable: fields.status === "queued",
    ...fields,
  };
}
