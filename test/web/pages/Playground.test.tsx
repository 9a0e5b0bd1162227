// The Playground: request bodies per type (input images as data URLs), a job followed live to its result, errors, not configured.
import { afterEach, expect, test } from "bun:test";
import type { MediaTypes } from "../../../web/src/lib/api.ts";
import { playground } from "../../../web/src/lib/playground-store.ts";
import { Playground } from "../../../web/src/pages/Playground.tsx";
import { PROVIDERS } from "../catalog-fixture.ts";
import { button, choose, hasButton, optionValues, typeInto } from "../dom.ts";
import { errorAnswer, fakeRoutes, jobStream, jobView, type Route, type SentRequest } from "../fake-routes.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => {
  restore();
  localStorage.clear();
  playground.reset();
  sessionStorage.clear();
});

const ALL_CONFIGURED: MediaTypes = {
  image: { configured: true, model: "gpt-image-2", provider: "openai", name: "pics" },
  video: { configured: true, model: "or-veo-3-1", provider: "openclacky" },
  audio: { configured: true, model: "tts-1", provider: "openai", name: "voice" },
};

const accepted = (id: string, type: string, status = "queued", position?: number) => () =>
  Response.json({ success: true, status, task_id: id, id, type, model: "m", provider: "openai", ...(position ? { position } : {}) }, { status: 202 });

function daemon(routes: Record<string, Route> = {}, types: MediaTypes = ALL_CONFIGURED) {
  const fake = fakeRoutes({ "GET /api/media/types": types, "GET /api/config/catalog": { providers: PROVIDERS }, ...routes });
  restore = fake.restore;
  return fake;
}

async function openTab(name: "Image" | "Video" | "Speech") {
  const view = mount(() => <Playground />);
  await until(() => view.root.querySelector("[role=tab]") !== null);
  button(view.root, name).click();
  await until(() => view.root.querySelector("form.playground-form textarea") !== null || view.root.querySelector(".playground-not-configured") !== null);
  return view;
}

const submit = (root: HTMLElement) => (root.querySelector("form.playground-form") as HTMLFormElement).requestSubmit();
const pngFile = (name: string) => new File([new Uint8Array([137, 80, 78, 71])], name, { type: "image/png" });

function pickFiles(input: Element | null, files: File[]) {
  Object.defineProperty(input, "files", { value: files, configurable: true });
  input!.dispatchEvent(new Event("change", { bubbles: true }));
}

test("image: prompt, aspect and input images (picked and dropped) are sent as data URLs; thumbnails can be removed", async () => {
  const { sent } = daemon({ "POST /api/media/image": accepted("img00001", "image"), "GET /api/media/jobs/img00001/events": () => jobStream().response() });
  using view = await openTab("Image");
  expect(view.root.querySelector(".playground-model")?.textContent).toBe("Model: pics (openai · gpt-image-2)");
  typeInto(view.root.querySelector("textarea"), "a red fox");
  choose(view.root.querySelector("form select"), "square");
  pickFiles(view.root.querySelector("input[type=file]"), [pngFile("a.png"), new File(["x"], "notes.txt", { type: "text/plain" })]);
  await until(() => view.root.querySelectorAll(".playground-thumbs li").length === 1);
  const drop = new Event("drop", { bubbles: true });
  Object.defineProperty(drop, "dataTransfer", { value: { files: [pngFile("b.png"), pngFile("c.png")] } });
  view.root.querySelector(".playground-drop")!.dispatchEvent(drop);
  await until(() => view.root.querySelectorAll(".playground-thumbs li").length === 3);
  button(view.root, "Remove c.png").click();
  await until(() => view.root.querySelectorAll(".playground-thumbs li").length === 2);
  submit(view.root);
  await until(() => sent.some((r) => r.method === "POST"));
  expect(sent.find((r) => r.method === "POST")!.body).toEqual({
    prompt: "a red fox",
    aspect_ratio: "square",
    images: ["data:image/png;base64,iVBORw==", "data:image/png;base64,iVBORw=="],
    async: true,
  });
});

