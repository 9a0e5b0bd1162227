// History and Costs in a real browser, served by the compiled executable: the uPlot chart on a real canvas in
// both themes, costs grouped by caller with a refused request, the native detail dialog and Escape, re-run into
// Jobs, narrow windows without sideways scrolling.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { BUILD_TIMEOUT_MS, type Daemon } from "../e2e/daemon.ts";
import { browserAvailable, guardPages, openPage, startUi, type UiFixture } from "./browser.ts";

const enabled = browserAvailable();
guardPages();
let ui: UiFixture;
let root: string;
let daemon: Daemon;
let browser: Browser;

beforeAll(async () => {
  if (!enabled) return;
  ui = await startUi("mediagen-browser-pages-");
  ({ root, daemon, browser } = ui);
  // One generation in the ledger, from the built-in offline voice (no network, no key).
  const response = await fetch(`${daemon.url}/api/media/audio/speech`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: "Hello from the browser test.", output_dir: join(root, "out") }),
  });
  if (!response.ok) throw new Error(`speech failed: ${response.status} ${await response.text()}`);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await ui?.close();
});

/** Whether the page scrolls sideways (it should not, even on a phone-sized window). */
const overflowsSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);

describe.if(enabled)("history and costs pages", () => {
  test("costs: uPlot draws the stacked chart on a canvas with theme colours, light and dark", async () => {
    for (const [colorScheme, imageColour] of [
      ["light", "#3557d6"],
      ["dark", "#7b96ff"],
    ] as const) {
      const { page, errors } = await openPage(browser, `${daemon.url}/costs`, { colorScheme });
      await page.getByRole("heading", { level: 1, name: "Costs" }).waitFor();
      await page.locator(".costs-chart canvas").waitFor();
      const box = await page.locator(".costs-chart canvas").boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(200);
      expect(await page.locator(".costs-chart .u-legend").textContent()).toContain("Speech");
      const colour = await page.evaluate(() => getComputedStyle(document.querySelector(".costs-page")!).getPropertyValue("--chart-image").trim());
      expect(colour).toBe(imageColour);
      await expect(page.locator(".costs-models tbody tr").count()).resolves.toBe(1);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  }, 60_000);

  test("history: the speech card shows its stored duration, the native dialog opens, closes with Escape, and re-run (same model and folder) leads to Jobs", async () => {
    const { page, errors } = await openPage(browser, `${daemon.url}/history`);
    await page.getByRole("heading", { level: 1, name: "History" }).waitFor();
    const card = page.locator("article.history-card").first();
    await card.waitFor();
    expect(await card.locator(".history-poster").textContent()).toMatch(/Speech · 0:0[1-9]/);
    expect(await card.locator("audio").count()).toBe(0);
    await card.getByRole("button", { name: "Details" }).click();
    const dialog = page.getByRole("dialog", { name: "Generation details" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("Hello from the browser test.");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });

    await card.getByRole("button", { name: "Details" }).click();
    await dialog.getByRole("button", { name: "Re-run" }).click();
    await dialog.locator(".history-rerun-model select").waitFor();
    expect(await dialog.locator(".history-request").textContent()).toContain(join(root, "out"));
    await dialog.getByRole("button", { name: "Submit again" }).click();
    await dialog.getByText(/Submitted as job/).waitFor();
    await dialog.getByRole("link", { name: "Follow it in Jobs" }).click();
    await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/jobs");
    expect(errors).toEqual([]);

    // The re-run went to the same model and into the same folder as the original.
    type Row = { model: string; door: string; status: string; output_path: string | null };
    let rows: Row[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      rows = ((await (await fetch(`${daemon.url}/api/generations?type=audio`)).json()) as { items: Row[] }).items;
      if (rows.length >= 2 && rows.every((row) => row.status === "succeeded")) break;
      await Bun.sleep(200);
    }
    expect(rows.map((row) => [row.model, row.door, row.status])).toEqual([
      ["flite", "ui", "succeeded"],
      ["flite", "api", "succeeded"],
    ]);
    expect(rows[0]!.output_path!).toStartWith(join(root, "out"));
    await page.context().close();
  }, 60_000);

  test("costs grouped by caller and a refused request in History: an agent turned away is seen, and why", async () => {
    // No image model is configured: the MCP agent's request is refused before any provider call.
    const refused = await fetch(`${daemon.url}/api/media/image`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-mediagen-door": "mcp", "user-agent": "claude-code", "x-mediagen-session": "browser-session" },
      body: JSON.stringify({ prompt: "a lighthouse at dusk" }),
    });
    expect(refused.status).toBe(422);

    const { page, errors } = await openPage(browser, `${daemon.url}/costs`);
    await page.locator(".costs-chart canvas").waitFor();
    // At rest the legend shows each series' total for the range, never a dash.
    const legend = (await page.locator(".costs-chart .u-legend").textContent()) ?? "";
    expect(legend).toContain("$0");
    expect(legend).not.toContain("—");
    await page.getByLabel("Group by").selectOption("door");
    await page.getByRole("heading", { name: "Spend by door" }).waitFor();
    const mcp = page.locator(".costs-models tbody tr", { hasText: "MCP" });
    await mcp.waitFor();
    expect(await mcp.locator("td").allTextContents()).toEqual(["0", "$0", "0", "1", "0"]);
    expect(await page.locator(".costs-models tbody tr", { hasText: "HTTP API" }).count()).toBe(1);
    expect(await page.locator(".costs-chart .u-legend").textContent()).toContain("MCP");
    const note = (await page.locator(".costs-exceptions").textContent()) ?? "";
    expect(note).toContain("Refused before any provider call in this range: 1");
    expect(note).not.toContain("Failed after the provider charged");
    await page.context().close();

    const history = await openPage(browser, `${daemon.url}/history`);
    await history.page.locator("article.history-card").first().waitFor();
    await history.page.getByLabel("Status").selectOption("refused");
    const card = history.page.locator("article.history-card", { hasText: "a lighthouse at dusk" });
    await card.waitFor();
    expect(await history.page.locator("article.history-card").count()).toBe(1);
    expect(await card.locator(".badge.refused").textContent()).toBe("Refused");
    expect(await card.textContent()).toContain("not_configured");
    await card.getByRole("button", { name: "Details" }).click();
    const dialog = history.page.getByRole("dialog", { name: "Generation details" });
    expect(await dialog.textContent()).toContain("claude-code");
    expect(errors).toEqual([]);
    expect(history.errors).toEqual([]);
    await history.page.context().close();
  }, 60_000);

  test("both pages fit a phone-sized window", async () => {
    for (const path of ["/history", "/costs"]) {
      const { page, errors } = await openPage(browser, `${daemon.url}${path}`, { width: 360 });
      await page.locator("main h1").waitFor();
      await page.locator(path === "/costs" ? ".costs-chart canvas" : "article.history-card").first().waitFor();
      expect(await overflowsSideways(page)).toBe(false);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  }, 60_000);
});
