// The fake Replicate speaks the documented predictions API: problem+json errors, the prediction lifecycle with and
// without Prefer: wait, cancel, output files on another origin served without auth.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SDXL_VERSION, startFakeReplicate, type FakeReplicate } from "./replicate.ts";

let fake: FakeReplicate;
beforeAll(() => {
  fake = startFakeReplicate();
});
afterAll(async () => {
  await fake.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${fake.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${fake.key}`, "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const get = (path: string) => fetch(`${fake.url}${path}`, { headers: { authorization: `Bearer ${fake.key}` } });
const FLUX = "/v1/models/black-forest-labs/flux-schnell/predictions";
type Prediction = { id: string; status: string; output: unknown; metrics?: Record<string, number>; urls: Record<string, string>; error: unknown };

describe("fake Replicate", () => {
  test("a wrong token is 401 problem+json", async () => {
    const response = await fetch(`${fake.url}${FLUX}`, { method: "POST", headers: { authorization: "Bearer nope" }, body: "{}" });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ title: "Unauthenticated", detail: "You did not pass a valid authentication token", status: 401 });
  });

  test("without Prefer the prediction is 201 starting, then processing, then succeeded with output and metrics", async () => {
    fake.pendingPolls = 2;
    const response = await post(FLUX, { input: { prompt: "p" } });
    expect(response.status).toBe(201);
    const created = (await response.json()) as Prediction;
    expect(created).toMatchObject({ status: "starting", output: null, error: null });
    expect(created.urls.get).toBe(`${fake.url}/v1/predictions/${created.id}`);
    const statuses: string[] = [];
    let last: Prediction = created;
    for (let i = 0; i < 5 && last.status !== "succeeded"; i++) {
      last = (await (await get(`/v1/predictions/${created.id}`)).json()) as Prediction;
      statuses.push(last.status);
    }
    expect(statuses).toEqual(["starting", "processing", "succeeded"]);
    expect(last.metrics).toMatchObject({ predict_time: 1.2, image_count: 1 });
    const url = (last.output as string[])[0]!;
    const file = await fetch(url);
    expect(file.status).toBe(200);
  });

  test("Prefer: wait answers the finished prediction; the slow scenario answers processing", async () => {
    const done = (await (await post(FLUX, { input: { prompt: "p" } }, { prefer: "wait" })).json()) as Prediction;
    expect(done.status).toBe("succeeded");
    const slow = (await (await post(FLUX, { input: { prompt: "p [[fake:slow_prediction]]" } }, { prefer: "wait=5" })).json()) as Prediction;
    expect(slow.status).toBe("processing");
  });

  test("a version goes to /v1/predictions; a version on a model's route and an unknown version are 422", async () => {
    expect((await post("/v1/predictions", { version: SDXL_VERSION, input: { prompt: "p" } })).status).toBe(201);
    expect((await post("/v1/predictions", { version: "0".repeat(64), input: { prompt: "p" } })).status).toBe(422);
    expect((await post(FLUX, { version: SDXL_VERSION, input: { prompt: "p" } })).status).toBe(422);
    expect((await post("/v1/models/nobody/nothing/predictions", { input: { prompt: "p" } })).status).toBe(404);
  });

  test("cancel answers the prediction canceled", async () => {
    fake.pendingPolls = 5;
    const created = (await (await post(FLUX, { input: { prompt: "p" } })).json()) as Prediction;
    const canceled = (await (await post(`/v1/predictions/${created.id}/cancel`, {})).json()) as Prediction;
    expect(canceled.status).toBe("canceled");
    expect(fake.canceled).toContain(created.id);
    fake.pendingPolls = 2;
  });

  test("account and model lookups", async () => {
    expect(await (await get("/v1/account")).json()).toMatchObject({ type: "user", username: "fake-user" });
    expect((await get("/v1/models/black-forest-labs/flux-schnell")).status).toBe(200);
    expect((await get("/v1/models/nobody/nothing")).status).toBe(404);
  });
});
