// "Open in Playground" from a generation's details: the Playground opens on its type, filled in with the same prompt,
// model, output folder, aspect and input images kept as paths, and sends them as a new request.
import { afterEach, expect, test } from "bun:test";
import type { Generation } from "../../../web/src/lib/api.ts";
import { HistoryDetail } from "../../../web/src/components/HistoryDetail.tsx";
import { playground } from "../../../web/src/lib/playground-store.ts";
import { currentPath } from "../../../web/src/lib/router.ts";
import { Playground } from "../../../web/src/pages/Playground.tsx";
import { PROVIDERS } from "../catalog-fixture.ts";
import { button, optionValues } from "../dom.ts";
import { fakeRoutes, jobStream } from "../fake-routes.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => {
  restore();
  playground.reset();
  sessionStorage.clear();
  history.replaceState(null, "", "/");
});

const EDIT: Generation = {
  id: "gen-edit",
  type: "image",
  status: "succeeded",
  model: "gpt-image-1.5",
  model_name: "mid",
  provider: "openai",
  prompt: "Make the sky stormy",
  params: { aspect_ratio: "portrait", output_dir: "/home/me/project/assets/generated", inputs: ["/home/me/project/sky.png", "data-url"] },
  output_path: "/home/me/project/assets/generated/img_1.png",
  mime_type: "image/png",
  bytes: 1000,
  width: 1024,
  height: 1536,
  duration_seconds: null,
  usage: null,
  cost_usd: 0.05,
  cost_source: "catalog",
  cost_unit: null,
  cost_quantity: null,
  cost_unit_price: null,
  cost_breakdown: null,
  cost_note: null,
  estimated_cost_usd: 0.05,
  error: null,
  error_type: null,
  upstream_status: null,
  operation_id: null,
  progress: null,
  attempts: [],
  created_at: "2026-11-29T10:00:00.000Z",
  started_at: "2026-11-29T10:00:01.000Z",
  finished_at: "2026-11-29T10:00:09.000Z",
  latency_ms: 8000,
  session_id: null,
  client: null,
  door: "ui",
  refusal_count: null,
  billed_failure: false,
  has_thumbnail: false,
};

const MODELS = {
  models: [
    { index: 0, type: "image", provider: "openai", model: "gpt-image-2", name: "pics", default: true, in_use: true, api_key: { set: true, masked: "k-…" } },
    { index: 1, type: "image", provider: "openai", model: "gpt-image-1.5", name: "mid", default: false, in_use: false, api_key: { set: true, masked: "k-…" } },
  ],
};

test("Open in Playground fills the Playground with the generation and sends the same request to the same model", async () => {
  const fake = fakeRoutes({
    "GET /api/media/types": { image: { configured: true, model: "gpt-image-2", provider: "openai", name: "pics" }, video: { configured: false }, audio: { configured: false } },
    "GET /api/config/catalog": { providers: PROVIDERS },
    "GET /api/config/models": MODELS,
    "GET /api/media/jobs/img-again/events": () => jobStream().response(),
    "POST /api/media/image": () => Response.json({ success: true, status: "queued", task_id: "img-again", id: "img-again", type: "image", model: "gpt-image-1.5", provider: "openai" }, { status: 202 }),
  });
  restore = fake.restore;
  history.replaceState(null, "", "/history");
  let closed = false;
  {
    using detail = mount(() => <HistoryDetail generation={EDIT} onClose={() => void (closed = true)} onDeleted={() => {}} />);
    button(detail.root, "Open in Playground").click();
  }
  expect(currentPath()).toBe("/");
  expect(closed).toBe(true);

  using page = mount(() => <Playground />);
  await until(() => page.root.querySelector(".playground-model-select select") !== null && page.root.querySelector("textarea") !== null);
  expect((page.root.querySelector("textarea") as HTMLTextAreaElement).value).toBe("Make the sky stormy");
  const select = page.root.querySelector(".playground-model-select select") as HTMLSelectElement;
  expect(optionValues(select)).toEqual(["", "mid"]);
  expect(select.value).toBe("mid");
  expect((page.root.querySelector(".playground-output-dir input") as HTMLInputElement).value).toBe("/home/me/project/assets/generated");
  expect(page.root.querySelector(".playground-thumb-path")?.textContent).toContain("sky.png");
  expect(page.root.querySelector(".playground-prefilled")?.textContent).toContain("with the model mid");
  expect(page.root.querySelector(".playground-prefilled")?.textContent).toContain("not kept");

  (page.root.querySelector("form.playground-form") as HTMLFormElement).requestSubmit();
  await until(() => fake.sent.some((r) => r.method === "POST"));
  expect(fake.sent.find((r) => r.method === "POST")!.body).toEqual({
    prompt: "Make the sky stormy",
    aspect_ratio: "portrait",
    images: ["/home/me/project/sky.png"],
    output_dir: "/home/me/project/assets/generated",
    model: "mid",
    async: true,
  });
});
