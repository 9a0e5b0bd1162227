// The CLI client commands (`mediagen image|video|speak|types|history|costs|jobs|skill`): each talks to a running
// daemon through its HTTP API, recorded under the door `cli`. Loaded by main.ts only when one of them runs.
import type { ClientCommand } from "../cli.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import { GENERATE_COMMANDS, runGenerate } from "./generate.ts";
import { processIo, type Io } from "./io.ts";
import { READ_COMMANDS, runRead } from "./ledger-commands.ts";
import { runSkill } from "./skill-install.ts";
import { runToken } from "./token-commands.ts";

/** Runs one client command and returns its exit status (see exit-codes.ts). */
export async function runClientCommand(command: ClientCommand, io: Io): Promise<ExitCode> {
  try {
    if (command.name === "skill") return await runSkill(command.argv, io);
    if (command.name === "token") return await runToken(command.argv, io);
    if (command.name in GENERATE_COMMANDS) return await runGenerate(command.name as keyof typeof GENERATE_COMMANDS, command.argv, io);
    return await runRead(command.name as keyof typeof READ_COMMANDS, command.argv, io);
  } catch (error) {
    io.err(`mediagen ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.other;
  }
}

/** main.ts's entry: runs the command in this process; the process ends with its status once stdout is written. */
export async function runClient(command: ClientCommand): Promise<void> {
  process.exitCode = await runClientCommand(command, processIo());
}
