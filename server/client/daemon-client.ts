// A client of a running daemon's HTTP API, for the doors that run outside it (the CLI, `mediagen mcp`): submit a
// generation, follow its job, read the ledger and costs. Every answer is the API's own JSON, typed by its zod shapes.
import type { MediaType } from "../config/schema.ts";
import { DEFAULT_HOST, DEFAULT_PORT } from "../defaults.ts";
import type { Health } from "../health/schema.ts";
import { isLoopback } from "../http/guard.ts";
import { DELIVERY_HEADER, DOWNLOAD_DELIVERY } from "../http/peer.ts";
import type { CostSummary, Door, GenerationPage } from "../ledger/schema.ts";
import type { JobAccepted, JobList, JobView, MediaResponse, MediaTypes } from "../media/schema.ts";

/** Where the daemon listens unless `--url` or MEDIAGEN_URL says otherwise. */
export const DEFAULT_DAEMON_URL = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;

/** The endpoint of each media type. */
export const MEDIA_PATHS: Record<MediaType, string> = { image: "/api/media/image", video: "/api/media/video", audio: "/api/media/audio/speech" };

/** No daemon answered at the URL: the message says how to start one. */
export class DaemonUnreachable extends Error {
  constructor(readonly url: string, cause: string) {
    super(
      `No mediagen daemon answers at ${url} (${cause}). Start one with \`mediagen\` (or \`mediagen serve --port N\` and pass --url / MEDIAGEN_URL), then retry.`,
    );
  }
}

/** An answer of the daemon: its HTTP status and JSON body. */
export interface Answer<T> {
  status: number;
  body: T;
}

export interface DaemonClientOptions {
  /** Base URL of the daemon; default MEDIAGEN_URL, else http://127.0.0.1:7070. */
  url?: string;
  /** Bearer token when the daemon requires one; default MEDIAGEN_TOKEN. */
  token?: string;
  /** The door requests are recorded under (`cli`, `mcp`). */
  door: Door;
  /** User-Agent recorded as the caller's client. */
  client: string;
  /** Sent as `X-Mediagen-Session`: the session the ledger records requests under. */
  session?: string;
  env?: Record<string, string | undefined>;
}

/**
 * Reads the daemon's URL and token from options, then the environment, and whether results are to be downloaded:
 * always for a daemon at a non-loopback address, and when MEDIAGEN_DELIVERY=download says so (a daemon reached
 * through a tunnel or a local reverse proxy that is in fact another machine's).
 */
export function daemonTarget(options: { url?: string; token?: string; env?: Record<string, string | undefined> }): { url: string; token?: string; downloads: boolean } {
  const env = options.env ?? process.env;
  const url = (options.url || env.MEDIAGEN_URL || DEFAULT_DAEMON_URL).replace(/\/+$/, "");
  const token = options.token || env.MEDIAGEN_TOKEN || undefined;
  const downloads = env.MEDIAGEN_DELIVERY?.trim().toLowerCase() === DOWNLOAD_DELIVERY || !isLoopback(URL.parse(url)?.hostname ?? "localhost");
  return { url, token, downloads };
}

/** The daemon's HTTP API, one method per endpoint a client door needs. */
export class DaemonClient {
  readonly url: string;
  /**
   * Whether the daemon is another machine's: requests then say `X-Mediagen-Delivery: download`, input files are sent
   * as bytes, and results are downloaded into the caller's folder.
   */
  readonly downloads: boolean;
  private readonly token?: string;

  constructor(private readonly options: DaemonClientOptions) {
    const target = daemonTarget(options);
    this.url = target.url;
    this.token = target.token;
    this.downloads = target.downloads;
  }

