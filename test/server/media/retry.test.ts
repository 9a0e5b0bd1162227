// Which failures are retried, how long to wait, and the retry loop's bounds.
import { describe, expect, test } from "bun:test";
import { AppError } from "../../../server/errors.ts";
import { backoffMs, isRetryable, withRetries, type AttemptRecord } from "../../../server/media/retry.ts";

const notSent = () => Object.assign(new AppError("network_error", "refused"), { requestNotSent: true });

describe("isRetryable", () => {
  test.each([
    ["rate_limited", new AppError("rate_limited", "", { upstream_status: 429 }), true],
    ["overloaded", new AppError("overloaded", "", { upstream_status: 503 }), true],
    ["api_error 500", new AppError("api_error", "", { upstream_status: 500 }), true],
    ["api_error 400", new AppError("api_error", "", { upstream_status: 400 }), false],
    ["connection refused (not sent)", notSent(), true],
    ["connection dropped after sending", new AppError("network_error", "reset"), false],
    ["timeout", new AppError("timeout"), false],
    ["content_filtered", new AppError("content_filtered"), false],
    ["auth_required", new AppError("auth_required"), false],
    ["insufficient_credits", new AppError("insufficient_credits"), false],
  ])("%s -> %p", (_name, error, expected) => {
    expect(isRetryable(error)).toBe(expected);
  });
});

describe("backoffMs", () => {
  test("exponential with full jitter between half and all of the ceiling", () => {
    expect(backoffMs(1, undefined, () => 0)).toBe(500);
    expect(backoffMs(1, undefined, () => 1)).toBe(1000);
    expect(backoffMs(3, undefined, () => 1)).toBe(4000);
  });

  test("capped at a minute", () => {
    expect(backoffMs(20, undefined, () => 1)).toBe(60_000);
  });

  test("never shorter than the provider's Retry-After or retryDelay", () => {
    expect(backoffMs(1, 12, () => 0)).toBe(12_000);
  });
});

describe("withRetries", () => {
  const policy = (overrides: Partial<Parameters<typeof withRetries>[1]> = {}) => {
    const attempts: AttemptRecord[] = [];
    return { attempts, policy: { maxAttempts: 3, deadline: Date.now() + 10_000, signal: new AbortController().signal, onAttempt: (r: AttemptRecord) => attempts.push(r), random: () => 0, ...overrides } };
  };

  test("retries a retryable failure and records every attempt", async () => {
    const { attempts, policy: p } = policy();
    let calls = 0;
    const result = await withRetries(async () => {
      calls++;
      if (calls < 3) throw notSent();
      return "ok";
    }, p);
    expect(result).toBe("ok");
    expect(attempts.map((a) => [a.n, a.error?.type ?? "ok", a.retryInMs])).toEqual([
      [1, "network_error", 500],
      [2, "network_error", 1000],
      [3, "ok", undefined],
    ]);
  });

  test("stops at maxAttempts and throws the last error", async () => {
    const { attempts, policy: p } = policy({ maxAttempts: 2 });
    await expect(withRetries(async () => Promise.reject(notSent()), p)).rejects.toMatchObject({ type: "network_error" });
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.retryInMs).toBeUndefined();
  });

  test("does not retry what is not retryable", async () => {
    const { attempts, policy: p } = policy();
    await expect(withRetries(async () => Promise.reject(new AppError("timeout")), p)).rejects.toMatchObject({ type: "timeout" });
    expect(attempts).toHaveLength(1);
  });

  test("does not start a wait that would end past the deadline", async () => {
    const { attempts, policy: p } = policy({ deadline: Date.now() + 100 });
    const started = Date.now();
    await expect(withRetries(async () => Promise.reject(new AppError("rate_limited", "", { retry_after_seconds: 5 })), p)).rejects.toMatchObject({ type: "rate_limited" });
    expect(Date.now() - started).toBeLessThan(100);
    expect(attempts).toHaveLength(1);
  });

  test("an abort during the wait ends it with the abort reason", async () => {
    const controller = new AbortController();
    const { policy: p } = policy({ signal: controller.signal });
    setTimeout(() => controller.abort(new AppError("interrupted")), 20);
    await expect(withRetries(async () => Promise.reject(new AppError("rate_limited", "", { retry_after_seconds: 5 })), p)).rejects.toMatchObject({ type: "interrupted" });
  });
});