test("the drop zone is a keyboard control that opens the file picker with Enter or Space", async () => {
  daemon();
  using view = await openTab("Image");
  const zone = view.root.querySelector(".playground-drop") as HTMLElement;
  expect(zone.getAttribute("role")).toBe("button");
  expect(zone.getAttribute("tabindex")).toBe("0");
  let opened = 0;
  (view.root.querySelector("input[type=file]") as HTMLInputElement).click = () => void opened++;
  zone.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  zone.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true }));
  zone.dispatchEvent(new KeyboardEvent("keydown", { key: "a", bubbles: true }));
  expect(opened).toBe(2);
});

test("video: aspect, duration (8 s by default) and the first frame as {b64_json, mime_type}", async () => {
  const { sent } = daemon({ "POST /api/media/video": accepted("vid00001", "video"), "GET /api/media/jobs/vid00001/events": () => jobStream().response() });
  using view = await openTab("Video");
  const [aspect, duration] = [...view.root.querySelectorAll("form select")] as HTMLSelectElement[];
  expect(optionValues(aspect!)).toEqual(["landscape", "portrait"]);
  expect(optionValues(duration!)).toEqual(["4", "5", "6", "7", "8"]);
  expect(duration!.value).toBe("8");
  typeInto(view.root.querySelector("textarea"), "waves at dusk");
  choose(aspect!, "portrait");
  choose(duration!, "5");
  pickFiles(view.root.querySelector("input[type=file]"), [pngFile("frame.png")]);
  await until(() => view.root.querySelectorAll(".playground-thumbs li").length === 1);
  submit(view.root);
  await until(() => sent.some((r) => r.method === "POST"));
  expect(sent.find((r) => r.method === "POST")!.body).toEqual({
    prompt: "waves at dusk",
    aspect_ratio: "portrait",
    duration_seconds: 5,
    image: { b64_json: "iVBORw==", mime_type: "image/png" },
    async: true,
  });
});

test("speech: voices of the configured model are offered; the result plays inline", async () => {
  const stream = jobStream();
  const { sent } = daemon({ "POST /api/media/audio/speech": accepted("aud00001", "audio", "running"), "GET /api/media/jobs/aud00001/events": () => stream.response() });
  using view = await openTab("Speech");
  const voice = view.root.querySelector("form select") as HTMLSelectElement;
  expect(optionValues(voice)).toEqual(["", "alloy"]);
  typeInto(view.root.querySelector("textarea"), "Hello there");
  choose(voice, "alloy");
  submit(view.root);
  await until(() => sent.some((r) => r.method === "POST"));
  expect(sent.find((r) => r.method === "POST")!.body).toEqual({ input: "Hello there", voice: "alloy", async: true });
  stream.send(jobView({ id: "aud00001", type: "audio", status: "succeeded", result: { success: true, audio: "/out/a.wav", voice: "alloy", cost_usd: 0.00023 } }));
  await until(() => view.root.querySelector("audio") !== null);
  expect(view.root.querySelector("audio")!.getAttribute("src")).toBe("/api/generations/aud00001/file");
  expect(view.root.querySelector("audio")!.hasAttribute("controls")).toBe(true);
  expect(view.root.querySelector(".playground-cost")?.textContent).toBe("$0.0002");
});

test("speech with a model of unknown voices gets a free text voice field", async () => {
  const { sent } = daemon({ "POST /api/media/audio/speech": accepted("aud00002", "audio"), "GET /api/media/jobs/aud00002/events": () => jobStream().response() }, {
    ...ALL_CONFIGURED,
    audio: { configured: true, provider: "openai-compatible", model: "kokoro" },
  });
  using view = await openTab("Speech");
  expect(view.root.querySelector("form select")).toBeNull();
  typeInto(view.root.querySelector("textarea"), "Hi");
  typeInto(view.root.querySelector("form input:not([type=file])"), "af_bella");
  submit(view.root);
  await until(() => sent.some((r) => r.method === "POST"));
  expect(sent.find((r) => r.method === "POST")!.body).toEqual({ input: "Hi", voice: "af_bella", async: true });
});

