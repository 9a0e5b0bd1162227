// The daemon: environment checks, the data-folder lock, config, ledger, front door, listen, recovery and shutdown.
// Loaded by main.ts only when the command line asks to serve, so --version and --help never pay for it.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pkg from "../package.json" with { type: "json" };
import { createApp } from "./app.ts";
import { LEASE_RENEW_FRACTION } from "./defaults.ts";
import { allowedHosts, internalUrl, keepAnnouncing } from "./files/holder.ts";
import type { ServeCommand } from "./cli.ts";
import { ConfigError, ConfigStore } from "./config/store.ts";
import { DataDirInUseError, lockDataDir } from "./data-lock.ts";
import { BUN_MAX_REQUEST_BODY_BYTES, createFrontDoor, DEFAULT_IDLE_TIMEOUT_SECONDS, MAX_IDLE_TIMEOUT_SECONDS } from "./http/front-door.ts";
import { createGuard, isLoopback } from "./http/guard.ts";
import { createLogger } from "./log.ts";
import { MediaService } from "./media/service.ts";
import { describeTarget, openStorage, storageTarget, type Storage } from "./storage.ts";
import { TokenService } from "./tokens/service.ts";
import { Thumbnails } from "./thumbnails/thumbnails.ts";

/** Starts the daemon for `command`; exits the process on a fatal start-up problem. */
export async function serve(command: ServeCommand): Promise<void> {
  // Delay between polls of long-running provider operations (Veo, video jobs); unset = the default.
  const pollText = process.env.MEDIAGEN_POLL_INTERVAL_SECONDS || undefined;
  const pollIntervalSeconds = pollText === undefined ? undefined : Number(pollText);
  if (pollIntervalSeconds !== undefined && !(Number.isFinite(pollIntervalSeconds) && pollIntervalSeconds >= 0)) {
    console.error(`mediagen: MEDIAGEN_POLL_INTERVAL_SECONDS must be a number of seconds from 0 up, got "${pollText}"`);
    process.exit(2);
  }

  // Seconds a silent connection is kept open; unset = the default. Requests waiting on a provider are exempt.
  const idleText = process.env.MEDIAGEN_IDLE_TIMEOUT_SECONDS || undefined;
  const idleTimeoutSeconds = idleText === undefined ? DEFAULT_IDLE_TIMEOUT_SECONDS : Number(idleText);
  if (!(Number.isInteger(idleTimeoutSeconds) && idleTimeoutSeconds >= 1 && idleTimeoutSeconds <= MAX_IDLE_TIMEOUT_SECONDS)) {
    console.error(`mediagen: MEDIAGEN_IDLE_TIMEOUT_SECONDS must be a whole number of seconds from 1 to ${MAX_IDLE_TIMEOUT_SECONDS}, got "${idleText}"`);
    process.exit(2);
  }

  // One daemon per data folder, taken before the config or the database is touched.
  try {
    const lock = lockDataDir(command.dataDir);
    process.on("exit", () => lock.release());
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    console.error(`mediagen: ${error.message}`);
    process.exit(1);
  }

  const log = createLogger();
  let config: ConfigStore;
  try {
    config = ConfigStore.open(command.dataDir, ({ ok, message }) => (ok ? log.info(message) : log.error(message)));
  } catch (error) {
    console.error(`mediagen: invalid configuration\n${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(1);
  }

  const configWarning = config.status().warning;
  if (configWarning) log.warn(configWarning);

  if (!isLoopback(command.host) && !config.get().server.token) {
    config.update((doc) => doc.setIn(["server", "token"], randomBytes(24).toString("base64url")));
    log.warn(`binding ${command.host} (not loopback): generated server.token in ${config.path}; clients must send Authorization: Bearer <token>`);
  }

  // The ledger and tokens: the SQLite file in the data folder, or PostgreSQL (MEDIAGEN_DATABASE_URL, else storage: in
  // config.yml), migrated now; a database newer than this binary is refused. Its password is never printed.
  const target = storageTarget(command.dataDir, config.get().storage);
  let storage: Storage;
  try {
    storage = await openStorage(target, (message, recovered) => (recovered ? log.info(message) : log.error(message)), `${hostname()}:${command.dataDir}`);
  } catch (error) {
    console.error(`mediagen: cannot open the ledger database ${describeTarget(target)}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const { ledger } = storage;
  const thumbnails = new Thumbnails({ dataDir: command.dataDir, ledger, log });
  const media = new MediaService({ config, ledger, log, pollIntervalSeconds, onSaved: (file) => thumbnails.saved(file) });
  const tokens = new TokenService(storage.tokens);
  try {
    await tokens.load();
  } catch (error) {
    console.error(`mediagen: cannot read the tokens from ${describeTarget(target)}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  // Other daemons on the same PostgreSQL database create and revoke tokens too.
  if (storage.backend === "postgres") tokens.refreshEvery(undefined, (error) => log.warn(`could not re-read the tokens: ${error instanceof Error ? error.message : String(error)}`));
  const app = createApp({ config, ledger, media, tokens, log, version: pkg.version, startedAt: Date.now(), bindHost: command.host });
  const frontDoor = createFrontDoor({
    handle: (request) => app.handle(request),
    // The UI page carries no token (it asks for one), so its files pass the Host and Origin checks only.
    uiGuard: createGuard({ bindHost: command.host, allowedHosts: () => allowedHosts(config.get().server), token: () => undefined }),
    apiGuard: createGuard({ bindHost: command.host, allowedHosts: () => allowedHosts(config.get().server), token: () => config.get().server.token, people: tokens }),
    maxBodyBytes: () => config.get().server.max_body_mib * 1048576,
    idleTimeoutSeconds,
    log,
  });

  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: command.host,
      port: command.port,
      development: false,
      // Without this Bun binds with SO_REUSEPORT and a second daemon on the same port starts and shares the traffic.
      reusePort: false,
      idleTimeout: idleTimeoutSeconds,
      // Bodies are counted against server.max_body_mib by the front door, which answers with the JSON 413.
      maxRequestBodySize: BUN_MAX_REQUEST_BODY_BYTES,
      fetch: frontDoor.fetch,
      error: frontDoor.error,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "EADDRINUSE" ? `port ${command.port} in use on ${command.host} (another mediagen daemon or another program); stop it or pass --port` : error instanceof Error ? error.message : String(error);
    console.error(`mediagen: cannot listen on ${command.host}:${command.port}: ${reason}`);
    process.exit(1);
  }

  // Several daemons on one database: the others forward requests for files this one keeps to this address.
  let stopAnnouncing = () => {};
  if (ledger.leases) {
    const configured = config.get().server.internal_url;
    const url = internalUrl(configured, command.host, server.port ?? command.port, hostname());
    if (!configured && isLoopback(command.host)) log.warn(`bound to ${command.host} on a shared database: daemons on other machines cannot fetch the files this one keeps; set server.internal_url to an address they reach`);
    stopAnnouncing = keepAnnouncing(ledger.leases, url, Math.max(500, Math.round(ledger.leases.leaseMs * LEASE_RENEW_FRACTION)), (message) => log.warn(message));
  }

  log.info(`mediagen ${pkg.version} listening on ${server.url.href.replace(/\/$/, "")} (data: ${command.dataDir}; ledger: ${storage.backend} ${storage.location})`);

  // Only once the port is ours: a daemon that cannot listen must not touch the previous run's jobs. On SQLite every
  // await below is already settled, so no request is served before recovery; on PostgreSQL the unfinished rows are
  // read first, so a request served meanwhile is never taken for the previous run's.
  const recovered = await media.recover();
  if (recovered.interrupted > 0) log.warn(`${recovered.interrupted} generation(s) left unfinished by the previous run recorded as interrupted`);
  if (recovered.resumed > 0) log.info(`${recovered.resumed} generation(s) of the previous run resumed at their provider`);
  // Results saved before thumbnails existed get theirs in the background, newest first.
  const backlog = await thumbnails.backfill();
  if (backlog > 0) log.info(`making thumbnails of ${backlog} earlier result(s) in the background`);

  // The last net: a rejection nobody handled is a bug to log, never a reason to drop every caller's connection.
  process.on("unhandledRejection", (reason) => {
    log.error(`unhandled rejection (daemon kept running): ${reason instanceof Error ? reason.message : String(reason)}`);
  });

  /** Time given to in-flight responses to be written after the last generation ends, in ms. */
  const FLUSH_GRACE_MS = 3000;
  let stopping = false;
  async function shutdown(signal: string) {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    stopAnnouncing();
    const grace = config.get().server.shutdown_grace_seconds;
    log.info(`${signal}: no longer accepting requests; waiting up to ${grace} s for ${media.running} running generation(s)`);
    const connectionsClosed = server.stop(false);
    const interrupted = await media.drain(grace * 1000);
    if (interrupted > 0) log.warn(`${interrupted} generation(s) recorded as interrupted`);
    // Let the answers of finished generations reach their callers before closing what is left.
    await Promise.race([connectionsClosed, Bun.sleep(FLUSH_GRACE_MS)]);
    await server.stop(true);
    thumbnails.close();
    tokens.close();
    await tokens.settled();
    const unwritten = await storage.close();
    if (unwritten.length > 0) {
      log.error(`${unwritten.length} ledger write(s) could not be recorded before exit (the database is still not writable); the files are on disk:`);
      for (const write of unwritten) log.error(`  not recorded: ${write}`);
    }
    log.info("stopped");
    process.exit(0);
  }
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
