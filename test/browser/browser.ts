// Real-browser test fixtures: Debian's Chromium driven by playwright-core against the compiled executable.
import { afterEach } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { cleanEnv, prepareExecutable, startDaemon, writeConfig, type Daemon } from "../e2e/daemon.ts";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Whether browser tests can run. Without Chromium they are skipped locally with a note; under CI they fail,
 * because .ci/run installs it.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs it with apt-get`);
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return false;
}

/** Starts headless Chromium with the flags this closed network needs (build-notes.md, "Browser tests"). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** A page opened by `openPage` and what it did: the checks `guardPages` applies after each test read these. */
export interface WatchedPage {
  page: Page;
  /** Uncaught page errors and console errors, in order, each with where it came from. */
  errors: string[];
  /** Requests to a host other than loopback (this machine has no other network, so they fail anyway). */
  outside: string[];
  /** Every request the page's context made (popups included), as "METHOD url", in order. */
  requests: string[];
}

/** Options of `openPage`. */
export interface PageOptions {
  locale?: string;
  colorScheme?: "light" | "dark";
  width?: number;
  height?: number;
  /** Console errors the test expects (matched against the message text); every other console error fails the test. */
  allowConsole?: RegExp[];
}

/** Hosts a page may reach: the daemon and the fakes all listen on loopback. */
const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])$/;

/**
 * Chromium's own console line for an HTTP error answer. A 4xx from the daemon is the API explaining a refusal, which
 * the UI shows and the tests check on the page; 5xx answers and failed loads still count as errors.
 */
const CLIENT_ERROR_LOAD = /^Failed to load resource: the server responded with a status of 4\d\d\b/;

/** Whether `url` stays on this machine (data:, blob: and about: URLs never leave the browser). */
export function isLoopbackUrl(url: string): boolean {
  const parsed = URL.parse(url);
  if (!parsed) return false;
  if (parsed.protocol === "data:" || parsed.protocol === "blob:" || parsed.protocol === "about:") return true;
  return LOOPBACK.test(parsed.hostname);
}

/** Pages opened since the last check, when the test file called `guardPages`. */
let watched: WatchedPage[] | undefined;

/**
 * Fails every test of the calling file that, on any page it opened with `openPage`, had an uncaught error, a console
 * error or a request to a host other than loopback, listing them; then closes those pages. Call once at the top of
 * every browser test file.
 */
export function guardPages(): void {
  watched ??= [];
  afterEach(async () => {
    const pages = watched!.splice(0);
    await Promise.all(pages.map(({ page }) => page.context().close()));
    const problems = pages.flatMap(({ page, errors, outside }) => {
      const where = page.url() === "about:blank" ? "" : ` (last at ${new URL(page.url()).pathname})`;
      return [...errors.map((error) => `error${where}: ${error}`), ...outside.map((url) => `request left loopback${where}: ${url}`)];
    });
    if (problems.length > 0) throw new Error(`the pages of this test misbehaved:\n  ${problems.join("\n  ")}`);
  });
}

/**
 * A fresh browser context showing `url`, watched from before the first navigation: every request is recorded, those to
 * a host other than loopback also in `outside`, and uncaught errors and console errors (less
 * `allowConsole`) go to `errors`. Under `guardPages` a test fails when either is not empty.
 */
export async function openPage(browser: Browser, url: string, options: PageOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    locale: options.locale ?? "en-US",
    colorScheme: options.colorScheme ?? "light",
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
  });
  const outside: string[] = [];
  const requests: string[] = [];
  const errors: string[] = [];
  const allowed = [CLIENT_ERROR_LOAD, ...(options.allowConsole ?? [])];
  // Request events rather than routing: routing would turn off Chromium's HTTP cache, which the UI relies on.
  context.on("request", (request) => {
    requests.push(`${request.method()} ${request.url()}`);
    if (!isLoopbackUrl(request.url())) outside.push(request.url());
  });
  context.on("weberror", (error) => errors.push(`uncaught: ${error.error().message}`));
  context.on("console", (message) => {
    if (message.type() !== "error" || allowed.some((pattern) => pattern.test(message.text()))) return;
    const source = message.location().url;
    errors.push(`console: ${message.text()}${source ? ` [${source}]` : ""}`);
  });
  const page = await context.newPage();
  const entry = { page, errors, outside, requests };
  watched?.push(entry);
  await page.goto(url);
  return entry;
}

/** The executable running on a fresh data folder, and a browser to drive it. */
export interface UiFixture {
  root: string;
  daemon: Daemon;
  browser: Browser;
  /** Closes the browser, stops the daemon and removes the folder. */
  close(): Promise<void>;
}

/**
 * Builds (or takes MEDIAGEN_BINARY) the executable, starts it from an empty folder (with `config` as its config.yml
 * when given; `prepare` may fill the data folder, a ledger and files, before the daemon starts), and launches Chromium.
 */
export async function startUi(prefix: string, setup: { config?: Record<string, unknown>; prepare?: (root: string, dataDir: string) => Promise<void> } = {}): Promise<UiFixture> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const { binary, runDir } = await prepareExecutable(root);
  if (setup.config) writeConfig(join(root, "data"), setup.config);
  await setup.prepare?.(root, join(root, "data"));
  const daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir: join(root, "data"), env: cleanEnv({ HOME: root }) });
  const browser = await launchBrowser();
  return {
    root,
    daemon,
    browser,
    async close() {
      await browser.close();
      await daemon.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
