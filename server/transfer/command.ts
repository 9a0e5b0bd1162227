// `mediagen export` and `mediagen import`: move a ledger between databases (a laptop's SQLite file into the team's
// PostgreSQL, or back) through a portable NDJSON file, or directly. Exits 0 when everything was written or already
// there, 1 on conflicts or any other failure (a database that cannot be reached, a daemon holding the SQLite file,
// a truncated file), 2 on bad usage or a file that is not a ledger export. A database URL's password is never printed.
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { TransferCommand } from "../cli.ts";
import { EXIT } from "../cli-client/exit-codes.ts";
import { ConfigError, parseConfig } from "../config/store.ts";
import { DataDirInUseError, lockDataDir, type DataLock } from "../data-lock.ts";
import { DEFAULT_DATA_DIR_NAME } from "../defaults.ts";
import { describeTarget, storageTarget, type StorageTarget } from "../storage.ts";
import { databaseMessage, openSource, openTarget, parseLocation } from "./databases.ts";
import { LedgerFileError } from "./format.ts";
import { exportLedger, importLedger, readLedgerFile, sourceEntries, type ImportInput, type ImportSummary, type RowCounts } from "./transfer.ts";

/** Usage of `mediagen export` and `mediagen import`. */
export const TRANSFER_USAGE = `Usage:
  mediagen export [--out FILE|-] [--from sqlite:PATH|postgres://...] [--with-tokens] [--data-dir D]
  mediagen import FILE|- [--into sqlite:PATH|postgres://...] [--data-dir D]
  mediagen import --from sqlite:PATH|postgres://... [--into ...] [--with-tokens] [--data-dir D]

export writes the ledger (every generation row, refusals included) as NDJSON: a header line (format version, source
schema version), one line per row, an end line. --out defaults to mediagen-ledger-<time>.ndjson here; - is stdout.
--from defaults to the configured storage (MEDIAGEN_DATABASE_URL, storage: in config.yml, else <data-dir>/mediagen.db).
--with-tokens adds the person and team tokens (their hashes only: no secret is stored anywhere).

import reads such a file (or, with --from, a database directly) into --into, by default the configured storage,
after applying its migrations. Rows are keyed by id: one already there is skipped, one whose id holds a different row
is reported as a conflict and left alone, so importing again adds nothing. Jobs queued or running at the source are
written as interrupted. A SQLite ledger is written only while no daemon holds its data folder.

Exit status: 0 done, 1 conflicts or a failure (database, lock, truncated file), 2 bad usage or not a ledger file.`;

/** The parsed flags of either command. */
export type TransferOptions = { out?: string; from?: StorageTarget; into?: StorageTarget; file?: string; withTokens: boolean; dataDir: string };

/** Parses the arguments of export or import; a string is the usage error. */
export function parseTransferArgs(name: "export" | "import", argv: readonly string[], env: Record<string, string | undefined>): TransferOptions | string | "help" {
  const args = [...argv];
  const options: Partial<TransferOptions> & { withTokens: boolean } = { withTokens: false };
  let dataDir: string | undefined;
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--with-tokens") {
      options.withTokens = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (name !== "import" || options.file !== undefined) return `unexpected argument "${arg}"`;
      options.file = arg;
      continue;
    }
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const allowed = name === "export" ? ["--out", "--from", "--data-dir"] : ["--from", "--into", "--data-dir"];
    if (!allowed.includes(flag)) return `unknown argument "${flag}" (${name} takes ${allowed.join(", ")}, --with-tokens)`;
    const value = inline ?? args.shift();
    if (value === undefined || value === "") return `${flag} needs a value`;
    if (flag === "--out") options.out = value;
    else if (flag === "--data-dir") dataDir = value;
    else {
      const location = parseLocation(value);
      if (!location) return `${flag} must be sqlite:PATH or a postgres://user@host/database URL`;
      if (location.backend === "sqlite") location.path = resolve(location.path);
      if (flag === "--from") options.from = location;
      else options.into = location;
    }
  }
  if (name === "import" && (options.file === undefined) === (options.from === undefined)) return "import needs a FILE (or - for stdin), or --from a database, and not both";
  if (name === "import" && options.file !== undefined && options.withTokens) return "--with-tokens applies to export and import --from (a file brings its tokens if it has them)";
  return { ...options, dataDir: resolve(dataDir ?? (env.MEDIAGEN_DATA_DIR || join(homedir(), DEFAULT_DATA_DIR_NAME))) };
}

/** The configured storage of the data folder (as the daemon would use it). */
function configuredStorage(dataDir: string, env: Record<string, string | undefined>): StorageTarget {
  const path = join(dataDir, "config.yml");
  try {
    const configured = existsSync(path) ? parseConfig(readFileSync(path, "utf8"), path).storage : undefined;
    return storageTarget(dataDir, configured, env);
  } catch (error) {
    throw new UsageError(`invalid configuration\n${error instanceof ConfigError ? error.message : String(error)}`);
  }
}

class UsageError extends Error {}
class Failure extends Error {}

