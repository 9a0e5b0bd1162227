// axe-core on every page of the UI served by the compiled executable, in the light and the dark theme, each with
// something on it: Models with entries, the add form open and a field the server refused, Playground with a finished image and a speech result,
// Playground comparing two models with their results, History with an image, a speech and a refused generation, the
// lightbox open and the detail dialog open (also on a phone-sized window, where its tables scroll sideways), Jobs with
// a running and a queued job, Costs with a day's spend and Costs grouped by door with the budget editor open, Tokens,
// Costs as a member with their own spend, and the NotFound page. A serious or critical violation fails the view's test, listed
// rule by rule with the offending elements.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { BUILD_TIMEOUT_MS, type Daemon } from "../e2e/daemon.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai.ts";
import { expectAccessible } from "./axe.ts";
import { browserAvailable, guardPages, openPage, startUi, type UiFixture } from "./browser.ts";

const enabled = browserAvailable();
guardPages();
let ui: UiFixture;
let daemon: Daemon;
let browser: Browser;
let fake: FakeOpenAI;

const WAIT_MS = 30_000;
const TEST_MS = 60_000;
const IMAGE_PROMPT = "A red bicycle leaning on a blue wall";
const SPEECH_TEXT = "Accessibility check, speaking offline.";
const COMPARE_PROMPT = "A green kite over a yellow field";

/** POSTs `body` to the daemon's `path` and returns the JSON answer. */
async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${daemon.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  if (!enabled) return;
  fake = startFakeOpenAI();
  ui = await startUi("mediagen-browser-a11y-", { config: {
    models: [
      { name: "gpt-image", type: "image", provider: "openai", model: "gpt-image-2", api_key: fake.key!, base_url: `${fake.url}/v1`, default: true },
      { name: "gpt-image-mini", type: "image", provider: "openai", model: "gpt-image-1-mini", api_key: fake.key!, base_url: `${fake.url}/v1` },
      { name: "offline-speech", type: "audio", provider: "local", model: "flite", default: true },
    ],
    budget: { daily_usd: 5, monthly_usd: 50, per_team: { qa: { daily_usd: 3 } } },
  } });
  ({ daemon, browser } = ui);
  // History and Costs get an image with a cost, a speech, and a generation the provider refused.
  const out = join(ui.root, "out");
  const image = await post("/api/media/image", { prompt: IMAGE_PROMPT, output_dir: out });
  const speech = await post("/api/media/audio/speech", { input: SPEECH_TEXT, output_dir: out });
  fake.next("moderation_blocked");
  const refused = await post("/api/media/image", { prompt: "A poster that the fake refuses", output_dir: out });
  if (image.success !== true || speech.success !== true || refused.success !== false) {
    throw new Error(`seeding the ledger went wrong: ${JSON.stringify({ image, speech, refused })}`);
  }
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await ui?.close();
  await fake?.close();
});

/** A view to check: how to get the page into that state, and what to undo afterwards. */
interface View {
  name: string;
  path: string;
  /** Window width in CSS pixels (default 1280); narrow windows make wide tables scroll. */
  width?: number;
  /** Brings the page into the state to check; may return a clean-up to run after the check. */
  prepare(page: Page): Promise<(() => Promise<void>) | void>;
}

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name, exact: true }).waitFor();

/** Opens the detail dialog of the seeded image: the oldest card showing it (the Playground views add newer ones). */
async function openSeededDetails(page: Page): Promise<void> {
  await heading(page, "History");
  await page.locator("article.history-card").first().waitFor();
  // The grid renders only the rows in view (one card a row on a phone): the oldest records are at the bottom.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const cards = page.locator("article.history-card").filter({ has: page.getByRole("img", { name: IMAGE_PROMPT }) });
  await cards.last().getByRole("button", { name: "Details" }).click();
  await page.getByRole("dialog", { name: "Generation details" }).getByRole("table", { name: "Cost breakdown" }).waitFor();
}

