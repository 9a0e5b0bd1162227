// Command-line parsing: mediagen [serve] [--host H] [--port P] [--data-dir D] | prices [--all] [--json] |
// migrate [--data-dir D] [--dry-run] | export | import (their flags are parsed by server/transfer/) | a client
// command (image, video, speak, types, history, costs, jobs, skill: their flags are parsed by server/cli-client/) |
// mcp [--url U] [--print-config] | --version | --help.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_DATA_DIR_NAME, DEFAULT_HOST, DEFAULT_PORT } from "./defaults.ts";

/** Serve on host:port with config and ledger in dataDir. */
export type ServeCommand = { kind: "serve"; host: string; port: number; dataDir: string };

/** Print how each configured model is priced (and with `all`, the whole catalogue); `json` for machines. */
export type PricesCommand = { kind: "prices"; dataDir: string; all: boolean; json: boolean };

/** Print the ledger database's schema version and this binary's, and apply the pending migrations unless `dryRun`. */
export type MigrateCommand = { kind: "migrate"; dataDir: string; dryRun: boolean };

/** Move a ledger between databases through a file (`export`, `import`); flags parsed by server/transfer/command.ts. */
export type TransferCommand = { kind: "transfer"; name: "export" | "import"; argv: string[] };

/** The commands that talk to a running daemon (server/cli-client/). */
export const CLIENT_COMMANDS = ["image", "video", "speak", "types", "history", "costs", "jobs", "skill", "token"] as const;
export type ClientCommandName = (typeof CLIENT_COMMANDS)[number];

/** A client command and its arguments after its name, parsed by its own module (each has its own --help). */
export type ClientCommand = { kind: "client"; name: ClientCommandName; argv: string[] };

/** Serve the MCP tools on stdio, forwarding to the daemon at `url` (else MEDIAGEN_URL); or print a client's config. */
export type McpCommand = { kind: "mcp"; url?: string; printConfig: boolean };

/** What the command line asked for. */
export type Command =
  | ServeCommand
  | PricesCommand
  | MigrateCommand
  | TransferCommand
  | ClientCommand
  | McpCommand
  | { kind: "version" }
  | { kind: "help" }
  | { kind: "error"; message: string };

/** Usage text printed by --help. */
export const USAGE = `mediagen: a local media-generation gateway (images, video, speech)

Usage:
  mediagen [serve] [--host H] [--port P] [--data-dir D]
  mediagen prices [--data-dir D] [--all] [--json]
  mediagen migrate [--data-dir D] [--dry-run]
  mediagen export [--out FILE|-] [--from sqlite:PATH|postgres://...] [--with-tokens] [--data-dir D]
  mediagen import FILE|- | --from sqlite:PATH|postgres://... [--into sqlite:PATH|postgres://...] [--data-dir D]
  mediagen image <prompt> [--aspect A] [--edit FILE ...] [--out DIR] [--model NAME]
  mediagen video <prompt> [--duration S] [--aspect A] [--first-frame FILE] [--out DIR] [--model NAME]
  mediagen speak <text> [--voice V] [--out DIR] [--model NAME]
  mediagen types | history [filters] | costs [--month] | jobs
  mediagen skill install [--for AGENT] [--dir DIR] | skill print
  mediagen token create --name NAME [--team T] [--role member|admin] [--budget-daily USD] [--budget-monthly USD]
  mediagen token list | token budget <id|name> [--budget-daily USD|none] | token revoke <id|name>
  mediagen mcp [--url U] [--print-config]
  mediagen --version
  mediagen --help

Options:
  --host H       Address to bind (env MEDIAGEN_HOST, default ${DEFAULT_HOST}).
                 A non-loopback address requires a bearer token, generated into config.yml.
  --port P       Port to listen on (env MEDIAGEN_PORT, default ${DEFAULT_PORT}; 0 picks a free port).
  --data-dir D   Folder for config.yml and mediagen.db (env MEDIAGEN_DATA_DIR, default ~/${DEFAULT_DATA_DIR_NAME}).
  --all          prices: list the whole price catalogue too, not only the configured models.
  --json         prices: print JSON (the body of GET /api/costs/prices).
  --dry-run      migrate: print the ledger's schema version and this binary's, change nothing.
  export/import  Move a ledger between SQLite and PostgreSQL through an NDJSON file: mediagen export --help.
  --url U        mcp: the daemon to forward to (env MEDIAGEN_URL, default http://127.0.0.1:7070;
                 token from MEDIAGEN_TOKEN). The same tools are served by the daemon at /mcp.
  --print-config mcp: print the JSON an MCP client needs to start \`mediagen mcp\`.
  --version      Print the version and exit.
  --help         Print this help and exit.

Client commands talk to a running daemon at --url URL (env MEDIAGEN_URL, default http://${DEFAULT_HOST}:${DEFAULT_PORT};
token in MEDIAGEN_TOKEN), take --json (the API's own answer) and --help, and exit 0 success, 1 other failure,
2 bad input, 3 not configured, 4 provider failure, 5 no daemon. Files land in --out DIR (default: the current folder);
from a daemon on another machine (a non-loopback URL, or MEDIAGEN_DELIVERY=download) they are downloaded there,
as they are by \`mediagen mcp\`.

One daemon per data folder (<data-dir>/mediagen.lock) and per port.
The ledger is <data-dir>/mediagen.db (SQLite) unless config.yml has storage: postgres://... or the environment
has MEDIAGEN_DATABASE_URL (which wins); pending migrations are applied at start (or by mediagen migrate).
Environment: MEDIAGEN_POLL_INTERVAL_SECONDS (provider polls, default 10),
MEDIAGEN_IDLE_TIMEOUT_SECONDS (silent connections closed after, default 30, at most 255).
`;

