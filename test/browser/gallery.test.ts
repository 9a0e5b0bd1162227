// The History gallery in a real browser over a ledger of thousands of rows, served by the compiled executable: only a
// window of rows in the DOM while scrolling pages in by cursor, thumbnails (not the full files) in the cards, a
// missing file never requested, the lightbox's keys, and filters that survive a reload.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { openDatabase } from "../../server/ledger/database.ts";
import { SqliteLedger } from "../../server/ledger/ledger.ts";
import { makeThumbnail } from "../../server/thumbnails/codec.ts";
import { BUILD_TIMEOUT_MS, type Daemon } from "../e2e/daemon.ts";
import { gradient, png } from "../server/thumbnails/pictures.ts";
import { browserAvailable, guardPages, launchBrowser, openPage, startUi, type UiFixture } from "./browser.ts";

/** Rows in the ledger: enough that rendering them all would be slow, few enough to fill in a second. */
const ROWS = 3000;
/** Distinct picture files the rows point at (each 1920×1080), and their thumbnails made here as the daemon would. */
const SOURCES = 8;
const SUBJECTS = ["cat", "dog", "sunset", "owl"];

const enabled = browserAvailable();
guardPages();
let ui: UiFixture;
let daemon: Daemon;
let fullBytes = 0;
let missingId = "";

/** Fills the ledger of `dataDir` with ROWS succeeded pictures (and one whose file is gone), thumbnails included. */
async function fill(root: string, dataDir: string): Promise<void> {
  const out = join(root, "out");
  const thumbs = join(dataDir, "thumbnails");
  mkdirSync(out, { recursive: true });
  mkdirSync(thumbs, { recursive: true });
  const sources: { path: string; bytes: number; thumb: string }[] = [];
  for (let i = 0; i < SOURCES; i++) {
    const bytes = png(gradient(1920 - i * 16, 1080));
    const path = join(out, `img_${i}.png`);
    writeFileSync(path, bytes);
    writeFileSync(join(thumbs, `source-${i}.webp`), (await makeThumbnail(bytes)).webp);
    sources.push({ path, bytes: bytes.length, thumb: `source-${i}.webp` });
  }
  fullBytes = sources[0]!.bytes;
  const db = openDatabase(join(dataDir, "mediagen.db"));
  const ledger = new SqliteLedger(db);
  // One transaction, begun and committed by hand: the ledger's methods are async, db.transaction() is not.
  db.exec("BEGIN");
  {
    for (let i = 0; i < ROWS; i++) {
      const source = sources[i % SOURCES]!;
      const id = (await ledger.start({ type: "image", model: "or-gpt-image-2", provider: "openclacky", prompt: `Picture ${i} of a ${SUBJECTS[i % SUBJECTS.length]}`, params: {} }));
      await ledger.succeed(id, { outputPath: source.path, mimeType: "image/png", bytes: source.bytes, width: 1920, height: 1080, cost: { costUsd: 0.04, source: "upstream" } });
      await ledger.setThumbnail(id, { name: source.thumb });
    }
    missingId = (await ledger.start({ type: "image", model: "or-gpt-image-2", provider: "openclacky", prompt: "A picture whose file was deleted", params: {} }));
    await ledger.succeed(missingId, { outputPath: join(out, "deleted.png"), mimeType: "image/png", bytes: 1, cost: { costUsd: 0.04, source: "upstream" } });
  }
  db.exec("COMMIT");
  await ledger.close();
  db.close();
}

beforeAll(async () => {
  if (!enabled) return;
  ui = await startUi("mediagen-browser-gallery-", { prepare: fill });
  ({ daemon } = ui);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await ui?.close();
});

/**
 * A browser of the test's own: playwright drops the records of old requests after a few hundred, and a late
 * response to one of the scroll test's hundreds of thumbnails then breaks a later test's connection.
 */
const browsers: Browser[] = [];
async function own(): Promise<Browser> {
  const fresh = await launchBrowser();
  browsers.push(fresh);
  return fresh;
}
afterEach(async () => {
  for (const fresh of browsers.splice(0)) await fresh.close();
});

