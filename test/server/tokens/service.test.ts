import { describe, expect, test } from "bun:test";
import { hashToken, LAST_USED_WRITE_MS, TOKEN_PREFIX, TokenService } from "../../../server/tokens/service.ts";
import { TokenCreate } from "../../../server/tokens/schema.ts";
import { rejection } from "../../helpers.ts";
import { BACKENDS, openStorage } from "../../storage.ts";

const input = (fields: Record<string, unknown>) => TokenCreate.parse(fields);

describe.each(BACKENDS)("TokenService on %s", (backend) => {
  /** A token service on an empty database, with the store and the rows beneath it. */
  async function service(now = () => 1_700_000_000_000) {
    const storage = await openStorage(backend);
    return { rows: storage.rows, store: storage.tokens, tokens: new TokenService(storage.tokens, now) };
  }

  test("create returns a random mg_ token once; the database keeps only its SHA-256 and a short prefix", async () => {
    const { rows, tokens } = await service();
    const created = (await tokens.create(input({ name: "alice", team: "backend", budget_daily_usd: 2 }), true));
    expect(created.token).toMatch(/^mg_[A-Za-z0-9_-]{43}$/);
    expect(created.token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(created).toMatchObject({ name: "alice", team: "backend", role: "member", budget_daily_usd: 2, budget_monthly_usd: null, revoked_at: null });
    expect(created.prefix).toBe(created.token.slice(0, 7));
    const [row] = await rows("SELECT * FROM tokens");
    if (!row) throw new Error("no token row");
    expect(row.hash).toBe(hashToken(created.token));
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.token);
    const other = (await tokens.create(input({ name: "bob" }), true));
    expect(other.token).not.toBe(created.token);
  });

  test("list shows every token without its secret, active ones first", async () => {
    const { tokens } = await service();
    const alice = (await tokens.create(input({ name: "alice" }), true));
    const bob = (await tokens.create(input({ name: "bob", role: "admin" }), true));
    await tokens.revoke("alice", true);
    const list = (await tokens.list());
    expect(list.items.map((t) => [t.name, t.revoked_at === null])).toEqual([
      ["bob", true],
      ["alice", false],
    ]);
    expect(JSON.stringify(list)).not.toContain(alice.token);
    expect(JSON.stringify(list)).not.toContain(bob.token);
  });

  test("identify knows an active token without reading the database, and forgets it the moment it is revoked", async () => {
    const { store, tokens } = await service();
    const created = (await tokens.create(input({ name: "alice", team: "backend" }), true));
    let reads = 0;
    const lookup = store.findActiveByHash.bind(store);
    store.findActiveByHash = async (hash) => {
      reads++;
      return lookup(hash);
    };
    for (let i = 0; i < 5; i++) expect(tokens.identify(created.token)).toMatchObject({ via: "token", role: "member", name: "alice", team: "backend", tokenId: created.id });
    expect(reads).toBe(0);
    expect(tokens.identify(`${created.token}x`)).toBeUndefined();
    await tokens.revoke(created.id, true);
    expect(tokens.identify(created.token)).toBeUndefined();
  });

  test("revoke by id or by name; an unknown or already revoked one is not_found", async () => {
    const { tokens } = await service();
    const a = (await tokens.create(input({ name: "alice" }), true));
    await tokens.create(input({ name: "bob" }), true);
    expect((await tokens.revoke(a.id, true)).revoked_at).not.toBeNull();
    expect((await tokens.revoke("bob", true)).name).toBe("bob");
    expect((await rejection(tokens.revoke("bob", true))).type).toBe("not_found");
    expect((await rejection(tokens.revoke("nobody", true))).message).toContain('"nobody"');
  });

  test("names are unique among active tokens; a revoked name may be given again", async () => {
    const { tokens } = await service();
    await tokens.create(input({ name: "alice" }), true);
    const error = await rejection(tokens.create(input({ name: "alice" }), true));
    expect(error.details.field).toBe("name");
    await tokens.revoke("alice", true);
    expect((await tokens.create(input({ name: "alice" }), true)).name).toBe("alice");
  });

  test("without server.token the first token must be an admin, and the last admin cannot be revoked while others remain", async () => {
    const { tokens } = await service();
    const first = await rejection(tokens.create(input({ name: "alice" }), false));
    expect(first.details).toMatchObject({ field: "role", allowed: ["admin"] });
    await tokens.create(input({ name: "root", role: "admin" }), false);
    await tokens.create(input({ name: "alice" }), false);
    expect((await rejection(tokens.revoke("root", false))).message).toContain("last admin token");
    expect((await tokens.revoke("root", true)).name).toBe("root");
  });

  test("setBudget changes a token's own limits from the next request on; a left-out field is kept, null removes it", async () => {
    const { tokens } = await service();
    const made = (await tokens.create(input({ name: "alice", budget_daily_usd: 1, budget_monthly_usd: 10 }), true));
    expect(tokens.identify(made.token)).toMatchObject({ budgetDailyUsd: 1, budgetMonthlyUsd: 10 });
    expect(await tokens.setBudget("alice", { budget_daily_usd: 3 })).toMatchObject({ budget_daily_usd: 3, budget_monthly_usd: 10 });
    expect(tokens.identify(made.token)).toMatchObject({ budgetDailyUsd: 3, budgetMonthlyUsd: 10 });
    expect(await tokens.setBudget(made.id, { budget_monthly_usd: null })).toMatchObject({ budget_daily_usd: 3, budget_monthly_usd: null });
    expect((await tokens.list()).items[0]).toMatchObject({ budget_daily_usd: 3, budget_monthly_usd: null });
    await tokens.revoke("alice", true);
    expect((await rejection(tokens.setBudget("alice", { budget_daily_usd: 1 }))).type).toBe("not_found");
  });

  test("load reads the active tokens a restart (or another daemon) finds in the database", async () => {
    const { store, tokens } = await service();
    const made = await tokens.create(input({ name: "alice", team: "backend" }), true);
    await tokens.create(input({ name: "bob" }), true);
    await tokens.revoke("bob", true);
    const restarted = new TokenService(store);
    expect(restarted.identify(made.token)).toBeUndefined();
    await restarted.load();
    expect(restarted.identify(made.token)).toMatchObject({ name: "alice", team: "backend" });
    expect(restarted.anyActive()).toBe(true);
    await tokens.revoke("alice", true);
    await restarted.load();
    expect(restarted.identify(made.token)).toBeUndefined();
    expect(restarted.anyActive()).toBe(false);
  });

  test("identify notes a token's last use, written at most once a minute per token; an older time never replaces a newer one", async () => {
    const start = 1_700_000_000_000;
    let clock = start;
    const { store, tokens } = await service(() => clock);
    const alice = await tokens.create(input({ name: "alice" }), true);
    const bob = await tokens.create(input({ name: "bob" }), true);
    const lastUsed = async () => Object.fromEntries((await tokens.list()).items.map((t) => [t.name, t.last_used_at]));
    expect(await lastUsed()).toEqual({ alice: null, bob: null });
    const writes: [string, number][] = [];
    const touch = store.touch.bind(store);
    store.touch = async (id, at) => {
      writes.push([id, at]);
      return touch(id, at);
    };
    for (let second = 0; second < 30; second++) {
      expect(tokens.identify(alice.token)?.name).toBe("alice");
      clock += 1000;
    }
    tokens.identify(bob.token);
    tokens.identify(bob.token);
    await tokens.settled();
    expect(writes).toEqual([[alice.id, start], [bob.id, start + 30_000]]);
    expect(await lastUsed()).toEqual({ alice: new Date(start).toISOString(), bob: new Date(start + 30_000).toISOString() });
    clock = start + LAST_USED_WRITE_MS;
    tokens.identify(alice.token);
    tokens.identify(bob.token);
    await tokens.settled();
    expect(writes.length).toBe(3);
    expect((await lastUsed()).alice).toBe(new Date(start + LAST_USED_WRITE_MS).toISOString());
    expect(tokens.identify("mg_unknown")).toBeUndefined();
    await tokens.settled();
    expect(writes.length).toBe(3);
    // Another daemon on the same database whose clock is behind does not move it back.
    await touch(alice.id, start + 1000);
    expect((await lastUsed()).alice).toBe(new Date(start + LAST_USED_WRITE_MS).toISOString());
  });

  test("anyActive follows creates and revokes", async () => {
    const { tokens } = await service();
    expect(tokens.anyActive()).toBe(false);
    await tokens.create(input({ name: "alice" }), true);
    expect(tokens.anyActive()).toBe(true);
    await tokens.revoke("alice", true);
    expect(tokens.anyActive()).toBe(false);
  });

  test("bad input names the field", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, "name"],
      [{ name: "" }, "name"],
      [{ name: "a b" }, "name"],
      [{ name: "x".repeat(65) }, "name"],
      [{ name: "alice", role: "owner" }, "role"],
      [{ name: "alice", budget_daily_usd: -1 }, "budget_daily_usd"],
      [{ name: "alice", budget_monthly_usd: "5" }, "budget_monthly_usd"],
      [{ name: "alice", extra: 1 }, ""],
    ];
    for (const [body, field] of cases) {
      const result = TokenCreate.safeParse(body);
      expect(result.success).toBe(false);
      expect(result.error!.issues[0]!.path.join(".")).toBe(field);
    }
  });
});
