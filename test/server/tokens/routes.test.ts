// Tokens through the HTTP API (app.handle, real SQLite, the fake openclacky gateway): created, listed and revoked by
// an admin, refused to members; each door records the token's owner; History and Costs filter by owner and team;
// budgets per token and per team refuse before the provider is called, naming whose.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";

const SERVER_TOKEN = "server-token-0123456789";
let fake: FakeClacky;
let h: Harness;

beforeAll(() => {
  fake = startFakeClacky();
  const once = { max_attempts: 1 };
  h = createHarness({
    config: { ...clackyConfig(fake.url, fake.key), server: { token: SERVER_TOKEN }, jobs: { image: once, video: once, audio: once }, budget: { per_team: { design: { daily_usd: 0.05 }, ops: { daily_usd: 1, monthly_usd: 10 } } } },
  });
  mkdirSync(h.workDir, { recursive: true });
});
afterAll(async () => {
  h[Symbol.dispose]();
  await fake.close();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const admin = as(SERVER_TOKEN);

/** Creates a token through the API as the admin and returns its secret and id. */
async function makeToken(body: Record<string, unknown>): Promise<{ token: string; id: string }> {
  const made = await h.post("/api/tokens", body, admin);
  expect(made.status).toBe(201);
  return { token: made.body.token, id: made.body.id };
}

async function send(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await h.call(path, { method, headers: { "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe("/api/tokens", () => {
  test("an admin creates, lists and revokes; the secret is shown once; a revoked token is refused at once", async () => {
    const { token, id } = await makeToken({ name: "carol", team: "qa", role: "member", budget_monthly_usd: 10 });
    expect(token).toMatch(/^mg_/);
    const list = await h.get("/api/tokens", admin);
    expect(list.status).toBe(200);
    expect(list.body.items.find((t: { id: string }) => t.id === id)).toMatchObject({ name: "carol", team: "qa", role: "member", budget_monthly_usd: 10, revoked_at: null, prefix: token.slice(0, 7) });
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect((await h.get("/api/tokens/me", as(token))).body).toEqual({ via: "token", role: "member", name: "carol", team: "qa", spend: { daily_usd: null, monthly_usd: 10, spent_today_usd: 0, spent_month_usd: 0 }, team_spend: null });
    expect((await h.get("/api/generations", as(token))).status).toBe(200);
    const revoked = await send("DELETE", "/api/tokens/carol", admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    const refused = await h.get("/api/generations", as(token));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toContain("revoked");
  });

  test("a name in Chinese is created and revoked by that name", async () => {
    await makeToken({ name: "张三", team: "设计" });
    const revoked = await send("DELETE", `/api/tokens/${encodeURIComponent("张三")}`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ name: "张三", team: "设计" });
  });

  test("bad input is a 400 naming the field; an unknown token to revoke is a 404", async () => {
    const bad = await h.post("/api/tokens", { name: "dave", role: "owner" }, admin);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error_type: "invalid_argument", field: "role" });
    expect((await h.post("/api/tokens", { name: "dave", budget_daily_usd: 0 }, admin)).body.field).toBe("budget_daily_usd");
    expect((await send("DELETE", "/api/tokens/nobody", admin)).status).toBe(404);
  });

  test("members get 403 forbidden on tokens and model edits, and see only masked keys", async () => {
    const { token } = await makeToken({ name: "erin" });
    const member = as(token);
    for (const [method, path, body] of [
      ["GET", "/api/tokens", undefined],
      ["POST", "/api/tokens", { name: "x" }],
      ["DELETE", "/api/tokens/erin", undefined],
      ["PUT", "/api/config/models/0", { name: "img" }],
      ["POST", "/api/config/models", { type: "image", provider: "openclacky", model: "m" }],
      ["DELETE", "/api/config/models/0", undefined],
      ["POST", "/api/config/models/0/default", undefined],
    ] as const) {
      const answer = await send(method, path, member, body);
      expect([method, path, answer.status, answer.body.error_type]).toEqual([method, path, 403, "forbidden"]);
      expect(answer.body.error).toContain("Only an admin");
    }
    const models = await h.get("/api/config/models", member);
    expect(models.status).toBe(200);
    expect(JSON.stringify(models.body)).not.toContain(fake.key);
    expect(models.body.models[0].api_key.set).toBe(true);
    expect((await h.get("/api/config/models", admin)).body.models[0].api_key.masked).not.toBe(fake.key);
  });
});

describe("the ledger records each request's owner, at every door", () => {
  let alice = "";
  beforeAll(async () => {
    alice = (await makeToken({ name: "alice", team: "backend" })).token;
  });

  test("the seed API, the OpenAI API and MCP over /mcp record alice and her team; server.token records no owner", async () => {
    const seed = await h.post("/api/media/image", { prompt: "seed door", output_dir: h.workDir }, as(alice));
    expect(seed.status).toBe(200);
    const openai = await send("POST", "/v1/images/generations", as(alice), { prompt: "openai door" });
    expect(openai.status).toBe(200);
    const client = new Client({ name: "owner-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("http://127.0.0.1:7070/mcp"), { fetch: (url, init) => h.app.handle(new Request(url, init)), requestInit: { headers: as(alice) } }),
    );
    const result = await client.callTool({ name: "generate_image", arguments: { prompt: "mcp door", output_dir: h.workDir } });
    expect(result.isError).toBeFalsy();
    await client.close();
    expect((await h.post("/api/media/image", { prompt: "admin door", output_dir: h.workDir }, admin)).status).toBe(200);

    const rows = (await h.ledger.list({ limit: 200 })).items;
    const byPrompt = (prompt: string) => rows.find((g) => g.prompt === prompt)!;
    expect(byPrompt("seed door")).toMatchObject({ door: "api", owner: "alice", team: "backend" });
    expect(byPrompt("openai door")).toMatchObject({ door: "openai", owner: "alice", team: "backend" });
    expect(byPrompt("mcp door")).toMatchObject({ door: "mcp", owner: "alice", team: "backend" });
    expect(byPrompt("admin door")).toMatchObject({ owner: null, team: null });
  });

  test("an MCP session belongs to the token that opened it", async () => {
    const other = (await makeToken({ name: "mallory" })).token;
    const transport = new StreamableHTTPClientTransport(new URL("http://127.0.0.1:7070/mcp"), {
      fetch: (url, init) => h.app.handle(new Request(url, init)),
      requestInit: { headers: as(alice) },
    });
    const client = new Client({ name: "owned", version: "1.0.0" });
    await client.connect(transport);
    const sessionId = transport.sessionId!;
    const stolen = await h.call("/mcp", {
      method: "POST",
      headers: { ...as(other), "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    });
    expect(stolen.status).toBe(404);
    await client.close();
  });

  test("History and Costs filter by owner and by team", async () => {
    const mine = await h.get("/api/generations?owner=alice", admin);
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBe(3);
    expect(mine.body.items.every((g: { owner: string }) => g.owner === "alice")).toBe(true);
    expect((await h.get("/api/generations?team=backend", admin)).body.items.length).toBe(3);
    expect((await h.get("/api/generations?team=nobody", admin)).body.items).toEqual([]);
    const costs = await h.get("/api/costs/summary?owner=alice&group_by=model", admin);
    expect(costs.status).toBe(200);
    expect(costs.body.total.count).toBe(3);
    expect(costs.body.total.cost_usd).toBeCloseTo(0.12, 6);
    const team = await h.get("/api/costs/summary?team=backend", admin);
    expect(team.body.total.count).toBe(3);
    const all = await h.get("/api/costs/summary", admin);
    expect(all.body.total.count).toBeGreaterThan(3);
    expect((await h.get("/api/costs/summary?owner=", admin)).body.field).toBe("owner");
  });
});

describe("budgets per token and per team", () => {
  test("an admin changes a token's limits with PATCH; an empty or bad body is a 400", async () => {
    const { id } = await makeToken({ name: "ivy", budget_daily_usd: 1 });
    const raised = await send("PATCH", `/api/tokens/${id}`, admin, { budget_daily_usd: 4, budget_monthly_usd: 40 });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ name: "ivy", budget_daily_usd: 4, budget_monthly_usd: 40 });
    expect((await send("PATCH", "/api/tokens/ivy", admin, { budget_daily_usd: null })).body).toMatchObject({ budget_daily_usd: null, budget_monthly_usd: 40 });
    expect((await send("PATCH", "/api/tokens/ivy", admin, {})).status).toBe(400);
    expect((await send("PATCH", "/api/tokens/ivy", admin, { budget_daily_usd: -2 })).body.field).toBe("budget_daily_usd");
    expect((await send("PATCH", "/api/tokens/nobody", admin, { budget_daily_usd: 1 })).status).toBe(404);
  });

  test("a token's own daily limit refuses before the provider is called, naming the token", async () => {
    const { token } = await makeToken({ name: "frank", budget_daily_usd: 0.06 });
    expect((await h.post("/api/media/image", { prompt: "frank 1", output_dir: h.workDir }, as(token))).status).toBe(200);
    const before = fake.requests.length;
    const refused = await h.post("/api/media/image", { prompt: "frank 2", output_dir: h.workDir }, as(token));
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ error_type: "budget_exceeded", scope: "token", owner: "frank", limit_usd: 0.06, period: "daily" });
    expect(refused.body.error).toContain('token "frank"');
    expect(fake.requests.length).toBe(before);
    // The refusal is in the ledger under frank's name, so History and Costs show who was turned away.
    const refusals = (await h.ledger.list({ status: "refused", owner: "frank" })).items;
    expect(refusals.map((g) => [g.prompt, g.error_type, g.owner])).toEqual([["frank 2", "budget_exceeded", "frank"]]);
    // Others are not held to frank's limit.
    expect((await h.post("/api/media/image", { prompt: "admin after frank", output_dir: h.workDir }, admin)).status).toBe(200);
  });

  test("a team's limit (budget.per_team) counts every token of the team together", async () => {
    const gina = (await makeToken({ name: "gina", team: "design" })).token;
    const hugo = (await makeToken({ name: "hugo", team: "design" })).token;
    expect((await h.post("/api/media/image", { prompt: "gina 1", output_dir: h.workDir }, as(gina))).status).toBe(200);
    const refused = await h.post("/api/media/image", { prompt: "hugo 1", output_dir: h.workDir }, as(hugo));
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ error_type: "budget_exceeded", scope: "team", team: "design", limit_usd: 0.05 });
    expect(refused.body.error).toContain('team "design"');
    expect(refused.body.error).toContain("budget.per_team.design.daily_usd");
  });
});

