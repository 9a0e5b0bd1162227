// The /mcp session table: one session per initialize, closed on DELETE, after an idle hour, or to make room.
import { afterAll, describe, expect, test } from "bun:test";
import { mcpSessions } from "../../../server/mcp/routes.ts";
import { createHarness } from "../../helpers.ts";

const h = createHarness();
afterAll(() => h[Symbol.dispose]());

const ACCEPT = { accept: "application/json, text/event-stream", "content-type": "application/json" };
const initialize = (name: string) =>
  new Request("http://127.0.0.1:7070/mcp", {
    method: "POST",
    headers: ACCEPT,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name, version: "1" } } }),
  });
const ping = (session: string) =>
  new Request("http://127.0.0.1:7070/mcp", { method: "POST", headers: { ...ACCEPT, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" }, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }) });

describe("mcpSessions", () => {
  test("initialize opens a session, DELETE closes it; other requests without one open nothing", async () => {
    const sessions = mcpSessions({ ...h, version: "test", startedAt: 0, bindHost: "127.0.0.1" });
    const opened = await sessions.handle(initialize("a"));
    const id = opened.headers.get("mcp-session-id")!;
    expect(id).toBeTruthy();
    expect(sessions.size).toBe(1);
    expect((await sessions.handle(ping(id))).status).toBe(200);
    const notInit = await sessions.handle(new Request("http://127.0.0.1:7070/mcp", { method: "POST", headers: ACCEPT, body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }) }));
    expect(notInit.status).toBe(400);
    expect(sessions.size).toBe(1);
    const closed = await sessions.handle(new Request("http://127.0.0.1:7070/mcp", { method: "DELETE", headers: { "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" } }));
    expect(closed.status).toBe(200);
    expect(sessions.size).toBe(0);
    expect((await sessions.handle(ping(id))).status).toBe(404);
  });

  test("a session idle past the limit is closed when another opens; the least recently used makes room at the cap", async () => {
    let clock = 0;
    const sessions = mcpSessions({ ...h, version: "test", startedAt: 0, bindHost: "127.0.0.1" }, { now: () => clock, maxSessions: 2, idleMinutes: 60 });
    const first = (await sessions.handle(initialize("first"))).headers.get("mcp-session-id")!;
    clock += 1000;
    const second = (await sessions.handle(initialize("second"))).headers.get("mcp-session-id")!;
    clock += 1000;
    await sessions.handle(ping(first));
    const third = (await sessions.handle(initialize("third"))).headers.get("mcp-session-id")!;
    expect(sessions.size).toBe(2);
    expect((await sessions.handle(ping(second))).status).toBe(404);
    expect((await sessions.handle(ping(first))).status).toBe(200);
    clock += 61 * 60_000;
    await sessions.handle(initialize("fourth"));
    expect(sessions.size).toBe(1);
    expect((await sessions.handle(ping(third))).status).toBe(404);
  });
});
