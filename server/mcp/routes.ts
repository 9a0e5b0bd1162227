// /mcp: the MCP tools over Streamable HTTP inside the daemon, behind the app's Host/Origin/token guard. One session
// per client (an Mcp-Session-Id): its own server, so the client's name from its handshake is recorded with every
// request, and the server can ask that client for its roots and stream its progress notifications.
import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Elysia } from "elysia";
import type { AppDeps } from "../deps.ts";
import { localBackend } from "./backend.ts";
import type { Principal } from "../tokens/access.ts";
import { principalOf } from "../tokens/request.ts";
import type { FileUrl } from "../media/responses.ts";
import { deliveryOf } from "../media/routes.ts";

/** The MCP SDK and the tools, loaded on the first /mcp request: a daemon nobody reaches over MCP never holds them. */
const mcpModules = async () => {
  const [{ WebStandardStreamableHTTPServerTransport }, { createMcpServer }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
    import("./tools.ts"),
  ]);
  return { WebStandardStreamableHTTPServerTransport, createMcpServer };
};

/** Sessions kept at once; the least recently used idle one is closed to make room. */
export const MAX_MCP_SESSIONS = 64;
/** A session with no request for this long is closed, in minutes. */
export const MCP_SESSION_IDLE_MINUTES = 60;

interface Session {
  server: McpServer;
  transport: WebStandardStreamableHTTPServerTransport;
  /** When it last received a request (ms since the epoch). */
  seen: number;
  /** Requests and tool calls in progress: a session in the middle of one is never closed to make room. */
  busy: number;
  /** The token that opened it (its id; "" without a person token): only that token may use the session. */
  tokenId: string;
  /** Who sent its latest request (the same token, with its limits as they are now): its tool calls are recorded under them. */
  principal: Principal;
  /** Where its latest request came from: a remote caller's results stay in the daemon's store, with download URLs on its origin. */
  delivery: { remote: boolean; fileUrl: FileUrl };
}

/** A JSON-RPC error answer, the transport's own shape. */
function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}

/** Limits of the session table (tests make them small). */
export interface SessionLimits {
  now?: () => number;
  maxSessions?: number;
  idleMinutes?: number;
}

/** The sessions of the daemon's /mcp and the handler of its requests. */
export function mcpSessions(deps: AppDeps, limits: SessionLimits = {}) {
  const { now = Date.now, maxSessions = MAX_MCP_SESSIONS, idleMinutes = MCP_SESSION_IDLE_MINUTES } = limits;
  const sessions = new Map<string, Session>();

  const close = (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    void session.server.close().catch(() => {});
  };

  /** Closes sessions idle too long, then the least recently used idle ones while there is no room for one more. */
  const makeRoom = () => {
    const idleSince = now() - idleMinutes * 60_000;
    for (const [id, session] of sessions) if (session.busy === 0 && session.seen < idleSince) close(id);
    const idle = [...sessions].filter(([, s]) => s.busy === 0).sort(([, a], [, b]) => a.seen - b.seen);
    while (sessions.size >= maxSessions && idle.length > 0) close(idle.shift()![0]);
  };

  const open = async (principal: Principal, delivery: Session["delivery"]): Promise<Session> => {
    const { WebStandardStreamableHTTPServerTransport, createMcpServer } = await mcpModules();
    const session: Session = { seen: now(), busy: 0, tokenId: principal.tokenId ?? "", principal, delivery } as Session;
    session.server = createMcpServer({
      version: deps.version,
      backend: (client, mcpSession) =>
        localBackend(deps, { door: "mcp", client, session: mcpSession, principal: session.principal, remote: session.delivery.remote }, session.delivery.fileUrl),
      logError: (message) => deps.log.error(message),
      activity: (delta) => {
        session.busy += delta;
        session.seen = now();
      },
    });
    session.transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
      // The front door already held the body to server.max_body_mib (inline images make calls large).
      maxRequestBodySize: deps.config.get().server.max_body_mib * 1048576,
    });
    await session.server.connect(session.transport);
    return session;
  };

  const answer = async (session: Session, request: Request): Promise<Response> => {
    session.busy++;
    session.seen = now();
    try {
      return await session.transport.handleRequest(request);
    } finally {
      session.busy--;
      session.seen = now();
    }
  };

  return {
    /** Answers one request to /mcp. */
    async handle(request: Request): Promise<Response> {
      const id = request.headers.get("mcp-session-id");
      const principal = principalOf(deps, request);
      const delivery = deliveryOf(deps, request);
      if (id) {
        const session = sessions.get(id);
        // A session is its opener's: another token sees it as absent (it cannot spend under someone else's name).
        if (!session || session.tokenId !== (principal.tokenId ?? "")) return rpcError(404, -32001, "Session not found; start a new one with an initialize request");
        session.principal = principal;
        session.delivery = delivery;
        return answer(session, request);
      }
      if (request.method !== "POST") return rpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
      makeRoom();
      if (sessions.size >= maxSessions) return rpcError(503, -32000, `Too many MCP sessions in use (${maxSessions}); retry later`);
      const session = await open(principal, delivery);
      const response = await answer(session, request);
      // Anything but an initialize request leaves the new session unused.
      if (!session.transport.sessionId) await session.server.close().catch(() => {});
      return response;
    },
    /** Open sessions (for tests and health). */
    get size(): number {
      return sessions.size;
    },
    /** Closes every session (daemon shutdown). */
    closeAll(): void {
      for (const id of [...sessions.keys()]) close(id);
    },
  };
}

/** `POST`, `GET` and `DELETE /mcp`: MCP's Streamable HTTP transport. */
export const mcpRoutes = (deps: AppDeps) => {
  const sessions = mcpSessions(deps);
  return new Elysia({ name: "mcp" })
    .post("/mcp", ({ request }) => sessions.handle(request), { parse: "none" })
    .get("/mcp", ({ request }) => sessions.handle(request))
    .delete("/mcp", ({ request }) => sessions.handle(request));
};