/** Parses argv (without the executable) and the environment into a Command. */
export function parseArgs(argv: readonly string[], env: Record<string, string | undefined> = process.env): Command {
  const name = CLIENT_COMMANDS.find((command) => command === argv[0]);
  if (name) return { kind: "client", name, argv: argv.slice(1) };
  if (argv[0] === "mcp") return parseMcpArgs(argv.slice(1));
  if (argv[0] === "export" || argv[0] === "import") return { kind: "transfer", name: argv[0], argv: argv.slice(1) };
  const options: Record<string, string> = {};
  const args = [...argv];
  const prices = args[0] === "prices";
  const migrate = args[0] === "migrate";
  if (args[0] === "serve" || prices || migrate) args.shift();
  const switches = new Set<string>();
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--version" || arg === "-v") return { kind: "version" };
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    if ((prices && (arg === "--all" || arg === "--json")) || (migrate && arg === "--dry-run")) {
      switches.add(arg);
      continue;
    }
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (!(prices || migrate ? ["--data-dir"] : ["--host", "--port", "--data-dir"]).includes(flag)) return { kind: "error", message: `unknown argument "${arg}"` };
    const value = inline ?? args.shift();
    if (value === undefined || value === "") return { kind: "error", message: `${flag} needs a value` };
    options[flag] = value;
  }
  // An empty variable (`MEDIAGEN_HOST= mediagen`) counts as unset, not as "" (all interfaces) or port 0.
  const fromEnv = (name: string) => env[name] || undefined;
  const dataDir = resolve(options["--data-dir"] ?? fromEnv("MEDIAGEN_DATA_DIR") ?? join(homedir(), DEFAULT_DATA_DIR_NAME));
  if (prices) return { kind: "prices", dataDir, all: switches.has("--all"), json: switches.has("--json") };
  if (migrate) return { kind: "migrate", dataDir, dryRun: switches.has("--dry-run") };
  const host = options["--host"] ?? fromEnv("MEDIAGEN_HOST") ?? DEFAULT_HOST;
  const portText = options["--port"] ?? fromEnv("MEDIAGEN_PORT") ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    return { kind: "error", message: `port must be a whole number from 0 to 65535, got "${portText}"` };
  }
  return { kind: "serve", host, port, dataDir };
}

/** `mediagen mcp [--url U] [--print-config]`. */
function parseMcpArgs(argv: readonly string[]): Command {
  const command: McpCommand = { kind: "mcp", printConfig: false };
  const args = [...argv];
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--version" || arg === "-v") return { kind: "version" };
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    if (arg === "--print-config") {
      command.printConfig = true;
      continue;
    }
    if (arg !== "--url" && !arg.startsWith("--url=")) return { kind: "error", message: `unknown argument "${arg}"` };
    const value = arg === "--url" ? args.shift() : arg.slice("--url=".length);
    if (!value) return { kind: "error", message: "--url needs a value" };
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) return { kind: "error", message: `--url must be an http(s) URL such as http://127.0.0.1:7070, got "${value}"` };
    command.url = value;
  }
  return command;
}
