// mediagen skill install|print: the daemon's GET /skill.md written atomically where agents look, an edited file kept.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { skillFiles, stamped, untouched } from "../../../server/cli-client/skill-install.ts";
import { createHarness, type Harness, tempDir } from "../../helpers.ts";
import { run, serveApp } from "./helpers.ts";

let h: Harness;
let daemon: ReturnType<typeof serveApp>;
let url = "";
beforeAll(() => {
  h = createHarness();
  daemon = serveApp((request) => h.app.handle(request));
  url = daemon.url;
});
afterAll(async () => {
  await daemon.stop();
  h[Symbol.dispose]();
});

describe("mediagen skill install", () => {
  test("writes ~/.claude/skills/media-gen/SKILL.md by default, as the daemon serves it, with this daemon's address", async () => {
    using home = tempDir();
    const result = await run(url, "skill", ["install"], { env: { HOME: home.path } });
    expect(result.code).toBe(0);
    const path = join(home.path, ".claude/skills/media-gen/SKILL.md");
    expect(result.out).toBe(`${path} (created)\n`);
    expect(result.err).toContain(`fetched from ${url}/skill.md`);
    const text = readFileSync(path, "utf8");
    const served = await (await fetch(`${url}/skill.md`)).text();
    expect(text).toBe(stamped(served));
    expect(text).toContain(`POST ${url}/api/media/image`);
    expect(readdirSync(join(home.path, ".claude/skills/media-gen"))).toEqual(["SKILL.md"]);
  });

  test("again: unchanged; an unedited older copy (another port) is updated in place", async () => {
    using home = tempDir();
    const env = { HOME: home.path };
    await run(url, "skill", ["install"], { env });
    expect((await run(url, "skill", ["install"], { env })).out).toContain("(unchanged)");
    const path = join(home.path, ".claude/skills/media-gen/SKILL.md");
    writeFileSync(path, stamped("---\nname: media-gen\n---\nold daemon at 127.0.0.1:1\n"));
    const result = await run(url, "skill", ["install"], { env });
    expect(result).toMatchObject({ code: 0, out: `${path} (updated)\n` });
  });

  test("a file edited by the user is left alone (exit 1) unless --force, which keeps a backup", async () => {
    using home = tempDir();
    const env = { HOME: home.path };
    await run(url, "skill", ["install"], { env });
    const path = join(home.path, ".claude/skills/media-gen/SKILL.md");
    const edited = `${readFileSync(path, "utf8")}\nMy own note.\n`;
    writeFileSync(path, edited);
    const refused = await run(url, "skill", ["install"], { env });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("changed since mediagen wrote it");
    expect(readFileSync(path, "utf8")).toBe(edited);
    const forced = await run(url, "skill", ["install", "--force"], { env });
    expect(forced.code).toBe(0);
    const backup = readdirSync(join(home.path, ".claude/skills/media-gen")).find((name) => name.startsWith("SKILL.md.bak-"))!;
    expect(readFileSync(join(home.path, ".claude/skills/media-gen", backup), "utf8")).toBe(edited);
    expect(untouched(readFileSync(path, "utf8"))).toBe(true);
  });

  test("a SKILL.md mediagen did not write is not overwritten either", async () => {
    using home = tempDir();
    const path = join(home.path, ".claude/skills/media-gen/SKILL.md");
    await Bun.write(path, "---\nname: media-gen\n---\nsomeone else's skill\n");
    expect((await run(url, "skill", ["install"], { env: { HOME: home.path } })).code).toBe(1);
    expect(readFileSync(path, "utf8")).toContain("someone else's skill");
  });

  test("--for agents and --dir (relative to the current folder) choose the folders; an unknown agent is bad input", async () => {
    using home = tempDir();
    const env = { HOME: home.path, CODEX_HOME: join(home.path, "codex-home") };
    const result = await run(url, "skill", ["install", "--for", "codex", "--for", "agents", "--for", "opencode", "--dir", "proj/.claude/skills", "--json"], { env, cwd: home.path });
    expect(result.code).toBe(0);
    const written = JSON.parse(result.out).files.map((file: { path: string }) => file.path);
    expect(written).toEqual([
      join(home.path, "codex-home/skills/media-gen/SKILL.md"),
      join(home.path, ".agents/skills/media-gen/SKILL.md"),
      join(home.path, ".config/opencode/skills/media-gen/SKILL.md"),
      join(home.path, "proj/.claude/skills/media-gen/SKILL.md"),
    ]);
    for (const path of written) expect(existsSync(path)).toBe(true);
    expect((await run(url, "skill", ["install", "--for", "vim"], { env })).code).toBe(2);
    expect(skillFiles({}, "/", { HOME: "/h" })).toEqual(["/h/.claude/skills/media-gen/SKILL.md"]);
  });

  test("no daemon: the skill is rendered for the URL the CLI would use, and said so", async () => {
    using home = tempDir();
    const result = await run("http://127.0.0.1:9", "skill", ["install"], { env: { HOME: home.path } });
    expect(result.code).toBe(0);
    expect(result.err).toContain("rendered locally for http://127.0.0.1:9");
    expect(readFileSync(join(home.path, ".claude/skills/media-gen/SKILL.md"), "utf8")).toContain("POST http://127.0.0.1:9/api/media/image");
  });

  test("a daemon that refuses (token required, none given) is not configured: exit 3, nothing written", async () => {
    using locked = createHarness({ config: { server: { token: "tok-0123456789abcdef" } } });
    const other = serveApp((request) => locked.app.handle(request));
    using home = tempDir();
    try {
      const result = await run(other.url, "skill", ["install"], { env: { HOME: home.path } });
      expect(result.code).toBe(3);
      expect(result.err).toContain("[unauthorized]");
      expect(existsSync(join(home.path, ".claude"))).toBe(false);
      const withToken = await run(other.url, "skill", ["print"], { env: { MEDIAGEN_TOKEN: "tok-0123456789abcdef" } });
      expect(withToken.code).toBe(0);
      expect(withToken.out).toContain('-H "Authorization: Bearer $MEDIAGEN_TOKEN"');
    } finally {
      await other.stop();
    }
  });

  test("skill print writes the skill on stdout; an unknown subcommand is bad input", async () => {
    const printed = await run(url, "skill", ["print"]);
    expect(printed.out).toBe(await (await fetch(`${url}/skill.md`)).text());
    expect((await run(url, "skill", ["uninstall"])).code).toBe(2);
    expect((await run(url, "skill", [])).code).toBe(2);
  });
});
