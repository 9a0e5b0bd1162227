// `mediagen skill install|print`: the media-gen skill, as the running daemon serves it, written where agents look.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { renderSkill, SKILL_NAME } from "../skill/template.ts";
import { clientFor, reachDaemon } from "./daemon.ts";
import { EXIT, exitCodeFor, type ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import { EXIT_HELP, type Flag, helpText, parseFlags } from "./options.ts";

/** The agents whose skills folder `--for` knows, and where each looks for personal skills. */
export const AGENT_SKILL_DIRS: Record<string, (home: string, env: Record<string, string | undefined>) => string> = {
  /** Claude Code (also read by OpenCode). */
  claude: (home) => join(home, ".claude", "skills"),
  /** The open agent-skills folder, read by Codex and OpenCode. */
  agents: (home) => join(home, ".agents", "skills"),
  /** Codex's own folder under CODEX_HOME. */
  codex: (home, env) => join(env.CODEX_HOME || join(home, ".codex"), "skills"),
  /** OpenCode's own folder. */
  opencode: (home, env) => join(env.XDG_CONFIG_HOME || join(home, ".config"), "opencode", "skills"),
};

/** The last line of a skill file mediagen wrote: the SHA-256 of everything above it, to tell a file edited since. */
const STAMP = /\n<!-- written by mediagen skill install; sha256 ([0-9a-f]{64}) -->\n$/;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The skill with its stamp line appended. */
export function stamped(skill: string): string {
  const body = skill.endsWith("\n") ? skill : `${skill}\n`;
  return `${body}\n<!-- written by mediagen skill install; sha256 ${sha256(body)} -->\n`;
}

/** Whether `text` is a file mediagen wrote and nobody changed since. */
export function untouched(text: string): boolean {
  const match = STAMP.exec(text);
  return match !== null && sha256(text.slice(0, match.index)) === match[1];
}

const FLAGS: Record<string, Flag> = {
  for: { kind: "values", arg: "AGENT", help: `Install for this agent: ${Object.keys(AGENT_SKILL_DIRS).join(", ")} (default claude); repeat for several.` },
  dir: { kind: "values", arg: "DIR", help: `A skills folder of your own (e.g. .claude/skills in a project): writes DIR/${SKILL_NAME}/SKILL.md.` },
  force: { kind: "switch", help: "Replace a SKILL.md that was edited since mediagen wrote it (or not written by it); the old one is kept as SKILL.md.bak-<time>." },
};

const USAGE = "mediagen skill install [--for AGENT ...] [--dir DIR ...] [--force] [--url URL] [--json]\n       mediagen skill print [--url URL]";
const SUMMARY = `install: writes the media-gen agent skill, filled in with the daemon's address, to ~/.claude/skills/${SKILL_NAME}/SKILL.md
(or each --for agent's / --dir folder): fetched from the running daemon's GET /skill.md, else rendered for --url
when no daemon answers. Files are replaced atomically; one edited since mediagen wrote it is left alone unless --force.
print: prints the skill on stdout instead.`;

/** Where each target's SKILL.md goes. */
export function skillFiles(values: { for?: string[]; dir?: string[] }, cwd: string, env: Record<string, string | undefined>): string[] | { error: string } {
  const home = env.HOME || homedir();
  const folders: string[] = [];
  for (const agent of values.for ?? []) {
    const dir = AGENT_SKILL_DIRS[agent];
    if (!dir) return { error: `unknown agent "${agent}"; --for takes ${Object.keys(AGENT_SKILL_DIRS).join(", ")}` };
    folders.push(dir(home, env));
  }
  for (const dir of values.dir ?? []) folders.push(resolve(cwd, dir));
  if (folders.length === 0) folders.push(AGENT_SKILL_DIRS.claude!(home, env));
  return [...new Set(folders)].map((folder) => join(folder, SKILL_NAME, "SKILL.md"));
}

/** What happened to one SKILL.md. */
export interface Written {
  path: string;
  action: "created" | "updated" | "unchanged" | "replaced" | "refused";
  backup?: string;
}

/** Writes `content` to `path` atomically (temp file beside it, then rename), keeping an edited file unless `force`. */
export function writeSkill(path: string, content: string, force: boolean, now = new Date()): Written {
  const existing = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (existing === content) return { path, action: "unchanged" };
  let backup: string | undefined;
  if (existing !== undefined && !untouched(existing)) {
    if (!force) return { path, action: "refused" };
    backup = `${path}.bak-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
    copyFileSync(path, backup);
  }
  mkdirSync(join(path, ".."), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, content, { mode: 0o644 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return { path, action: backup ? "replaced" : existing === undefined ? "created" : "updated", ...(backup ? { backup } : {}) };
}

/** Runs `mediagen skill install|print` with `argv` (after `skill`). */
export async function runSkill(argv: readonly string[], io: Io): Promise<ExitCode> {
  const [sub, ...rest] = argv;
  const help = helpText(USAGE, SUMMARY, FLAGS, `Agents: claude ~/.claude/skills, agents ~/.agents/skills (Codex, OpenCode), codex $CODEX_HOME/skills (~/.codex/skills),\nopencode ~/.config/opencode/skills.\n${EXIT_HELP}`);
  if (sub === "--help" || sub === "-h" || sub === undefined) {
    (sub === undefined ? io.err : io.out)(help);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub !== "install" && sub !== "print") {
    io.err(`mediagen skill: unknown subcommand "${sub}"\n\n${help}`);
    return EXIT.usage;
  }
  const parsed = parseFlags(rest, FLAGS);
  if ("error" in parsed || parsed.positionals.length > 0) {
    io.err(`mediagen skill ${sub}: ${"error" in parsed ? parsed.error : `unexpected argument "${parsed.positionals[0]}"`}\n\n${help}`);
    return EXIT.usage;
  }
  const { values } = parsed;
  if (values.help) {
    io.out(help);
    return EXIT.ok;
  }
  const files = skillFiles({ for: values.for as string[] | undefined, dir: values.dir as string[] | undefined }, io.cwd, io.env);
  if (!Array.isArray(files)) {
    io.err(`mediagen skill ${sub}: ${files.error}\n`);
    return EXIT.usage;
  }

  const client = clientFor(values, io);
  const served = await reachDaemon({ ...io, err: () => {} }, () => client.skill());
  let skill: string;
  let source: string;
  if (typeof served === "number") {
    // No daemon: the same template, pointed at the address the CLI would use.
    const url = new URL(client.url);
    skill = renderSkill({ authority: url.host, tokenRequired: Boolean(io.env.MEDIAGEN_TOKEN) });
    source = `rendered locally for ${client.url} (no daemon answers there now)`;
  } else if (served.status !== 200) {
    let error: { error?: string; error_type?: string } = {};
    try {
      error = JSON.parse(served.body) as typeof error;
    } catch {
      // Not the daemon's JSON: the status says enough.
    }
    io.err(`mediagen skill ${sub}: the daemon refused GET /skill.md: ${error.error ?? served.status}${error.error_type ? ` [${error.error_type}]` : ""}\n`);
    return exitCodeFor(error.error_type);
  } else {
    skill = served.body;
    source = `fetched from ${client.url}/skill.md`;
  }
  if (sub === "print") {
    io.out(skill);
    return EXIT.ok;
  }

  const results = files.map((path) => writeSkill(path, stamped(skill), Boolean(values.force)));
  if (values.json) io.out(`${JSON.stringify({ source, files: results }, null, 2)}\n`);
  else {
    io.err(`Skill ${source}\n`);
    for (const result of results) {
      if (result.action === "refused") io.err(`${result.path}: changed since mediagen wrote it (or not written by mediagen); left as is. Re-run with --force to replace it (the old file is kept as SKILL.md.bak-<time>).\n`);
      else io.out(`${result.path} (${result.action}${result.backup ? `; the old file kept as ${result.backup}` : ""})\n`);
    }
  }
  return results.some((result) => result.action === "refused") ? EXIT.other : EXIT.ok;
}
