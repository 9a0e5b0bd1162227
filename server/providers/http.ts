// Shared HTTP plumbing for providers: transport errors, upstream statuses and JSON bodies mapped into the catalogue.
import { MAX_UPSTREAM_JSON_MIB, MAX_UPSTREAM_MEDIA_MIB, MAX_UPSTREAM_MESSAGE_CHARS } from "../defaults.ts";
import { AppError } from "../errors.ts";
import { readLimited } from "../http/body.ts";
import { redact } from "../log.ts";
import type { ModelEntry } from "../config/schema.ts";
import type { CallContext } from "./types.ts";

export { redact } from "../log.ts";


/** The most useful human message inside an upstream error body, truncated. */
export function upstreamMessage(body: string): string {
  let message = body.trim();
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const error = json.error;
    const candidates = [
      typeof error === "object" && error !== null ? (error as Record<string, unknown>).message : undefined,
      typeof error === "string" ? error : undefined,
      json.message,
      json.detail,
    ];
    const found = candidates.find((c): c is string => typeof c === "string" && c.trim() !== "");
    if (found) message = found.trim();
    // Google's status word (INVALID_ARGUMENT, NOT_FOUND) stays in the message: agents act on it.
    const code = typeof error === "object" && error !== null ? (error as Record<string, unknown>).status : undefined;
    if (found && typeof code === "string" && /^[A-Z][A-Z_]+$/.test(code) && !message.includes(code)) message = `${code}: ${message}`;
  } catch {
    // not JSON: quote the raw text
  }
  return clip(message) || "(empty body)";
}

/** A text cut to `max` characters, with "..." when it was longer. */
export function clip(text: string, max = MAX_UPSTREAM_MESSAGE_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

const SAFETY_WORDS = /content[_ ]?filter|moderation|safety|content[_ ]policy|responsible ai/i;

/** The catalogue error for a non-2xx upstream answer (the default mapping; providers may refine it first). */
export function errorForStatus(status: number, body: string, headers: Headers): AppError {
  const message = `Upstream ${status}: ${upstreamMessage(body)}`;
  const upstream = { upstream_status: status };
  if (status === 401 || status === 403) {
    return new AppError("auth_required", `${message} (check the model's api_key in config.yml)`, { ...upstream, status: 502 });
  }
  if (status === 402) return new AppError("insufficient_credits", message, upstream);
  if (status === 429 || status === 503 || status === 529) {
    const retry = retryAfterSeconds(headers.get("retry-after"));
    const details = retry === undefined ? upstream : { ...upstream, retry_after_seconds: retry };
    return new AppError(status === 429 ? "rate_limited" : "overloaded", message, details);
  }
  if ((status === 400 || status === 422) && SAFETY_WORDS.test(body)) {
    return new AppError("content_filtered", message, upstream);
  }
  return new AppError("api_error", message, upstream);
}

/** Upstream words for "this model id does not exist" (OpenAI, Gemini, OpenRouter, OpenAI-compatible servers). */
const UNKNOWN_MODEL_WORDS = /model_not_found|unknown (image |video |audio |speech )?model|no such model|invalid model|not a valid model|models\/\S+ is not found|model\b.{0,120}\b(does not exist|not found|is not supported|not available)/i;

/** Whether an upstream answer says the model id does not exist. */
export function saysUnknownModel(status: number, body: string): boolean {
  return (status === 400 || status === 404) && UNKNOWN_MODEL_WORDS.test(body);
}

const MODEL_NOUNS = { image: "image", video: "video", audio: "speech" } as const;

/**
 * The skill's error for a configured model its backend does not know (`unknown image model`, 400): names the
 * model and points at the settings page, so an agent tells the user instead of guessing another name.
 */
export function unknownModelError(status: number, body: string, entry: ModelEntry | undefined): AppError | undefined {
  if (!entry || !saysUnknownModel(status, body)) return undefined;
  return new AppError(
    "unknown_model",
    `unknown ${MODEL_NOUNS[entry.type]} model "${entry.model}": ${entry.provider} does not recognise it (Upstream ${status}: ${upstreamMessage(body)}). Fix the model name in the settings page (Models) or config.yml; do not retry with another name.`,
    { upstream_status: status },
  );
}

/** Why a call that threw never produced a response: the abort reason (timeout, shutdown) or a network error. */
export function transportError(error: unknown, ctx: CallContext): AppError {
  if (ctx.signal.aborted) {
    const reason: unknown = ctx.signal.reason;
    return reason instanceof AppError ? reason : new AppError("timeout");
  }
  const text = error instanceof Error ? error.message : String(error);
  const failure = new AppError("network_error", `HTTP request failed: ${redact(text, [ctx.apiKey])}`);
  failure.requestNotSent = NOT_SENT_CODES.has(String((error as { code?: unknown })?.code ?? ""));
  return failure;
}

/** Transport error codes that mean the request never left this machine (so retrying cannot double-charge). */
const NOT_SENT_CODES = new Set(["ConnectionRefused", "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "FailedToOpenSocket", "UnableToConnect", "ConnectTimeout"]);

/** Fetches with the call's signal; any answer that is not 2xx becomes a catalogue error (`mapError` may claim it first). */
export async function request(
  url: string,
  init: RequestInit,
  ctx: CallContext,
  mapError?: (status: number, body: string, headers: Headers) => AppError | undefined,
): Promise<Response> {
  let response: Response;
  try {
    // timeout: false turns off Bun's 5-minute idle timer: a provider may say nothing for minutes while it works.
    // The total deadline is ctx.signal; the connection itself is checked first, within the connect timeout.
    if (ctx.connectTimeoutMs) await checkConnect(url, ctx.connectTimeoutMs);
    response = await fetch(url, { ...init, signal: ctx.signal, redirect: init.redirect ?? "follow", timeout: false });
  } catch (error) {
    throw transportError(error, ctx);
  }
  if (response.ok) return response;
  const body = await readText(response, ctx);
  const safeBody = redact(body, [ctx.apiKey]);
  throw mapError?.(response.status, safeBody, response.headers) ?? unknownModelError(response.status, safeBody, ctx.entry) ?? errorForStatus(response.status, safeBody, response.headers);
}

/** Error code given to a connection that did not open within the connect timeout. */
const CONNECT_TIMEOUT = "ConnectTimeout";

/** Opens a TCP connection and resolves once it is open. */
type Connector = (target: { hostname: string; port: number }) => Promise<{ end(): void }>;

const tcpConnect: Connector = (target) => Bun.connect({ ...target, socket: { data() {}, open(socket) { socket.end(); } } });

/**
 * Opens (and closes) a TCP connection to the URL's host within `timeoutMs`, so an unreachable provider
 * fails fast and provably before anything was sent.
 */
export async function checkConnect(url: string, timeoutMs: number, connector: Connector = tcpConnect): Promise<void> {
  const { hostname, port, protocol } = new URL(url);
  const target = { hostname: hostname.replace(/^\[|\]$/g, ""), port: Number(port || (protocol === "https:" ? 443 : 80)) };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`could not connect to ${target.hostname}:${target.port} within ${timeoutMs} ms`), { code: CONNECT_TIMEOUT })),
      timeoutMs,
    );
  });
  const connect = connector(target);
  try {
    await Promise.race([connect, timeout]);
  } catch (error) {
    const code = String((error as { code?: unknown }).code ?? "");
    if (code === CONNECT_TIMEOUT) throw error;
    throw Object.assign(new Error(`cannot connect to ${target.hostname}:${target.port} (${code || (error as Error).message})`), { code });
  } finally {
    clearTimeout(timer);
    connect.then((socket) => socket.end()).catch(() => {});
  }
}