test("a job is followed live: queue position, elapsed time ticking, progress, then the image with its size and cost", async () => {
  const stream = jobStream();
  daemon({ "POST /api/media/image": accepted("job12345abcdef", "image", "queued", 2), "GET /api/media/jobs/job12345abcdef/events": () => stream.response() });
  using view = await openTab("Image");
  typeInto(view.root.querySelector("textarea"), "a lighthouse");
  submit(view.root);
  const job = () => view.root.querySelector(".playground-job")?.textContent ?? "";
  await until(() => job().includes("Position 2 in the queue"));
  expect(job()).toContain("Queued");
  expect(job()).toContain("45abcdef");

  stream.send(jobView({ id: "job12345abcdef", status: "queued", position: 1 }));
  await until(() => job().includes("Position 1 in the queue"));
  stream.send(jobView({ id: "job12345abcdef", status: "running", started_at: new Date().toISOString(), elapsed_seconds: 3 }));
  await until(() => job().includes("Running for 0:03"));
  expect(job()).toContain("Running");
  await until(() => job().includes("Running for 0:04"), 2500);
  stream.send(jobView({ id: "job12345abcdef", status: "running", elapsed_seconds: 5, progress: 40 }));
  await until(() => view.root.querySelector(".playground-job progress") !== null);
  expect(view.root.querySelector(".playground-job progress")!.getAttribute("value")).toBe("40");

  stream.send(
    jobView({
      id: "job12345abcdef",
      status: "succeeded",
      result: { success: true, image: "/out/img_1.png", size: "1536x1024", cost_usd: 0.04, model: "gpt-image-2", provider: "openai", id: "job12345abcdef" },
    }),
  );
  await until(() => view.root.querySelector(".playground-job img") !== null);
  expect(view.root.querySelector(".playground-job img")!.getAttribute("src")).toBe("/api/generations/job12345abcdef/file");
  expect(job()).toContain("Succeeded");
  expect(job()).toContain("1536x1024");
  expect(view.root.querySelector(".playground-cost")?.textContent).toBe("$0.040");
  expect(view.root.querySelector(".playground-job progress")).toBeNull();
}, 6000);

test("an unknown cost reads 'unknown', never $0; a video shows its duration", async () => {
  const stream = jobStream();
  daemon({ "POST /api/media/video": accepted("vid00002", "video", "running"), "GET /api/media/jobs/vid00002/events": () => stream.response() });
  using view = await openTab("Video");
  typeInto(view.root.querySelector("textarea"), "rain");
  submit(view.root);
  await until(() => view.root.querySelector(".playground-job") !== null);
  stream.send(jobView({ id: "vid00002", type: "video", status: "succeeded", result: { success: true, video: "/out/v.mp4", duration_seconds: 8 } }));
  await until(() => view.root.querySelector(".playground-job video") !== null);
  expect(view.root.querySelector(".playground-job video")!.hasAttribute("controls")).toBe(true);
  expect(view.root.querySelector(".playground-cost")?.textContent).toBe("unknown");
  expect(view.root.querySelector(".playground-job")?.textContent).toContain("8 s");
});

test("a failed job shows the provider's error with its error_type", async () => {
  const stream = jobStream();
  daemon({ "POST /api/media/image": accepted("bad00001", "image", "running"), "GET /api/media/jobs/bad00001/events": () => stream.response() });
  using view = await openTab("Image");
  typeInto(view.root.querySelector("textarea"), "something");
  submit(view.root);
  await until(() => view.root.querySelector(".playground-job") !== null);
  stream.send(jobView({ id: "bad00001", status: "failed", error: "The provider refused the request on safety grounds.", error_type: "content_filtered", result: { success: false } }));
  await until(() => view.root.querySelector(".playground-job [role=alert]") !== null);
  const alert = view.root.querySelector(".playground-job [role=alert]")!.textContent;
  expect(alert).toContain("The provider refused the request on safety grounds.");
  expect(alert).toContain("content_filtered");
  expect(view.root.querySelector(".playground-job img")).toBeNull();
});

