// Requests refused before any provider call: recorded as `refused`, folded per caller, capped per hour, filtered.
import { describe, expect, test } from "bun:test";
import { MAX_REFUSED_ROWS_PER_HOUR, REFUSAL_FOLD_MS } from "../../../server/defaults.ts";
import type { Refusal } from "../../../server/ledger/ledger.ts";
import { BACKENDS, openStorage, type Backend } from "../../storage.ts";

const refusal = (overrides: Partial<Refusal> = {}): Refusal => ({
  type: "image",
  model: "gpt-image-1",
  provider: "openai",
  prompt: "a cat",
  errorType: "budget_exceeded",
  error: "Refused before calling the provider: the daily limit is $1.00",
  door: "mcp",
  client: "claude-code",
  sessionId: "s-1",
  ...overrides,
});

/** An empty ledger on `backend` with a clock the test moves. */
async function ledgerOn(backend: Backend, start = Date.UTC(2026, 10, 29, 10, 0, 0)) {
  const clock = { now: start };
  const storage = await openStorage(backend, () => clock.now);
  return { storage, clock, ledger: storage.ledger };
}

describe.each(BACKENDS)("refused requests on %s", (backend) => {
  const ledgerAt = () => ledgerOn(backend);

  test("a refusal is a row with status refused, its error, its caller and no cost", async () => {
    const { ledger } = await ledgerAt();
    const id = (await ledger.refuse(refusal()));
    const row = (await ledger.get(id))!;
    expect(row).toMatchObject({
      status: "refused",
      error_type: "budget_exceeded",
      door: "mcp",
      client: "claude-code",
      session_id: "s-1",
      cost_usd: null,
      refusal_count: 1,
      billed_failure: false,
      prompt: "a cat",
    });
  });

  test("repeats of one caller, type and error within the fold window share a row; later ones start another", async () => {
    const { ledger, clock } = await ledgerAt();
    const first = (await ledger.refuse(refusal()));
    clock.now += 1000;
    expect((await ledger.refuse(refusal({ error: "second message" })))).toBe(first);
    expect(await ledger.get(first)).toMatchObject({ refusal_count: 2, error: "second message" });
    // Another error type or another session is its own row.
    expect((await ledger.refuse(refusal({ errorType: "queue_full" })))).not.toBe(first);
    expect((await ledger.refuse(refusal({ sessionId: "s-2" })))).not.toBe(first);
    clock.now += REFUSAL_FOLD_MS + 1;
    expect((await ledger.refuse(refusal()))).not.toBe(first);
  });

  test("a flood of distinct callers writes at most MAX_REFUSED_ROWS_PER_HOUR rows an hour, and counts every refusal", async () => {
    const { ledger, storage, clock } = await ledgerAt();
    const total = MAX_REFUSED_ROWS_PER_HOUR * 3;
    for (let i = 0; i < total; i++) {
      await ledger.refuse(refusal({ sessionId: `flood-${i}` }));
      clock.now += 5;
    }
    const [rows] = await storage.rows("SELECT count(*) AS n, sum(refusal_count) AS refusals FROM generations");
    expect(Number(rows!.n)).toBe(MAX_REFUSED_ROWS_PER_HOUR);
    expect(Number(rows!.refusals)).toBe(total);
    // The next hour starts a new allowance.
    clock.now += 3_600_000;
    await ledger.refuse(refusal({ sessionId: "next-hour" }));
    expect(Number((await storage.rows("SELECT count(*) AS n FROM generations"))[0]!.n)).toBe(MAX_REFUSED_ROWS_PER_HOUR + 1);
  });

  test("status=refused lists refusals only and status=failed leaves them out; client and session filter", async () => {
    const { ledger } = await ledgerAt();
    const refused = (await ledger.refuse(refusal()));
    const failed = (await ledger.start({ type: "image", model: "m", provider: "p", prompt: "x", params: {}, door: "api", client: "curl/8", sessionId: "s-9" }));
    await ledger.fail(failed, { status: "failed", error: "bad", errorType: "api_error" });
    expect((await ledger.list({ status: "refused" })).items.map((g) => g.id)).toEqual([refused]);
    expect((await ledger.list({ status: "failed" })).items.map((g) => g.id)).toEqual([failed]);
    expect((await ledger.list({ client: "curl/8" })).items.map((g) => g.id)).toEqual([failed]);
    expect((await ledger.list({ session: "s-1" })).items.map((g) => g.id)).toEqual([refused]);
    expect((await ledger.list({ door: "mcp", status: "refused" })).items.map((g) => g.id)).toEqual([refused]);
  });

  test("a failure after the provider charged is marked as a billed failure", async () => {
    const { ledger } = await ledgerAt();
    const id = (await ledger.start({ type: "image", model: "m", provider: "p", prompt: "x", params: {} }));
    await ledger.fail(id, { status: "failed", error: "could not save", errorType: "storage_error", cost: { costUsd: 0.04, source: "catalog" } });
    expect(await ledger.get(id)).toMatchObject({ status: "failed", billed_failure: true, cost_usd: 0.04 });
  });

  test("a refusal folded into a row deleted meanwhile starts that row again instead of being lost", async () => {
    const { ledger, clock } = await ledgerAt();
    const first = await ledger.refuse(refusal());
    expect(await ledger.remove(first)).toBe(true);
    clock.now += 1000;
    expect(await ledger.refuse(refusal())).toBe(first);
    expect(await ledger.get(first)).toMatchObject({ status: "refused", refusal_count: 1 });
  });
});