/**
 * Reads a body up to `maxBytes`, mapping a broken or aborted stream into the catalogue. A larger body (declared
 * or streamed) is cancelled as soon as it passes the limit and is an invalid_response: a misbehaving provider
 * cannot make the daemon hold gigabytes.
 */
export async function readBytes(response: Response, ctx: CallContext, maxBytes = MAX_UPSTREAM_MEDIA_MIB * 1048576): Promise<Uint8Array> {
  const tooLarge = () => new AppError("invalid_response", `Upstream answer is larger than ${Math.round(maxBytes / 1048576)} MiB; mediagen does not read answers this large`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readLimited(response.body, maxBytes);
  } catch (error) {
    throw transportError(error, ctx);
  }
  if (!bytes) throw tooLarge();
  return bytes;
}

/** Reads a body as text (at most MAX_UPSTREAM_JSON_MIB), mapping a broken or aborted stream into the catalogue. */
export async function readText(response: Response, ctx: CallContext): Promise<string> {
  return new TextDecoder().decode(await readBytes(response, ctx, MAX_UPSTREAM_JSON_MIB * 1048576));
}

/** Reads a body as a JSON object; anything else is invalid_response. */
export async function readJsonObject(response: Response, ctx: CallContext): Promise<Record<string, unknown>> {
  const text = await readText(response, ctx);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError("invalid_response", `Invalid JSON response from upstream: ${redact(text.slice(0, 120), [ctx.apiKey]) || "(empty body)"}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError("invalid_response", "Invalid JSON response from upstream: expected an object");
  }
  return value as Record<string, unknown>;
}

/** Waits `ms` between polls; a cancel (timeout, shutdown) ends the wait at once and throws its reason. */
export async function pause(ms: number, ctx: CallContext): Promise<void> {
  const { signal } = ctx;
  if (signal.aborted) throw transportError(signal.reason, ctx);
  let wake = () => {};
  const aborted = new Promise<void>((resolve) => {
    wake = resolve;
    signal.addEventListener("abort", wake, { once: true });
  });
  await Promise.race([Bun.sleep(ms), aborted]);
  signal.removeEventListener("abort", wake);
  if (signal.aborted) throw transportError(signal.reason, ctx);
}

/** Downloads a result file the provider linked to. */
export async function download(url: string, ctx: CallContext, headers: Record<string, string> = {}): Promise<Uint8Array> {
  return readBytes(await request(url, { headers }, ctx), ctx);
}

/** Joins a base URL and a path with exactly one slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
