// mediagen token list and mediagen history in team mode, against a real app on loopback with server.token: when each
// token was last used, and who made each recorded generation.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";
import { run, serveApp } from "./helpers.ts";

const SERVER_TOKEN = "server-token-cli-0123";
let fake: FakeClacky;
let h: Harness;
let daemon: ReturnType<typeof serveApp>;
let url = "";
const admin = { MEDIAGEN_TOKEN: SERVER_TOKEN };

beforeAll(() => {
  fake = startFakeClacky();
  h = createHarness({ config: { ...clackyConfig(fake.url, fake.key), server: { token: SERVER_TOKEN } } });
  daemon = serveApp((request) => h.app.handle(request));
  url = daemon.url;
});
afterAll(async () => {
  await daemon.stop();
  h[Symbol.dispose]();
  await fake.close();
});

describe("team mode in the CLI", () => {
  test("token list says never used, then when the token last authenticated a request", async () => {
    const created = await run(url, "token", ["create", "--name", "alice", "--team", "red"], { env: admin });
    expect(created.code).toBe(0);
    const secret = created.out.trim();
    const before = await run(url, "token", ["list"], { env: admin });
    expect(before.out).toContain("never used");
    expect((await run(url, "history", [], { env: { MEDIAGEN_TOKEN: secret } })).code).toBe(0);
    await h.tokens.settled();
    const after = await run(url, "token", ["list"], { env: admin });
    const line = after.out.split("\n").find((l) => l.includes("alice"));
    expect(line).toMatch(/last used \d{4}-\d\d-\d\dT/);
    expect(line).not.toContain("never used");
  });

  test("history shows an owner column (name and team) only when a listed generation has an owner", async () => {
    const made = await run(url, "image", ["by the server token"], { env: admin, cwd: h.workDir });
    expect(made.code).toBe(0);
    const anonymous = await run(url, "history", [], { env: admin });
    expect(anonymous.out).toContain("by the server token");
    // No owner anywhere: the door is followed by the id, as before team mode.
    expect(anonymous.out).toMatch(/ cli +[0-9a-f]{8}-[0-9a-f]{4}-/);
    const secret = (await run(url, "token", ["create", "--name", "bob", "--team", "blue"], { env: admin })).out.trim();
    expect((await run(url, "image", ["by bob"], { env: { MEDIAGEN_TOKEN: secret }, cwd: h.workDir })).code).toBe(0);
    const mixed = (await run(url, "history", [], { env: admin })).out.split("\n");
    const bob = mixed.find((l) => l.includes("by bob"))!;
    const nobody = mixed.find((l) => l.includes("by the server token"))!;
    expect(bob).toMatch(/ cli +bob \(blue\) +[0-9a-f]{8}-/);
    // The column lines up: the id after it starts at the same place on every row.
    expect(nobody).toMatch(/ cli +- +[0-9a-f]{8}-/);
    const idAt = (l: string) => l.search(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(idAt(nobody)).toBe(idAt(bob));
  });

  test("token create NAME is token create --name NAME", async () => {
    const created = await run(url, "token", ["create", "erin", "--team", "green", "--json"], { env: admin });
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ name: "erin", team: "green", role: "member" });
    const both = await run(url, "token", ["create", "frank", "--name", "frank"], { env: admin });
    expect(both.code).toBe(2);
  });
});
