// The localhost guard: DNS-rebinding (Host), cross-site (Origin) and bearer-token checks.
import { timingSafeEqual } from "node:crypto";
import { hostname, networkInterfaces } from "node:os";
import { AppError } from "../errors.ts";
import { LOCAL_ADMIN, refuseMember, type Principal } from "../tokens/access.ts";

/** What the guard needs to know about this daemon. */
export interface GuardOptions {
  /** The address the daemon is bound to. */
  bindHost: string;
  /** Extra Host names allowed by config (read on every request, so config edits apply at once). */
  allowedHosts: () => readonly string[];
  /** The bearer token clients must send, if any (config.yml's server.token: its holder is an admin). */
  token: () => string | undefined;
  /** Person and team tokens (the token service); absent: only server.token is accepted. */
  people?: People;
}

/** What the guard needs of the person and team tokens. */
export interface People {
  /** The principal of an active token's secret, or undefined. */
  identify(secret: string): Principal | undefined;
  /** Whether any token is active. */
  anyActive(): boolean;
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
    if (path === "/api/health") return undefined;
    const principal = identify(request, path, options.token(), options.people);
    if (principal instanceof AppError) return principal;
    return refuseMember(principal, request.method, path);
  };
}

/** The bearer secret a request carries: its Authorization header, or `?access_token=` on a generated file or thumbnail. */
function bearerOf(request: Request, path: string): string {
  const auth = request.headers.get("authorization") ?? "";
  // <img>/<video>/<audio> cannot send headers: generated files and thumbnails may carry the token as ?access_token=.
  const fromQuery = request.method === "GET" && /^\/api\/generations\/[^/]+\/(file|thumbnail)$/.test(path) ? (new URL(request.url).searchParams.get("access_token") ?? "") : "";
  return auth.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : fromQuery;
}

/**
 * Who a request is: server.token's holder (compared in constant time) or a token's owner, both by their bearer
 * secret; with no token in use at all, the local admin. `unauthorized` when a token is required and missing or wrong.
 */
export function identify(request: Request, path: string, serverToken: string | undefined, people?: People): Principal | AppError {
  const given = bearerOf(request, path);
  if (serverToken && given && sameSecret(given, serverToken)) return { via: "server-token", role: "admin" };
  const person = given ? people?.identify(given) : undefined;
  if (person) return person;
  if (!serverToken && !people?.anyActive()) return LOCAL_ADMIN;
  return new AppError("unauthorized", given ? "The bearer token is not valid (wrong, or revoked); ask an admin for a token" : undefined);
}
