import { describe, expect, test } from "bun:test";
import { hostname, networkInterfaces } from "node:os";
import type { ErrorType } from "../../../server/errors.ts";
import { createGuard, type GuardOptions, hostOf, identify, isLoopback } from "../../../server/http/guard.ts";
import { openDatabase } from "../../../server/ledger/database.ts";
import { TokenService } from "../../../server/tokens/service.ts";
import { SqliteTokenStore } from "../../../server/tokens/store.ts";
import { TokenCreate } from "../../../server/tokens/schema.ts";

const TOKEN = "0123456789abcdef-token";

function guard(options: Partial<GuardOptions> = {}) {
  return createGuard({ bindHost: "127.0.0.1", allowedHosts: () => [], token: () => undefined, ...options });
}

/** A request to `path` with the given headers. */
function request(headers: Record<string, string>, path = "/api/media/image"): Request {
  return new Request(`http://127.0.0.1:7070${path}`, { headers });
}

/** The error type the guard answers `headers` with, or "ok". */
function verdict(check: ReturnType<typeof guard>, headers: Record<string, string>, path = "/api/media/image"): ErrorType | "ok" {
  return check(request(headers, path), path)?.type ?? "ok";
}

describe("Host header", () => {
  const cases: [string, ErrorType | "ok"][] = [
    ["127.0.0.1:7070", "ok"],
    ["127.0.0.1", "ok"],
    ["127.1.2.3:7070", "ok"],
    ["localhost:7070", "ok"],
    ["LOCALHOST:7070", "ok"],
    ["localhost", "ok"],
    ["[::1]:7070", "ok"],
    ["[::1]", "ok"],
    ["foo.localhost:7070", "ok"],
    ["app.foo.localhost", "ok"],
    ["evil.com", "forbidden"],
    ["evil.com:7070", "forbidden"],
    ["localhost.evil.com:7070", "forbidden"],
    ["127.0.0.1.evil.com", "forbidden"],
    ["192.168.1.9:7070", "forbidden"],
    ["0.0.0.0:7070", "forbidden"],
    ["[::2]:7070", "forbidden"],
  ];
  test.each(cases)("Host %s -> %s", (host, expected) => {
    expect(verdict(guard(), { host })).toBe(expected);
  });

  test("a refusal says which host and how to allow it", () => {
    const error = guard()(request({ host: "evil.com:7070" }), "/api/media/image");
    expect(error?.status).toBe(403);
    expect(error?.message).toContain('"evil.com:7070"');
    expect(error?.message).toContain("server.allowed_hosts");
  });

  test.each([
    ["10.1.2.3", "10.1.2.3:7070", "ok"],
    ["10.1.2.3", "10.1.2.4:7070", "forbidden"],
    ["[fd00::5]", "[fd00::5]:7070", "ok"],
    ["media-box", "media-box:7070", "ok"],
  ] as [string, string, ErrorType | "ok"][])("bound to %s, Host %s -> %s", (bindHost, host, expected) => {
    expect(verdict(guard({ bindHost, token: () => undefined }), { host })).toBe(expected);
  });

  test("bound to 0.0.0.0, this machine's name and interface addresses are allowed, others are not", () => {
    const check = guard({ bindHost: "0.0.0.0" });
    const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
    expect(verdict(check, { host: `${hostname()}:7070` })).toBe("ok");
    for (const address of addresses) {
      expect(verdict(check, { host: address.includes(":") ? `[${address}]:7070` : `${address}:7070` })).toBe("ok");
    }
    expect(verdict(check, { host: "evil.com:7070" })).toBe("forbidden");
  });

  test("config allowed_hosts are allowed, with or without a port, and read on every request", () => {
    const allowed: string[] = ["media.lan", "proxy.example.com:443"];
    const check = guard({ allowedHosts: () => allowed });
    expect(verdict(check, { host: "media.lan:7070" })).toBe("ok");
    expect(verdict(check, { host: "MEDIA.LAN" })).toBe("ok");
    expect(verdict(check, { host: "proxy.example.com" })).toBe("ok");
    expect(verdict(check, { host: "other.lan" })).toBe("forbidden");
    allowed.push("other.lan");
    expect(verdict(check, { host: "other.lan" })).toBe("ok");
  });
});

