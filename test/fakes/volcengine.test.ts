// The fake Ark itself: its answers follow Ark's wire format (task lifecycle, error envelope, signed storage without the key).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { arkVideoTokens, startFakeArk, type FakeArk } from "./volcengine.ts";

let fake: FakeArk;
beforeAll(() => {
  fake = startFakeArk();
});
afterAll(() => fake.close());

const call = (path: string, init: RequestInit = {}, key = fake.key) =>
  fetch(`${fake.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers ?? {}) } });
const create = (body: Record<string, unknown>) => call("/api/v3/contents/generations/tasks", { method: "POST", body: JSON.stringify(body) });

describe("fake Ark", () => {
  test("a task goes queued -> running -> succeeded with usage.completion_tokens and a signed URL that refuses the key", async () => {
    const { id } = (await (await create({ model: "seedance-1-0-pro-250528", content: [{ type: "text", text: "p" }], ratio: "1:1", duration: 5, resolution: "480p" })).json()) as { id: string };
    expect(id).toMatch(/^cgt-\d{14}-[a-z0-9]+$/);
    const statuses: string[] = [];
    let task: Record<string, any> = {};
    for (let i = 0; i < 3; i++) {
      task = (await (await call(`/api/v3/contents/generations/tasks/${id}`)).json()) as Record<string, any>;
      statuses.push(task.status);
    }
    expect(statuses).toEqual(["queued", "running", "succeeded"]);
    expect(task).toMatchObject({ id, model: "seedance-1-0-pro-250528", ratio: "1:1", resolution: "480p", duration: 5, framespersecond: 24, error: null });
    expect(task.usage).toEqual({ completion_tokens: arkVideoTokens("480p", "1:1", 5), total_tokens: arkVideoTokens("480p", "1:1", 5) });
    // 640 x 640 x 24 x 5 / 1024 = 48,000.
    expect(task.usage.completion_tokens).toBe(48_000);
    expect((await fetch(task.content.video_url)).status).toBe(200);
    expect((await fetch(task.content.video_url, { headers: { authorization: `Bearer ${fake.key}` } })).status).toBe(403);
    expect((await call(`/api/v3/contents/generations/tasks/${id}`, { method: "DELETE" })).status).toBe(200);
    expect((await call(`/api/v3/contents/generations/tasks/${id}`)).status).toBe(404);
  });

  test("errors use Ark's envelope: a bad key 401, an unknown model 404, empty content 400 MissingParameter, mixed modes 400", async () => {
    const bad = await call("/api/v3/contents/generations/tasks", { method: "POST", body: "{}" }, "nope");
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as any).error).toMatchObject({ code: "AuthenticationError", type: "Unauthorized" });
    expect((await create({ model: "nope", content: [] })).status).toBe(404);
    const empty = await create({ model: "seedance-1-0-pro-250528", content: [] });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as any).error).toMatchObject({ code: "MissingParameter", param: "content" });
    const mixed = await create({
      model: "seedance-1-0-pro-250528",
      content: [
        { type: "image_url", image_url: { url: "https://example.com/a.png" }, role: "first_frame" },
        { type: "image_url", image_url: { url: "https://example.com/b.png" }, role: "reference_image" },
      ],
    });
    expect(mixed.status).toBe(400);
  });

  test("Seedream answers b64_json with its size and usage (output_tokens = W x H / 256)", async () => {
    const answer = (await (await call("/api/v3/images/generations", { method: "POST", body: JSON.stringify({ model: "seedream-4-0-250828", prompt: "p", size: "2048x2048", response_format: "b64_json" }) })).json()) as Record<string, any>;
    expect(answer.data[0].size).toBe("2048x2048");
    expect(answer.usage).toEqual({ generated_images: 1, output_tokens: 16_384, total_tokens: 16_384 });
  });
});
