// `mediagen mcp`: the MCP tools over stdio, forwarding to the daemon at --url / MEDIAGEN_URL with MEDIAGEN_TOKEN.
// It never starts a daemon itself: with none answering, each tool says exactly how to start one. `--print-config`
// prints the JSON an MCP client needs to launch this command.
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import pkg from "../../package.json" with { type: "json" };
import type { McpCommand } from "../cli.ts";
import { DaemonClient, DaemonUnreachable, DEFAULT_DAEMON_URL, daemonTarget, type Answer } from "../client/daemon-client.ts";
import { DownloadFailed, downloadResult } from "../client/download.ts";
import { inlineInputFiles } from "../client/inputs.ts";
import type { MediaType } from "../config/schema.ts";
import { isLoopback } from "../http/guard.ts";
import { toolError } from "./results.ts";
import { createMcpServer } from "./tools.ts";

/** How this executable is started again: itself when compiled, else Bun running server/main.ts. */
function selfCommand(): { command: string; args: string[] } {
  if (Bun.isStandaloneExecutable) return { command: process.execPath, args: [] };
  return { command: process.execPath, args: [Bun.main] };
}

/** The tool error when no daemon answers at `url`: the exact command that starts one there. */
export function noDaemonMessage(url: string, executable = selfCommand()): string {
  const target = new URL(url);
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  const mediagen = [executable.command, ...executable.args].map((part) => (/\s/.test(part) ? `"${part}"` : part)).join(" ");
  if (!isLoopback(target.hostname)) {
    return `No mediagen daemon answers at ${url}. Start it on ${target.hostname} (\`mediagen serve --host 0.0.0.0 --port ${port}\`, which prints its token into config.yml), or point --url / MEDIAGEN_URL of this MCP server at a running daemon; then call the tool again.`;
  }
  const flags = url === DEFAULT_DAEMON_URL ? "" : ` --port ${port}`;
  return `No mediagen daemon answers at ${url}. Ask the user to start one in a terminal with \`${mediagen} serve${flags}\` (it keeps running; config and ledger in ~/.mediagen), then call the tool again. Do not work around it with other tools.`;
}

/** The `mcpServers` entry that launches `mediagen mcp` with this command's daemon URL and token. */
export function clientConfig(command: McpCommand, env: Record<string, string | undefined> = process.env): Record<string, unknown> {
  const { url, token } = daemonTarget({ url: command.url, env });
  const self = selfCommand();
  const args = [...self.args, "mcp", ...(url === DEFAULT_DAEMON_URL ? [] : ["--url", url])];
  const entry: Record<string, unknown> = { command: self.command, args };
  const delivery = env.MEDIAGEN_DELIVERY?.trim();
  if (token || delivery) entry.env = { ...(token ? { MEDIAGEN_TOKEN: token } : {}), ...(delivery ? { MEDIAGEN_DELIVERY: delivery } : {}) };
  return { mcpServers: { mediagen: entry } };
}

/**
 * The daemon's API for `mediagen mcp`: a refused token says where this process reads one; a daemon on another machine
 * gets the input files a tool names as bytes.
 */
class McpDaemonClient extends DaemonClient {
  override submit(type: MediaType, body: Record<string, unknown>, options: { async?: boolean; signal?: AbortSignal } = {}) {
    return super.submit(type, this.downloads ? inlineInputFiles(body) : body, options);
  }

  override async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Answer<T>> {
    const answer = await super.call<T>(method, path, body, signal);
    const fields = answer.body as Record<string, unknown>;
    if (answer.status === 401 && typeof fields.error === "string") {
      fields.error += " Set MEDIAGEN_TOKEN in this MCP server's environment to the daemon's server.token.";
    }
    return answer;
  }
}

/** Runs `mediagen mcp`: prints the client config, or serves the tools on stdin/stdout until the client goes away. */
export async function runMcp(command: McpCommand): Promise<void> {
  if (command.printConfig) {
    console.log(JSON.stringify(clientConfig(command), null, 2));
    return;
  }
  const { url, token, downloads } = daemonTarget({ url: command.url });
  // One stdio process serves one client session: its requests share this id in the ledger.
  const session = `mcp-stdio-${randomUUID()}`;
  const client = (name: string) => new McpDaemonClient({ url, token, door: "mcp", client: name, session });
  const server = createMcpServer({
    version: pkg.version,
    backend: client,
    logError: (message) => console.error(`mediagen mcp: ${message}`),
    failure: (error) => {
      if (error instanceof DaemonUnreachable) return toolError("daemon_unreachable", noDaemonMessage(url));
      if (error instanceof DownloadFailed) return toolError("download_failed", error.message);
      return undefined;
    },
    // A daemon on another machine keeps its copy: the file is downloaded into the folder asked for (else the
    // client's root, else this process's folder), as if the daemon were local.
    deliver: downloads ? (type, record, outputDir) => downloadResult(client(pkg.name), type, record, resolve(process.cwd(), outputDir ?? ".")) : undefined,
  });
  // stdout carries the protocol: anything else this process has to say goes to stderr.
  console.log = console.error;
  console.info = console.error;
  await server.connect(new StdioServerTransport());
  // The client closing stdin ends the session; jobs already submitted finish in the daemon and are recorded.
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("close", () => process.exit(0));
}
