// The History page: filters to queries, pagination, media, failures, the detail dialog, re-run and delete.
import { afterEach, expect, test } from "bun:test";
import type { Generation } from "../../../web/src/lib/api.ts";
import { PAGE_SIZE } from "../../../web/src/lib/history.ts";
import { History } from "../../../web/src/pages/History.tsx";
import { button, choose, typeInto } from "../dom.ts";
import { apiError, fakeFetch, type Route, type SentRequest } from "../history-costs-fetch.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => {
  restore();
  localStorage.clear();
});

/** A ledger record with every field, overridden by `fields`. */
function generation(fields: Partial<Generation> & { id: string }): Generation {
  return {
    type: "image",
    status: "succeeded",
    model: "or-gpt-image-2",
    model_name: "pics",
    provider: "openclacky",
    prompt: `Prompt of ${fields.id}`,
    params: { aspect_ratio: "landscape", output_dir: "/home/me/out" },
    output_path: `/home/me/out/${fields.id}.png`,
    mime_type: "image/png",
    bytes: 204_800,
    width: 1536,
    height: 1024,
    duration_seconds: null,
    has_thumbnail: false,
    usage: null,
    cost_usd: 0.04,
    cost_source: "upstream",
    cost_unit: null,
    cost_quantity: null,
    cost_unit_price: null,
    cost_breakdown: null,
    cost_note: null,
    estimated_cost_usd: null,
    error: null,
    error_type: null,
    upstream_status: null,
    operation_id: null,
    progress: null,
    attempts: [],
    created_at: "2026-11-23T10:00:00.000Z",
    started_at: "2026-11-23T10:00:01.000Z",
    finished_at: "2026-11-23T10:00:13.500Z",
    latency_ms: 12_500,
    session_id: null,
    client: null,
    door: "api",
    refusal_count: null,
    billed_failure: false,
    ...fields,
  };
}

const CAT = generation({ id: "gen-cat", prompt: "A cat on a sofa" });
const VIDEO = generation({
  id: "gen-video",
  type: "video",
  model: "or-veo-3-1",
  model_name: null,
  prompt: "Waves at dusk",
  params: { aspect_ratio: "portrait", duration_seconds: 6, first_frame: "inline", output_dir: "/home/me/out" },
  output_path: "/home/me/out/gen-video.mp4",
  mime_type: "video/mp4",
  width: null,
  height: null,
  duration_seconds: 6,
  cost_usd: 0.9,
  cost_source: "catalog",
  cost_unit: "second",
  cost_quantity: 6,
  cost_unit_price: 0.15,
});
const SPEECH = generation({
  id: "gen-speech",
  type: "audio",
  model: "gemini-2.5-flash-preview-tts",
  model_name: "voice",
  provider: "gemini",
  prompt: "Hello there",
  params: { voice: "Kore", output_dir: "/home/me/out" },
  output_path: "/home/me/out/gen-speech.wav",
  mime_type: "audio/wav",
  width: null,
  height: null,
  duration_seconds: 1.4,
  usage: { input_tokens: 5, output_tokens: 44 },
  cost_usd: 0.000931,
  cost_source: "catalog",
  cost_unit: "token",
  cost_quantity: 49,
  cost_unit_price: 0.000019,
  cost_breakdown: [
    { unit: "input_token", quantity: 5, unit_price_usd: 0.0000005, usd: 0.0000025 },
    { unit: "output_token", quantity: 44, unit_price_usd: 0.00002, usd: 0.00088 },
  ],
  attempts: [
    { n: 1, started_at: "2026-11-23T10:00:01.000Z", finished_at: "2026-11-23T10:00:02.000Z", outcome: "retry", error_type: "rate_limited", upstream_status: 429, retry_in_ms: 2000 },
    { n: 2, started_at: "2026-11-23T10:00:04.000Z", finished_at: "2026-11-23T10:00:05.000Z", outcome: "succeeded" },
  ],
  session_id: "sess-42",
  client: "claude-code",
});
const FAILED = generation({
  id: "gen-failed",
  status: "failed",
  prompt: "Something forbidden",
  output_path: null,
  mime_type: null,
  bytes: null,
  width: null,
  height: null,
  cost_usd: null,
  cost_source: "unknown",
  error: "The provider refused the request on safety grounds.",
  error_type: "content_filtered",
  upstream_status: 400,
});

