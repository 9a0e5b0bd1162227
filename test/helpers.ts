// Test fixtures: a real app on a temp data folder with real SQLite, driven through app.handle().
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { createApp } from "../server/app.ts";
import type { AppDeps } from "../server/deps.ts";
import { ConfigStore } from "../server/config/store.ts";
import { openDatabase } from "../server/ledger/database.ts";
import { SqliteLedger } from "../server/ledger/ledger.ts";
import type { MediaType } from "../server/config/schema.ts";
import { memoryLogger } from "../server/log.ts";
import { MediaService } from "../server/media/service.ts";
import { SqliteTokenStore, type TokenStore } from "../server/tokens/store.ts";
import type { Ledger } from "../server/ledger/store.ts";
import { TokenService } from "../server/tokens/service.ts";
import { Thumbnails } from "../server/thumbnails/thumbnails.ts";
import { AppError } from "../server/errors.ts";
import { startFakeClacky, type FakeClacky } from "./fakes/openclacky.ts";

/** A temp folder removed on dispose. */
export function tempDir(prefix = "mediagen-test-"): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** One attempt per job unless the test configures retries itself, so error mapping is seen without retries. */
function withSingleAttempts(config: Record<string, unknown>): Record<string, unknown> {
  if (config.jobs !== undefined) return config;
  const once = { max_attempts: 1 };
  return { ...config, jobs: { image: once, video: once, audio: once } };
}

/** Options of a test harness. */
export interface HarnessOptions {
  /** config.yml content: an object (serialised to YAML) or raw text. Default: the generated template. */
  config?: Record<string, unknown> | string;
  timeoutsSeconds?: Record<MediaType, number>;
  /** Delay between polls of long-running operations (keep it small in tests). */
  pollIntervalSeconds?: number;
  bindHost?: string;
  /** Overrides how result folders are opened (POST /api/generations/:id/open-folder). */
  folderOpener?: AppDeps["folderOpener"];
  /** The ledger and token store to use (test/storage.ts: PostgreSQL); default: SQLite in the data folder. */
  storage?: { ledger: Ledger; tokens: TokenStore };
}

/** The app on a temp data folder, plus helpers to call it. */
export function createHarness(options: HarnessOptions = {}) {
  const dir = tempDir();
  const dataDir = join(dir.path, "data");
  const workDir = join(dir.path, "work");
  if (options.config !== undefined) {
    Bun.spawnSync(["mkdir", "-p", dataDir]);
    writeFileSync(join(dataDir, "config.yml"), typeof options.config === "string" ? options.config : stringify(withSingleAttempts(options.config)));
  }
  const config = ConfigStore.open(dataDir);
  const db = openDatabase(join(dataDir, "mediagen.db"));
  const log = memoryLogger();
  const ledger: Ledger = options.storage?.ledger ?? new SqliteLedger(db, Date.now, (message, recovered) => (recovered ? log.info(message) : log.error(message)));
  const thumbnails = new Thumbnails({ dataDir, ledger, log });
  const media = new MediaService({
    config,
    ledger,
    log,
    timeoutsSeconds: options.timeoutsSeconds,
    pollIntervalSeconds: options.pollIntervalSeconds ?? 0.01,
    onSaved: (file) => thumbnails.saved(file),
  });
  const tokens = new TokenService(options.storage?.tokens ?? new SqliteTokenStore(db));
  const app = createApp({ config, ledger, media, tokens, log, version: "test", startedAt: Date.now(), bindHost: options.bindHost ?? "127.0.0.1", folderOpener: options.folderOpener });

  const call = (path: string, init: RequestInit = {}) => app.handle(new Request(`http://127.0.0.1:7070${path}`, init));
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await call(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  };
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await call(path, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  };
  return {
    app,
    config,
    db,
    ledger,
    log,
    media,
    tokens,
    thumbnails,
    dataDir,
    workDir,
    root: dir.path,
    call,
    post,
    get,
    [Symbol.dispose]() {
      thumbnails.close();
      void ledger.close();
      db.close();
      dir[Symbol.dispose]();
    },
  };
}
export type Harness = ReturnType<typeof createHarness>;

/** A config with openclacky models for every type pointing at `baseUrl`. */
export function clackyConfig(baseUrl: string, key: string, overrides: { image?: string } = {}) {
  return {
    models: [
      { name: "img", type: "image", provider: "openclacky", model: overrides.image ?? "or-gpt-image-2", api_key: key, base_url: baseUrl },
      { name: "vid", type: "video", provider: "openclacky", model: "or-veo-3-1", api_key: key, base_url: baseUrl },
      { name: "tts", type: "audio", provider: "openclacky", model: "or-tts-gemini-2-5-flash", api_key: key, base_url: baseUrl },
    ],
  };
}

/** A fake openclacky gateway and a harness configured for it, made before this file's tests (then handed to `ready`) and closed after them. */
export function withClackyHarness(
  ready: (made: { fake: FakeClacky; h: Harness }) => unknown,
  options: Omit<HarnessOptions, "config"> = {},
): void {
  let made: { fake: FakeClacky; h: Harness } | undefined;
  beforeAll(async () => {
    const fake = startFakeClacky();
    made = { fake, h: createHarness({ ...options, config: clackyConfig(fake.url, fake.key) }) };
    await ready(made);
  });
  afterAll(async () => {
    made?.h[Symbol.dispose]();
    await made?.fake.close();
  });
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** The error of class `kind` (AppError unless named) that `run` throws. */
export function thrown<E extends Error = AppError>(run: () => unknown, kind: ErrorClass<E> = AppError as unknown as ErrorClass<E>): E {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(kind);
    return error as E;
  }
  throw new Error(`expected a ${kind.name}, nothing was thrown`);
}

/** The AppError `promise` rejects with. */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError, the promise resolved");
}
