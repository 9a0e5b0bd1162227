// The fake fal speaks the documented queue wire format: `Key` auth, submit under the full model id, status / result /
// cancel under `{owner}/{app}` only, the request lifecycle, both error shapes, outputs on a CDN origin without auth.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeFal, type FakeFal } from "./fal.ts";

let fake: FakeFal;
beforeAll(() => {
  fake = startFakeFal();
});
afterAll(async () => {
  await fake.close();
});

const auth = () => ({ authorization: `Key ${fake.key}` });
const submit = (model: string, body: unknown) => fetch(`${fake.url}/${model}`, { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify(body) });
const get = (url: string) => fetch(url, { headers: auth() });

describe("fake fal", () => {
  test("a Bearer key is 401 with a string detail", async () => {
    const response = await fetch(`${fake.url}/fal-ai/flux/dev`, { method: "POST", headers: { authorization: `Bearer ${fake.key}` }, body: "{}" });
    expect(response.status).toBe(401);
    expect(typeof ((await response.json()) as { detail: unknown }).detail).toBe("string");
  });

  test("submit answers IN_QUEUE with URLs under {owner}/{app}; status goes IN_QUEUE, IN_PROGRESS (logs), COMPLETED; the result's file needs no key", async () => {
    fake.pendingPolls = 2;
    const created = (await (await submit("fal-ai/flux/dev", { prompt: "a cat", image_size: "landscape_16_9", num_images: 1 })).json()) as Record<string, string>;
    expect(created.status).toBe("IN_QUEUE");
    expect(created.status_url).toBe(`${fake.url}/fal-ai/flux/requests/${created.request_id}/status`);
    expect(created.response_url).toBe(`${fake.url}/fal-ai/flux/requests/${created.request_id}`);
    expect(created.cancel_url).toBe(`${fake.url}/fal-ai/flux/requests/${created.request_id}/cancel`);
    expect((await get(`${fake.url}/fal-ai/flux/dev/requests/${created.request_id}/status`)).status).toBe(404);
    const early = await get(created.response_url!);
    expect(early.status).toBe(400);
    const statuses: Record<string, unknown>[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await (await get(`${created.status_url}?logs=1`)).json()) as Record<string, unknown>);
    expect(statuses.map((s) => s.status)).toEqual(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]);
    expect(statuses[1]!.logs).toBeArray();
    const output = (await (await get(created.response_url!)).json()) as { images: { url: string; width: number; height: number }[] };
    expect(output.images[0]).toMatchObject({ width: 1024, height: 576, content_type: "image/png" });
    expect(new URL(output.images[0]!.url).origin).toBe(fake.cdnUrl);
    expect((await fetch(output.images[0]!.url)).status).toBe(200);
    const cancel = await fetch(created.cancel_url!, { method: "PUT", headers: auth() });
    expect(cancel.status).toBe(400);
    expect(await cancel.json()).toEqual({ status: "ALREADY_COMPLETED" });
  });

  test("cancel of a queued request is 202 CANCELLATION_REQUESTED; of an unknown one 404 NOT_FOUND", async () => {
    const created = (await (await submit("fal-ai/flux/dev", { prompt: "p" })).json()) as Record<string, string>;
    const cancel = await fetch(created.cancel_url!, { method: "PUT", headers: auth() });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toEqual({ status: "CANCELLATION_REQUESTED" });
    const unknown = await fetch(`${fake.url}/fal-ai/flux/requests/nope/cancel`, { method: "PUT", headers: auth() });
    expect(unknown.status).toBe(404);
  });

  test("a content refusal is 422 with detail[] of type content_policy_violation on the result", async () => {
    fake.pendingPolls = 0;
    const created = (await (await submit("fal-ai/flux/dev", { prompt: "p [[fake:content_policy]]" })).json()) as Record<string, string>;
    await get(created.status_url!);
    const result = await get(created.response_url!);
    expect(result.status).toBe(422);
    expect(((await result.json()) as { detail: { type: string }[] }).detail[0]!.type).toBe("content_policy_violation");
    fake.pendingPolls = 2;
  });

  test("request errors carry X-Fal-Error-Type", async () => {
    const response = await submit("fal-ai/flux/dev", { prompt: "p [[fake:runner]]" });
    expect(response.status).toBe(503);
    expect(response.headers.get("x-fal-error-type")).toBe("runner_scheduling_failure");
  });
});
