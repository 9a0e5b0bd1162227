// A stand-in daemon for the History and Costs tests: globalThis.fetch answered from a route table keyed
// "METHOD /path", every request recorded with its query string, so tests can check the queries a page sends.

/** One request the page sent. */
export interface SentRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Path and query string, as sent. */
  url: string;
  /** The JSON body, parsed; undefined without one. */
  body: unknown;
}

/** An answer: a Response as is, any other value as a JSON 200, or a function of the request giving either. */
export type Route = Response | object | ((request: SentRequest) => Response | object | Promise<Response | object>);

/** Replaces fetch with the routes until `restore()`; a route the test did not give is a JSON 404. */
export function fakeFetch(routes: Record<string, Route>): { sent: SentRequest[]; restore(): void } {
  const real = globalThis.fetch;
  const sent: SentRequest[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), location.origin);
    const method = (init?.method ?? "GET").toUpperCase();
    const body = typeof init?.body === "string" && init.body !== "" ? JSON.parse(init.body) : undefined;
    const request: SentRequest = { method, path: url.pathname, query: url.searchParams, url: url.pathname + url.search, body };
    sent.push(request);
    const route = routes[`${method} ${url.pathname}`];
    if (route === undefined) return apiError(404, `No route ${method} ${url.pathname} in this test`, "not_found");
    const answer = typeof route === "function" ? await route(request) : route;
    return answer instanceof Response ? answer.clone() : Response.json(answer);
  }) as typeof fetch;
  return {
    sent,
    restore: () => {
      globalThis.fetch = real;
    },
  };
}

/** An API error as the daemon sends it: `{success: false, error, error_type}` with `status`. */
export function apiError(status: number, error: string, errorType: string): Response {
  return Response.json({ success: false, error, error_type: errorType }, { status });
}
