// The one error catalogue: every error_type the API can answer with, its HTTP status and default message.
import type { Meter } from "./costs/price-schema.ts";

/** Every error_type mediagen can return, with its HTTP status and a default message. */
export const ERROR_CATALOGUE = {
  invalid_argument: { status: 400, message: "A request field is invalid." },
  unauthorized: { status: 401, message: "This daemon requires `Authorization: Bearer <token>` (server.token in config.yml, or a token an admin made with `mediagen token create`)." },
  forbidden: { status: 403, message: "Request refused by the localhost guard, or reserved to admins." },
  not_found: { status: 404, message: "No such resource." },
  insufficient_credits: { status: 402, message: "The provider account has no credit or quota left; top it up." },
  budget_exceeded: { status: 402, message: "This request would pass a spending limit set under budget: in config.yml." },
  cancelled: { status: 409, message: "The job was cancelled." },
  not_cancellable: { status: 409, message: "The job can no longer be cancelled." },
  idempotency_conflict: { status: 409, message: "This Idempotency-Key was already used with a different request body." },
  payload_too_large: { status: 413, message: "The request body is larger than the daemon accepts." },
  range_not_satisfiable: { status: 416, message: "The requested byte range is outside the file." },
  unknown_model: { status: 400, message: "The provider does not recognise the configured model; fix its name in the settings page." },
  not_configured: { status: 422, message: "No model is configured for this media type." },
  not_implemented: { status: 422, message: "The configured provider cannot do this." },
  no_desktop: { status: 422, message: "This daemon cannot open folders on this machine; copy the path instead." },
  auth_required: { status: 422, message: "No API key is configured for this model." },
  content_filtered: { status: 422, message: "The provider refused the request on safety grounds." },
  rate_limited: { status: 429, message: "The provider is rate limiting requests; retry later." },
  queue_full: { status: 429, message: "Too many requests are waiting for this media type; retry later." },
  api_error: { status: 502, message: "The provider answered with an error." },
  network_error: { status: 502, message: "The provider could not be reached." },
  invalid_response: { status: 502, message: "The provider's answer could not be understood." },
  empty_response: { status: 502, message: "The provider answered without any media." },
  overloaded: { status: 503, message: "The provider is overloaded; retry later." },
  interrupted: { status: 503, message: "The daemon stopped before the generation finished." },
  file_unavailable: { status: 503, message: "The file is kept by another daemon of this service, which is not answering; retry once it is back." },
  storage_error: { status: 503, message: "The daemon could not write to its disk (full, read-only or removed); see /api/health." },
  timeout: { status: 504, message: "The provider did not answer in time." },
  internal: { status: 500, message: "Internal error; see the daemon's log." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorType = keyof typeof ERROR_CATALOGUE;

/** Extra, machine-readable facts an error can carry into the response body. */
export interface ErrorDetails {
  /** The request field at fault (`prompt`, `images[1]`, `models[0].type`). */
  field?: string;
  /** The values the field accepts. */
  allowed?: readonly (string | number)[];
  /** HTTP status the provider answered with. */
  upstream_status?: number;
  /** Seconds the caller should wait before retrying. */
  retry_after_seconds?: number;
  /** What the provider charged for a request that still failed (a refused but processed prompt). */
  cost_usd?: number;
  /** budget_exceeded: the limit, what is spent or committed, the request's estimate, and which limit. */
  limit_usd?: number;
  spent_usd?: number;
  estimated_usd?: number;
  period?: "daily" | "monthly";
  scope?: string;
  /** budget_exceeded by a token's or a team's own limit: whose (the token's name, or the team). */
  owner?: string;
  team?: string;
  /** Overrides the catalogue status (e.g. auth_required is 502 when the provider rejected the key). */
  status?: number;
}

/**
 * What a provider had already done (and billed) when a later step failed: the Veo operation finished but its
 * download broke, a timeout hit after the operation ended. Kept so the failed job still records its cost.
 */
export interface Billed {
  costUsd?: number;
  meter?: Meter;
  usage?: Record<string, unknown>;
}

/** An error with a catalogue type; the only kind of error the API turns into a client-facing message. */
export class AppError extends Error {
  /** True when the request provably never reached the provider (connection refused, DNS), so a retry cannot double-charge. */
  requestNotSent = false;
  /** Set when the provider had already produced (and billed) the result this error lost. */
  billed?: Billed;

  constructor(
    readonly type: ErrorType,
    message: string = ERROR_CATALOGUE[type].message,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = "AppError";
  }

  /** The HTTP status this error is answered with. */
  get status(): number {
    return this.details.status ?? ERROR_CATALOGUE[this.type].status;
  }

  /** The JSON fields every error response carries: error, error_type and any details. */
  toJSON(): ErrorBody {
    const { status: _status, ...details } = this.details;
    return { error: this.message, error_type: this.type, ...details };
  }
}

/** The error fields of a response body. */
export type ErrorBody = { error: string; error_type: ErrorType } & Omit<ErrorDetails, "status">;

/**
 * The one way an error is answered: its status, Retry-After when it carries one, and the documented JSON body
 * (`success: false` and the error's fields, or the seed-shaped `body` of a media request that failed).
 */
export function errorResponse(error: AppError, headers: Record<string, string> = {}, body: Record<string, unknown> = { success: false, ...error.toJSON() }): Response {
  const retry = error.details.retry_after_seconds;
  const all = retry === undefined ? headers : { "retry-after": String(retry), ...headers };
  return Response.json(body, { status: error.status, headers: all });
}

/** A 400 naming the field and, when given, the values it accepts. */
export function invalidArgument(field: string, message: string, allowed?: readonly (string | number)[]): AppError {
  return new AppError("invalid_argument", message, allowed ? { field, allowed } : { field });
}

/** `error` as an AppError marked as billed: the provider finished the work before it failed. */
export function afterBilling(error: unknown, billed: Billed): AppError {
  const appError = toAppError(error);
  const marked = new AppError(appError.type, appError.message, appError.details);
  marked.billed = billed;
  return marked;
}

/** Turns anything thrown into an AppError; unknown exceptions become a generic `internal` that leaks nothing. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError("internal");
}