/** The daemon with `pages` of generations, chained by cursor "1", "2", ...; the list route can be replaced. */
function daemon(pages: Generation[][], routes: Record<string, Route> = {}) {
  const fake = fakeFetch({
    "GET /api/generations": (r: SentRequest) => {
      const index = Number(r.query.get("cursor") ?? 0);
      return { items: pages[index] ?? [], next_cursor: index + 1 < pages.length ? String(index + 1) : null };
    },
    ...routes,
  });
  restore = fake.restore;
  return fake;
}

const lists = (sent: SentRequest[]) => sent.filter((r) => r.method === "GET" && r.path === "/api/generations").map((r) => Object.fromEntries(r.query));
const cards = (root: HTMLElement) => [...root.querySelectorAll("article.history-card")] as HTMLElement[];
const card = (root: HTMLElement, id: string) => root.querySelector(`article[data-id="${id}"]`) as HTMLElement | null;
const dialog = () => document.querySelector("dialog.history-detail") as HTMLDialogElement | null;

async function openDetail(root: HTMLElement, id: string): Promise<HTMLDialogElement> {
  await until(() => card(root, id) !== null);
  button(card(root, id)!, "Details").click();
  await until(() => dialog()?.open === true);
  return dialog()!;
}

test("the gallery shows newest first: lazy pictures, video and speech posters with their stored duration, status badges", async () => {
  daemon([[SPEECH, VIDEO, CAT]]);
  using view = mount(() => <History />);
  await until(() => cards(view.root).length === 3);
  expect(view.root.querySelector("h1")?.textContent).toBe("History");
  const img = card(view.root, "gen-cat")!.querySelector("img")!;
  expect(img.getAttribute("loading")).toBe("lazy");
  expect(img.getAttribute("src")).toBe("/api/generations/gen-cat/file");
  expect(img.getAttribute("alt")).toBe("A cat on a sofa");
  // No media element in the cards: nothing is downloaded until a result is opened, and the duration shows at once.
  expect(view.root.querySelector("video, audio")).toBeNull();
  expect(card(view.root, "gen-video")!.querySelector(".history-poster")?.textContent).toContain("Video · 0:06");
  expect(card(view.root, "gen-speech")!.querySelector(".history-poster")?.textContent).toContain("Speech · 0:01");
  expect(card(view.root, "gen-cat")!.querySelector(".badge.succeeded")?.textContent).toBe("Succeeded");
  expect(card(view.root, "gen-cat")!.textContent).toContain("$0.040");
  expect(view.root.textContent).toContain("That is all of them.");
});

test("in team mode a card, the viewer and the details say whose token made the record; others say nothing of owners", async () => {
  daemon([[{ ...CAT, owner: "alice", team: "design" }, { ...CAT, id: "gen-mine" }]]);
  using view = mount(() => <History />);
  await until(() => cards(view.root).length === 2);
  expect(card(view.root, "gen-cat")!.querySelector(".history-owner")?.textContent).toBe("By alice (design)");
  expect(card(view.root, "gen-mine")!.querySelector(".history-owner")).toBeNull();
  button(card(view.root, "gen-cat")!, "View").click();
  await until(() => (document.querySelector("dialog.history-lightbox") as HTMLDialogElement | null)?.open === true);
  expect(document.querySelector("dialog.history-lightbox .history-owner")?.textContent).toBe("By alice (design)");
  button(document.querySelector("dialog.history-lightbox") as HTMLElement, "Details").click();
  const detail = dialog()!;
  await until(() => detail.open);
  const owner = [...detail.querySelectorAll("dt")].find((dt) => dt.textContent === "Owner");
  expect(owner?.nextElementSibling?.textContent).toBe("alice (design)");
});