test("a refused submission (budget) is shown as a readable error", async () => {
  daemon({ "POST /api/media/image": () => errorAnswer(402, "This request would pass the daily limit of $1.", "budget_exceeded") });
  using view = await openTab("Image");
  typeInto(view.root.querySelector("textarea"), "x");
  submit(view.root);
  await until(() => view.root.querySelector("form [role=alert]") !== null);
  expect(view.root.querySelector("form [role=alert]")!.textContent).toContain("This request would pass the daily limit of $1. (budget_exceeded)");
});

test("a media type without a model says so and links to /models", async () => {
  daemon({}, { ...ALL_CONFIGURED, video: { configured: false } });
  using view = await openTab("Video");
  expect(view.root.querySelector(".playground-not-configured")?.textContent).toContain("No model is configured for Video.");
  expect(view.root.querySelector("form.playground-form")).toBeNull();
  const link = view.root.querySelector(".playground-not-configured a") as HTMLAnchorElement;
  expect(link.getAttribute("href")).toBe("/models");
  link.click();
  expect(location.pathname).toBe("/models");
  history.pushState(null, "", "/");
});

test("Copy as curl copies the blocking command of the same request, with the token from the environment", async () => {
  daemon();
  localStorage.setItem("mediagen.token", "secret-token-123456");
  let copied = "";
  Object.defineProperty(navigator, "clipboard", { value: { writeText: async (text: string) => void (copied = text) }, configurable: true });
  using view = await openTab("Speech");
  typeInto(view.root.querySelector("textarea"), "it's here");
  button(view.root, "Copy as curl").click();
  await until(() => copied !== "");
  expect(copied).toBe(
    `curl -s -X POST http://${location.host}/api/media/audio/speech -H "Content-Type: application/json" -H "Authorization: Bearer $MEDIAGEN_TOKEN" -d '{"input":"it'\\''s here"}'`,
  );
  expect(copied).not.toContain("secret-token");
  await until(() => view.root.textContent?.includes("Copied to the clipboard.") === true);
});

test("tabs are real buttons with the tab role, switched by click and arrow keys", async () => {
  daemon();
  using view = await openTab("Image");
  const tabs = [...view.root.querySelectorAll("[role=tab]")] as HTMLButtonElement[];
  expect(tabs.map((t) => t.tagName)).toEqual(["BUTTON", "BUTTON", "BUTTON"]);
  expect(tabs[0]!.getAttribute("aria-selected")).toBe("true");
  tabs[0]!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
  await until(() => tabs[1]!.getAttribute("aria-selected") === "true");
  expect(hasButton(view.root, "Generate")).toBe(true);
});

test("when the catalogue cannot be read, speech still works with a free text voice and the error is shown", async () => {
  daemon({ "GET /api/config/catalog": () => errorAnswer(500, "Internal error; see the daemon's log.", "internal") });
  using view = await openTab("Speech");
  await until(() => view.root.querySelector("form [role=alert]") !== null);
  expect(view.root.querySelector("form [role=alert]")!.textContent).toContain("Internal error");
  expect(view.root.querySelector("form select")).toBeNull();
  expect(view.root.querySelector("form input:not([type=file])")).not.toBeNull();
});

test("a daemon that cannot say which models are configured gives a readable error with retry", async () => {
  daemon({ "GET /api/media/types": () => errorAnswer(401, "This daemon requires `Authorization: Bearer <token>`", "unauthorized") });
  using view = mount(() => <Playground />);
  await until(() => view.root.querySelector("[role=alert]") !== null);
  expect(view.root.querySelector("h1")?.textContent).toBe("Playground");
  expect(view.root.querySelector("[role=alert]")!.textContent).toContain("unauthorized");
  expect(hasButton(view.root, "Retry")).toBe(true);
});

