// Team mode in a real browser, served by the compiled executable with server.token and a team budget: a member's
// History cards say whose token made each record, and their Costs page shows their own spend against their token's
// and their team's limits; the member's navigation has no Tokens page.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { BUILD_TIMEOUT_MS, type Daemon } from "../e2e/daemon.ts";
import { browserAvailable, guardPages, openPage, startUi, type UiFixture } from "./browser.ts";

const enabled = browserAvailable();
guardPages();
const SERVER_TOKEN = "browser-server-token-42";
let ui: UiFixture;
let daemon: Daemon;
let browser: Browser;
let member = "";

/** Calls the daemon's API with `token` as the bearer and returns the JSON answer. */
async function api(path: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${daemon.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  if (!enabled) return;
  ui = await startUi("mediagen-browser-people-", {
    config: {
      server: { token: SERVER_TOKEN },
      models: [{ name: "offline-speech", type: "audio", provider: "local", model: "flite", default: true }],
      budget: { per_team: { design: { daily_usd: 5, monthly_usd: 40 } } },
    },
  });
  ({ daemon, browser } = ui);
  member = (await api("/api/tokens", SERVER_TOKEN, { name: "alice", team: "design", budget_daily_usd: 2 })).token as string;
  const out = join(ui.root, "out");
  await api("/api/media/audio/speech", member, { input: "Spoken with alice's token.", output_dir: out });
  await api("/api/media/audio/speech", SERVER_TOKEN, { input: "Spoken with the server token.", output_dir: out });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await ui?.close();
});

/** Opens `path` as the holder of `token` (kept where the UI keeps the token it is given). */
async function openAs(path: string, token: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser, `${daemon.url}${path}`);
  await opened.page.evaluate((secret) => localStorage.setItem("mediagen.token", secret), token);
  await opened.page.reload();
  await opened.page.locator("main h1").waitFor();
  return opened;
}

describe.if(enabled)("what a token holder sees", () => {
  test("history: the card of alice's record says it is hers and her team's; the server token's says nothing of an owner", async () => {
    const { page, errors } = await openAs("/history", member);
    const mine = page.locator("article.history-card", { hasText: "Spoken with alice's token." });
    await mine.waitFor();
    expect(await mine.locator(".history-owner").textContent()).toBe("By alice (design)");
    const theirs = page.locator("article.history-card", { hasText: "Spoken with the server token." });
    await theirs.waitFor();
    expect(await theirs.locator(".history-owner").count()).toBe(0);
    await mine.getByRole("button", { name: "Details" }).click();
    const dialog = page.getByRole("dialog", { name: "Generation details" });
    await dialog.waitFor();
    expect(await dialog.locator("dt", { hasText: "Owner" }).locator("xpath=following-sibling::dd[1]").textContent()).toBe("alice (design)");
    // A member's navigation leaves out the Tokens page.
    expect(await page.getByRole("navigation", { name: "main" }).getByRole("link", { name: "Tokens" }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("costs: alice sees her spend today and this month against her daily limit and her team's limits", async () => {
    const { page, errors } = await openAs("/costs", member);
    const panel = page.getByRole("region", { name: "Your spend" });
    await panel.waitFor();
    const bars = panel.getByRole("progressbar");
    await bars.first().waitFor();
    expect(await bars.evaluateAll((all) => all.map((bar) => bar.getAttribute("aria-label")))).toEqual(["Today · Your token (alice)", "Today · Team design", "This month · Team design"]);
    expect(await bars.first().getAttribute("aria-valuetext")).toMatch(/^\$[\d.]+ of \$2\.00 \(\d+%\)$/);
    expect(await panel.textContent()).toContain("This month · Your token (alice)");
    expect(await panel.textContent()).toContain("no limit");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("costs: the server token's holder sees no panel of their own", async () => {
    const { page, errors } = await openAs("/costs", SERVER_TOKEN);
    await page.locator(".costs-total-value").first().waitFor();
    await page.getByRole("heading", { level: 2, name: "Budget" }).waitFor();
    await page.waitForLoadState("networkidle");
    expect(await page.getByRole("heading", { level: 2, name: "Your spend" }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});
