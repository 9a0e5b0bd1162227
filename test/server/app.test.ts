// The localhost guard and error handling as the whole app applies them.
import { describe, expect, test } from "bun:test";
import { createHarness } from "../helpers.ts";

describe("localhost guard", () => {
  test.each([
    ["127.0.0.1:7070", undefined, 200],
    ["localhost:7070", undefined, 200],
    ["[::1]:7070", undefined, 200],
    ["evil.example:7070", undefined, 403],
    ["192.168.1.20:7070", undefined, 403],
    ["127.0.0.1:7070", "http://127.0.0.1:7070", 200],
    ["127.0.0.1:7070", "https://evil.example", 403],
    ["127.0.0.1:7070", "http://localhost:7070", 403],
    ["127.0.0.1:7070", "null", 403],
  ])("Host %s with Origin %s -> %d", async (host, origin, status) => {
    using h = createHarness();
    const headers: Record<string, string> = { host };
    if (origin) headers.origin = origin;
    const response = await h.call("/api/media/types", { headers });
    expect(response.status).toBe(status);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    if (status === 403) expect(await response.json()).toMatchObject({ success: false, error_type: "forbidden" });
  });

  test("a refused cross-site POST never reaches a provider or the ledger", async () => {
    using h = createHarness();
    const response = await h.call("/api/media/audio/speech", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "text/plain" },
      body: JSON.stringify({ input: "hi", output_dir: h.workDir }),
    });
    expect(response.status).toBe(403);
    expect((await h.ledger.list({})).items.filter((g) => g.status !== "refused")).toHaveLength(0);
  });

  test("configured allowed_hosts are accepted, and edits to them apply without a restart", async () => {
    using h = createHarness({ config: { server: { allowed_hosts: ["media.lan"] }, models: [] } });
    expect((await h.call("/api/health", { headers: { host: "media.lan:7070" } })).status).toBe(200);
    expect((await h.call("/api/health", { headers: { host: "other.lan" } })).status).toBe(403);
    await Bun.write(h.config.path, "server:\n  allowed_hosts: [other.lan]\nmodels: []\n");
    expect((await h.call("/api/health", { headers: { host: "other.lan" } })).status).toBe(200);
  });

  test("a token in config requires Authorization: Bearer on every API route but health", async () => {
    const token = "t0ken-for-tests-0123456789";
    using h = createHarness({ config: { server: { token }, models: [] } });
    const missing = await h.get("/api/media/types");
    expect(missing.status).toBe(401);
    expect(missing.body.error_type).toBe("unauthorized");
    expect((await h.get("/api/media/types", { authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await h.get("/api/media/types", { authorization: `Bearer ${token}` })).status).toBe(200);
    const health = await h.get("/api/health");
    expect(health.status).toBe(200);
    expect(health.body.token_required).toBe(true);
    expect(JSON.stringify(health.body)).not.toContain(token);
  });

  test("binding a non-loopback address allows the machine's own addresses as Host", async () => {
    using h = createHarness({ bindHost: "0.0.0.0" });
    expect((await h.call("/api/health", { headers: { host: "127.0.0.1:7070" } })).status).toBe(200);
    expect((await h.call("/api/health", { headers: { host: "evil.example" } })).status).toBe(403);
  });
});

describe("errors", () => {
  test("an unknown API path is a JSON 404", async () => {
    using h = createHarness();
    const { status, body } = await h.get("/api/nope");
    expect(status).toBe(404);
    expect(body).toMatchObject({ success: false, error_type: "not_found" });
  });

  test("GET /api/health reports version, config state and running generations", async () => {
    using h = createHarness();
    const { status, body } = await h.get("/api/health");
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, version: "test", config: { ok: true }, running_generations: 0, token_required: false });
  });

  test("an invalid config edit keeps the last good config and is reported by health", async () => {
    using h = createHarness();
    await Bun.write(h.config.path, "models:\n  - type: picture\n    provider: local\n    model: flite\n");
    const { body } = await h.get("/api/health");
    expect(body.config.ok).toBe(false);
    expect(body.config.error).toContain("models[0].type");
    expect((await h.get("/api/media/types")).body.audio.configured).toBe(true);
  });
});