test("with several models of a type, any of them can serve the next request (sent as model); the default stays what agents get", async () => {
  const view = (index: number, name: string | undefined, model: string, inUse: boolean) => ({ index, type: "image", provider: "openai", model, default: inUse, in_use: inUse, api_key: { set: true, masked: "sk-…" }, ...(name ? { name } : {}) });
  const { sent } = daemon({
    "GET /api/config/models": { models: [view(0, "pics", "gpt-image-2", true), view(1, undefined, "gpt-image-1.5", false), view(2, "cheap", "gpt-image-1-mini", false)] },
    "POST /api/media/image": accepted("img00009", "image"),
    "GET /api/media/jobs/img00009/events": () => jobStream().response(),
  });
  using page = await openTab("Image");
  await until(() => page.root.querySelector(".playground-model-select select") !== null);
  const select = page.root.querySelector(".playground-model-select select");
  expect(optionValues(select)).toEqual(["", "gpt-image-1.5", "cheap"]);
  expect(select!.textContent).toContain("pics (openai · gpt-image-2) · default, what agents get");
  choose(select, "cheap");
  typeInto(page.root.querySelector("textarea"), "a lighthouse");
  submit(page.root);
  await until(() => sent.some((r) => r.method === "POST"));
  expect(sent.find((r) => r.method === "POST")!.body).toMatchObject({ prompt: "a lighthouse", model: "cheap", async: true });
});

const modelView = (index: number, type: string, name: string | undefined, model: string, provider: string, inUse: boolean) => ({
  index,
  type,
  provider,
  model,
  default: inUse,
  in_use: inUse,
  api_key: { set: true, masked: "k-…" },
  ...(name ? { name } : {}),
});
const IMAGE_MODELS = {
  models: [
    modelView(0, "image", "pics", "gpt-image-2", "openai", true),
    modelView(1, "image", undefined, "gpt-image-1.5", "openai", false),
    modelView(2, "image", "gateway", "or-gpt-image-2", "openclacky", false),
    modelView(3, "audio", "voice", "tts-1", "openai", true),
    modelView(4, "audio", "gem", "or-tts-gemini-2-5-flash", "openclacky", false),
  ],
};

test("a blank or whitespace-only prompt is answered with a message and nothing is sent", async () => {
  const { sent } = daemon();
  using view = await openTab("Image");
  typeInto(view.root.querySelector("textarea"), "   \n  ");
  submit(view.root);
  await until(() => view.root.querySelector(".playground-problem") !== null);
  expect(view.root.querySelector(".playground-problem")!.textContent).toBe("Enter a prompt: it cannot be blank.");
  expect(view.root.querySelector(".playground-problem")!.getAttribute("role")).toBe("alert");
  expect(sent.filter((r) => r.path.startsWith("/api/media/") && r.method === "POST")).toEqual([]);
  // Typing clears it.
  typeInto(view.root.querySelector("textarea"), "a fox");
  await until(() => view.root.querySelector(".playground-problem") === null);
  button(view.root, "Speech").click();
  await until(() => view.root.querySelector("form textarea") !== null);
  submit(view.root);
  await until(() => view.root.querySelector(".playground-problem")?.textContent === "Enter the text to speak: it cannot be blank.");
});

test("'Copied to the clipboard.' goes away on another tab", async () => {
  daemon();
  Object.defineProperty(navigator, "clipboard", { value: { writeText: async () => {} }, configurable: true });
  using view = await openTab("Image");
  typeInto(view.root.querySelector("textarea"), "x");
  button(view.root, "Copy as curl").click();
  await until(() => view.root.textContent?.includes("Copied to the clipboard.") === true);
  button(view.root, "Video").click();
  await until(() => view.root.textContent?.includes("Copied to the clipboard.") === false);
});

test("the prompt and the results survive leaving the page and coming back, and are saved for a reload", async () => {
  daemon({ "POST /api/media/image": accepted("img00042", "image"), "GET /api/media/jobs/img00042/events": () => jobStream().response() });
  {
    using view = await openTab("Image");
    typeInto(view.root.querySelector("textarea"), "a harbour at night");
    submit(view.root);
    await until(() => view.root.querySelector(".playground-job") !== null);
    typeInto(view.root.querySelector("textarea"), "the next idea");
  }
  using again = mount(() => <Playground />);
  await until(() => again.root.querySelector(".playground-job") !== null && again.root.querySelector("textarea") !== null);
  expect((again.root.querySelector("textarea") as HTMLTextAreaElement).value).toBe("the next idea");
  expect(again.root.querySelector(".playground-job")!.textContent).toContain("a harbour at night");
  // Saved a moment after the last change, per browser tab.
  await until(() => (sessionStorage.getItem("mediagen.playground.forms") ?? "").includes("the next idea"), 2000);
  expect(sessionStorage.getItem("mediagen.playground.runs")).toContain("img00042");
});

