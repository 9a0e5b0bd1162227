// The lightbox over the History results: keyboard and buttons move through the loaded results (loading more at the
// end), zoom a picture, close with Escape; each result offers its file actions.
import { afterEach, expect, test } from "bun:test";
import type { Generation } from "../../../web/src/lib/api.ts";
import { History } from "../../../web/src/pages/History.tsx";
import { button } from "../dom.ts";
import { fakeFetch, type SentRequest } from "../history-costs-fetch.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => restore());

const base = { status: "succeeded", model: "m", model_name: null, provider: "p", params: {}, bytes: 1000, width: 1024, height: 768, duration_seconds: null, has_thumbnail: true, cost_usd: null, cost_source: "unknown", created_at: "2026-11-23T10:00:00.000Z", attempts: [], door: "api" };
const picture = (id: string, prompt: string) => ({ ...base, id, type: "image", prompt, output_path: `/home/me/out/${id}.png`, mime_type: "image/png" }) as unknown as Generation;
const CAT = picture("gen-cat", "A cat");
const DOG = picture("gen-dog", "A dog");
const WAVES = { ...base, id: "gen-waves", type: "video", prompt: "Waves", output_path: "/home/me/out/my waves (1).mp4", mime_type: "video/mp4", width: null, height: null, duration_seconds: 6, has_thumbnail: false } as unknown as Generation;
const OWL = picture("gen-owl", "An owl");

function daemon(pages: Generation[][], opener: object = { available: true }) {
  const fake = fakeFetch({
    "GET /api/generations": (r: SentRequest) => {
      const index = Number(r.query.get("cursor") ?? 0);
      return { items: pages[index] ?? [], next_cursor: index + 1 < pages.length ? String(index + 1) : null };
    },
    "GET /api/files/folder-opener": opener,
    "POST /api/generations/gen-cat/open-folder": { opened: true, folder: "/home/me/out" },
  });
  restore = fake.restore;
  return fake;
}

const lightbox = () => document.querySelector("dialog.history-lightbox") as HTMLDialogElement | null;
const title = () => lightbox()?.querySelector("h2")?.textContent;
const press = (key: string) => lightbox()!.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));

async function openFirst(root: HTMLElement) {
  await until(() => root.querySelector("article.history-card") !== null);
  button(root.querySelector("article.history-card") as HTMLElement, "View").click();
  await until(() => lightbox()?.open === true);
}

test("← → move through the results with the full file of each; + − 0 zoom a picture; Escape closes", async () => {
  daemon([[CAT, WAVES, DOG]]);
  using view = mount(() => <History />);
  await openFirst(view.root);
  expect(title()).toBe("Result 1 of 3");
  // The lightbox shows the full file, not the thumbnail.
  expect(lightbox()!.querySelector(".history-lightbox-stage img")?.getAttribute("src")).toBe("/api/generations/gen-cat/file");
  press("+");
  expect(lightbox()!.textContent).toContain("Zoom 150%");
  press("+");
  press("+");
  press("+");
  press("+");
  expect(lightbox()!.textContent).toContain("Zoom 400%");
  press("-");
  expect(lightbox()!.textContent).toContain("Zoom 300%");
  press("0");
  expect(lightbox()!.textContent).toContain("Zoom 100%");
  press("ArrowLeft");
  expect(title()).toBe("Result 1 of 3");
  press("+");
  press("ArrowRight");
  expect(title()).toBe("Result 2 of 3");
  const video = lightbox()!.querySelector("video")!;
  expect(video.getAttribute("src")).toBe("/api/generations/gen-waves/file");
  expect(lightbox()!.textContent).not.toContain("Zoom");
  button(lightbox()!, "Next").click();
  expect(title()).toBe("Result 3 of 3");
  expect(lightbox()!.textContent).toContain("Zoom 100%");
  press("ArrowRight");
  expect(title()).toBe("Result 3 of 3");
  press("Home");
  expect(title()).toBe("Result 1 of 3");
  press("Escape");
  await until(() => lightbox() === null);
});

