// The daemon as the CLI client commands reach it: door `cli`, this version as the caller, no daemon said plainly.
import pkg from "../../package.json" with { type: "json" };
import { DaemonClient, DaemonUnreachable } from "../client/daemon-client.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import type { Parsed } from "./options.ts";

/** The caller recorded in the ledger for every CLI request. */
export const CLI_CLIENT = `mediagen-cli/${pkg.version}`;

/**
 * A client of the daemon at --url, else MEDIAGEN_URL, else the default address. A script that sets MEDIAGEN_SESSION
 * groups its commands under that session in the ledger (each command is its own process, so none is made up).
 */
export function clientFor(values: Parsed["values"], io: Io): DaemonClient {
  const session = io.env.MEDIAGEN_SESSION?.trim() || undefined;
  return new DaemonClient({ url: values.url ? String(values.url) : undefined, door: "cli", client: CLI_CLIENT, session, env: io.env });
}

/** Runs `call`; when no daemon answers, says so (and how to start one) and gives the exit status 5 instead. */
export async function reachDaemon<T>(io: Io, call: () => Promise<T>): Promise<T | ExitCode> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof DaemonUnreachable)) throw error;
    io.err(`mediagen: ${error.message}\n`);
    return EXIT.unreachable;
  }
}