test("a picture with a thumbnail shows the small WebP; one the list reports gone is never requested", async () => {
  const { sent } = daemon([[{ ...CAT, has_thumbnail: true }, { ...CAT, id: "gen-gone", file_missing: true }]]);
  using view = mount(() => <History />);
  await until(() => cards(view.root).length === 2);
  expect(card(view.root, "gen-cat")!.querySelector("img")?.getAttribute("src")).toBe("/api/generations/gen-cat/thumbnail");
  expect(card(view.root, "gen-gone")!.querySelector("img")).toBeNull();
  expect(card(view.root, "gen-gone")!.textContent).toContain("The file is no longer there");
  expect(() => button(card(view.root, "gen-gone")!, "View")).toThrow();
  expect(sent.filter((r) => r.path.includes("gen-gone"))).toEqual([]);
  // A thumbnail that fails to load falls back to the full file.
  card(view.root, "gen-cat")!.querySelector("img")!.dispatchEvent(new Event("error"));
  await until(() => card(view.root, "gen-cat")!.querySelector("img")?.getAttribute("src") === "/api/generations/gen-cat/file");
});

test("file URLs carry the access token when one is saved", async () => {
  localStorage.setItem("mediagen.token", "tok en");
  daemon([[CAT, { ...CAT, id: "gen-small", has_thumbnail: true }]]);
  using view = mount(() => <History />);
  await until(() => cards(view.root).length === 2);
  expect(card(view.root, "gen-cat")!.querySelector("img")?.getAttribute("src")).toBe("/api/generations/gen-cat/file?access_token=tok%20en");
  expect(card(view.root, "gen-small")!.querySelector("img")?.getAttribute("src")).toBe("/api/generations/gen-small/thumbnail?access_token=tok%20en");
});

test("a failed generation shows its error and error type, an unknown cost as a dash, and no player", async () => {
  daemon([[FAILED]]);
  using view = mount(() => <History />);
  await until(() => cards(view.root).length === 1);
  const failed = card(view.root, "gen-failed")!;
  expect(failed.querySelector(".badge.failed")?.textContent).toBe("Failed");
  expect(failed.querySelector(".history-error")?.textContent).toBe("The provider refused the request on safety grounds. (content_filtered)");
  expect(failed.querySelector("img, video, audio")).toBeNull();
  expect(failed.querySelector(".history-meta")?.textContent).toContain("—");
  expect(failed.querySelector(".history-meta")?.textContent).not.toContain("$0");
});

test("filters produce the right queries; typing is debounced into one query", async () => {
  const { sent } = daemon([[CAT]]);
  using view = mount(() => <History />);
  await until(() => lists(sent).length === 1);
  expect(lists(sent)[0]).toEqual({ limit: String(PAGE_SIZE) });

  const form = view.root.querySelector("form[role=search]")!;
  const [typeSelect, statusSelect] = [...form.querySelectorAll("select")];
  choose(typeSelect!, "video");
  await until(() => lists(sent).length === 2);
  expect(lists(sent)[1]).toEqual({ limit: String(PAGE_SIZE), type: "video" });

  choose(statusSelect!, "failed");
  await until(() => lists(sent).length === 3);
  expect(lists(sent)[2]).toMatchObject({ type: "video", status: "failed" });

  const [from, to] = [...form.querySelectorAll("input[type=date]")];
  choose(from!, "2026-11-01");
  await until(() => lists(sent).length === 4);
  choose(to!, "2026-11-23");
  await until(() => lists(sent).length === 5);
  expect(lists(sent)[4]).toMatchObject({ from: "2026-11-01", to: "2026-11-23" });

  const search = form.querySelector("input[type=search]")!;
  typeInto(search, "c");
  typeInto(search, "ca");
  typeInto(search, "cat ");
  typeInto(form.querySelector("input[type=text]")!, "veo");
  await until(() => lists(sent).length === 6);
  await Bun.sleep(400);
  expect(lists(sent)).toHaveLength(6);
  expect(lists(sent)[5]).toEqual({ limit: String(PAGE_SIZE), type: "video", status: "failed", from: "2026-11-01", to: "2026-11-23", q: "cat", model: "veo" });

  button(view.root, "Clear filters").click();
  await until(() => lists(sent).length === 7);
  expect(lists(sent)[6]).toEqual({ limit: String(PAGE_SIZE) });
  expect((search as HTMLInputElement).value).toBe("");
  await Bun.sleep(400);
  expect(lists(sent)).toHaveLength(7);
});

