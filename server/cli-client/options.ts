// Flags of the CLI client commands: each command declares its own, plus --url, --json and --help, which all share.
import { parseArgs } from "node:util";

/** One flag: a value (`--aspect A`), a repeatable value (`--edit FILE ...`) or a switch (`--json`). */
export interface Flag {
  kind: "value" | "values" | "switch";
  /** Shown in --help after the flag (`A`, `FILE`). */
  arg?: string;
  help: string;
  short?: string;
}

/** The flags every client command takes. */
export const COMMON_FLAGS: Record<string, Flag> = {
  url: { kind: "value", arg: "URL", help: "The daemon's address (env MEDIAGEN_URL, default http://127.0.0.1:7070); a token goes in MEDIAGEN_TOKEN." },
  json: { kind: "switch", help: "Print exactly the API's JSON answer on stdout." },
  help: { kind: "switch", short: "h", help: "Print this help and exit." },
};

/** What was parsed: flag values by name and the words that are not flags. */
export interface Parsed {
  values: Record<string, string | string[] | boolean | undefined>;
  positionals: string[];
}

/** Parses `argv` against `flags` (plus the common ones); an unknown flag or a missing value is an error message. */
export function parseFlags(argv: readonly string[], flags: Record<string, Flag>): Parsed | { error: string } {
  const all = { ...flags, ...COMMON_FLAGS };
  const options = Object.fromEntries(
    Object.entries(all).map(([name, flag]) => [
      name,
      { type: flag.kind === "switch" ? ("boolean" as const) : ("string" as const), multiple: flag.kind === "values", ...(flag.short ? { short: flag.short } : {}) },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    for (const [name, value] of Object.entries(values)) {
      const empty = value === "" || (Array.isArray(value) && value.includes(""));
      if (empty) return { error: `--${name} needs a value` };
    }
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // node:util's messages are long; keep their first sentence.
    return { error: message.split(/\. (?=To specify)/)[0]!.replace(/'/g, '"') };
  }
}

/** The help text of a command: its usage line, what it does, and each flag. */
export function helpText(usage: string, summary: string, flags: Record<string, Flag>, extra = ""): string {
  const all = { ...flags, ...COMMON_FLAGS };
  const rows = Object.entries(all).map(([name, flag]) => [`${flag.short ? `-${flag.short}, ` : ""}--${name}${flag.arg ? ` ${flag.arg}` : ""}`, flag.help] as const);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`);
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${lines.join("\n")}\n${extra ? `\n${extra}\n` : ""}`;
}

/** The exit statuses, as every command's --help states them. */
export const EXIT_HELP = "Exit status: 0 success, 1 other failure, 2 bad input or usage, 3 not configured (no model, no API key, no token),\n4 provider failure, 5 no daemon at the URL, 130 interrupted (Ctrl-C cancels the job).";
