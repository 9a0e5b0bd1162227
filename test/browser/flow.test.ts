// The whole user journey in a real browser against the compiled executable, from a fresh data dir (only the built-in
// offline voice configured) and a fake OpenAI: add an image model on Models (a bad base URL first, then a working
// connection test and save, the key only ever shown masked), generate an image and speech in the Playground, find
// them in History with their cost details, see the spend in Costs, an empty queue in Jobs, and the UI in Chinese.
// Every page fails the test on an uncaught error or on a request leaving the daemon on 127.0.0.1.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Locator, Page } from "playwright-core";
import { formatUsd } from "../../web/src/lib/format.ts";
import { BUILD_TIMEOUT_MS, type Daemon } from "../e2e/daemon.ts";
import { OPENAI_REPORTS, startFakeOpenAI, type FakeOpenAI } from "../fakes/openai.ts";
import { expectAccessible } from "./axe.ts";
import { browserAvailable, guardPages, openPage, startUi, type UiFixture } from "./browser.ts";

const enabled = browserAvailable();
guardPages();
let ui: UiFixture;
let daemon: Daemon;
let browser: Browser;
let fake: FakeOpenAI;

/** How long a visible state may take to appear on a slow shared machine. */
const WAIT_MS = 30_000;
const TEST_MS = 90_000;

/** The image's cost from the fake's usage: 50 text tokens at $5/M plus 1,568 image tokens (1536x1024, medium) at $30/M. */
const IMAGE_TOKENS = OPENAI_REPORTS.image.outputTokens["1536x1024"]!.medium;
const IMAGE_COST = (OPENAI_REPORTS.image.textTokens * 5 + IMAGE_TOKENS * 30) / 1_000_000;
const IMAGE_PROMPT = "A lighthouse on a rocky coast at dawn, watercolour";
const SPEECH_TEXT = "Welcome to mediagen, speaking offline.";

/** Pages opened by the current test, checked and closed after it. */
const opened: { page: Page; errors: string[]; outside: string[] }[] = [];

async function visit(path: string): Promise<Page> {
  const entry = await openPage(browser, `${daemon.url}${path}`);
  entry.page.setDefaultTimeout(WAIT_MS);
  opened.push(entry);
  return entry.page;
}

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name, exact: true });
const bodyText = (page: Page) => page.evaluate(() => document.body.innerText);
const attribute = (locator: Locator, name: string) => locator.getAttribute(name);

beforeAll(async () => {
  if (!enabled) return;
  fake = startFakeOpenAI();
  fake.slowMs = 2000;
  ui = await startUi("mediagen-browser-flow-");
  ({ daemon, browser } = ui);
}, BUILD_TIMEOUT_MS);

afterEach(async () => {
  const pages = opened.splice(0);
  for (const { page } of pages) await page.context().close();
  for (const { errors, outside } of pages) {
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
  }
});

afterAll(async () => {
  await ui?.close();
  await fake?.close();
});