test("no matches: says so for filters, and the query is still editable", async () => {
  daemon([[]]);
  using view = mount(() => <History />);
  await until(() => view.root.textContent?.includes("No generations yet.") === true);
  choose(view.root.querySelector("form select"), "image");
  await until(() => view.root.textContent?.includes("No generations match these filters.") === true);
});

test("the grid fetches the next page by cursor on its own as its last rows come into view, until there is none", async () => {
  const { sent } = daemon([[SPEECH, VIDEO], [CAT, FAILED]]);
  using view = mount(() => <History />);
  await until(() => cards(view.root).length === 4);
  expect(lists(sent).map((q) => q.cursor)).toEqual([undefined, "1"]);
  expect(cards(view.root).map((c) => c.dataset.id)).toEqual(["gen-speech", "gen-video", "gen-cat", "gen-failed"]);
  expect(view.root.textContent).not.toContain("Load more");
  expect(view.root.textContent).toContain("That is all of them.");
});

test("with many results only a window of rows is in the DOM, and it follows the scroll", async () => {
  const many = (page: number) => Array.from({ length: PAGE_SIZE }, (_, i) => ({ ...CAT, id: `gen-${page}-${i}`, prompt: `Picture ${page * PAGE_SIZE + i}` }));
  const { sent } = daemon([many(0), many(1), many(2)]);
  using view = mount(() => <History />);
  await until(() => cards(view.root).length > 0);
  await Bun.sleep(50);
  // One page loaded (the window is far from its end), a handful of its cards rendered.
  expect(lists(sent)).toHaveLength(1);
  const first = cards(view.root).length;
  expect(first).toBeLessThan(12);
  expect(cards(view.root)[0]!.dataset.id).toBe("gen-0-0");
  // Scrolled far down: the window moves, still small, and nearing the end of the loaded rows fetches the next page.
  const outer = view.root.querySelector(".history-grid-outer") as HTMLElement;
  outer.getBoundingClientRect = () => ({ top: -(PAGE_SIZE - 3) * 400, bottom: 0, left: 0, right: 0, width: 0, height: 0, x: 0, y: 0, toJSON: () => ({}) }) as DOMRect;
  window.dispatchEvent(new Event("scroll"));
  await until(() => lists(sent).length === 2);
  expect(lists(sent)[1]!.cursor).toBe("1");
  await until(() => cards(view.root).some((c) => c.dataset.id === `gen-0-${PAGE_SIZE - 1}`));
  expect(cards(view.root).length).toBeLessThan(12);
  expect(card(view.root, "gen-0-0")).toBeNull();
  expect(view.root.querySelector("li[aria-posinset]")?.getAttribute("aria-setsize")).toBe(String(PAGE_SIZE * 2));
});

test("filters come from the URL and go back into it, so a reload keeps them", async () => {
  history.replaceState(null, "", "/history?type=video&q=waves&bogus=1");
  try {
    const { sent } = daemon([[VIDEO]]);
    using view = mount(() => <History />);
    await until(() => lists(sent).length === 1);
    expect(lists(sent)[0]).toEqual({ limit: String(PAGE_SIZE), type: "video", q: "waves" });
    expect((view.root.querySelector("input[type=search]") as HTMLInputElement).value).toBe("waves");
    expect((view.root.querySelector("form select") as HTMLSelectElement).value).toBe("video");
    choose(view.root.querySelectorAll("form select")[1]!, "succeeded");
    await until(() => lists(sent).length === 2);
    expect(location.search).toBe("?type=video&status=succeeded&q=waves");
    button(view.root, "Clear filters").click();
    await until(() => location.search === "");
    expect(location.pathname).toBe("/history");
  } finally {
    history.replaceState(null, "", "/");
  }
});

