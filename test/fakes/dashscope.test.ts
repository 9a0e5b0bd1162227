// The fake DashScope speaks the documented wire format: error envelopes, the async task lifecycle, result URLs on
// another origin served without auth, and CosyVoice's own defaults.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeDashScope, type FakeDashScope } from "./dashscope.ts";

let fake: FakeDashScope;
beforeAll(() => {
  fake = startFakeDashScope();
});
afterAll(async () => {
  await fake.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${fake.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${fake.key}`, "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const get = (path: string) => fetch(`${fake.url}${path}`, { headers: { authorization: `Bearer ${fake.key}` } });
const VIDEO = "/api/v1/services/aigc/video-generation/video-synthesis";

describe("fake DashScope", () => {
  test("a wrong key is 401 InvalidApiKey in the {request_id, code, message} envelope", async () => {
    const response = await fetch(`${fake.url}${VIDEO}`, { method: "POST", headers: { authorization: "Bearer nope" }, body: "{}" });
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toMatchObject({ code: "InvalidApiKey", message: "Invalid API-key provided." });
    expect(body.request_id).toBeString();
  });

  test("video creation without X-DashScope-Async is refused as a synchronous call", async () => {
    const response = await post(VIDEO, { model: "wan2.5-t2v-preview", input: { prompt: "p" }, parameters: { size: "1280*720", duration: 5 } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as Record<string, string>).code).toBe("AccessDenied");
  });

  test("a task goes PENDING, RUNNING, then SUCCEEDED with video_url and usage; the URL needs no key", async () => {
    fake.pendingPolls = 2;
    const created = (await (await post(VIDEO, { model: "wan2.5-t2v-preview", input: { prompt: "p" }, parameters: { size: "1920*1080", duration: 10 } }, { "x-dashscope-async": "enable" })).json()) as {
      output: { task_id: string; task_status: string };
    };
    expect(created.output.task_status).toBe("PENDING");
    const statuses: string[] = [];
    let last: Record<string, any> = {};
    for (let i = 0; i < 3; i++) {
      last = (await (await get(`/api/v1/tasks/${created.output.task_id}`)).json()) as Record<string, any>;
      statuses.push(last.output.task_status);
    }
    expect(statuses).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
    expect(last.usage).toEqual({ duration: 10, video_count: 1, SR: 1080 });
    const video = await fetch(last.output.video_url);
    expect(video.status).toBe(200);
    expect(video.headers.get("content-type")).toBe("video/mp4");
    expect(new URL(last.output.video_url).origin).toBe(fake.storageUrl);
  });

  test("an unknown task answers UNKNOWN with HTTP 200", async () => {
    const body = (await (await get("/api/v1/tasks/never")).json()) as Record<string, any>;
    expect(body.output).toEqual({ task_id: "never", task_status: "UNKNOWN" });
  });

  test("CosyVoice defaults to MP3 when no format is asked (the documented default)", async () => {
    const body = (await (await post("/api/v1/services/audio/tts/SpeechSynthesizer", { model: "cosyvoice-v3-flash", input: { text: "hi", voice: "longanyang" } })).json()) as Record<string, any>;
    const audio = await fetch(body.output.audio.url);
    expect(audio.headers.get("content-type")).toBe("audio/mpeg");
    expect(body.usage).toEqual({ characters: 2 });
  });
});
