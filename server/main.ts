// Entry point: parse the command line; answer --version and --help at once, and load the daemon only to serve.
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
// A dynamic import: the bundle evaluates the server's modules only here.
void import("./serve.ts").then(({ serve }) => serve(command));
