// `mediagen token create|list|revoke` through the executable: a daemon started from the built binary with a
// server.token, the commands run as separate processes with MEDIAGEN_TOKEN, and the tokens they make used for real.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startFakeClacky, type FakeClacky } from "../fakes/openclacky.ts";
import { clackyConfig, tempDir } from "../helpers.ts";
import { BUILD_TIMEOUT_MS, cleanEnv, freePort, prepareExecutable, startDaemon, writeConfig, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 60_000;
const SERVER_TOKEN = "e2e-server-token-0123456789";
const root = tempDir("mediagen-e2e-tokens-");
const dataDir = join(root.path, "data");
const workspace = join(root.path, "workspace");
let binary = "";
let fake: FakeClacky;
let daemon: Daemon;

beforeAll(async () => {
  ({ binary } = await prepareExecutable(root.path));
  mkdirSync(workspace, { recursive: true });
  fake = startFakeClacky();
  writeConfig(dataDir, { ...clackyConfig(fake.url, fake.key), server: { token: SERVER_TOKEN }, jobs: { image: { max_attempts: 1 } } });
  daemon = await startDaemon({ cmd: [binary], cwd: join(root.path, "run"), dataDir, env: cleanEnv({ HOME: root.path }) });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await daemon?.stop("SIGTERM").catch(() => daemon.dispose());
  await fake?.close();
  root[Symbol.dispose]();
});

/** Runs the executable as a client of the daemon, with the admin token unless `env` says otherwise. */
async function mediagen(args: string[], env: Record<string, string> = { MEDIAGEN_TOKEN: SERVER_TOKEN }) {
  const proc = Bun.spawn([binary, ...args], { cwd: workspace, env: cleanEnv({ HOME: root.path, MEDIAGEN_URL: daemon.url, ...env }), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

describe("mediagen token, through the executable", () => {
  test(
    "create prints the token once; it works at the API and is recorded as its owner; list shows it without the secret; revoke stops it",
    async () => {
      const created = await mediagen(["token", "create", "--name", "alice", "--team", "backend", "--budget-daily", "3"]);
      expect(created.code).toBe(0);
      const token = created.out.trim();
      expect(token).toMatch(/^mg_[A-Za-z0-9_-]{43}$/);
      expect(created.err).toContain("shown only now");

      const image = await mediagen(["image", "a token's lighthouse", "--out", workspace], { MEDIAGEN_TOKEN: token });
      expect(image.code).toBe(0);
      const page = (await (await fetch(`${daemon.url}/api/generations?owner=alice`, { headers: { authorization: `Bearer ${SERVER_TOKEN}` } })).json()) as { items: Record<string, unknown>[] };
      expect(page.items[0]).toMatchObject({ prompt: "a token's lighthouse", owner: "alice", team: "backend", door: "cli" });

      const history = await mediagen(["history", "--team", "backend", "--json"]);
      expect(JSON.parse(history.out).items).toHaveLength(1);

      const list = await mediagen(["token", "list"]);
      expect(list.code).toBe(0);
      expect(list.out).toContain("alice");
      expect(list.out).toContain("backend");
      expect(list.out).toContain(`${token.slice(0, 7)}…`);
      expect(list.out).toContain("$3/day");
      expect(list.out).not.toContain(token);

      const budget = await mediagen(["token", "budget", "alice", "--budget-daily", "none", "--budget-monthly", "50"]);
      expect(budget.code).toBe(0);
      expect(budget.out).toContain("$50/month");
      expect(budget.out).not.toContain("/day");

      const member = await mediagen(["token", "list"], { MEDIAGEN_TOKEN: token });
      expect(member.code).toBe(3);
      expect(member.err).toContain("Only an admin may manage tokens");
      expect(member.err).toContain("[forbidden]");

      const revoked = await mediagen(["token", "revoke", "alice"]);
      expect(revoked.code).toBe(0);
      expect(revoked.out).toContain("revoked");
      const refused = await fetch(`${daemon.url}/api/generations`, { headers: { authorization: `Bearer ${token}` } });
      expect(refused.status).toBe(401);
      const afterList = await mediagen(["token", "list", "--json"]);
      expect(JSON.parse(afterList.out).items[0]).toMatchObject({ name: "alice" });
      expect(JSON.parse(afterList.out).items[0].revoked_at).not.toBeNull();
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "bad usage exits 2 naming the problem; without the admin token exits 3; with no daemon exits 5",
    async () => {
      expect((await mediagen(["token"])).code).toBe(2);
      const noName = await mediagen(["token", "create"]);
      expect(noName.code).toBe(2);
      expect(noName.err).toContain("create needs a name");
      const twoNames = await mediagen(["token", "create", "carol", "dave"]);
      expect(twoNames.code).toBe(2);
      expect(twoNames.err).toContain('unexpected argument "carol"');
      const badBudget = await mediagen(["token", "create", "--name", "bob", "--budget-daily", "ten"]);
      expect(badBudget.code).toBe(2);
      expect(badBudget.err).toContain("--budget-daily must be a positive amount");
      const badRole = await mediagen(["token", "create", "--name", "bob", "--role", "owner"]);
      expect(badRole.code).toBe(2);
      expect(badRole.err).toContain("field role");
      expect((await mediagen(["token", "revoke", "nobody"])).code).toBe(2);
      const strayFlag = await mediagen(["token", "list", "--team", "x"]);
      expect(strayFlag.code).toBe(2);
      expect(strayFlag.err).toContain("--team is not for token list");
      const emptyBudget = await mediagen(["token", "budget", "alice"]);
      expect(emptyBudget.code).toBe(2);
      expect(emptyBudget.err).toContain("budget needs --budget-daily and/or --budget-monthly");

      const anonymous = await mediagen(["token", "list"], {});
      expect(anonymous.code).toBe(3);
      expect(anonymous.err).toContain("MEDIAGEN_TOKEN");

      const nowhere = await mediagen(["token", "list"], { MEDIAGEN_TOKEN: SERVER_TOKEN, MEDIAGEN_URL: `http://127.0.0.1:${freePort()}` });
      expect(nowhere.code).toBe(5);
      expect(nowhere.err).toContain("No mediagen daemon answers");
    },
    TEST_TIMEOUT_MS,
  );
});