describe.if(enabled)("the History gallery over thousands of rows", () => {
  test("scrolling pages rows in by cursor while the DOM keeps a window; cards load thumbnails, never the full files", async () => {
    const { page, errors, outside } = await openPage(await own(), `${daemon.url}/history`);
    const images: { url: string; bytes: number }[] = [];
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("response", (response) => {
      if (/\/api\/generations\/[^/]+\/(file|thumbnail)/.test(response.url())) images.push({ url: response.url(), bytes: Number(response.headers()["content-length"] ?? Number.NaN) });
    });
    await page.locator("article.history-card").first().waitFor();
    const setSize = () => page.locator("li[aria-posinset]").first().getAttribute("aria-setsize").then(Number);
    const cardCount = () => page.locator("article.history-card").count();
    expect(await cardCount()).toBeLessThanOrEqual(40);

    // Scroll to the bottom of what is loaded, again and again: each time the next page comes in by cursor.
    let loaded = await setSize();
    for (let round = 0; round < 6; round++) {
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await page.waitForFunction((before) => Number(document.querySelector("li[aria-posinset]")?.getAttribute("aria-setsize")) > before, loaded, { timeout: 10_000 });
      loaded = await setSize();
      expect(await cardCount()).toBeLessThanOrEqual(40);
    }
    expect(loaded).toBeGreaterThanOrEqual(6 * 60);
    const firstShown = Number(await page.locator("li[aria-posinset]").first().getAttribute("aria-posinset"));
    expect(firstShown).toBeGreaterThan(100);
    const pages = requested.filter((url) => new URL(url).pathname === "/api/generations");
    expect(pages.filter((url) => new URL(url).searchParams.has("cursor")).length).toBeGreaterThanOrEqual(6);

    // Every picture the cards loaded is a small WebP thumbnail.
    await page.waitForTimeout(300);
    expect(images.length).toBeGreaterThan(0);
    expect(images.filter((image) => image.url.includes("/file"))).toEqual([]);
    for (const image of images) expect(image.bytes).toBeLessThan(fullBytes / 20);
    expect(statSync(join(ui.root, "out", "img_0.png")).size).toBe(fullBytes);

    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
    await page.context().close();
  }, 90_000);

  test("a file that is gone shows as missing and is never requested", async () => {
    const { page, errors } = await openPage(await own(), `${daemon.url}/history`);
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    const card = page.locator(`article[data-id="${missingId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain("The file is no longer there");
    await page.waitForTimeout(300);
    expect(requested.filter((url) => url.includes(missingId))).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("the lightbox: View opens the full picture, → and ← move, + zooms, Escape closes", async () => {
    const { page, errors } = await openPage(await own(), `${daemon.url}/history`);
    const card = page.locator("article.history-card").nth(1);
    await card.getByRole("button", { name: "View" }).click();
    const box = page.locator("dialog.history-lightbox");
    await box.waitFor();
    // Each full picture is let finish loading before the next key: a download Chromium cancels midway can leave
    // playwright's client (under Bun) with a response whose request it already dropped.
    const shows = async (title: RegExp) => {
      await page.waitForFunction(
        (pattern) => {
          const heading = document.querySelector("dialog.history-lightbox h2")?.textContent ?? "";
          const img = document.querySelector<HTMLImageElement>(".history-lightbox-stage img");
          return new RegExp(pattern).test(heading) && img !== null && img.complete && img.naturalWidth > 0;
        },
        title.source,
      );
    };
    // The newest record's file is gone, so the second card is the first result the lightbox moves among.
    await shows(/^Result 1 of \d+$/);
    expect(await box.locator(".history-lightbox-stage img").getAttribute("src")).toMatch(/\/file$/);
    await page.keyboard.press("ArrowRight");
    await shows(/^Result 2 of/);
    await page.keyboard.press("ArrowRight");
    await shows(/^Result 3 of/);
    await page.keyboard.press("ArrowLeft");
    await shows(/^Result 2 of/);
    await page.keyboard.press("+");
    await box.getByText("Zoom 150%").waitFor();
    const width = await box.locator(".history-lightbox-stage img").evaluate((img) => img.getBoundingClientRect().width);
    expect(width).toBeGreaterThan(1000);
    expect(await box.getByRole("link", { name: "Download" }).getAttribute("href")).toMatch(/download=1$/);
    await page.keyboard.press("Escape");
    await box.waitFor({ state: "detached" });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("search and filters go into the URL and survive a reload", async () => {
    const { page, errors } = await openPage(await own(), `${daemon.url}/history`);
    await page.locator("article.history-card").first().waitFor();
    await page.getByRole("searchbox", { name: "Search prompts" }).fill("sunset");
    await page.waitForURL(/\?q=sunset$/);
    await page.waitForFunction(() => [...document.querySelectorAll("article.history-card .history-prompt")].every((p) => p.textContent?.includes("sunset")));
    await page.reload();
    await page.locator("article.history-card").first().waitFor();
    expect(await page.getByRole("searchbox", { name: "Search prompts" }).inputValue()).toBe("sunset");
    const prompts = await page.locator("article.history-card .history-prompt").allTextContents();
    expect(prompts.length).toBeGreaterThan(0);
    for (const prompt of prompts) expect(prompt).toContain("sunset");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});
