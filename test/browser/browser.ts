// Real-browser test fixtures: Debian's Chromium driven by playwright-core against the compiled executable.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { cleanEnv, prepareExecutable, startDaemon, type Daemon } from "../e2e/daemon.ts";

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

/**
 * A page that fails the test on any uncaught error in the UI. `errors` collects uncaught page errors; `outside`
 * collects every request of the page's context (popups included) that leaves the origin of `url`, watched from
 * before the first navigation (data: and blob: URLs stay in the browser and are not counted).
 */
export async function openPage(
  browser: Browser,
  url: string,
  options: { locale?: string; colorScheme?: "light" | "dark"; width?: number; height?: number } = {},
): Promise<{ page: Page; errors: string[]; outside: string[] }> {
  const context = await browser.newContext({
    locale: options.locale ?? "en-US",
    colorScheme: options.colorScheme ?? "light",
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
  });
  const origin = new URL(url).origin;
  const outside: string[] = [];
  context.on("request", (request) => {
    const target = request.url();
    if (target.startsWith("data:") || target.startsWith("blob:")) return;
    if (new URL(target).origin !== origin) outside.push(target);
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  return { page, errors, outside };
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
 * Builds (or takes MEDIAGEN_BINARY) the executable, starts it from an empty folder, and launches Chromium;
 * `prepare` may fill the data folder (a ledger, files) before the daemon starts.
 */
export async function startUi(prefix: string, prepare?: (root: string, dataDir: string) => Promise<void>): Promise<UiFixture> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const { binary, runDir } = await prepareExecutable(root);
  await prepare?.(root, join(root, "data"));
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