describe.if(enabled)("the user journey", () => {
  test("models: a bad base URL is refused next to its field, the connection test passes, the saved key stays masked", async () => {
    const page = await visit("/models");
    // The key must never reach the UI in full: not in the page, not in any answer of the daemon.
    const leaks: Promise<string | undefined>[] = [];
    page.on("response", (response) => {
      if (!response.url().startsWith(`${daemon.url}/api/`)) return;
      leaks.push(response.text().then((text) => (text.includes(fake.key!) ? response.url() : undefined), () => undefined));
    });

    await heading(page, "Models").waitFor();
    const imageCard = page.locator(".models-type-card").filter({ has: page.getByRole("heading", { name: "Image", exact: true }) });
    await imageCard.getByText("Not configured").waitFor();
    await page.locator(".models-type-card").filter({ has: page.getByRole("heading", { name: "Speech", exact: true }) }).getByText("flite").waitFor();

    await page.getByRole("button", { name: "Add model" }).click();
    const form = page.getByRole("form", { name: "Add a model" });
    await form.waitFor();
    expect(await form.getByLabel(/^Type/).inputValue()).toBe("image");
    await form.getByLabel(/^Provider/).selectOption("openai");
    // gpt-image-2 is among the model suggestions for openai images.
    await page.waitForFunction(() => [...document.querySelectorAll("#models-known-models option")].some((o) => (o as HTMLOptionElement).value === "gpt-image-2"));
    await form.getByLabel(/^Model/).fill("gpt-image-2");
    await form.getByRole("textbox", { name: "API key", exact: true }).fill(fake.key!);

    // A base URL that is not an http(s) URL: the server's message appears next to the field, nothing is saved.
    const baseUrl = form.getByRole("textbox", { name: "Base URL" });
    await baseUrl.fill("not a url");
    await form.getByRole("button", { name: "Save" }).click();
    const fieldError = page.locator("#models-form-base_url-error");
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain("must be an http(s) URL");
    expect(await attribute(baseUrl, "aria-invalid")).toBe("true");
    expect(await attribute(baseUrl, "aria-describedby")).toBe("models-form-base_url-error");
    // Next to the field: inside the same label as the input.
    expect(await page.locator("label:has(#models-form-base_url) #models-form-base_url-error").count()).toBe(1);
    expect(await page.locator(".models-entry").count()).toBe(1);

    // Fixed, the connection test reaches the fake and says so.
    await baseUrl.fill(`${fake.url}/v1`);
    await form.getByRole("button", { name: "Test connection" }).click();
    const testResult = form.getByRole("status").filter({ hasText: "Connection works:" });
    await testResult.waitFor();
    expect(await testResult.textContent()).toContain("gpt-image-2");
    expect(await fieldError.count()).toBe(0);
    expect(await bodyText(page)).not.toContain(fake.key!);

    await form.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "gpt-image-2 was saved to config.yml." }).waitFor();
    await form.waitFor({ state: "detached" });

    // The Image card shows the new model in use; its entry is marked in use and shows the key masked.
    await imageCard.getByText("gpt-image-2").waitFor();
    expect(await imageCard.textContent()).toContain("openai");
    const entry = page.locator(".models-entry").filter({ hasText: "gpt-image-2" });
    await entry.getByText("in use", { exact: true }).waitFor();
    const facts = (await entry.locator(".models-entry-facts").textContent()) ?? "";
    expect(facts).toContain(`${fake.url}/v1`);
    expect(facts).toMatch(/key \S*\*{3,}\S*/);
    expect(facts).not.toContain(fake.key!);

    // Editing shows the saved key masked too, with the choice to replace or remove it.
    await page.getByRole("button", { name: "Edit gpt-image-2" }).click();
    const editForm = page.getByRole("form", { name: "Edit gpt-image-2" });
    const masked = editForm.getByLabel("Saved key, masked");
    await masked.waitFor();
    expect(await masked.textContent()).toMatch(/\*{3,}/);
    expect(await masked.textContent()).not.toContain(fake.key!);
    await editForm.getByRole("button", { name: "Replace" }).waitFor();
    await editForm.getByRole("button", { name: "Cancel" }).click();
    await editForm.waitFor({ state: "detached" });

    expect(await bodyText(page)).not.toContain(fake.key!);
    expect(await page.content()).not.toContain(fake.key!);
    await page.reload();
    await imageCard.getByText("gpt-image-2").waitFor();
    expect(await page.content()).not.toContain(fake.key!);
    expect((await Promise.all(leaks)).filter(Boolean)).toEqual([]);
  }, TEST_MS);

  test("playground: an image goes through to its result with its cost, and offline speech plays inline", async () => {
    const page = await visit("/");
    await heading(page, "Playground").waitFor();
    expect(await attribute(page.getByRole("tab", { name: "Image" }), "aria-selected")).toBe("true");
    await page.getByText("Model: gpt-image-2 (openai · gpt-image-2)").waitFor();

    // The fake answers this one after a pause, so the job is seen running before its result.
    fake.next("slow");
    await page.getByLabel("Prompt").fill(IMAGE_PROMPT);
    await page.getByRole("button", { name: "Generate" }).click();
    const job = page.locator("article.playground-job").filter({ hasText: IMAGE_PROMPT });
    await job.waitFor();
    expect(await attribute(job, "aria-label")).toMatch(/^Job \S+/);
    await job.locator(".badge", { hasText: "running" }).waitFor();
    await job.locator(".badge", { hasText: "succeeded" }).waitFor();
    const image = job.getByRole("img", { name: IMAGE_PROMPT });
    await image.waitFor();
    expect(await attribute(image, "src")).toMatch(/^\/api\/generations\/[^/]+\/file$/);
    // The browser really loaded the file: the fake's 1536x1024 PNG for the default landscape aspect.
    await page.waitForFunction((prompt) => {
      const img = [...document.querySelectorAll<HTMLImageElement>("article.playground-job img")].find((i) => i.alt === prompt);
      return img !== undefined && img.complete && img.naturalWidth === 1536 && img.naturalHeight === 1024;
    }, IMAGE_PROMPT);
    expect(await job.locator(".playground-facts").textContent()).toContain("1536x1024");
    expect(formatUsd(IMAGE_COST)).toBe("$0.047");
    expect((await job.locator(".playground-cost").textContent())?.trim()).toBe(formatUsd(IMAGE_COST));
    expect(await job.locator(".playground-facts").textContent()).toContain(formatUsd(IMAGE_COST));

    // Speech with the built-in offline voice: the result is an <audio> player that loads and plays.
    await page.getByRole("tab", { name: "Speech" }).click();
    await page.getByText("Model: offline-speech (local · flite)").waitFor();
    await page.getByLabel("Text", { exact: true }).fill(SPEECH_TEXT);
    await page.getByRole("button", { name: "Generate" }).click();
    const speechJob = page.locator("article.playground-job").filter({ hasText: SPEECH_TEXT });
    await speechJob.locator(".badge", { hasText: "succeeded" }).waitFor();
    const audio = speechJob.locator("audio");
    await audio.waitFor();
    expect(await attribute(audio, "src")).toMatch(/^\/api\/generations\/[^/]+\/file$/);
    expect(await attribute(audio, "controls")).not.toBeNull();
    expect(await speechJob.locator(".playground-cost").textContent()).toBe("$0");
    const played = await audio.evaluate(async (element) => {
      const player = element as HTMLAudioElement;
      if (player.readyState < 1) await new Promise((resolve, reject) => ((player.onloadedmetadata = resolve), (player.onerror = reject)));
      const duration = player.duration;
      await player.play();
      const started = Date.now();
      while (player.currentTime === 0 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 50));
      const time = player.currentTime;
      player.pause();
      return { duration, time, error: player.error?.message ?? null };
    });
    expect(played.error).toBeNull();
    expect(played.duration).toBeGreaterThan(0.5);
    expect(played.time).toBeGreaterThan(0);
    // The image result is still there on its own tab.
    await page.getByRole("tab", { name: "Image" }).click();
    await job.getByRole("img", { name: IMAGE_PROMPT }).waitFor();
  }, TEST_MS);

  test("history: newest first, the image's cost details, filtering by type", async () => {
    const page = await visit("/history");
    await heading(page, "History").waitFor();
    const list = page.getByRole("list", { name: "Generations, newest first" });
    const cards = list.locator("article.history-card");
    await cards.nth(1).waitFor();
    expect(await cards.count()).toBe(2);
    // The speech came after the image, so it is first.
    expect(await cards.nth(0).textContent()).toContain(SPEECH_TEXT);
    expect(await cards.nth(1).textContent()).toContain(IMAGE_PROMPT);
    const imageCard = cards.nth(1);
    await imageCard.getByRole("img", { name: IMAGE_PROMPT }).waitFor();
    expect(await imageCard.textContent()).toContain(formatUsd(IMAGE_COST));

    await imageCard.getByRole("button", { name: "Details" }).click();
    const dialog = page.getByRole("dialog", { name: "Generation details" });
    await dialog.waitFor();
    const fieldValue = (label: string) => dialog.locator(`dt:text-is("${label}") + dd`).first();
    expect(await fieldValue("Model").textContent()).toBe("gpt-image-2");
    expect(await fieldValue("Provider").textContent()).toBe("openai");
    expect(await fieldValue("Cost").textContent()).toBe(formatUsd(IMAGE_COST));
    // Cost source "catalog", shown as the catalogue with its explanation.
    await dialog.locator(".history-source.catalog").waitFor();
    expect(await fieldValue("Cost source").textContent()).toContain("catalogue");
    expect(await fieldValue("Cost source").textContent()).toContain("Computed from the built-in price catalogue.");
    expect(await fieldValue("Unit").textContent()).toBe("output_image_token");
    expect(await fieldValue("Quantity").textContent()).toBe(String(IMAGE_TOKENS));
    expect(await fieldValue("Unit price").textContent()).toBe("$0.00003");
    expect(await fieldValue("Dimensions").textContent()).toBe("1536×1024");
    const breakdown = dialog.getByRole("table", { name: "Cost breakdown" });
    const rows = breakdown.locator("tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).locator("td").allTextContents()).toEqual(["input_text_token", "50", "$0.000005", formatUsd(0.00025)]);
    expect(await rows.nth(1).locator("td").allTextContents()).toEqual(["output_image_token", String(IMAGE_TOKENS), "$0.00003", formatUsd(0.04704)]);
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });

    // Filter by type: only the image, then only the speech, then both again.
    const filters = page.getByRole("search", { name: "Filter generations" });
    const shown = async (count: number, text: string) => {
      await page.waitForFunction(
        ([n, t]) => {
          const list = document.querySelector("ul.history-grid");
          const cards = [...document.querySelectorAll("article.history-card")];
          return list?.getAttribute("aria-busy") === "false" && cards.length === n && cards.every((c) => c.textContent!.includes(t as string));
        },
        [count, text] as const,
      );
    };
    await filters.getByLabel("Type").selectOption("image");
    await shown(1, IMAGE_PROMPT);
    expect(await cards.first().locator(".badge").allTextContents()).toEqual(["Succeeded", "Image"]);
    await filters.getByLabel("Type").selectOption("audio");
    await shown(1, SPEECH_TEXT);
    expect(await cards.first().locator(".badge").allTextContents()).toEqual(["Succeeded", "Speech"]);
    await filters.getByRole("button", { name: "Clear filters" }).click();
    await shown(2, "");
  }, TEST_MS);

  test("costs: today's total and the table grouped by model show the image's cost", async () => {
    const page = await visit("/costs");
    await heading(page, "Costs").waitFor();
    const today = page.getByRole("article").filter({ has: page.getByRole("heading", { name: "Today", exact: true }) });
    const value = today.locator(".costs-total-value");
    await value.waitFor();
    expect(await value.textContent()).toBe(formatUsd(IMAGE_COST));
    expect(await today.textContent()).toContain("2 succeeded");
    await page.locator(".costs-chart canvas").waitFor();

    await page.getByLabel("Group by").selectOption("model");
    const table = page.locator("table.costs-models");
    const row = table.locator("tbody tr").filter({ has: page.getByRole("rowheader", { name: "gpt-image-2" }) });
    await row.waitFor();
    // Succeeded, cost, not priced, refused, billed failures.
    expect(await row.locator("td").allTextContents()).toEqual(["1", formatUsd(IMAGE_COST), "0", "0", "0"]);
    await table.locator("tbody tr").filter({ has: page.getByRole("rowheader", { name: "flite" }) }).waitFor();
    expect(await page.getByRole("note").textContent()).toBe("Every generation in this range has a known cost.");
  }, TEST_MS);

  test("jobs: nothing is queued or running", async () => {
    const page = await visit("/jobs");
    await heading(page, "Jobs").waitFor();
    await page.getByText("The queue is empty: nothing is waiting or running.").waitFor();
  }, TEST_MS);

  test("language: 简体中文 turns the navigation and headings Chinese, and a reload keeps it", async () => {
    const page = await visit("/costs");
    await heading(page, "Costs").waitFor();
    await page.getByLabel("Language").selectOption({ label: "简体中文" });
    const nav = page.getByRole("navigation", { name: "main" });
    const chineseNav = async () => {
      for (const name of ["试用", "模型", "历史", "费用", "任务"]) await nav.getByRole("link", { name, exact: true }).waitFor();
      await heading(page, "费用").waitFor();
      await page.getByRole("heading", { name: "今天", exact: true }).waitFor();
      expect(await page.getByLabel("语言").inputValue()).toBe("zh");
      expect(await page.evaluate(() => document.documentElement.lang)).toBe("zh-CN");
    };
    await chineseNav();
    await page.reload();
    await chineseNav();
    await nav.getByRole("link", { name: "历史", exact: true }).click();
    await heading(page, "历史").waitFor();
    await page.getByRole("button", { name: "详情" }).first().waitFor();
  }, TEST_MS);

  test("playground compare: one prompt to two models side by side, each with its estimate, time, file size and cost; kept after a reload", async () => {
    // A second image model at the same fake; the first stays the default agents get.
    const added = await fetch(`${daemon.url}/api/config/models`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "second", type: "image", provider: "openai", model: "gpt-image-1.5", api_key: fake.key, base_url: `${fake.url}/v1` }),
    });
    expect(added.status).toBe(201);
    const expected = (await (
      await fetch(`${daemon.url}/api/costs/estimate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "image", models: ["gpt-image-2", "second"], aspect_ratio: "landscape" }) })
    ).json()) as { estimates: { choice: string; estimated_cost_usd: number }[] };
    expect(expected.estimates.map((e) => e.choice)).toEqual(["gpt-image-2", "second"]);

    const page = await visit("/");
    await heading(page, "Playground").waitFor();
    // Before running: the estimate of the default model.
    await page.locator(".playground-estimate").getByText(`Estimated cost: ${formatUsd(expected.estimates[0]!.estimated_cost_usd)} · from the price catalogue`).waitFor();

    await page.getByLabel("Compare models").check();
    const choices = page.getByRole("group", { name: /Models to compare/ });
    await choices.getByRole("checkbox", { name: /^gpt-image-2/ }).check();
    await choices.getByRole("checkbox", { name: /^second/ }).check();
    for (const estimate of expected.estimates) await choices.getByText(`${formatUsd(estimate.estimated_cost_usd)} · from the price catalogue`).first().waitFor();
    const total = expected.estimates.reduce((sum, e) => sum + e.estimated_cost_usd, 0);
    await page.locator(".playground-estimate").getByText(`Estimated total: ${formatUsd(total)}`).waitFor();

    const prompt = "A red kite over green hills, gouache";
    await page.getByLabel("Prompt").fill(prompt);
    await page.getByRole("button", { name: "Compare 2 models" }).click();
    const run = page.getByRole("region", { name: `Comparison: ${prompt}` });
    const cards = run.locator("article.playground-job");
    await cards.nth(1).waitFor();
    expect(await cards.count()).toBe(2);
    for (const [i, model] of ["gpt-image-2", "gpt-image-1.5"].entries()) {
      const card = cards.nth(i);
      await card.locator(".badge", { hasText: "Succeeded" }).waitFor();
      expect(await card.locator(".playground-job-head").textContent()).toContain(`openai · ${model}`);
      await card.getByRole("img", { name: prompt }).waitFor();
      await card.locator(".playground-bytes").waitFor();
      expect(await card.locator(".playground-bytes").textContent()).toMatch(/^\d+(\.\d)? (B|KB|MB)$/);
      expect(await card.locator(".playground-took").textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
      expect(await card.locator(".playground-cost").textContent()).toMatch(/^\$0\.\d+$/);
    }
    await expectAccessible(page, "Playground comparing two models");
    // Side by side: the two cards share a row on a wide screen.
    const [a, b] = [await cards.nth(0).boundingBox(), await cards.nth(1).boundingBox()];
    expect(a!.y).toBe(b!.y);
    expect(b!.x).toBeGreaterThan(a!.x);

    // Both went through the normal API, recorded as the web UI's, each at its own model; the default is unchanged.
    const rows = (await (await fetch(`${daemon.url}/api/generations?door=ui&q=kite`)).json()) as { items: { model: string; door: string }[] };
    expect(rows.items.map((r) => r.model).sort()).toEqual(["gpt-image-1.5", "gpt-image-2"]);
    const types = (await (await fetch(`${daemon.url}/api/media/types`)).json()) as { image: { model: string } };
    expect(types.image.model).toBe("gpt-image-2");

    // The comparison and the prompt are still there after a reload.
    await page.reload();
    await run.locator("article.playground-job").nth(1).locator(".badge", { hasText: "Succeeded" }).waitFor();
    expect(await page.getByLabel("Prompt").inputValue()).toBe(prompt);
  }, TEST_MS);
});
