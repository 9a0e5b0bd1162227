// Who spent what, through the HTTP API: the caller of every request (door, client, session), requests refused
// before any provider call, spend grouped and filtered by caller, and budgets set from the UI.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { withClackyHarness, type Harness } from "../../helpers.ts";

let h: Harness;
withClackyHarness(({ h: made }) => {
  h = made;
});

const put = async (path: string, body: unknown) => {
  const response = await h.call(path, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

describe("the caller of a request", () => {
  test("the door, the User-Agent and X-Mediagen-Session are recorded, and filter the list", async () => {
    const answer = await h.post("/api/media/image", { prompt: "a red kite", output_dir: h.workDir }, { "user-agent": "agent-x/1.0", "x-mediagen-session": "run-42" });
    expect(answer.status).toBe(200);
    const page = await h.get("/api/generations?session=run-42");
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0]).toMatchObject({ door: "api", client: "agent-x/1.0", session_id: "run-42", status: "succeeded" });
    expect((await h.get("/api/generations?client=agent-x%2F1.0")).body.items).toHaveLength(1);
  });

  test("a body's session_id wins over the header", async () => {
    await h.post("/api/media/audio/speech", { input: "hello", session_id: "body-session", output_dir: h.workDir }, { "x-mediagen-session": "header-session" });
    expect((await h.get("/api/generations?session=body-session")).body.items).toHaveLength(1);
    expect((await h.get("/api/generations?session=header-session")).body.items).toHaveLength(0);
  });
});

describe("requests refused before any provider call", () => {
  test.each([
    ["bad input", { prompt: "", output_dir: "/tmp" }, "invalid_argument"],
    ["a model that is not configured", { prompt: "a fox", model: "no-such-model" }, "invalid_argument"],
    ["malformed JSON", "{not json", "invalid_argument"],
  ] as const)("%s is recorded as refused with its error and caller", async (_name, body, errorType) => {
    const session = `refused-${errorType}-${Math.random()}`;
    const answer = await h.post("/api/media/image", body, { "user-agent": "agent-y/2", "x-mediagen-session": session });
    expect(answer.body.error_type).toBe(errorType);
    const page = await h.get(`/api/generations?status=refused&session=${session}`);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0]).toMatchObject({ status: "refused", error_type: errorType, client: "agent-y/2", cost_usd: null, refusal_count: 1 });
  });

  test("a budget set through PUT /api/costs/budget refuses an agent, and the refusal is counted in the costs by caller", async () => {
    const set = await put("/api/costs/budget", { daily_usd: 0.000001 });
    expect(set.status).toBe(200);
    expect(set.body.budget).toEqual({ daily_usd: 0.000001 });
    const answer = await h.post("/api/media/image", { prompt: "over budget", output_dir: h.workDir }, { "x-mediagen-door": "mcp", "user-agent": "claude-code" });
    expect(answer.status).toBe(402);
    const byDoor = await h.get(`/api/costs/summary?group_by=door&from=${today()}&to=${today()}`);
    expect(byDoor.status).toBe(200);
    const mcp = byDoor.body.groups.find((g: { key: string }) => g.key === "mcp");
    expect(mcp).toMatchObject({ refused_count: 1, count: 0 });
    expect(byDoor.body.total.refused_count).toBeGreaterThanOrEqual(4);
    const byClient = await h.get(`/api/costs/summary?group_by=client&door=mcp&from=${today()}&to=${today()}`);
    expect(byClient.body.groups).toEqual([expect.objectContaining({ key: "claude-code", refused_count: 1 })]);
    const series = await h.get(`/api/costs/summary?group_by=day&series=door&from=${today()}&to=${today()}`);
    expect(series.body.groups.map((g: { series: string }) => g.series).sort()).toEqual(["api", "mcp"]);
    expect(series.body.groups.find((g: { series: string }) => g.series === "api").count).toBeGreaterThanOrEqual(2);
    expect((await put("/api/costs/budget", {})).body.budget).toBeNull();
  });
});

describe("PUT /api/costs/budget", () => {
  test("writes budget: field by field, keeping the file's comments, and removes what is left out", async () => {
    const file = join(h.dataDir, "config.yml");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, `# my settings, keep this line\n${before}budget:\n  daily_usd: 5 # daily cap for agents\n  monthly_usd: 40\n`);
    const answer = await put("/api/costs/budget", { daily_usd: 7.5, per_type: { video: { monthly_usd: 20 } } });
    expect(answer.status).toBe(200);
    expect(answer.body.budget).toEqual({ daily_usd: 7.5, per_type: { video: { monthly_usd: 20 } } });
    expect(answer.body.spent.day.overall).toBeGreaterThanOrEqual(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("# my settings, keep this line");
    expect(text).toContain("daily_usd: 7.5 # daily cap for agents");
    expect(text).not.toContain("monthly_usd: 40");
    expect((await h.get("/api/costs/budget")).body.budget).toEqual({ daily_usd: 7.5, per_type: { video: { monthly_usd: 20 } } });
    expect((await put("/api/costs/budget", {})).body.budget).toBeNull();
    expect(readFileSync(file, "utf8")).not.toContain("budget:");
  });

  test.each([
    [{ daily_usd: -1 }, "daily_usd", "more than 0"],
    [{ daily_usd: "ten" }, "daily_usd", "number of US dollars"],
    [{ per_type: { sound: { daily_usd: 1 } } }, "sound", "unknown field"],
    [{ weekly_usd: 3 }, "weekly_usd", "unknown field"],
  ])("%j is a 400 naming the field, and nothing is written", async (body, field, message) => {
    const file = join(h.dataDir, "config.yml");
    const before = readFileSync(file, "utf8");
    const answer = await put("/api/costs/budget", body);
    expect(answer.status).toBe(400);
    expect(answer.body.error_type).toBe("invalid_argument");
    expect(answer.body.field ?? answer.body.param ?? JSON.stringify(answer.body)).toContain(field);
    expect(answer.body.error).toContain(message);
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});

describe("a live job's view", () => {
  test("has its prompt, its caller, whether cancel can work, and an input that is an earlier generation's file by id", async () => {
    const first = await h.post("/api/media/image", { prompt: "a harbour", output_dir: h.workDir });
    expect(first.status).toBe(200);
    const earlier = (await h.get("/api/generations?limit=1")).body.items[0];
    const accepted = await h.post(
      "/api/media/image",
      { prompt: "make it stormy [[fake:slow]]", image: first.body.image, output_dir: h.workDir, async: true },
      { "x-mediagen-door": "mcp", "user-agent": "claude-code", "x-mediagen-session": "edit-session" },
    );
    expect(accepted.status).toBe(202);
    const view = (await h.get(`/api/media/jobs/${accepted.body.id}`)).body;
    expect(view).toMatchObject({ prompt: "make it stormy [[fake:slow]]", door: "mcp", client: "claude-code", session_id: "edit-session" });
    expect(view.inputs).toEqual([{ source: first.body.image, generation_id: earlier.id }]);
    expect(view.cancellable).toBe(view.status === "queued");
    const list = (await h.get("/api/media/jobs")).body.items;
    expect(list.find((job: { id: string }) => job.id === accepted.body.id)?.inputs[0].generation_id).toBe(earlier.id);
  });
});
