// The Jobs page: the live queue per media type, cancel for queued jobs only, the 409 of a job that started meanwhile, the empty queue.
import { afterEach, expect, test } from "bun:test";
import type { JobView } from "../../../web/src/lib/api.ts";
import { Jobs } from "../../../web/src/pages/Jobs.tsx";
import { button, choose, typeInto } from "../dom.ts";
import { errorAnswer, fakeRoutes, jobView, type Route } from "../fake-routes.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => restore());

function daemon(list: () => JobView[], routes: Record<string, Route> = {}) {
  const fake = fakeRoutes({ "GET /api/media/jobs": () => Response.json({ items: list() }), ...routes });
  restore = fake.restore;
  return fake;
}

const RUNNING = jobView({ id: "run0000011112222", type: "video", status: "running", model: "veo-3.1-generate-preview", provider: "gemini", elapsed_seconds: 65, progress: 30 });
const QUEUED = jobView({ id: "que0000033334444", type: "image", status: "queued", position: 2 });

test("lists jobs per media type with short id, status, model, position or elapsed time, and progress", async () => {
  daemon(() => [RUNNING, QUEUED]);
  using view = mount(() => <Jobs />);
  await until(() => view.root.querySelectorAll(".jobs-row").length === 2);
  const sections = [...view.root.querySelectorAll(".jobs-type")];
  expect(sections.map((s) => s.querySelector("h2")?.textContent)).toEqual(["Image (1)", "Video (1)", "Speech (0)"]);
  const [image, video, speech] = sections.map((s) => s.textContent ?? "");
  expect(image).toContain("33334444");
  expect(image).not.toContain("que0000033334444");
  expect(image).toContain("Queued");
  expect(image).toContain("#2 in the queue");
  expect(video).toContain("Running");
  expect(video).toContain("gemini · veo-3.1-generate-preview");
  expect(video).toContain("running for 1:05");
  expect(video).toContain("30 %");
  expect(speech).toContain("Nothing queued or running.");
});

test("the list is read again every 2 s while the page is open, and no more after it closes", async () => {
  let items: JobView[] = [QUEUED];
  const { sent } = daemon(() => items);
  const view = mount(() => <Jobs />);
  await until(() => view.root.querySelectorAll(".jobs-row").length === 1);
  items = [];
  await until(() => view.root.textContent?.includes("The queue is empty") === true, 3000);
  view[Symbol.dispose]();
  const reads = sent.length;
  await Bun.sleep(2100);
  expect(sent.length).toBe(reads);
}, 8000);

test("Cancel on a queued job sends DELETE and the list is read again", async () => {
  let items: JobView[] = [QUEUED];
  const { sent } = daemon(() => items, {
    "DELETE /api/media/jobs/que0000033334444": () => {
      items = [];
      return Response.json({ ...QUEUED, status: "cancelled", error: "Cancelled before it started; nothing was charged", error_type: "cancelled" });
    },
  });
  using view = mount(() => <Jobs />);
  await until(() => view.root.querySelectorAll(".jobs-row").length === 1);
  button(view.root, "Cancel job 33334444").click();
  await until(() => sent.some((r) => r.method === "DELETE"));
  expect(sent.find((r) => r.method === "DELETE")?.path).toBe("/api/media/jobs/que0000033334444");
  await until(() => view.root.textContent?.includes("The queue is empty") === true);
  expect(view.root.querySelector("[role=status]")?.textContent).toContain("Job 33334444 was cancelled");
});

test("a running job offers no Cancel (it is already charged and the daemon would answer 409), only the reason", async () => {
  const { sent } = daemon(() => [RUNNING, QUEUED]);
  using view = mount(() => <Jobs />);
  await until(() => view.root.querySelectorAll(".jobs-row").length === 2);
  const [queuedRow, runningRow] = [...view.root.querySelectorAll(".jobs-row")];
  expect(queuedRow!.querySelector("button")?.getAttribute("aria-label")).toBe("Cancel job 33334444");
  expect(runningRow!.querySelector("button")).toBeNull();
  expect(runningRow!.querySelector(".badge.running")?.getAttribute("title")).toBe("A running job is already being charged and cannot be cancelled");
  expect(sent.some((r) => r.method === "DELETE")).toBe(false);
});

test("a job that started running after the list was read shows the server's 409 as a readable error", async () => {
  const message = "Job que0000033334444 is already running at openclacky; cancelling would not stop the charge, so it will finish and be saved";
  daemon(() => [QUEUED], { "DELETE /api/media/jobs/que0000033334444": () => errorAnswer(409, message, "not_cancellable") });
  using view = mount(() => <Jobs />);
  await until(() => view.root.querySelectorAll(".jobs-row").length === 1);
  button(view.root, "Cancel job 33334444").click();
  await until(() => view.root.querySelector("[role=alert]") !== null);
  expect(view.root.querySelector("[role=alert]")!.textContent).toBe(`Error: ${message} (not_cancellable)`);
  expect(view.root.querySelectorAll(".jobs-row")).toHaveLength(1);
});

