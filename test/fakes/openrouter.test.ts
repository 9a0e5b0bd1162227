// Self-test of the fake OpenRouter: plain fetch against chat-completions image output and the async video API.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { b64, imageInfo, makePng } from "./media.ts";
import { openrouterImageUsage, openrouterVideoCost, startFakeOpenRouter, type FakeOpenRouter } from "./openrouter.ts";

let fake: FakeOpenRouter;
beforeAll(() => {
  fake = startFakeOpenRouter();
});
afterAll(async () => {
  await fake.close();
});

const post = (path: string, body: unknown, key: string | null = fake.key) =>
  fetch(`${fake.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
const get = (url: string, key: string | null = fake.key) => fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
const json = async (response: Response) => (await response.json()) as Record<string, any>;
const imageChat = (prompt: string, extra: Record<string, unknown> = {}, model = "google/gemini-2.5-flash-image") => ({
  model,
  messages: [{ role: "user", content: [{ type: "text", text: prompt }] }],
  modalities: ["image", "text"],
  ...extra,
});
const dataUrlBytes = (url: string) => new Uint8Array(Buffer.from(url.slice(url.indexOf(",") + 1), "base64"));

describe("chat completions image output", () => {
  test("images[0].image_url.url is a data URL at the aspect ratio's size; usage.cost reproduces the recorded figure", async () => {
    const response = await post("/api/v1/chat/completions", imageChat("a fox", { image_config: { aspect_ratio: "16:9" } }));
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.object).toBe("chat.completion");
    expect(body.provider).toBe("Google AI Studio");
    const choice = body.choices[0];
    expect(choice.finish_reason).toBe("stop");
    expect(choice.native_finish_reason).toBe("STOP");
    const url = choice.message.images[0].image_url.url as string;
    expect(url).toStartWith("data:image/png;base64,iVBORw0KGgo");
    expect(imageInfo(dataUrlBytes(url))).toEqual({ mime: "image/png", width: 1344, height: 768 });
    expect(body.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 1299, total_tokens: 1305, cost: 0.0387243, is_byok: false });
    expect(body.usage.completion_tokens_details.image_tokens).toBe(1290);
    expect(body.usage).toEqual(openrouterImageUsage("google/gemini-2.5-flash-image"));
  });

  test("input images as image_url parts are counted and recorded; Gemini 3 scales with image_size", async () => {
    const response = await post(
      "/api/v1/chat/completions",
      {
        model: "google/gemini-3-pro-image-preview",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "watercolor" },
              { type: "image_url", image_url: { url: `data:image/png;base64,${b64(makePng(40, 30))}` } },
              { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
            ],
          },
        ],
        modalities: ["image", "text"],
        image_config: { aspect_ratio: "1:1", image_size: "2K" },
      },
    );
    const body = await json(response);
    expect(imageInfo(dataUrlBytes(body.choices[0].message.images[0].image_url.url))).toMatchObject({ width: 2048, height: 2048 });
    expect(body.usage).toEqual(openrouterImageUsage("google/gemini-3-pro-image-preview", { inputImages: 2, imageSize: "2K" }));
    const recorded = fake.requests.at(-1)!;
    expect((recorded.body.messages as any)[0].content[1].type).toBe("image_url");
  });

  test("image-only models must be asked with modalities [\"image\"]", async () => {
    const wrong = await post("/api/v1/chat/completions", imageChat("x", {}, "black-forest-labs/flux.2-pro"));
    expect(wrong.status).toBe(404);
    const right = await post("/api/v1/chat/completions", imageChat("x", { modalities: ["image"] }, "black-forest-labs/flux.2-pro"));
    const body = await json(right);
    expect(body.choices[0].message.content).toBe("");
    expect(body.choices[0].message.images).toHaveLength(1);
  });

  test("errors: 401 without/with a wrong key, 402 credits, 429 with Retry-After, 403 moderation", async () => {
    const none = await post("/api/v1/chat/completions", imageChat("x"), null);
    expect(none.status).toBe(401);
    expect((await json(none)).error).toEqual({ code: 401, message: "No auth credentials found" });
    expect((await post("/api/v1/chat/completions", imageChat("x"), "sk-or-v1-wrong")).status).toBe(401);

    fake.next("402", "429", "403");
    const broke = await post("/api/v1/chat/completions", imageChat("x"));
    expect(broke.status).toBe(402);
    expect((await json(broke)).error).toMatchObject({ code: 402 });
    const limited = await post("/api/v1/chat/completions", imageChat("x"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect((await json(limited)).error.code).toBe(429);
    const flagged = await post("/api/v1/chat/completions", imageChat("something violent"));
    expect(flagged.status).toBe(403);
    expect((await json(flagged)).error.metadata).toMatchObject({ reasons: ["violence"], model_slug: "google/gemini-2.5-flash-image" });
  });

  test("200 without images: content_filter refusal, error-in-200", async () => {
    const refused = await json(await post("/api/v1/chat/completions", imageChat("x [[fake:content_filter]]")));
    expect(refused.choices[0].finish_reason).toBe("content_filter");
    expect(refused.choices[0].native_finish_reason).toBe("IMAGE_SAFETY");
    expect(refused.choices[0].message.images).toBeUndefined();
    expect(refused.usage.cost).toBeGreaterThan(0);
    const broken = await json(await post("/api/v1/chat/completions", imageChat("x [[fake:error_in_200]]")));
    expect(broken.error.code).toBe(502);
    expect(broken.choices[0].finish_reason).toBe("error");
  });
});

describe("video API", () => {
  test("submit 202 -> pending -> in_progress -> completed with unsigned_urls and usage.cost -> authenticated MP4 download", async () => {
    fake.pendingPolls = 2;
    const submit = await post("/api/v1/videos", {
      model: "google/veo-3.1",
      prompt: "a golden retriever on a beach",
      duration: 8,
      resolution: "1080p",
      aspect_ratio: "16:9",
      frame_images: [{ type: "image_url", image_url: { url: `data:image/png;base64,${b64(makePng(64, 36))}` }, frame_type: "first_frame" }],
    });
    expect(submit.status).toBe(202);
    const job = await json(submit);
    expect(job).toEqual({ id: job.id, polling_url: `/api/v1/videos/${job.id}`, status: "pending" });

    const statuses: string[] = [];
    let last: Record<string, any> = {};
    for (let i = 0; i < 3; i++) {
      last = await json(await get(`${fake.url}${job.polling_url}`));
      statuses.push(last.status);
    }
    expect(statuses).toEqual(["pending", "in_progress", "completed"]);
    expect(last.usage).toEqual({ cost: openrouterVideoCost("google/veo-3.1", 8, "1080p"), is_byok: false });
    expect(last.usage.cost).toBe(3.2);
    expect(typeof last.generation_id).toBe("string");
    const contentUrl = last.unsigned_urls[0] as string;
    expect(contentUrl).toBe(`${fake.url}/api/v1/videos/${job.id}/content?index=0`);

    expect((await get(contentUrl, null)).status).toBe(401);
    const video = await get(contentUrl);
    expect(video.status).toBe(200);
    expect(video.headers.get("content-type")).toBe("video/mp4");
    expect(Buffer.from(new Uint8Array(await video.arrayBuffer()).subarray(4, 8)).toString()).toBe("ftyp");
  });

  test("failed job carries an error string; out-of-set parameters are a 400", async () => {
    fake.pendingPolls = 0;
    const job = await json(await post("/api/v1/videos", { model: "google/veo-3.1-fast", prompt: "x [[fake:video_failed]]" }));
    const polled = await json(await get(`${fake.url}${job.polling_url}`));
    expect(polled.status).toBe("failed");
    expect(typeof polled.error).toBe("string");
    expect(polled.unsigned_urls).toBeUndefined();
    expect((await get(`${fake.url}/api/v1/videos/${job.id}/content?index=0`)).status).toBe(400);

    for (const bad of [{ duration: 5 }, { resolution: "4k" }, { aspect_ratio: "1:1" }, { frame_images: [{ image_url: { url: "https://x/y.png" }, position: "first" }] }]) {
      const response = await post("/api/v1/videos", { model: "google/veo-3.1", prompt: "x", ...bad });
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe(400);
    }
    fake.pendingPolls = 2;
  });

  test("models list is public and absolute polling URLs can be switched on", async () => {
    const models = await json(await get(`${fake.url}/api/v1/videos/models`, null));
    expect(models.data.map((m: Record<string, unknown>) => m.id)).toContain("google/veo-3.1");
    fake.absolutePollingUrl = true;
    const job = await json(await post("/api/v1/videos", { model: "alibaba/wan-2.6", prompt: "x", duration: 5 }));
    expect(job.polling_url).toBe(`${fake.url}/api/v1/videos/${job.id}`);
    fake.absolutePollingUrl = false;
  });
});
