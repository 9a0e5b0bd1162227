// Command-line parsing: mediagen [serve] [--host H] [--port P] [--data-dir D] | prices [--all] [--json] | --version | --help.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_DATA_DIR_NAME, DEFAULT_HOST, DEFAULT_PORT } from "./defaults.ts";

/** Serve on host:port with config and ledger in dataDir. */
export type ServeCommand = { kind: "serve"; host: string; port: number; dataDir: string };

/** Print how each configured model is priced (and with `all`, the whole catalogue); `json` for machines. */
export type PricesCommand = { kind: "prices"; dataDir: string; all: boolean; json: boolean };

/** Serve the MCP tools on stdio, forwarding to the daemon at `url` (else MEDIAGEN_URL); or print a client's config. */
export type McpCommand = { kind: "mcp"; url?: string; printConfig: boolean };

/** What the command line asked for. */
export type Command =
  | ServeCommand
  | PricesCommand
  | McpCommand
  | { kind: "version" }
  | { kind: "help" }
  | { kind: "error"; message: string };

/** Usage text printed by --help. */
export const USAGE = `mediagen: a local media-generation gateway (images, video, speech)

Usage:
  mediagen [serve] [--host H] [--port P] [--data-dir D]
  mediagen prices [--data-dir D] [--all] [--json]
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
  --url U        mcp: the daemon to forward to (env MEDIAGEN_URL, default http://127.0.0.1:7070;
                 token from MEDIAGEN_TOKEN). The same tools are served by the daemon at /mcp.
  --print-config mcp: print the JSON an MCP client needs to start \`mediagen mcp\`.
  --version      Print the version and exit.
  --help         Print this help and exit.

One daemon per data folder (<data-dir>/mediagen.lock) and per port.
Environment: MEDIAGEN_POLL_INTERVAL_SECONDS (provider polls, default 10),
MEDIAGEN_IDLE_TIMEOUT_SECONDS (silent connections closed after, default 30, at most 255).
`;

/** Parses argv (without the executable) and the environment into a Command. */
export function parseArgs(argv: readonly string[], env: Record<string, string | undefined> = process.env): Command {
  if (argv[0] === "mcp") return parseMcpArgs(argv.slice(1));
  const options: Record<string, string> = {};
  const args = [...argv];
  const prices = args[0] === "prices";
  if (args[0] === "serve" || prices) args.shift();
  const switches = new Set<string>();
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--version" || arg === "-v") return { kind: "version" };
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    if (prices && (arg === "--all" || arg === "--json")) {
      switches.add(arg);
      continue;
    }
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (!(prices ? ["--data-dir"] : ["--host", "--port", "--data-dir"]).includes(flag)) return { kind: "error", message: `unknown argument "${arg}"` };
    const value = inline ?? args.shift();
    if (value === undefined || value === "") return { kind: "error", message: `${flag} needs a value` };
    options[flag] = value;
  }
  // An empty variable (`MEDIAGEN_HOST= mediagen`) counts as unset, not as "" (all interfaces) or port 0.
  const fromEnv = (name: string) => env[name] || undefined;
  const dataDir = resolve(options["--data-dir"] ?? fromEnv("MEDIAGEN_DATA_DIR") ?? join(homedir(), DEFAULT_DATA_DIR_NAME));
  if (prices) return { kind: "prices", dataDir, all: switches.has("--all"), json: switches.has("--json") };
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
