// `mediagen migrate [--dry-run]`: the ledger database's schema version and this binary's, for the SQLite file or the
// PostgreSQL database config.yml (or MEDIAGEN_DATABASE_URL) names, and the pending migrations applied. The daemon
// applies them itself at start; this is for doing it ahead of a rollout, or checking. Exits 1 on any problem.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MigrateCommand } from "../cli.ts";
import { ConfigError, parseConfig } from "../config/store.ts";
import { describeTarget, migrateStorage, storageTarget, storageVersions } from "../storage.ts";

/** Prints current and target versions and migrates (unless --dry-run); exits 1 when the database cannot be used. */
export async function runMigrate(command: MigrateCommand): Promise<void> {
  const path = join(command.dataDir, "config.yml");
  let configured: string | undefined;
  try {
    configured = existsSync(path) ? parseConfig(readFileSync(path, "utf8"), path).storage : undefined;
  } catch (error) {
    console.error(`mediagen: invalid configuration\n${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(1);
  }
  const target = storageTarget(command.dataDir, configured);
  const where = `${target.backend} ${describeTarget(target)}`;
  try {
    const versions = await storageVersions(target);
    console.log(`ledger: ${where}`);
    console.log(`schema version: ${versions.current} (this mediagen: ${versions.target})`);
    if (versions.current > versions.target) {
      console.error(`mediagen: the database is newer than this mediagen (schema ${versions.current} > ${versions.target}); upgrade mediagen`);
      process.exit(1);
    }
    if (versions.current === versions.target) {
      console.log("up to date: nothing to apply");
      return;
    }
    if (command.dryRun) {
      console.log(`would apply ${versions.target - versions.current} migration(s): ${versions.current + 1} to ${versions.target} (--dry-run: nothing changed)`);
      return;
    }
    const applied = await migrateStorage(target);
    console.log(`applied ${applied.target - applied.current} migration(s): now at ${applied.target}`);
  } catch (error) {
    console.error(`mediagen: cannot migrate the ledger ${where}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