const VIEWS: View[] = [
  {
    name: "Models with its entries",
    path: "/models",
    prepare: async (page) => {
      await heading(page, "Models");
      await page.locator(".models-entry").first().waitFor();
    },
  },
  {
    name: "Models with the add form open",
    path: "/models",
    prepare: async (page) => {
      await heading(page, "Models");
      await page.getByRole("button", { name: "Add model" }).click();
      await page.getByRole("form", { name: "Add a model" }).waitFor();
    },
  },
  {
    name: "Models with a field the server refused",
    path: "/models",
    prepare: async (page) => {
      await heading(page, "Models");
      await page.getByRole("button", { name: "Add model" }).click();
      const form = page.getByRole("form", { name: "Add a model" });
      await form.getByLabel(/^Provider/).selectOption("openai");
      await form.getByLabel(/^Model/).fill("gpt-image-2");
      await form.getByRole("textbox", { name: "Base URL" }).fill("not a url");
      await form.getByRole("button", { name: "Save" }).click();
      await page.locator("#models-form-base_url-error").waitFor();
    },
  },
  {
    name: "Playground with a finished image",
    path: "/",
    prepare: async (page) => {
      await heading(page, "Playground");
      await page.getByLabel("Prompt").fill(IMAGE_PROMPT);
      await page.getByRole("button", { name: "Generate" }).click();
      await page.locator("article.playground-job").getByRole("img", { name: IMAGE_PROMPT }).waitFor();
    },
  },
  {
    name: "Playground's speech tab with a result",
    path: "/",
    prepare: async (page) => {
      await heading(page, "Playground");
      await page.getByRole("tab", { name: "Speech" }).click();
      await page.getByLabel("Text", { exact: true }).fill(SPEECH_TEXT);
      await page.getByRole("button", { name: "Generate" }).click();
      await page.locator("article.playground-job audio").waitFor();
    },
  },
  {
    name: "Playground comparing two models, with results",
    path: "/",
    prepare: async (page) => {
      await heading(page, "Playground");
      await page.getByLabel("Compare models").check();
      const choices = page.getByRole("group", { name: /Models to compare/ });
      for (const name of ["gpt-image", "gpt-image-mini"]) await choices.getByRole("checkbox", { name: new RegExp(`^${name} `) }).check();
      // A prompt of its own: the History views look for the seeded image by its prompt, and its cost breakdown.
      await page.getByLabel("Prompt").fill(COMPARE_PROMPT);
      await page.getByRole("button", { name: "Compare 2 models" }).click();
      await page.waitForFunction(() => {
        const cards = [...document.querySelectorAll(".playground-compare-grid article")];
        return cards.length === 2 && cards.every((card) => (card.querySelector("img") as HTMLImageElement | null)?.complete);
      });
    },
  },
  {
    name: "History with records",
    path: "/history",
    prepare: async (page) => {
      await heading(page, "History");
      await page.locator("article.history-card").nth(2).waitFor();
      await page.locator("article.history-card").getByRole("img", { name: IMAGE_PROMPT }).first().waitFor();
    },
  },
  {
    name: "History with the detail dialog open",
    path: "/history",
    prepare: openSeededDetails,
  },
  {
    name: "History with the lightbox open",
    path: "/history",
    prepare: async (page) => {
      await heading(page, "History");
      const card = page.locator("article.history-card").filter({ has: page.getByRole("img", { name: IMAGE_PROMPT }) }).last();
      const shown = page.locator("dialog.history-lightbox .history-lightbox-stage img");
      // The grid may re-render its cards as its pages arrive: a click on a card being replaced is lost, so try again.
      for (let attempt = 1; ; attempt++) {
        await card.getByRole("button", { name: "View" }).click();
        const opened = await shown.waitFor({ timeout: 5000 }).then(() => true, () => false);
        if (opened || attempt === 3) break;
      }
      await shown.waitFor();
    },
  },
  {
    name: "History's detail dialog on a phone",
    path: "/history",
    width: 390,
    prepare: openSeededDetails,
  },
  {
    name: "Jobs with a running and a queued job",
    path: "/jobs",
    prepare: async (page) => {
      // The fake holds each image for a few seconds (one image at a time, so the second waits); the next view waits until both are done.
      fake.slowMs = 5_000;
      fake.next("slow", "slow");
      for (const prompt of ["A slow picture for the Jobs page", "A queued picture for the Jobs page"]) {
        const accepted = await post("/api/media/image", { prompt, async: true, output_dir: join(ui.root, "out") });
        if (typeof accepted.id !== "string") throw new Error(`async submission refused: ${JSON.stringify(accepted)}`);
      }
      await heading(page, "Jobs");
      await page.locator(".jobs-row").nth(1).waitFor();
      await page.getByRole("button", { name: /^Cancel/ }).first().waitFor();
      return async () => {
        const deadline = Date.now() + WAIT_MS;
        while (Date.now() < deadline) {
          const jobs = (await (await fetch(`${daemon.url}/api/media/jobs`)).json()) as { items: unknown[] };
          if (jobs.items.length === 0) return;
          await Bun.sleep(200);
        }
        throw new Error("the slow job did not finish");
      };
    },
  },
  {
    name: "Costs with a day's spend",
    path: "/costs",
    prepare: async (page) => {
      await heading(page, "Costs");
      await page.locator(".costs-chart canvas").waitFor();
      await page.locator("table.costs-models tbody tr").first().waitFor();
    },
  },
  {
    name: "Costs grouped by door, the budget editor open",
    path: "/costs",
    prepare: async (page) => {
      await heading(page, "Costs");
      await page.getByLabel("Group by").selectOption("door");
      await page.locator(".costs-chart canvas").waitFor();
      await page.getByText("Set limits").click();
      await page.locator("form.costs-budget-form").waitFor();
    },
  },
  {
    name: "Tokens with a revoked token",
    path: "/tokens",
    prepare: async (page) => {
      // Made and revoked at once, so the daemon goes back to needing no token for the other views.
      const made = await post("/api/tokens", { name: `a11y-${Date.now()}`, team: "qa", role: "admin", budget_daily_usd: 1 });
      // Once a token exists every request needs one: the new admin token revokes itself.
      const revoked = await fetch(`${daemon.url}/api/tokens/${made.id}`, { method: "DELETE", headers: { authorization: `Bearer ${made.token}` } });
      if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}`);
      await page.reload();
      await heading(page, "Tokens");
      await page.locator(".tokens-row").first().waitFor();
    },
  },
  {
    name: "Costs with a member's own spend",
    path: "/costs",
    prepare: async (page) => {
      // An admin token (the first must be one) makes a member of team qa; both are revoked after the check.
      const admin = await post("/api/tokens", { name: `a11y-admin-${Date.now()}`, role: "admin" });
      const headers = { "content-type": "application/json", authorization: `Bearer ${admin.token}` };
      const made = await fetch(`${daemon.url}/api/tokens`, { method: "POST", headers, body: JSON.stringify({ name: `a11y-member-${Date.now()}`, team: "qa", budget_daily_usd: 1 }) });
      const member = (await made.json()) as { id: string; token: string };
      await page.evaluate((token) => localStorage.setItem("mediagen.token", token), member.token);
      await page.reload();
      await heading(page, "Costs");
      await page.getByRole("region", { name: "Your spend" }).getByRole("progressbar").first().waitFor();
      return async () => {
        for (const id of [member.id, admin.id]) {
          const revoked = await fetch(`${daemon.url}/api/tokens/${id}`, { method: "DELETE", headers });
          if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}`);
        }
      };
    },
  },
  {
    name: "NotFound",
    path: "/",
    prepare: async (page) => {
      await heading(page, "Playground");
      // Reached through the client router, so the check does not depend on how the daemon answers unknown paths.
      await page.evaluate(() => {
        history.pushState(null, "", "/no-such-page");
        dispatchEvent(new PopStateEvent("popstate"));
      });
      await page.locator("main h1").filter({ hasNotText: "Playground" }).waitFor();
    },
  },
];

describe.if(enabled)("accessibility (axe-core, serious and critical)", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    for (const view of VIEWS) {
      test(`${view.name}, ${colorScheme}`, async () => {
        const { page } = await openPage(browser, `${daemon.url}${view.path}`, { colorScheme, width: view.width });
        page.setDefaultTimeout(WAIT_MS);
        const cleanUp = await view.prepare(page);
        try {
          await expectAccessible(page, `${view.name} (${colorScheme})`);
        } finally {
          await cleanUp?.();
        }
        expect(await page.locator("main h1").count()).toBe(1);
      }, TEST_MS);
    }
  }
});
