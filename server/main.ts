// Entry point: parse the command line; answer --version and --help at once, and load the daemon only to serve
// (a client command loads only its own modules).
import pkg from "../package.json" with { type: "json" };
import { parseArgs, USAGE } from "./cli.ts";

const command = parseArgs(process.argv.slice(2));
if (command.kind === "version") {
  console.log(`mediagen ${pkg.version}`);
  process.exit(0);
}
if (command.kind === "help") {
  console.log(USAGE);
  process.exit(0);
}
if (command.kind === "error") {
  console.error(`mediagen: ${command.message}\n\n${USAGE}`);
  process.exit(2);
}
// Dynamic imports: the bundle evaluates a command's modules only when it runs.
if (command.kind === "prices") void import("./costs/prices-command.ts").then(({ printPrices }) => printPrices(command));
else if (command.kind === "migrate") void import("./ledger/migrate-command.ts").then(({ runMigrate }) => runMigrate(command));
else if (command.kind === "transfer") void import("./transfer/command.ts").then(({ runTransfer }) => runTransfer(command));
else if (command.kind === "client") void import("./cli-client/run.ts").then(({ runClient }) => runClient(command));
else if (command.kind === "mcp") void import("./mcp/command.ts").then(({ runMcp }) => runMcp(command));
else void import("./serve.ts").then(({ serve }) => serve(command));
