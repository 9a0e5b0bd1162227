// The UI shell in a real browser, served by the compiled executable: pages, language, offline assets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { BUILD_TIMEOUT_MS, type Daemon } from "../e2e/daemon.ts";
import { browserAvailable, guardPages, openPage, startUi, type UiFixture } from "./browser.ts";

const enabled = browserAvailable();
guardPages();
let ui: UiFixture;
let daemon: Daemon;
let browser: Browser;

beforeAll(async () => {
  if (!enabled) return;
  ui = await startUi("mediagen-browser-");
  ({ daemon, browser } = ui);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await ui?.close();
});

describe.if(enabled)("shell", () => {
  test("every page loads from the executable with no request leaving 127.0.0.1", async () => {
    const { page, errors } = await openPage(browser, daemon.url);
    const outside: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(daemon.url) && !request.url().startsWith("data:")) outside.push(request.url());
    });
    for (const [path, heading] of [
      ["/models", "Models"],
      ["/history", "History"],
      ["/costs", "Costs"],
      ["/jobs", "Jobs"],
      ["/tokens", "Tokens"],
      ["/", "Playground"],
    ]) {
      await page.goto(`${daemon.url}${path}`);
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
    }
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  test("the language switch turns the UI Chinese and stays after a reload", async () => {
    const { page, errors } = await openPage(browser, daemon.url);
    await page.getByLabel("Language").selectOption("zh");
    await page.getByRole("link", { name: "历史" }).waitFor();
    await page.reload();
    await page.getByRole("link", { name: "历史" }).waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  test("an unknown API path is still a JSON 404, not the UI page", async () => {
    const response = await fetch(`${daemon.url}/api/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/json");
  });

  test("an unknown page shows Not Found; /settings, /models/ and /Costs land on their pages", async () => {
    const { page, errors } = await openPage(browser, daemon.url);
    const unknown = await page.goto(`${daemon.url}/playground`);
    expect(unknown?.status()).toBe(404);
    await page.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
    await page.getByRole("link", { name: "Back to the playground" }).click();
    await page.getByRole("heading", { level: 1, name: "Playground" }).waitFor();
    for (const [path, landing, heading] of [
      ["/settings", "/models", "Models"],
      ["/models/", "/models", "Models"],
      ["/Costs", "/costs", "Costs"],
    ] as const) {
      await page.goto(`${daemon.url}${path}`);
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
      expect(new URL(page.url()).pathname).toBe(landing);
    }
    expect(errors).toEqual([]);
  }, 60_000);
});