test("the estimated cost is shown before running and follows the form", async () => {
  const estimates: unknown[] = [];
  daemon({
    "POST /api/costs/estimate": (request: SentRequest) => {
      estimates.push(request.body);
      const square = (request.body as { aspect_ratio?: string }).aspect_ratio === "square";
      return Response.json({ type: "image", estimates: [{ choice: "pics", name: "pics", model: "gpt-image-2", provider: "openai", default: true, estimated_cost_usd: square ? 0.034 : 0.047, basis: "catalog" }] });
    },
  });
  using view = await openTab("Image");
  const estimate = () => view.root.querySelector(".playground-estimate")?.textContent ?? "";
  await until(() => estimate().includes("$0.047"), 3000);
  expect(estimate()).toBe("Estimated cost: $0.047 · from the price catalogue");
  expect(estimates[0]).toEqual({ type: "image", aspect_ratio: "landscape" });
  choose(view.root.querySelector("form select"), "square");
  await until(() => estimate().includes("$0.034"), 3000);
  expect(estimates.at(-1)).toEqual({ type: "image", aspect_ratio: "square" });
  // Another tab never shows the image's estimate (this fake only estimates images).
  button(view.root, "Video").click();
  await until(() => view.root.querySelector("form select") !== null && estimate() === "");
  await until(() => estimates.some((body) => (body as { type: string }).type === "video"), 3000);
  expect(estimate()).toBe("");
});

test("an unknown estimate says so, never $0", async () => {
  daemon({
    "POST /api/costs/estimate": () => Response.json({ type: "audio", estimates: [{ choice: "voice", name: "voice", model: "tts-1", provider: "openai", default: true, estimated_cost_usd: null, basis: "unknown" }] }),
  });
  using view = await openTab("Speech");
  await until(() => (view.root.querySelector(".playground-estimate")?.textContent ?? "").includes("unknown"), 3000);
  expect(view.root.querySelector(".playground-estimate")!.textContent).toBe("Estimated cost: unknown: no price for this model and no cost recorded yet");
});