describe("Origin header", () => {
  const cases: [string, string, ErrorType | "ok"][] = [
    ["127.0.0.1:7070", "http://127.0.0.1:7070", "ok"],
    ["localhost:7070", "http://localhost:7070", "ok"],
    ["localhost:7070", "http://LOCALHOST:7070", "ok"],
    ["[::1]:7070", "http://[::1]:7070", "ok"],
    ["localhost:7070", "http://127.0.0.1:7070", "forbidden"],
    ["localhost:7070", "http://localhost:7071", "forbidden"],
    ["localhost:7070", "http://localhost", "forbidden"],
    ["localhost:7070", "https://evil.com", "forbidden"],
    ["localhost:7070", "http://localhost:7070.evil.com", "forbidden"],
    ["localhost:7070", "null", "forbidden"],
    ["localhost:7070", "", "forbidden"],
    ["localhost:7070", "http://", "forbidden"],
    ["localhost:7070", "not a url", "forbidden"],
  ];
  test.each(cases)("Host %s, Origin %p -> %s", (host, origin, expected) => {
    expect(verdict(guard(), { host, origin })).toBe(expected);
  });

  test("no Origin (curl, agents) is allowed", () => {
    expect(verdict(guard(), { host: "localhost:7070" })).toBe("ok");
  });

  test("a refused origin is named in the message", () => {
    const error = guard()(request({ host: "localhost:7070", origin: "https://evil.com" }), "/api/media/image");
    expect(error?.type).toBe("forbidden");
    expect(error?.message).toContain("https://evil.com");
  });
});

