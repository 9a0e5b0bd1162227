// The Gemini API's plumbing shared by its image, speech and Veo calls: URLs, the key header, options, error
// mapping (Google's status bodies, retryDelay) and camelCase answers.
import type { ModelEntry } from "../config/schema.ts";
import { AppError } from "../errors.ts";
import { joinUrl, readJsonObject, request, retryAfterSeconds, upstreamMessage } from "./http.ts";
import { asObject, asObjects, asString, type Json } from "./json.ts";
import { GeminiOptions } from "./options.ts";
import type { CallContext } from "./types.ts";

export const SAFETY_WORDS = /safety|responsible ai|\brai\b|prohibited|sensitive|content polic/i;

/** A deep copy with snake_case keys spelt camelCase, so answers from proxies that re-serialise them read the same. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  const object = asObject(value);
  if (!object) return value;
  return Object.fromEntries(Object.entries(object).map(([key, v]) => [key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camelKeys(v)]));
}

export function options(entry: ModelEntry): GeminiOptions {
  return GeminiOptions.parse(entry.options ?? {});
}

export const modelId = (entry: ModelEntry) => entry.model.replace(/^models\//, "");

/** A v1beta URL; a base URL already ending in /v1beta is not doubled. */
export function apiUrl(ctx: CallContext, path: string): string {
  return joinUrl(ctx.baseUrl.replace(/\/v1beta\/*$/, ""), `v1beta/${path}`);
}

export function keyHeader(ctx: CallContext): Record<string, string> {
  return ctx.apiKey ? { "x-goog-api-key": ctx.apiKey } : {};
}

/** The google.rpc.Status of an error body, if it has one. */
function googleStatus(body: string): { message?: unknown; details?: unknown } | undefined {
  try {
    return asObject((JSON.parse(body) as Json).error);
  } catch {
    return undefined;
  }
}

/** Seconds of a google.protobuf.Duration such as "12s" or "34.4s", rounded up. */
function protoDurationSeconds(value: unknown): number | undefined {
  const match = typeof value === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(value.trim()) : null;
  return match ? Math.ceil(Number(match[1])) : undefined;
}

/** Google's error envelope mapped into the catalogue (rejected key, quota with RetryInfo, overload); undefined = default mapping. */
export function mapError(status: number, body: string, headers: Headers): AppError | undefined {
  const error = googleStatus(body);
  const details = asObjects(error?.details);
  const detail = (type: string) => details.find((d) => typeof d["@type"] === "string" && d["@type"].endsWith(`google.rpc.${type}`));
  const message = `Upstream ${status}: ${upstreamMessage(body)}`;
  const upstream = { upstream_status: status };
  const reason = asString(detail("ErrorInfo")?.reason) ?? "";
  const keyRejected = reason.startsWith("API_KEY_") || /API key (not valid|expired)/i.test(String(error?.message ?? ""));
  if (keyRejected || status === 403) {
    return new AppError("auth_required", `Gemini rejected the API key (${message}); check the model's api_key in config.yml`, { ...upstream, status: 502 });
  }
  if (status === 429 || status === 503) {
    const retry = protoDurationSeconds(detail("RetryInfo")?.retryDelay) ?? retryAfterSeconds(headers.get("retry-after"));
    const withRetry = retry === undefined ? upstream : { ...upstream, retry_after_seconds: retry };
    return new AppError(status === 429 ? "rate_limited" : "overloaded", message, withRetry);
  }
  return undefined;
}

export async function postJson(ctx: CallContext, path: string, body: Json): Promise<Json> {
  const init = { method: "POST", headers: { ...keyHeader(ctx), "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await request(apiUrl(ctx, path), init, ctx, mapError);
  return camelKeys(await readJsonObject(response, ctx)) as Json;
}
