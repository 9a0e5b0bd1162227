// Where a request comes from, as far as outputs are concerned: a caller on this machine gets its file in the folder it
// names; a caller on another machine (or one that asks for it) gets it kept in the daemon's output store and fetches
// it by its download URL. The front door stamps the peer address on every request it forwards (replacing any a client
// sent), so the app decides from headers and tests simulate a remote peer by setting one.
import { invalidArgument } from "../errors.ts";
import { isLoopback } from "./guard.ts";

/** Set by the front door to the TCP peer's address (Bun's server.requestIP); a client's own value is discarded. */
export const PEER_HEADER = "x-mediagen-peer";
/** Sent by a client that wants its result kept on the daemon and fetched by download URL (`download`). */
export const DELIVERY_HEADER = "x-mediagen-delivery";
/** The one value of DELIVERY_HEADER. */
export const DOWNLOAD_DELIVERY = "download";

/** Headers a reverse proxy adds: their presence means the TCP peer is the proxy, not the caller. */
const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-real-ip"] as const;

/** The headers of a request as the app must see them: PEER_HEADER set to `address` (removed when unknown). */
export function stampPeer(headers: Headers, address: string | undefined): Headers {
  const stamped = new Headers(headers);
  stamped.delete(PEER_HEADER);
  if (address) stamped.set(PEER_HEADER, address);
  return stamped;
}

/** Throws invalid_argument when a request's X-Mediagen-Delivery is neither absent nor `download`. */
export function checkDeliveryHeader(request: Request): void {
  const delivery = request.headers.get(DELIVERY_HEADER)?.trim().toLowerCase();
  if (!delivery || delivery === DOWNLOAD_DELIVERY) return;
  throw invalidArgument(DELIVERY_HEADER, `${DELIVERY_HEADER} must be "${DOWNLOAD_DELIVERY}" (keep the result on the daemon and answer its download_url), got "${delivery.slice(0, 40)}"`, [DOWNLOAD_DELIVERY]);
}

/**
 * Whether a request's caller is treated as remote: it sent X-Mediagen-Delivery (any value: the safe reading), its
 * peer is not a loopback address, or a reverse proxy forwarded it (the proxy's loopback address says nothing of the
 * caller). A request with no peer stamped (app.handle in tests, in-process calls) is local.
 */
export function isRemoteCaller(request: Request): boolean {
  if (request.headers.get(DELIVERY_HEADER)?.trim()) return true;
  const peer = request.headers.get(PEER_HEADER)?.trim();
  if (peer && !isLoopback(unmapped(peer))) return true;
  return FORWARDING_HEADERS.some((name) => request.headers.has(name));
}

/** An IPv4 address as itself when given in its IPv6-mapped form (`::ffff:127.0.0.1`). */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** The origin download URLs are built on: `server.public_url` when set (a reverse proxy), else the request's own. */
export function publicOrigin(request: Request, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, "");
  return new URL(request.url).origin;
}

/** Where a generation's file is served (token-guarded; `?access_token=` works there). */
export function downloadUrl(origin: string, id: string): string {
  return `${origin}/api/generations/${encodeURIComponent(id)}/file`;
}
