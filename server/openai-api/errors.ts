// mediagen's error catalogue in OpenAI's envelope and statuses, so the OpenAI SDKs raise their usual exceptions.
import { AppError, type ErrorType } from "../errors.ts";
import type { ErrorEnvelope } from "./schema.ts";

/** How one catalogue entry reads in OpenAI's terms; `status` absent keeps mediagen's. */
interface OpenAIErrorShape {
  type: string;
  code?: string;
  status?: number;
}

/**
 * Every error_type as OpenAI would say it. Spending limits are OpenAI's 429 `insufficient_quota`; a provider's
 * safety refusal is its 400 `moderation_blocked`; server-side failures are `server_error`.
 */
const SHAPES: Record<ErrorType, OpenAIErrorShape> = {
  invalid_argument: { type: "invalid_request_error", code: "invalid_value" },
  unauthorized: { type: "authentication_error", code: "invalid_api_key" },
  forbidden: { type: "permission_error" },
  not_found: { type: "invalid_request_error", code: "not_found" },
  insufficient_credits: { type: "insufficient_quota", code: "insufficient_quota", status: 429 },
  budget_exceeded: { type: "insufficient_quota", code: "budget_exceeded", status: 429 },
  cancelled: { type: "invalid_request_error" },
  not_cancellable: { type: "invalid_request_error" },
  idempotency_conflict: { type: "invalid_request_error" },
  payload_too_large: { type: "invalid_request_error" },
  range_not_satisfiable: { type: "invalid_request_error" },
  unknown_model: { type: "invalid_request_error", code: "model_not_found" },
  not_configured: { type: "invalid_request_error" },
  not_implemented: { type: "invalid_request_error" },
  no_desktop: { type: "invalid_request_error" },
  auth_required: { type: "invalid_request_error" },
  content_filtered: { type: "invalid_request_error", code: "moderation_blocked", status: 400 },
  rate_limited: { type: "requests", code: "rate_limit_exceeded" },
  queue_full: { type: "requests" },
  api_error: { type: "server_error" },
  network_error: { type: "server_error" },
  invalid_response: { type: "server_error" },
  empty_response: { type: "server_error" },
  overloaded: { type: "server_error" },
  interrupted: { type: "server_error" },
  storage_error: { type: "server_error" },
  file_unavailable: { type: "server_error" },
  timeout: { type: "server_error" },
  internal: { type: "server_error" },
};

/**
 * Errors after which the same request may be sent again without paying twice: nothing reached the provider, or the
 * provider refused it before working. The SDKs retry 409, 429 and 5xx by default; `x-should-retry` tells them.
 */
const RETRYABLE: ReadonlySet<ErrorType> = new Set(["queue_full", "rate_limited"]);

/** The OpenAI status of an error (mediagen's own, except where OpenAI answers differently). */
export function openaiStatus(error: AppError): number {
  const shape = SHAPES[error.type];
  if (error.type === "auth_required" && error.status >= 500) return error.status;
  return shape.status ?? error.status;
}

/** The envelope of an error; `param` is the request field at fault in OpenAI's name for it. */
export function errorEnvelope(error: AppError, rename: (field: string) => string = (field) => field): ErrorEnvelope {
  const shape = SHAPES[error.type];
  const status = openaiStatus(error);
  const type = error.type === "auth_required" && status >= 500 ? "server_error" : shape.type;
  const field = error.details.field;
  return { error: { message: error.message, type, code: shape.code ?? error.type, param: field ? rename(field) : null } };
}

/** The one way this door answers an error: OpenAI's envelope and status, Retry-After and x-should-retry. */
export function openaiErrorResponse(error: AppError, rename?: (field: string) => string, headers: Record<string, string> = {}): Response {
  const all: Record<string, string> = { "x-should-retry": String(RETRYABLE.has(error.type)), ...headers };
  const retry = error.details.retry_after_seconds;
  if (retry !== undefined) all["retry-after"] = String(retry);
  return Response.json(errorEnvelope(error, rename), { status: openaiStatus(error), headers: all });
}

/** The 404 of a path this door does not serve. */
export function unknownEndpoint(method: string, path: string): AppError {
  return new AppError("not_found", `Unknown endpoint ${method} ${path}; this door serves /v1/images/generations, /v1/images/edits, /v1/audio/speech, /v1/videos and /v1/models`);
}
