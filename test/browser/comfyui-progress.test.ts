// ComfyUI's step events in the Playground, in a real browser against the compiled executable: with a fake ComfyUI as
// the image model, a job's progress bar follows the sampler's steps as the fake's websocket reports them (25, 50, 75 %
// of four steps, also on the running History card), then the image appears with its cost, and the ledger records the
// UI's door.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { formatUsd } from "../../web/src/lib/format.ts";
import { BUILD_TIMEOUT_MS, poll, type Daemon } from "../e2e/daemon.ts";
import { startFakeComfyUI, type FakeComfyUI } from "../fakes/comfyui.ts";
import { browserAvailable, guardPages, openPage, startUi, type UiFixture } from "./browser.ts";

const enabled = browserAvailable();
guardPages();
const WAIT_MS = 30_000;
const TEST_MS = 90_000;
const PROMPT = "A paper crane on a wooden desk, morning light";
/** Long enough per step for the page to show each step's percentage. */
const STEP_MS = 700;

let ui: UiFixture;
let daemon: Daemon;
let comfy: FakeComfyUI;

beforeAll(async () => {
  if (!enabled) return;
  comfy = startFakeComfyUI();
  comfy.steps = 4;
  comfy.stepMs = STEP_MS;
  ui = await startUi("mediagen-browser-comfyui-", { config: {
    models: [{ name: "my-gpu", type: "image", provider: "comfyui", model: "text-to-image", base_url: comfy.url, options: { gpu_usd_per_second: 0.002 } }],
  } });
  daemon = ui.daemon;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await ui?.close();
  await comfy?.close();
});

describe.if(enabled)("the Playground with ComfyUI", () => {
  test(
    "the job's progress bar shows the sampler's steps from ComfyUI's websocket, then the image and its cost",
    async () => {
      const { page } = await openPage(ui.browser, `${daemon.url}/`);
      page.setDefaultTimeout(WAIT_MS);
      await page.getByRole("heading", { level: 1, name: "Playground", exact: true }).waitFor();
      await page.getByText("Model: my-gpu (comfyui · text-to-image)").waitFor();

      comfy.held = true;
      try {
        await page.getByLabel("Prompt").fill(PROMPT);
        await page.getByRole("button", { name: "Generate" }).click();
        const job = page.locator("article.playground-job").filter({ hasText: PROMPT });
        const bar = job.getByRole("progressbar", { name: "Progress" });
        const percent = job.locator(".playground-progress span");
        // Held at the first of four steps.
        await percent.filter({ hasText: /^25 %$/ }).waitFor();
        expect(await bar.evaluate((element) => (element as HTMLProgressElement).value)).toBe(25);
        // History shows the running generation with the same progress.
        const history = await openPage(ui.browser, `${daemon.url}/history`);
        const card = history.page.locator("article.history-card").filter({ hasText: PROMPT });
        await card.locator(".badge", { hasText: "running" }).waitFor({ timeout: WAIT_MS });
        await card.getByText("25%", { exact: true }).waitFor({ timeout: WAIT_MS });
        comfy.held = false;
        await percent.filter({ hasText: /^50 %$/ }).waitFor();
        await percent.filter({ hasText: /^75 %$/ }).waitFor();
        await job.locator(".badge", { hasText: "succeeded" }).waitFor();
        await job.getByRole("img", { name: PROMPT }).waitFor();
        expect(await job.locator(".playground-progress").count()).toBe(0);
        // 2.5 GPU seconds in the fake's history at $0.002 a second.
        expect((await job.locator(".playground-cost").textContent())?.trim()).toBe(formatUsd(0.005));
      } finally {
        comfy.held = false;
      }

      const row = await poll(
        async () => ((await (await fetch(`${daemon.url}/api/generations?q=paper%20crane`)).json()) as { items: Record<string, unknown>[] }).items[0],
        WAIT_MS,
        "the generation's ledger row",
      );
      expect(row).toMatchObject({ door: "ui", provider: "comfyui", model_name: "my-gpu", status: "succeeded", cost_source: "upstream", cost_usd: 0.005 });
      const steps = comfy.events.filter((e) => e.type === "progress" && (e.data as { prompt_id?: string }).prompt_id === row.operation_id);
      expect(steps.map((e) => (e.data as { value: number }).value)).toEqual([1, 2, 3, 4]);
    },
    TEST_MS,
  );
});
