// The daemon's one fetch handler: everything Bun hands over passes here first. It answers what Bun or Elysia
// would otherwise answer in their own shapes (a malformed Host, a body past the limit, a thrown exception) with
// the documented JSON error, guards the UI files like the API, and lifts the idle timeout where a request
// legitimately waits minutes with no bytes flowing.
import { AppError, errorResponse, toAppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { openaiErrorResponse } from "../openai-api/errors.ts";
import { isApiPath, serveUi } from "../ui.ts";
import { readRequestBody } from "./body.ts";
import { stampPeer } from "./peer.ts";

/** Seconds an open connection may stay silent (no request, or a keep-alive between requests) before it is closed. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 30;
/** Bun's largest idle timeout, in seconds. */
export const MAX_IDLE_TIMEOUT_SECONDS = 255;

/**
 * What Bun is told the largest body is: far above any configured limit, so a declared Content-Length is answered
 * by this handler's JSON 413 instead of Bun's empty one (bodies are counted here against server.max_body_mib).
 */
export const BUN_MAX_REQUEST_BODY_BYTES = 2 ** 52;

/** The part of Bun's Server this handler uses. */
export interface ServerLike {
  timeout(request: Request, seconds: number): void;
  /** The TCP peer of a request (absent in tests that do not simulate one). */
  requestIP?(request: Request): { address: string } | null;
}

/** What the front door needs. */
export interface FrontDoorOptions {
  /** The API (Elysia's `app.handle`). */
  handle: (request: Request) => Promise<Response>;
  /** The Host/Origin guard for UI files (no token: the page asks for it). */
  uiGuard: (request: Request, path: string) => AppError | undefined;
  /** The API's guard (Host, Origin, token), run before a body is read so a refused request costs nothing. */
  apiGuard: (request: Request, path: string) => AppError | undefined;
  /** The body limit in force, in bytes (server.max_body_mib, read per request so config edits apply). */
  maxBodyBytes: () => number;
  /** Seconds a silent connection is kept (the server's idleTimeout), restored after a long wait that answered whole. */
  idleTimeoutSeconds?: number;
  log: Logger;
}

/** The requests that wait on a provider (blocking generations, a model test) or stream a job's events. */
const LONG_WAITS: readonly { method: string; path: RegExp }[] = [
  { method: "POST", path: /^\/api\/media\/(?:image|video|audio\/speech)\/?$/ },
  { method: "POST", path: /^\/api\/config\/models\/test\/?$/ },
  { method: "GET", path: /^\/api\/media\/jobs\/[^/]+\/events\/?$/ },
  { method: "POST", path: /^\/v1\/(?:images\/(?:generations|edits)|audio\/speech)\/?$/ },
  // MCP over Streamable HTTP: a tool call waits for its generation; GET is the session's event stream.
  { method: "POST", path: /^\/mcp\/?$/ },
  { method: "GET", path: /^\/mcp\/?$/ },
];

/** Whether a path belongs to the OpenAI-compatible door, whose errors are OpenAI's envelope. */
const isOpenAIPath = (path: string) => path === "/v1" || path.startsWith("/v1/");

/** An error answered at the door, in the shape of the API the path belongs to. */
function refusal(path: string, error: AppError, headers: Record<string, string> = {}): Response {
  return isOpenAIPath(path) ? openaiErrorResponse(error, undefined, headers) : errorResponse(error, headers);
}

/** Whether a request may wait minutes with no bytes flowing (so its idle timeout is lifted once its body is in). */
export function waitsLong(method: string, path: string): boolean {
  return LONG_WAITS.some((route) => route.method === method && route.path.test(path));
}

/** Builds the fetch handler and the `error` handler of Bun.serve. */
export function createFrontDoor(options: FrontDoorOptions) {
  const { log } = options;

  async function route(request: Request, server: ServerLike): Promise<{ response: Response; path: string }> {
    // A Host that is not a valid authority leaves request.url relative; Bun would answer a text/plain 500.
    const url = URL.parse(request.url);
    if (!url) {
      const error = new AppError("invalid_argument", "Malformed Host header; send the daemon's address, e.g. Host: 127.0.0.1:7070", { field: "host" });
      return { response: errorResponse(error, { connection: "close" }), path: "-" };
    }
    const path = url.pathname;

    // Every GET/HEAD outside the API is the UI's: a page, an asset, a redirect to a page's own path, or the page
    // with a 404 that the client router turns into its Not Found page.
    if (!isApiPath(path) && (request.method === "GET" || request.method === "HEAD")) {
      const refused = options.uiGuard(request, path);
      if (refused) return { response: errorResponse(refused), path };
      const page = await serveUi(request, path);
      if (page) return { response: page, path };
    }

    // The whole body is read here, under the idle timeout: a client that declares a body and never sends it is
    // closed like any silent connection, even on a route that may then wait minutes for its provider. A request
    // the guard refuses is answered first, before any of its body is read.
    // The OpenAI door's refusals are answered here too, so that the SDKs read them in OpenAI's envelope.
    // The app decides where a result may be written from the peer address stamped here (see http/peer.ts).
    const headers = stampPeer(request.headers, server.requestIP?.(request)?.address);
    let forwarded = new Request(request.url, { method: request.method, headers, signal: request.signal });
    if (request.body || isOpenAIPath(path)) {
      const refused = options.apiGuard(request, path);
      if (refused) return { response: refusal(path, refused, request.body ? { connection: "close" } : {}), path };
    }
    if (request.body) {
      try {
        const body = await readRequestBody(request, options.maxBodyBytes());
        forwarded = new Request(request.url, { method: request.method, headers, body, signal: request.signal });
      } catch (error) {
        return { response: refusal(path, toAppError(error), { connection: "close" }), path };
      }
    }

    if (!waitsLong(request.method, path)) return { response: await options.handle(forwarded), path };
    // No idle timeout while waiting. A whole answer (a generation's JSON) gets the idle timeout back, so the client
    // keeps its connection for the next request; a stream (job events) closes after its last event instead, so its
    // connection cannot idle forever afterwards.
    server.timeout(request, 0);
    const response = await options.handle(forwarded);
    const streams = response.headers.get("content-type")?.startsWith("text/event-stream") === true;
    if (!streams) {
      server.timeout(request, options.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS);
      return { response, path };
    }
    try {
      response.headers.set("connection", "close");
      return { response, path };
    } catch {
      const headers = new Headers(response.headers);
      headers.set("connection", "close");
      return { response: new Response(response.body, { status: response.status, statusText: response.statusText, headers }), path };
    }
  }

  return {
    /** Bun.serve's `fetch`. */
    async fetch(request: Request, server: ServerLike): Promise<Response> {
      const started = performance.now();
      const { response, path } = await route(request, server);
      log.request(request.method, path, response.status, performance.now() - started);
      return response;
    },
    /** Bun.serve's `error`: an exception that escaped `fetch` is one log line and the generic JSON 500. */
    error(error: unknown): Response {
      log.error(`unhandled error in the HTTP handler: ${error instanceof Error ? error.message : String(error)}`);
      return errorResponse(toAppError(error));
    },
  };
}