  private headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = { "x-mediagen-door": this.options.door, "user-agent": this.options.client };
    if (this.downloads) headers[DELIVERY_HEADER] = DOWNLOAD_DELIVERY;
    if (this.options.session) headers["x-mediagen-session"] = this.options.session;
    if (json) headers["content-type"] = "application/json";
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return headers;
  }

  /** Sends one request; a connection that cannot be made is DaemonUnreachable, any HTTP answer is returned. */
  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        // Generations can take minutes: no client-side idle timeout.
        timeout: false,
      } as RequestInit);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new DaemonUnreachable(this.url, error instanceof Error ? error.message : String(error));
    }
  }

  /** Sends one request and reads its JSON answer (a body that is not JSON reads as an invalid_response error). */
  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Answer<T>> {
    const response = await this.send(method, path, body, signal);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? {} : JSON.parse(text);
    } catch {
      parsed = { success: false, error: `The daemon answered ${response.status} with a body that is not JSON`, error_type: "invalid_response" };
    }
    return { status: response.status, body: parsed as T };
  }

  /** Where the daemon serves a generation's file. */
  fileUrl(id: string): string {
    return `${this.url}/api/generations/${encodeURIComponent(id)}/file`;
  }

  /** GET a generation's file: the raw response, its body not yet read (DaemonUnreachable when no daemon answers). */
  file(id: string, signal?: AbortSignal): Promise<Response> {
    return this.send("GET", `/api/generations/${encodeURIComponent(id)}/file`, undefined, signal);
  }

  health(): Promise<Answer<Health>> {
    return this.call("GET", "/api/health");
  }

  /** GET /skill.md: the agent skill as this daemon serves it (Markdown, or the JSON error of a refusal). */
  async skill(): Promise<Answer<string>> {
    const response = await this.send("GET", "/skill.md");
    return { status: response.status, body: await response.text() };
  }

  types(): Promise<Answer<MediaTypes>> {
    return this.call("GET", "/api/media/types");
  }

  /** Submits a generation: blocking until its answer, or (async) 202 with the job at once. */
  submit(type: MediaType, body: Record<string, unknown>, options: { async?: boolean; signal?: AbortSignal } = {}): Promise<Answer<MediaResponse | JobAccepted>> {
    return this.call("POST", MEDIA_PATHS[type], options.async ? { ...body, async: true } : body, options.signal);
  }

  job(id: string): Promise<Answer<JobView>> {
    return this.call("GET", `/api/media/jobs/${encodeURIComponent(id)}`);
  }

  jobs(): Promise<Answer<JobList>> {
    return this.call("GET", "/api/media/jobs");
  }

  cancel(id: string): Promise<Answer<JobView>> {
    return this.call("DELETE", `/api/media/jobs/${encodeURIComponent(id)}`);
  }

  generations(query: Record<string, string | number | undefined> = {}): Promise<Answer<GenerationPage>> {
    return this.call("GET", `/api/generations${queryString(query)}`);
  }

  costs(query: Record<string, string | undefined> = {}): Promise<Answer<CostSummary>> {
    return this.call("GET", `/api/costs/summary${queryString(query)}`);
  }

  /**
   * Follows a job's Server-Sent Events, calling `onState` with each state (the current one first) until it ends;
   * resolves with the last state. Falls back to polling when the stream breaks.
   */
  async follow(id: string, onState: (job: JobView) => void, signal?: AbortSignal): Promise<JobView> {
    let last: JobView | undefined;
    try {
      const response = await fetch(`${this.url}/api/media/jobs/${encodeURIComponent(id)}/events`, { headers: this.headers(false), signal, timeout: false } as RequestInit);
      if (response.ok && response.body) {
        const decoder = new TextDecoder();
        let buffer = "";
        for await (const chunk of response.body) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = event.split("\n").find((line) => line.startsWith("data:"));
            if (!data) continue;
            last = JSON.parse(data.slice(5).trim()) as JobView;
            onState(last);
          }
        }
      }
    } catch (error) {
      if (signal?.aborted) throw error;
    }
    // The stream ended (or broke): the job's state now, polled until it is finished.
    for (;;) {
      const { status, body } = await this.job(id);
      if (status !== 200) return last ?? Promise.reject(new Error(`job ${id}: ${(body as unknown as { error?: string }).error ?? status}`));
      if (!last || JSON.stringify(last) !== JSON.stringify(body)) onState(body);
      last = body;
      if (["succeeded", "failed", "cancelled", "interrupted"].includes(body.status)) return body;
      await Bun.sleep(1000);
      if (signal?.aborted) throw signal.reason;
    }
  }
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}