test("where folders cannot be opened, the button is disabled and the reason is shown", async () => {
  daemon([[CAT]], { available: false, reason: "the daemon runs without a desktop session (no DISPLAY or WAYLAND_DISPLAY)" });
  using view = mount(() => <History />);
  await openFirst(view.root);
  await until(() => lightbox()!.textContent?.includes("Opening the folder is not possible here: the daemon runs without a desktop session") === true);
  expect((button(lightbox()!, "Open folder") as HTMLButtonElement).disabled).toBe(true);
});

test("it moves among the results that have a file: a failed one and one whose file is gone are passed over", async () => {
  const failed = { ...CAT, id: "gen-failed", status: "failed", output_path: null } as Generation;
  const gone = { ...DOG, id: "gen-gone", file_missing: true } as Generation;
  daemon([[failed, CAT, gone, DOG]]);
  using view = mount(() => <History />);
  await until(() => view.root.querySelectorAll("article.history-card").length === 4);
  button(view.root.querySelector('article[data-id="gen-cat"]') as HTMLElement, "View").click();
  await until(() => lightbox()?.open === true);
  expect(title()).toBe("Result 1 of 2");
  press("ArrowRight");
  expect(title()).toBe("Result 2 of 2");
  expect(lightbox()!.querySelector(".history-lightbox-stage img")?.getAttribute("src")).toBe("/api/generations/gen-dog/file");
});

test("moving past the last loaded result loads the next page", async () => {
  const { sent } = daemon([[CAT, DOG], [OWL]]);
  using view = mount(() => <History />);
  // The grid itself fetches the short second page; the lightbox then reaches it.
  await openFirst(view.root);
  press("End");
  await until(() => title() === "Result 3 of 3");
  expect(lightbox()!.querySelector(".history-lightbox-stage img")?.getAttribute("src")).toBe("/api/generations/gen-owl/file");
  expect(sent.filter((r) => r.path === "/api/generations").map((r) => r.query.get("cursor"))).toEqual([null, "1"]);
});

test("the file actions: download under its own name, copy the path and the skill's markdown, open the folder", async () => {
  const copied: string[] = [];
  const clipboard = Object.getOwnPropertyDescriptor(navigator, "clipboard");
  Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText: async (text: string) => void copied.push(text) } });
  try {
    const { sent } = daemon([[CAT, WAVES]]);
    using view = mount(() => <History />);
    await openFirst(view.root);
    const box = lightbox()!;
    const download = box.querySelector("a[download]")!;
    expect(download.getAttribute("href")).toBe("/api/generations/gen-cat/file?download=1");
    expect(download.getAttribute("download")).toBe("gen-cat.png");
    button(box, "Copy path").click();
    await until(() => copied.length === 1);
    button(box, "Copy as markdown").click();
    await until(() => copied.length === 2);
    expect(copied).toEqual(["/home/me/out/gen-cat.png", "![](file:///home/me/out/gen-cat.png)"]);
    expect(box.querySelector("[role=status]")?.textContent).toBe("Copied to the clipboard.");
    await until(() => !(button(box, "Open folder") as HTMLButtonElement).disabled);
    button(box, "Open folder").click();
    await until(() => box.textContent?.includes("Opened /home/me/out in the file manager.") === true);
    expect(sent.filter((r) => r.method === "POST").map((r) => r.path)).toEqual(["/api/generations/gen-cat/open-folder"]);
    press("ArrowRight");
    button(lightbox()!, "Copy as markdown").click();
    await until(() => copied.length === 3);
    expect(copied[2]).toBe("[🎬 my waves (1).mp4](file:///home/me/out/my%20waves%20%281%29.mp4)");
  } finally {
    if (clipboard) Object.defineProperty(navigator, "clipboard", clipboard);
  }
});