test("an API error is shown as a readable message with a retry, never a blank page", async () => {
  let fail = true;
  daemon([[CAT]], {
    "GET /api/generations": () => (fail ? apiError(401, "This daemon needs its access token", "unauthorized") : { items: [CAT], next_cursor: null }),
  });
  using view = mount(() => <History />);
  await until(() => view.root.querySelector("[role=alert]") !== null);
  expect(view.root.querySelector("[role=alert]")?.textContent).toBe("Error: This daemon needs its access token (unauthorized)Retry");
  expect(view.root.querySelector("h1")?.textContent).toBe("History");
  fail = false;
  button(view.root, "Retry").click();
  await until(() => cards(view.root).length === 1);
  expect(view.root.querySelector("[role=alert]")).toBeNull();
});

test("the detail dialog shows every recorded field: cost source, unit price, breakdown, attempts, timings, file, origin", async () => {
  daemon([[SPEECH]]);
  using view = mount(() => <History />);
  const detail = await openDetail(view.root, "gen-speech");
  const text = detail.textContent ?? "";
  const field = (label: string) => [...detail.querySelectorAll("dt")].find((dt) => dt.textContent === label)?.nextElementSibling?.textContent;
  expect(field("Cost")).toBe("$0.0009");
  expect(field("Cost source")).toContain("catalogue");
  expect(field("Cost source")).toContain("Computed from the built-in price catalogue.");
  expect(field("Unit")).toBe("token");
  expect(field("Quantity")).toBe("49");
  expect(field("Unit price")).toBe("$0.000019");
  expect(field("Voice")).toBe("Kore");
  expect(field("Output tokens")).toBe("44");
  expect(field("Path")).toBe("/home/me/out/gen-speech.wav");
  expect(field("MIME type")).toBe("audio/wav");
  expect(field("Size on disk")).toBe("200.0 KB");
  expect(field("Duration")).toBe("1.4 s");
  expect(field("Latency")).toBe("12.5 s");
  expect(field("Session")).toBe("sess-42");
  expect(field("Client")).toBe("claude-code");
  expect(field("Model")).toBe("voice (gemini-2.5-flash-preview-tts)");
  const breakdown = [...detail.querySelectorAll("table.history-breakdown tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
  expect(breakdown).toEqual([
    ["input_token", "5", "$0.0000005", "$2.5e-6"],
    ["output_token", "44", "$0.00002", "$0.0009"],
  ]);
  expect(text).toContain("rate_limited");
  expect(text).toContain("429");
  expect(detail.querySelector("a[target=_blank]")?.getAttribute("href")).toBe("/api/generations/gen-speech/file");
  expect(detail.querySelector("a[target=_blank]")?.textContent).toBe("Open file");
});

test("a failed job without a charge says so, neither $0 nor 'not in the price catalogue'", async () => {
  daemon([[FAILED]]);
  using view = mount(() => <History />);
  const detail = await openDetail(view.root, "gen-failed");
  expect(detail.textContent).toContain("The job ended without the provider billing anything, so there is no cost.");
  expect(detail.textContent).not.toContain("price catalogue");
  expect(detail.querySelector("a[target=_blank]")).toBeNull();
});

test("a cost recorded as unknown for a reason (an implausible provider figure) shows that reason", async () => {
  const note = "The provider reported a cost of -1e+308 USD, which is negative; recorded as unknown";
  daemon([[{ ...FAILED, cost_note: note }]]);
  using view = mount(() => <History />);
  const detail = await openDetail(view.root, "gen-failed");
  expect(detail.textContent).toContain("Why the cost is unknown");
  expect(detail.textContent).toContain(note);
});

test("Escape and the Close button close the dialog", async () => {
  daemon([[CAT]]);
  using view = mount(() => <History />);
  let detail = await openDetail(view.root, "gen-cat");
  detail.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
  await until(() => dialog() === null);
  detail = await openDetail(view.root, "gen-cat");
  button(detail, "Close").click();
  await until(() => dialog() === null);
});

test.each([
  ["Delete record only", "/api/generations/gen-cat", "Record deleted; the file was kept."],
  ["Delete record and file", "/api/generations/gen-cat?file=true", "Record and file deleted."],
])("%s sends DELETE %s and removes the card", async (choice, url, notice) => {
  const { sent } = daemon([[CAT, VIDEO]], {
    "DELETE /api/generations/gen-cat": (r: SentRequest) => ({ success: true, id: "gen-cat", file_removed: r.query.get("file") === "true" }),
  });
  using view = mount(() => <History />);
  const detail = await openDetail(view.root, "gen-cat");
  button(detail, "Delete").click();
  expect(detail.textContent).toContain("Delete this generation?");
  button(detail, choice).click();
  await until(() => card(view.root, "gen-cat") === null);
  expect(sent.filter((r) => r.method === "DELETE").map((r) => r.url)).toEqual([url]);
  expect(dialog()).toBeNull();
  expect(cards(view.root).map((c) => c.dataset.id)).toEqual(["gen-video"]);
  expect(view.root.querySelector(".history-notice")?.textContent).toBe(notice);
});

test("a failed delete keeps the card and says why; a record without a file offers only the record", async () => {
  daemon([[FAILED]], { "DELETE /api/generations/gen-failed": () => apiError(409, "Generation gen-failed is running", "not_cancellable") });
  using view = mount(() => <History />);
  const detail = await openDetail(view.root, "gen-failed");
  button(detail, "Delete").click();
  expect(() => button(detail, "Delete record and file")).toThrow();
  button(detail, "Delete record only").click();
  await until(() => detail.querySelector("[role=alert]") !== null);
  expect(detail.querySelector("[role=alert]")?.textContent).toContain("Generation gen-failed is running");
  expect(card(view.root, "gen-failed")).not.toBeNull();
});

/** A configured model as GET /api/config/models lists it. */
const configured = (type: Generation["type"], model: string, name: string | undefined, inUse: boolean) => ({
  index: 0,
  type,
  provider: "openclacky",
  model,
  default: inUse,
  in_use: inUse,
  api_key: { set: true, masked: "sk-…abcd" },
  ...(name ? { name } : {}),
});

test("Re-run sends the recorded request with the same model and output folder, says an inline first frame is left out, and links to the new job", async () => {
  const { sent } = daemon([[VIDEO]], {
    "GET /api/config/models": () => ({ models: [configured("video", "or-veo-3-1", undefined, true), configured("video", "veo-fast-1", "veo-fast", false)] }),
    "POST /api/media/video": () =>
      Response.json({ success: true, status: "queued", task_id: "job-new-1", id: "job-new-1", type: "video", model: "or-veo-3-1", provider: "openclacky" }, { status: 202 }),
  });
  using view = mount(() => <History />);
  const detail = await openDetail(view.root, "gen-video");
  button(detail, "Re-run").click();
  expect(detail.textContent).toContain("sent inline and never stored");
  await until(() => detail.querySelector(".history-rerun-model select") !== null);
  expect(detail.querySelector<HTMLSelectElement>(".history-rerun-model select")!.value).toBe("or-veo-3-1");
  button(detail, "Submit again").click();
  await until(() => detail.querySelector("p[role=status]") !== null);
  expect(sent.filter((r) => r.method === "POST").map((r) => [r.path, r.body])).toEqual([
    ["/api/media/video", { prompt: "Waves at dusk", aspect_ratio: "portrait", duration_seconds: 6, model: "or-veo-3-1", output_dir: "/home/me/out", async: true }],
  ]);
  expect(detail.querySelector("p[role=status]")?.textContent).toContain("Submitted as job job-new-1.");
  expect(detail.querySelector("p[role=status] a")?.getAttribute("href")).toBe("/jobs?id=job-new-1");
});

test("Re-run of speech whose model is gone asks for another; the chosen one is sent; a refused re-run shows the daemon's message", async () => {
  const { sent } = daemon([[SPEECH]], {
    "GET /api/config/models": () => ({ models: [configured("audio", "flite", "offline", true), configured("audio", "tts-2", "studio-voice", false), configured("image", "gpt-image-2", "img", true)] }),
    "POST /api/media/audio/speech": () => apiError(402, "This request would pass the daily limit of $1.", "budget_exceeded"),
  });
  using view = mount(() => <History />);
  const detail = await openDetail(view.root, "gen-speech");
  button(detail, "Re-run").click();
  await until(() => detail.querySelector(".history-rerun-model select") !== null);
  expect(detail.textContent).not.toContain("sent inline");
  expect(detail.textContent).toContain("voice is no longer configured");
  const select = detail.querySelector<HTMLSelectElement>(".history-rerun-model select")!;
  expect([...select.options].map((o) => o.value)).toEqual(["offline", "studio-voice", ""]);
  expect(select.value).toBe("");
  select.value = "studio-voice";
  select.dispatchEvent(new Event("change", { bubbles: true }));
  button(detail, "Submit again").click();
  await until(() => detail.querySelector("[role=alert]") !== null);
  expect(sent.find((r) => r.method === "POST")?.body).toEqual({ input: "Hello there", voice: "Kore", model: "studio-voice", output_dir: "/home/me/out", async: true });
  expect(detail.querySelector("[role=alert]")?.textContent).toContain("This request would pass the daily limit of $1. (budget_exceeded)");
});

test("Re-run of a generation whose entry was renamed picks the entry of the same provider and model, without a warning", async () => {
  const { sent } = daemon([[SPEECH]], {
    "GET /api/config/models": () => ({ models: [{ ...configured("audio", "gemini-2.5-flash-preview-tts", "narrator", true), provider: "gemini" }] }),
    "POST /api/media/audio/speech": () => Response.json({ success: true, status: "queued", id: "job-2", type: "audio" }, { status: 202 }),
  });
  using view = mount(() => <History />);
  const detail = await openDetail(view.root, "gen-speech");
  button(detail, "Re-run").click();
  await until(() => detail.querySelector(".history-rerun-model select") !== null);
  expect(detail.textContent).not.toContain("no longer configured");
  button(detail, "Submit again").click();
  await until(() => sent.some((r) => r.method === "POST"));
  expect(sent.find((r) => r.method === "POST")?.body).toMatchObject({ model: "narrator", output_dir: "/home/me/out" });
});

test("switching to Chinese translates the page", async () => {
  const { setLocale } = await import("../../../web/src/lib/i18n.ts");
  daemon([[CAT]]);
  using view = mount(() => <History />);
  await until(() => cards(view.root).length === 1);
  setLocale("zh");
  try {
    await until(() => view.root.textContent?.includes("搜索提示词") === true);
    expect(button(view.root, "详情")).toBeDefined();
  } finally {
    setLocale("en");
  }
});

test("caller filters go into the query; a refused request and a billed failure are marked on their cards", async () => {
  const refused = generation({ id: "gen-refused", status: "refused", output_path: null, cost_usd: null, error: "Refused before calling the provider: the daily limit is $1.00", error_type: "budget_exceeded", refusal_count: 3, door: "mcp", client: "claude-code" });
  const billed = generation({ id: "gen-billed", status: "failed", output_path: null, cost_usd: 0.04, error: "The file could not be saved", error_type: "storage_error", billed_failure: true });
  const fake = fakeFetch({ "GET /api/generations": () => ({ items: [refused, billed], next_cursor: null }) });
  restore = fake.restore;
  using view = mount(() => <History />);
  await until(() => view.root.querySelectorAll(".history-card").length === 2);
  const card = (id: string) => view.root.querySelector(`.history-card[data-id="${id}"]`)!;
  expect(card("gen-refused").querySelector(".badge.refused")?.textContent).toBe("Refused");
  expect(card("gen-refused").textContent).toContain("×3");
  expect(card("gen-refused").textContent).toContain("budget_exceeded");
  expect(card("gen-billed").querySelector(".badge.billed")?.textContent).toBe("charged, then failed");
  const door = [...view.root.querySelectorAll<HTMLSelectElement>(".history-filters select")].find((s) => [...s.options].some((o) => o.value === "mcp"))!;
  choose(door, "mcp");
  await until(() => fake.sent.some((r) => r.query.get("door") === "mcp"));
  const status = [...view.root.querySelectorAll<HTMLSelectElement>(".history-filters select")].find((s) => [...s.options].some((o) => o.value === "refused"))!;
  choose(status, "refused");
  await until(() => fake.sent.some((r) => r.query.get("door") === "mcp" && r.query.get("status") === "refused"));
});