/** Runs `mediagen export` or `mediagen import` and exits with its status. */
export async function runTransfer(command: TransferCommand, env: Record<string, string | undefined> = process.env): Promise<void> {
  const options = parseTransferArgs(command.name, command.argv, env);
  if (options === "help") {
    console.log(TRANSFER_USAGE);
    process.exit(EXIT.ok);
  }
  if (typeof options === "string") {
    console.error(`mediagen ${command.name}: ${options}\n\n${TRANSFER_USAGE}`);
    process.exit(EXIT.usage);
  }
  try {
    const code = command.name === "export" ? await runExport(options, env) : await runImport(options, env);
    process.exit(code);
  } catch (error) {
    const usage = error instanceof UsageError || error instanceof LedgerFileError;
    console.error(`mediagen ${command.name}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(usage ? EXIT.usage : EXIT.other);
  }
}

/** A file name for an export made now, in the current folder. */
const defaultOut = (now: Date) => `mediagen-ledger-${now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-")}.ndjson`;

async function runExport(options: TransferOptions, env: Record<string, string | undefined>): Promise<number> {
  const from = options.from ?? configuredStorage(options.dataDir, env);
  const toStdout = options.out === "-";
  const out = toStdout ? "-" : resolve(options.out ?? defaultOut(new Date()));
  if (!toStdout && existsSync(out)) throw new Failure(`${out} already exists; name another file with --out, or remove it`);
  let source;
  try {
    source = await openSource(from);
  } catch (error) {
    throw new Failure(`cannot read the ledger ${from.backend} ${describeTarget(from)}: ${databaseMessage(error, from)}`);
  }
  const partial = `${out}.partial-${process.pid}`;
  const sink = toStdout ? Bun.stdout.writer() : Bun.file(partial).writer();
  try {
    const counts = await exportLedger(
      source,
      async (chunk) => {
        sink.write(chunk);
        await sink.flush();
      },
      { withTokens: options.withTokens },
    );
    if (!toStdout) {
      await sink.end();
      renameSync(partial, out);
    }
    const tokens = options.withTokens ? ` and ${counts.tokens} token(s) (hashes only)` : "";
    console.error(`exported ${counts.generations} generation row(s)${tokens} from ${from.backend} ${describeTarget(from)} to ${toStdout ? "stdout" : out}`);
    return EXIT.ok;
  } catch (error) {
    if (!toStdout) rmSync(partial, { force: true });
    throw new Failure(`export failed: ${databaseMessage(error, from)}`);
  } finally {
    await source.close();
  }
}

async function runImport(options: TransferOptions, env: Record<string, string | undefined>): Promise<number> {
  const into = options.into ?? configuredStorage(options.dataDir, env);
  const where = `${into.backend} ${describeTarget(into)}`;
  let lock: DataLock | undefined;
  if (into.backend === "sqlite") {
    try {
      lock = lockDataDir(dirname(into.path));
    } catch (error) {
      if (!(error instanceof DataDirInUseError)) throw error;
      const holder = error.pid ? `PID ${error.pid}` : "another process";
      throw new Failure(`a mediagen daemon (${holder}) is using ${error.dataDir}; stop it before importing into its SQLite ledger ${into.path} (importing into PostgreSQL while daemons run is fine)`);
    }
  }
  let input: ImportInput;
  let what: string;
  let close = async () => {};
  try {
    if (options.file !== undefined) {
      if (options.file !== "-" && !existsSync(options.file)) throw new UsageError(`no file ${options.file}`);
      const stream = options.file === "-" ? Bun.stdin.stream() : Bun.file(options.file).stream();
      ({ input } = await readLedgerFile(stream));
      what = options.file === "-" ? "stdin" : resolve(options.file);
    } else {
      const from = options.from!;
      const source = await openSource(from).catch((error: unknown) => {
        throw new Failure(`cannot read the ledger ${from.backend} ${describeTarget(from)}: ${databaseMessage(error, from)}`);
      });
      close = () => source.close();
      input = { entries: sourceEntries(source, options.withTokens), expectTrailer: false };
      what = `${from.backend} ${describeTarget(from)}`;
    }
    let target;
    try {
      target = await openTarget(into);
    } catch (error) {
      throw new Failure(`cannot open the ledger ${where}: ${databaseMessage(error, into)}`);
    }
    let progress: ImportSummary | undefined;
    try {
      const summary = await importLedger(input, target, (running) => (progress = running));
      printSummary(what, where, summary);
      return summary.generations.conflicts + summary.tokens.conflicts > 0 ? EXIT.other : EXIT.ok;
    } catch (error) {
      if (progress) printSummary(what, where, progress);
      if (error instanceof LedgerFileError) throw error;
      throw new Failure(`import stopped: ${databaseMessage(error, into)}`);
    } finally {
      await target.close();
    }
  } finally {
    await close();
    lock?.release();
  }
}

/** "read 10, imported 8, already present 1, conflicts 1". */
const line = (counts: RowCounts) => `read ${counts.read}, imported ${counts.imported}, already present ${counts.skipped}, conflicts ${counts.conflicts}`;

function printSummary(what: string, where: string, summary: ImportSummary): void {
  console.log(`import: ${what} into ${where}`);
  console.log(`generations: ${line(summary.generations)}`);
  if (summary.tokens.read > 0) console.log(`tokens: ${line(summary.tokens)}`);
  if (summary.interrupted > 0) console.log(`interrupted: ${summary.interrupted} job(s) queued or running at the source were written as interrupted (they cannot run here)`);
  for (const [kind, counts] of [["generation", summary.generations], ["token", summary.tokens]] as const) {
    if (counts.conflicts === 0) continue;
    const more = counts.conflicts > counts.conflictIds.length ? ` (and ${counts.conflicts - counts.conflictIds.length} more)` : "";
    console.log(`conflicts: ${kind} ids already holding a different ${kind === "token" ? "token (or whose hash or active name another token has)" : "row"}, left as they are: ${counts.conflictIds.join(", ")}${more}`);
  }
  if (!summary.complete) console.log("incomplete: the rows above were written; fix the input and import it again (rows already there are skipped)");
}