test("compare: one prompt to the chosen models side by side, each card with its time, file size and cost, or its own error", async () => {
  const streams = { a: jobStream(), b: jobStream() };
  const { sent } = daemon({
    "GET /api/config/models": IMAGE_MODELS,
    "POST /api/costs/estimate": (request: SentRequest) =>
      Response.json({
        type: "image",
        estimates: ((request.body as { models?: string[] }).models ?? ["pics"]).map((choice) => ({
          choice,
          name: choice === "gpt-image-1.5" ? null : choice,
          model: choice,
          provider: "openai",
          default: choice === "pics",
          estimated_cost_usd: choice === "gateway" ? null : 0.05,
          basis: choice === "gateway" ? "unknown" : "catalog",
        })),
      }),
    "POST /api/media/image": (request: SentRequest) => {
      const model = (request.body as { model?: string }).model;
      if (model === "gateway") return errorAnswer(401, "api_key not configured for gateway", "auth_required");
      const id = model === "pics" ? "cmpaaaa1" : "cmpbbbb2";
      return Response.json({ success: true, status: "running", task_id: id, id, type: "image", model: model === "pics" ? "gpt-image-2" : "gpt-image-1.5", provider: "openai" }, { status: 202 });
    },
    "GET /api/media/jobs/cmpaaaa1/events": () => streams.a.response(),
    "GET /api/media/jobs/cmpbbbb2/events": () => streams.b.response(),
    "GET /api/generations/cmpaaaa1": { bytes: 2_202_009 },
    "GET /api/generations/cmpbbbb2": { bytes: 1_048_576 },
  });
  using view = await openTab("Image");
  await until(() => view.root.querySelector(".playground-compare-toggle input") !== null);
  const toggle = view.root.querySelector(".playground-compare-toggle input") as HTMLInputElement;
  toggle.click();
  await until(() => view.root.querySelector(".playground-compare") !== null);
  const boxes = () => [...view.root.querySelectorAll(".playground-compare input[type=checkbox]")] as HTMLInputElement[];
  expect(boxes().map((b) => b.value)).toEqual(["pics", "gpt-image-1.5", "gateway"]);
  // One chosen is not a comparison yet.
  boxes()[0]!.click();
  typeInto(view.root.querySelector("textarea"), "a red kite over hills");
  submit(view.root);
  await until(() => view.root.querySelector(".playground-problem")?.textContent === "Choose at least 2 models to compare.");
  boxes()[1]!.click();
  boxes()[2]!.click();
  await until(() => (view.root.querySelector(".playground-estimate")?.textContent ?? "").includes("at least"), 3000);
  expect(view.root.querySelector(".playground-estimate")!.textContent).toBe("Estimated total: at least $0.100 (some models have no estimate)");
  expect(view.root.querySelector(".playground-compare")!.textContent).toContain("$0.050 · from the price catalogue");
  expect(button(view.root, "Compare 3 models")).toBeDefined();
  button(view.root, "Compare 3 models").click();
  await until(() => view.root.querySelectorAll(".playground-compare-grid > article").length === 3);
  const posts = sent.filter((r) => r.method === "POST" && r.path === "/api/media/image");
  expect(posts.map((r) => (r.body as { model: string }).model)).toEqual(["pics", "gpt-image-1.5", "gateway"]);
  for (const post of posts) {
    expect(post.body).toMatchObject({ prompt: "a red kite over hills", aspect_ratio: "landscape", async: true });
    expect(post.headers.get("x-mediagen-door")).toBe("ui");
  }
  // The refused model shows its own error in its card; the others run.
  const cards = () => [...view.root.querySelectorAll(".playground-compare-grid > article")];
  expect(cards()[2]!.textContent).toContain("api_key not configured for gateway");
  expect(cards()[2]!.textContent).toContain("auth_required");

  const started = "2026-11-29T10:00:00.000Z";
  streams.a.send(jobView({ id: "cmpaaaa1", status: "succeeded", started_at: started, finished_at: "2026-11-29T10:00:12.300Z", result: { success: true, image: "/o/a.png", size: "1536x1024", cost_usd: 0.047 } }));
  streams.b.send(jobView({ id: "cmpbbbb2", model: "gpt-image-1.5", status: "succeeded", started_at: started, finished_at: "2026-11-29T10:00:08.000Z", result: { success: true, image: "/o/b.png", size: "1536x1024", cost_usd: 0.05 } }));
  await until(() => cards()[0]!.querySelector(".playground-bytes") !== null && cards()[1]!.querySelector(".playground-bytes") !== null);
  expect(cards()[0]!.querySelector(".playground-took")!.textContent).toBe("12.3 s");
  expect(cards()[0]!.querySelector(".playground-bytes")!.textContent).toBe("2.1 MB");
  expect(cards()[0]!.querySelector(".playground-cost")!.textContent).toBe("$0.047");
  expect(cards()[1]!.querySelector(".playground-took")!.textContent).toBe("8.0 s");
  expect(cards()[1]!.querySelector(".playground-bytes")!.textContent).toBe("1.0 MB");
  expect(cards()[1]!.textContent).toContain("gpt-image-1.5");
  // Comparing never touches the configured default.
  expect(sent.some((r) => r.path.startsWith("/api/config/models/") && r.method !== "GET")).toBe(false);
});

test("the voice list follows the picked speech model", async () => {
  daemon({ "GET /api/config/models": IMAGE_MODELS });
  using view = await openTab("Speech");
  await until(() => view.root.querySelector(".playground-model-select select") !== null);
  const voice = () => [...view.root.querySelectorAll("form select")].at(-1)!;
  expect(optionValues(voice())).toEqual(["", "alloy"]);
  choose(view.root.querySelector(".playground-model-select select"), "gem");
  await until(() => optionValues(voice()).includes("Kore"));
  expect(optionValues(voice())).toEqual(["", "Kore", "Puck"]);
});