test("an empty queue says so; a failed read is an error with retry, not a blank page", async () => {
  let fail = true;
  daemon(() => [], { "GET /api/media/jobs": () => (fail ? errorAnswer(503, "The daemon is shutting down; retry once it is back", "interrupted") : Response.json({ items: [] })) });
  using view = mount(() => <Jobs />);
  await until(() => view.root.querySelector("[role=alert]") !== null);
  expect(view.root.querySelector("h1")?.textContent).toBe("Jobs");
  expect(view.root.textContent).toContain("The daemon is shutting down");
  fail = false;
  button(view.root, "Retry").click();
  await until(() => view.root.textContent?.includes("The queue is empty: nothing is waiting or running.") === true);
  expect(view.root.querySelector("[role=alert]")).toBeNull();
});

test("each row shows the prompt, the caller and the input images: a thumbnail through the file route when one is an earlier generation's", async () => {
  const edit = jobView({
    id: "edi0000055556666",
    status: "queued",
    position: 1,
    prompt: "make the sky stormy",
    door: "mcp",
    client: "claude-code",
    session_id: "5d1c0f3e-2b7a-4d8e-9c11-0a1b2c3d4e5f",
    inputs: [{ source: "/home/me/out/assets/generated/img_20261129_091919_6536c98b.png", generation_id: "gen-earlier" }, { source: "/home/me/photo.jpg" }],
  });
  daemon(() => [edit]);
  using view = mount(() => <Jobs />);
  await until(() => view.root.querySelectorAll(".jobs-row").length === 1);
  const row = view.root.querySelector(".jobs-row")!;
  expect(row.querySelector(".jobs-prompt")?.textContent).toBe("make the sky stormy");
  expect(row.querySelector(".jobs-caller")?.textContent).toBe("Caller: MCP · claude-code · session 2c3d4e5f");
  const thumb = row.querySelector<HTMLImageElement>(".jobs-inputs img")!;
  expect(thumb.getAttribute("src")).toBe("/api/generations/gen-earlier/file");
  expect(thumb.getAttribute("alt")).toBe("Input: img_20261129_091919_6536c98b.png");
  expect(row.querySelector(".jobs-input-name")?.textContent).toBe("photo.jpg");
});

test("Cancel is offered only where the daemon says it can work; a running job says why not", async () => {
  const running = jobView({ id: "run0000077778888", status: "running", elapsed_seconds: 3 });
  const stuck = jobView({ id: "que0000099990000", status: "queued", position: 1, cancellable: false });
  daemon(() => [running, stuck, QUEUED]);
  using view = mount(() => <Jobs />);
  await until(() => view.root.querySelectorAll(".jobs-row").length === 3);
  const rows = [...view.root.querySelectorAll(".jobs-row")];
  const named = (id: string) => rows.find((r) => r.textContent?.includes(id.slice(-8)))!;
  expect(named(QUEUED.id).querySelector("button")?.textContent).toBe("Cancel");
  expect(named(stuck.id).querySelector("button")).toBeNull();
  expect(named(running.id).querySelector("button")).toBeNull();
  expect(named(running.id).querySelector(".jobs-no-cancel")?.getAttribute("title")).toContain("cannot be stopped without being charged");
});

test("the queue can be narrowed to one door and to a client or session", async () => {
  const mcp = jobView({ id: "mcp0000011112222", status: "queued", position: 1, door: "mcp", client: "claude-code", session_id: "conv-7" });
  const cli = jobView({ id: "cli0000033334444", status: "queued", position: 2, door: "cli", client: "mediagen-cli/1.0" });
  daemon(() => [mcp, cli]);
  using view = mount(() => <Jobs />);
  await until(() => view.root.querySelectorAll(".jobs-row").length === 2);
  choose(view.root.querySelector(".jobs-filter select"), "mcp");
  await until(() => view.root.querySelectorAll(".jobs-row").length === 1);
  expect(view.root.querySelector(".jobs-row")?.textContent).toContain("11112222");
  choose(view.root.querySelector(".jobs-filter select"), "");
  typeInto(view.root.querySelector(".jobs-filter input"), "CONV-7");
  await until(() => view.root.querySelectorAll(".jobs-row").length === 1);
  typeInto(view.root.querySelector(".jobs-filter input"), "mediagen-cli");
  await until(() => view.root.querySelector(".jobs-row")?.textContent?.includes("33334444") === true);
});
