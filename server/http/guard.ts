// The localhost guard: DNS-rebinding (Host), cross-site (Origin) and bearer-token checks.
import { timingSafeEqual } from "node:crypto";
import { hostname, networkInterfaces } from "node:os";
import { AppError } from "../errors.ts";

/** What the guard needs to know about this daemon. */
export interface GuardOptions {
  /** The address the daemon is bound to. */
  bindHost: string;
  /** Extra Host names allowed by config (read on every request, so config edits apply at once). */
  allowedHosts: () => readonly string[];
  /** The bearer token clients must send, if any. */
  token: () => string | undefined;
}

const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "[::]", ""]);

/** Whether an address or name always means this machine. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  return name === "localhost" || name.endsWith(".localhost") || name === "::1" || /^127(\.\d{1,3}){3}$/.test(name);
}

/** The host name of a Host header value (port and IPv6 brackets removed). */
export function hostOf(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith("[")) return value.slice(1, value.indexOf("]"));
  const colons = value.split(":").length - 1;
  return colons === 1 ? value.slice(0, value.indexOf(":")) : value;
}

function localNames(bindHost: string): Set<string> {
  const names = new Set<string>([bindHost.toLowerCase().replace(/^\[|\]$/g, "")]);
  if (WILDCARD_BINDS.has(bindHost)) {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) {
      for (const address of list ?? []) names.add(address.address.toLowerCase());
    }
  }
  return names;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Builds the guard; it returns the error to answer with, or undefined to let the request through. */
export function createGuard(options: GuardOptions): (request: Request, path: string) => AppError | undefined {
  const names = localNames(options.bindHost);
  return (request, path) => {
    const hostHeader = request.headers.get("host") ?? new URL(request.url).host;
    const host = hostOf(hostHeader);
    const allowed = isLoopback(host) || names.has(host) || options.allowedHosts().some((h) => hostOf(h) === host);
    if (!allowed) {
      return new AppError("forbidden", `Host "${hostHeader}" is not this daemon; add it to server.allowed_hosts in config.yml if you proxy to mediagen`);
    }
    const origin = request.headers.get("origin");
    if (origin !== null) {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        originHost = undefined;
      }
      if (originHost !== hostHeader.toLowerCase()) {
        return new AppError("forbidden", `Cross-site request refused: Origin ${origin} is not this daemon (${hostHeader})`);
      }
    }
    const token = options.token();
    if (token && path !== "/api/health") {
      const auth = request.headers.get("authorization") ?? "";
      // <img>/<video>/<audio> cannot send headers: generated files and thumbnails may carry the token as ?access_token=.
      const fromQuery = request.method === "GET" && /^\/api\/generations\/[^/]+\/(file|thumbnail)$/.test(path) ? (new URL(request.url).searchParams.get("access_token") ?? "") : "";
      const given = auth.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : fromQuery;
      if (!given || !sameSecret(given, token)) return new AppError("unauthorized");
    }
    return undefined;
  };
}