describe("bearer token", () => {
  const withToken = () => guard({ token: () => TOKEN });
  const cases: [string, Record<string, string>, string, ErrorType | "ok"][] = [
    ["missing", {}, "/api/media/image", "unauthorized"],
    ["wrong", { authorization: "Bearer wrong-token-wrong-token" }, "/api/media/image", "unauthorized"],
    ["a prefix of the token", { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, "/api/generations", "unauthorized"],
    ["without the Bearer scheme", { authorization: TOKEN }, "/api/media/image", "unauthorized"],
    ["as Basic auth", { authorization: `Basic ${TOKEN}` }, "/api/media/image", "unauthorized"],
    ["empty bearer", { authorization: "Bearer " }, "/api/media/image", "unauthorized"],
    ["right", { authorization: `Bearer ${TOKEN}` }, "/api/media/image", "ok"],
    ["right, lower-case scheme", { authorization: `bearer ${TOKEN}` }, "/api/costs/summary", "ok"],
    ["right, extra spaces", { authorization: `Bearer   ${TOKEN}  ` }, "/api/media/image", "ok"],
    ["missing on /api/health", {}, "/api/health", "ok"],
    ["missing on /api/health/x", {}, "/api/health/x", "unauthorized"],
  ];
  test.each(cases)("%s (%s) -> %s", (_name, headers, path, expected) => {
    expect(verdict(withToken(), { host: "127.0.0.1:7070", ...headers }, path)).toBe(expected);
  });

  test("unauthorized is a 401", () => {
    expect(withToken()(request({ host: "127.0.0.1:7070" }), "/api/generations")?.status).toBe(401);
  });

  test("a token removed from the config stops being required at once", () => {
    let token: string | undefined = TOKEN;
    const check = guard({ token: () => token });
    expect(verdict(check, { host: "127.0.0.1:7070" })).toBe("unauthorized");
    token = undefined;
    expect(verdict(check, { host: "127.0.0.1:7070" })).toBe("ok");
  });

  test("the Host check comes before the token: a right token from a foreign Host is still forbidden", () => {
    expect(verdict(withToken(), { host: "evil.com", authorization: `Bearer ${TOKEN}` })).toBe("forbidden");
  });
});

describe("person tokens beside server.token", () => {
  /** A guard over a real token service with an admin and a member token, with or without server.token. */
  async function people(serverToken: string | undefined) {
    const tokens = new TokenService(new SqliteTokenStore(openDatabase(":memory:")));
    const admin = (await tokens.create(TokenCreate.parse({ name: "root", role: "admin" }), true)).token;
    const member = (await tokens.create(TokenCreate.parse({ name: "alice", team: "backend" }), true)).token;
    return { tokens, admin, member, check: guard({ token: () => serverToken, people: tokens }) };
  }
  const bearer = (secret: string) => ({ host: "127.0.0.1:7070", authorization: `Bearer ${secret}` });
  const matrix: [string, "server" | "admin" | "member" | "none" | "wrong", string, string, ErrorType | "ok"][] = [
    ["member generates", "member", "POST", "/api/media/image", "ok"],
    ["member reads the ledger", "member", "GET", "/api/generations", "ok"],
    ["member reads masked models", "member", "GET", "/api/config/models", "ok"],
    ["member edits a model", "member", "PUT", "/api/config/models/0", "forbidden"],
    ["member adds a model", "member", "POST", "/api/config/models", "forbidden"],
    ["member tests a model", "member", "POST", "/api/config/models/test", "forbidden"],
    ["member lists tokens", "member", "GET", "/api/tokens", "forbidden"],
    ["member creates a token", "member", "POST", "/api/tokens", "forbidden"],
    ["member raises their own limit", "member", "PATCH", "/api/tokens/alice", "forbidden"],
    ["member asks who they are", "member", "GET", "/api/tokens/me", "ok"],
    ["member deletes a record", "member", "DELETE", "/api/generations/x", "forbidden"],
    ["admin token edits a model", "admin", "PUT", "/api/config/models/0", "ok"],
    ["admin token manages tokens", "admin", "POST", "/api/tokens", "ok"],
    ["server.token manages tokens", "server", "POST", "/api/tokens", "ok"],
    ["server.token edits a model", "server", "DELETE", "/api/config/models/0", "ok"],
    ["no token", "none", "GET", "/api/generations", "unauthorized"],
    ["a wrong token", "wrong", "GET", "/api/generations", "unauthorized"],
    ["no token on /api/health", "none", "GET", "/api/health", "ok"],
  ];
  for (const serverToken of [TOKEN, undefined]) {
    const rows = matrix.filter(([, who]) => serverToken || who !== "server");
    test.each(rows)(`${serverToken ? "with" : "without"} server.token: %s (%s %s %s) -> %s`, async (_name, who, method, path, expected) => {
      const { check, admin, member } = await people(serverToken);
      const secret = { server: TOKEN, admin, member, none: "", wrong: `${member}x` }[who];
      const headers = secret ? bearer(secret) : { host: "127.0.0.1:7070" };
      expect(check(new Request(`http://127.0.0.1:7070${path}`, { method, headers }), path)?.type ?? "ok").toBe(expected);
    });
  }

  test("a member's refusal is a 403 that says only admins may, and whose token it is", async () => {
    const { check, member } = await people(TOKEN);
    const error = check(new Request("http://127.0.0.1:7070/api/config/models/0", { method: "PUT", headers: bearer(member) }), "/api/config/models/0")!;
    expect(error.status).toBe(403);
    expect(error.message).toContain("Only an admin may change models or config");
    expect(error.message).toContain("alice");
  });

  test("a revoked token stops working with the very next request", async () => {
    const { check, tokens, member } = await people(undefined);
    expect(verdict(check, bearer(member), "/api/generations")).toBe("ok");
    await tokens.revoke("alice", true);
    expect(verdict(check, bearer(member), "/api/generations")).toBe("unauthorized");
  });

  test("with neither server.token nor any active token, no token is needed on loopback (and the caller is admin)", async () => {
    const tokens = new TokenService(new SqliteTokenStore(openDatabase(":memory:")));
    const check = guard({ people: tokens });
    expect(verdict(check, { host: "127.0.0.1:7070" }, "/api/tokens")).toBe("ok");
    const made = (await tokens.create(TokenCreate.parse({ name: "root", role: "admin" }), false));
    expect(verdict(check, { host: "127.0.0.1:7070" }, "/api/generations")).toBe("unauthorized");
    await tokens.revoke(made.id, false);
    expect(verdict(check, { host: "127.0.0.1:7070" }, "/api/generations")).toBe("ok");
  });

  test("identify names who is asking: server.token's holder, a token's owner, or the local admin", async () => {
    const { tokens, member } = await people(TOKEN);
    const who = (headers: Record<string, string>, serverToken: string | undefined, service?: TokenService) =>
      identify(new Request("http://127.0.0.1:7070/api/generations", { headers }), "/api/generations", serverToken, service);
    expect(who(bearer(TOKEN), TOKEN, tokens)).toEqual({ via: "server-token", role: "admin" });
    expect(who(bearer(member), TOKEN, tokens)).toMatchObject({ via: "token", role: "member", name: "alice", team: "backend" });
    expect(who({}, undefined)).toEqual({ via: "local", role: "admin" });
  });

  test("server.token is still compared in constant time (a same-length wrong secret and a prefix are refused alike)", () => {
    const source = Bun.file(new URL("../../../server/http/guard.ts", import.meta.url)).text();
    return source.then(async (text) => {
      expect(text).toContain("timingSafeEqual(a, b)");
      expect(text).toMatch(/sameSecret\(given, serverToken\)/);
      const { check } = await people(TOKEN);
      expect(verdict(check, bearer(`${TOKEN.slice(0, -1)}X`))).toBe("unauthorized");
      expect(verdict(check, bearer(TOKEN.slice(0, 8)))).toBe("unauthorized");
    });
  });
});

describe("hostOf and isLoopback", () => {
  test.each([
    ["localhost:7070", "localhost"],
    ["Example.COM", "example.com"],
    ["[::1]:7070", "::1"],
    ["[fe80::1]", "fe80::1"],
    ["::1", "::1"],
    [" 127.0.0.1:80 ", "127.0.0.1"],
  ])("hostOf(%p) = %p", (header, host) => {
    expect(hostOf(header)).toBe(host);
  });

  test.each([
    ["localhost", true],
    ["a.b.localhost", true],
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["::1", true],
    ["[::1]", true],
    ["localhostx", false],
    ["128.0.0.1", false],
    ["127.0.0.1.nip.io", false],
    ["0.0.0.0", false],
  ] as [string, boolean][])("isLoopback(%p) = %p", (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});
