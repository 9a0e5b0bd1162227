// Files of a service of several daemons on one PostgreSQL database: each result stays on the disk of the daemon that
// made it, so a daemon asked for a file it does not have (a round-robin proxy sent the download elsewhere) forwards
// the same request to the daemon that holds it, at the address that daemon announced, and streams the answer back.
import type { AppDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { isLoopback } from "../http/guard.ts";
import { fileResponse } from "../http/range.ts";
import type { FileHolder, JobLeases } from "../ledger/store.ts";

/** Marks a request one daemon forwarded to another: the holder answers from its own disk and never forwards again. */
export const FORWARDED_HEADER = "x-mediagen-forwarded";

/** Request headers a forwarded file request keeps: the caller's credentials and what makes a range or cache answer. */
const REQUEST_HEADERS = ["authorization", "range", "if-range", "if-none-match"] as const;
/** Answer headers passed back from the holder. */
const ANSWER_HEADERS = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-range",
  "content-disposition",
  "accept-ranges",
  "etag",
  "cache-control",
  "last-modified",
  "location",
  "retry-after",
  "www-authenticate",
] as const;

/** How long a holder may take to start answering before the caller is told it is unavailable, in ms. */
const HOLDER_CONNECT_MS = 10_000;

/**
 * The file at `path` for `request`: from this disk when it is here, else (several daemons on one database) the same
 * request answered by the daemon that made generation `id`. Throws not_found when no daemon has it, and
 * file_unavailable when its daemon does not answer.
 */
export async function storedFileResponse(deps: AppDeps, request: Request, id: string, path: string, mimeType: string, extra: Record<string, string> = {}): Promise<Response> {
  if (deps.ledger.leases && !(await Bun.file(path).exists())) {
    const forwarded = await forwardToHolder(deps, request, id);
    if (forwarded) return forwarded;
  }
  return fileResponse(request, path, mimeType, extra);
}

/**
 * Several daemons on one database: the answer of the daemon that made generation `id` to this same request (whose
 * disk holds its file), or undefined when this daemon made it, the request was already forwarded, or it is alone.
 */
export async function forwardToHolder(deps: AppDeps, request: Request, id: string): Promise<Response | undefined> {
  const leases = deps.ledger.leases;
  if (!leases || request.headers.has(FORWARDED_HEADER)) return undefined;
  const holder = (await leases.holders([id])).get(id);
  return holder ? forward(request, holder, leases.daemon) : undefined;
}

/** Those of `ids` whose files are on another daemon's disk (none on a single daemon). */
export async function heldElsewhere(deps: AppDeps, ids: readonly string[]): Promise<Set<string>> {
  const leases = deps.ledger.leases;
  if (!leases || ids.length === 0) return new Set();
  return new Set((await leases.holders(ids)).keys());
}

/** The host part of a daemon's name (`<host>:<data folder>`). */
const machineOf = (daemon: string) => daemon.slice(0, daemon.indexOf(":") === -1 ? undefined : daemon.indexOf(":"));

/** The holder's answer to the same method, path and query, streamed (a gigabyte video is never held in memory). */
async function forward(request: Request, holder: FileHolder, self: string): Promise<Response> {
  if (!holder.url) throw unavailable(holder, "it has not announced an address (an older mediagen, or it never finished starting)");
  // A loopback address names the machine it is announced from: from another machine it would reach the wrong daemon
  // (and hand it the caller's token).
  const host = URL.parse(holder.url)?.hostname.replace(/^\[|\]$/g, "") ?? "";
  if (isLoopback(host) && machineOf(holder.daemon) !== machineOf(self)) {
    throw unavailable(holder, `it announced a loopback address from machine ${machineOf(holder.daemon)}; set server.internal_url there to an address this machine reaches`);
  }
  const incoming = new URL(request.url);
  const target = holder.url.replace(/\/+$/, "") + incoming.pathname + incoming.search;
  const headers = new Headers({ [FORWARDED_HEADER]: self });
  for (const name of REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // The time limit covers the answer's start only: the body (a long video) streams as long as the caller reads it.
  const controller = new AbortController();
  const stop = () => controller.abort();
  request.signal.addEventListener("abort", stop, { once: true });
  const timer = setTimeout(stop, HOLDER_CONNECT_MS);
  let answer: Response;
  try {
    // Bytes as the holder sent them (no decompression, so content-length holds); no idle limit on a long stream.
    answer = await fetch(target, { method: request.method, headers, redirect: "manual", signal: controller.signal, decompress: false, timeout: false } as RequestInit);
  } catch (error) {
    throw unavailable(holder, error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
  const passed = new Headers();
  for (const name of ANSWER_HEADERS) {
    const value = answer.headers.get(name);
    if (value !== null) passed.set(name, value);
  }
  return new Response(answer.body, { status: answer.status, headers: passed });
}

function unavailable(holder: FileHolder, reason: string): AppError {
  const seen = holder.seenAt === null ? "" : `, last seen ${new Date(holder.seenAt).toISOString()}`;
  return new AppError("file_unavailable", `The file is on the disk of another daemon of this service${holder.url ? ` (${holder.url}` : " ("}${seen}), which cannot be reached: ${reason}. Retry once it is back.`);
}

/** The address other daemons reach this one at: `server.internal_url`, else the bound address (the host name when bound to every interface). */
export function internalUrl(configured: string | undefined, host: string, port: number, machine: string): string {
  if (configured) return configured.replace(/\/+$/, "");
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const name = wildcard ? machine : host;
  return `http://${name.includes(":") ? `[${name}]` : name}:${port}`;
}

/** Announces `url` now and every `everyMs` (the lease renewal rhythm); failures are logged, never thrown. Returns the stopper. */
export function keepAnnouncing(leases: JobLeases, url: string, everyMs: number, warn: (message: string) => void): () => void {
  const announce = () => leases.announce(url).catch((error: unknown) => warn(`could not record this daemon's address ${url} for the others: ${error instanceof Error ? error.message : String(error)}`));
  void announce();
  const timer = setInterval(announce, everyMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** The Host names a daemon answers to beyond its bind address: `server.allowed_hosts`, and the host of `server.internal_url` (other daemons call it by that name). */
export function allowedHosts(server: { allowed_hosts: string[]; internal_url?: string }): string[] {
  const internal = server.internal_url ? URL.parse(server.internal_url)?.hostname : undefined;
  return internal ? [...server.allowed_hosts, internal] : server.allowed_hosts;
}
