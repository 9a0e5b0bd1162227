// Retries that can never double-charge: only when the provider provably did no billable work.
import { RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from "../defaults.ts";
import { AppError } from "../errors.ts";

/**
 * Whether a failed call may be retried: the request never reached the provider (connection refused,
 * DNS), or the provider refused it before doing any work (429, 5xx, overloaded). Never after a
 * timeout or a dropped connection on a request the provider may have processed.
 */
export function isRetryable(error: AppError): boolean {
  // The provider already produced (and billed) this result: a new attempt could pay for it again.
  if (error.billed) return false;
  if (error.type === "network_error") return error.requestNotSent;
  if (error.type === "rate_limited" || error.type === "overloaded") return true;
  const upstream = error.details.upstream_status;
  return error.type === "api_error" && upstream !== undefined && upstream >= 500;
}

/**
 * Whether a job may move on to its next fallback entry after `error`: the entry answered "not now" and provably
 * charged nothing (overloaded, rate limited past its retries, never reached, a 5xx before any work, no key
 * configured). Never after a billed answer, a reported cost, a refusal, bad input or a timeout.
 */
export function fallsThrough(error: AppError): boolean {
  if (error.billed || error.details.cost_usd !== undefined) return false;
  // auth_required is 422 when no key is configured here, 502 (details.status) when the provider rejected the key.
  if (error.type === "auth_required") return error.status === 422;
  return isRetryable(error);
}

/**
 * Delay before retry `attempt` (1 = the first retry): exponential with full jitter, capped, and never
 * shorter than the provider's Retry-After / retryDelay.
 */
export function backoffMs(attempt: number, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
  const jittered = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}

/** One call's result, as retries see it. */
export interface AttemptRecord {
  n: number;
  startedAt: number;
  finishedAt: number;
  error?: AppError;
  retryInMs?: number;
}

/** How a job's calls are retried. */
export interface RetryPolicy {
  maxAttempts: number;
  /** Absolute time (ms) after which no new attempt starts. */
  deadline: number;
  signal: AbortSignal;
  onAttempt(record: AttemptRecord): void;
  /** Whether retrying is still safe (e.g. false once a long-running operation exists at the provider). */
  mayRetry?(): boolean;
  random?: () => number;
  now?: () => number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `call` until it succeeds, fails for good, runs out of attempts, or the next wait would pass the deadline. */
export async function withRetries<T>(call: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const now = policy.now ?? Date.now;
  for (let n = 1; ; n++) {
    const startedAt = now();
    try {
      const result = await call();
      policy.onAttempt({ n, startedAt, finishedAt: now() });
      return result;
    } catch (thrown) {
      const error = thrown instanceof AppError ? thrown : undefined;
      const retry = error && n < policy.maxAttempts && isRetryable(error) && (policy.mayRetry?.() ?? true);
      const wait = retry ? backoffMs(n, error.details.retry_after_seconds, policy.random) : undefined;
      const inTime = wait !== undefined && now() + wait < policy.deadline;
      policy.onAttempt({ n, startedAt, finishedAt: now(), error, retryInMs: inTime ? wait : undefined });
      if (!inTime) throw thrown;
      await sleep(wait, policy.signal);
    }
  }
}