describe("what a token's holder sees", () => {
  test("/api/tokens/me has the token's limits and spend today and this month, and its team's; nothing of other tokens", async () => {
    const kim = (await makeToken({ name: "kim", team: "ops", budget_daily_usd: 2, budget_monthly_usd: 20 })).token;
    const lee = (await makeToken({ name: "lee", team: "ops" })).token;
    const zero = { spent_today_usd: 0, spent_month_usd: 0 };
    expect((await h.get("/api/tokens/me", as(kim))).body).toEqual({
      via: "token",
      role: "member",
      name: "kim",
      team: "ops",
      spend: { daily_usd: 2, monthly_usd: 20, ...zero },
      team_spend: { daily_usd: 1, monthly_usd: 10, ...zero },
    });
    expect((await h.post("/api/media/image", { prompt: "kim 1", output_dir: h.workDir }, as(kim))).status).toBe(200);
    expect((await h.post("/api/media/image", { prompt: "lee 1", output_dir: h.workDir }, as(lee))).status).toBe(200);
    const costOf = async (owner: string) => (await h.ledger.list({ owner })).items.reduce((sum, g) => sum + (g.cost_usd ?? 0), 0);
    const [kimCost, leeCost] = [await costOf("kim"), await costOf("lee")];
    expect(kimCost).toBeGreaterThan(0);
    const me = (await h.get("/api/tokens/me", as(kim))).body;
    expect(me.spend.spent_today_usd).toBeCloseTo(kimCost, 6);
    expect(me.spend.spent_month_usd).toBeCloseTo(kimCost, 6);
    expect(me.team_spend.spent_today_usd).toBeCloseTo(kimCost + leeCost, 6);
    expect(JSON.stringify(me)).not.toContain("lee");
    // A token without limits of its own still sees its spend; server.token and a team no limit names see nulls.
    expect((await h.get("/api/tokens/me", as(lee))).body.spend).toEqual({ daily_usd: null, monthly_usd: null, spent_today_usd: expect.closeTo(leeCost, 6), spent_month_usd: expect.closeTo(leeCost, 6) });
    expect((await h.get("/api/tokens/me", admin)).body).toMatchObject({ via: "server-token", spend: null, team_spend: null });
    const solo = (await makeToken({ name: "max", team: "nobody-budgets-us" })).token;
    expect((await h.get("/api/tokens/me", as(solo))).body.team_spend).toBeNull();
  });

  test("the token list says when each token was last used", async () => {
    const { token } = await makeToken({ name: "nia" });
    const listed = async () => (await h.get("/api/tokens", admin)).body.items.find((t: { name: string }) => t.name === "nia");
    expect((await listed()).last_used_at).toBeNull();
    const before = Date.now();
    expect((await h.get("/api/generations", as(token))).status).toBe(200);
    await h.tokens.settled();
    const used = Date.parse((await listed()).last_used_at);
    expect(used).toBeGreaterThanOrEqual(before - 1000);
    expect(used).toBeLessThanOrEqual(Date.now() + 1000);
    // server.token's requests are nobody's token: nia's time does not move.
    expect((await h.get("/api/generations", admin)).status).toBe(200);
    await h.tokens.settled();
    expect(Date.parse((await listed()).last_used_at)).toBe(used);
  });
});

describe("a daemon without server.token", () => {
  test("needs no token until the first (admin) token exists, then requires one and says so in /api/health", async () => {
    using local = createHarness({ config: clackyConfig(fake.url, fake.key) });
    expect((await local.get("/api/health")).body.token_required).toBe(false);
    expect((await local.get("/api/tokens/me")).body).toEqual({ via: "local", role: "admin", name: null, team: null, spend: null, team_spend: null });
    const member = await local.post("/api/tokens", { name: "alice" });
    expect(member.status).toBe(400);
    expect(member.body).toMatchObject({ field: "role", allowed: ["admin"] });
    const root = await local.post("/api/tokens", { name: "root", role: "admin" });
    expect(root.status).toBe(201);
    expect((await local.get("/api/health")).body.token_required).toBe(true);
    expect((await local.get("/api/generations")).status).toBe(401);
    expect((await local.get("/api/generations", as(root.body.token))).status).toBe(200);
  });
});
