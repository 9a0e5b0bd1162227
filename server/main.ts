// Entry point: parse flags, load config, open the ledger, mount the UI and listen. Everything else lives in app.ts.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { createApp } from "./app.ts";
import { parseArgs, USAGE } from "./cli.ts";
import { ConfigError, ConfigStore } from "./config/store.ts";
import { openDatabase } from "./db/database.ts";
import { Ledger } from "./db/generations.ts";
import { isLoopback } from "./http/guard.ts";
import { createLogger } from "./log.ts";
import { MediaService } from "./services/generation.ts";
import { UI_ROUTES } from "./ui.ts";

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

// Delay between polls of long-running provider operations (Veo, video jobs); unset = the default.
const pollText = process.env.MEDIAGEN_POLL_INTERVAL_SECONDS || undefined;
const pollIntervalSeconds = pollText === undefined ? undefined : Number(pollText);
if (pollIntervalSeconds !== undefined && !(Number.isFinite(pollIntervalSeconds) && pollIntervalSeconds >= 0)) {
  console.error(`mediagen: MEDIAGEN_POLL_INTERVAL_SECONDS must be a number of seconds from 0 up, got "${pollText}"`);
  process.exit(2);
}

const log = createLogger();
let config: ConfigStore;
try {
  config = ConfigStore.open(command.dataDir, ({ ok, message }) => (ok ? log.info(message) : log.error(message)));
} catch (error) {
  console.error(`mediagen: invalid configuration\n${error instanceof ConfigError ? error.message : String(error)}`);
  process.exit(1);
}

if (!isLoopback(command.host) && !config.get().server.token) {
  config.update((doc) => doc.setIn(["server", "token"], randomBytes(24).toString("base64url")));
  log.warn(`binding ${command.host} (not loopback): generated server.token in ${config.path}; clients must send Authorization: Bearer <token>`);
}

const db = openDatabase(join(command.dataDir, "mediagen.db"));
const ledger = new Ledger(db, Date.now, (message, recovered) => (recovered ? log.info(message) : log.error(message)));
const media = new MediaService({ config, ledger, log, pollIntervalSeconds });
const recovered = media.recover();
if (recovered.interrupted > 0) log.warn(`${recovered.interrupted} generation(s) left unfinished by the previous run recorded as interrupted`);
if (recovered.resumed > 0) log.info(`${recovered.resumed} generation(s) of the previous run resumed at their provider`);
const app = createApp({ config, ledger, media, log, version: pkg.version, startedAt: Date.now(), bindHost: command.host });
const maxBodyBytes = config.get().server.max_body_mib * 1048576;

let server: ReturnType<typeof Bun.serve>;
try {
  server = Bun.serve({
    hostname: command.host,
    port: command.port,
    development: false,
    // Generations take minutes: never drop an idle-looking connection that is waiting for one.
    idleTimeout: 0,
    // Above the configured limit so the API answers oversized bodies with its own JSON 413.
    maxRequestBodySize: maxBodyBytes * 2 + 16 * 1048576,
    routes: UI_ROUTES,
    async fetch(request) {
      const started = performance.now();
      const response = await app.handle(request);
      log.request(request.method, new URL(request.url).pathname, response.status, performance.now() - started);
      return response;
    },
  });
} catch (error) {
  console.error(`mediagen: cannot listen on ${command.host}:${command.port}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

log.info(`mediagen ${pkg.version} listening on ${server.url.href.replace(/\/$/, "")} (data: ${command.dataDir})`);

/** Time given to in-flight responses to be written after the last generation ends, in ms. */
const FLUSH_GRACE_MS = 3000;
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) {
    log.warn(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  const grace = config.get().server.shutdown_grace_seconds;
  log.info(`${signal}: no longer accepting requests; waiting up to ${grace} s for ${media.running} running generation(s)`);
  const connectionsClosed = server.stop(false);
  const interrupted = await media.drain(grace * 1000);
  if (interrupted > 0) log.warn(`${interrupted} generation(s) recorded as interrupted`);
  // Let the answers of finished generations reach their callers before closing what is left.
  await Promise.race([connectionsClosed, Bun.sleep(FLUSH_GRACE_MS)]);
  await server.stop(true);
  const unwritten = ledger.close();
  if (unwritten > 0) log.error(`${unwritten} ledger write(s) could not be recorded before exit (the database is still not writable)`);
  db.close();
  log.info("stopped");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
