// The fake AUTOMATIC1111 API itself: the wire format the provider tests rely on (modules/api/api.py's answers).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { FAKE_CHECKPOINTS, type FakeAutomatic1111, startFakeAutomatic1111 } from "./automatic1111.ts";
import { imageInfo } from "./media.ts";

let fake: FakeAutomatic1111;
beforeAll(() => {
  fake = startFakeAutomatic1111();
});
afterAll(() => fake.close());

const post = (path: string, body: unknown) => fetch(`${fake.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

test("txt2img answers bare base64 PNG at the asked size and info as a JSON string", async () => {
  const answer = (await (await post("/sdapi/v1/txt2img", { prompt: "p", width: 640, height: 384, seed: 7 })).json()) as { images: string[]; info: string };
  expect(answer.images[0]).toStartWith("iVBORw0KGgo");
  expect(imageInfo(new Uint8Array(Buffer.from(answer.images[0]!, "base64")))).toEqual({ mime: "image/png", width: 640, height: 384 });
  expect(JSON.parse(answer.info)).toMatchObject({ seed: 7, all_seeds: [7], sd_model_name: "sd_xl_base_1.0" });
});

test("progress follows 0.01 + job_no/job_count + step/steps/job_count while a job runs, and is 0 between jobs", async () => {
  fake.stepMs = 30;
  const running = post("/sdapi/v1/txt2img", { prompt: "p", steps: 10 });
  await Bun.sleep(120);
  const during = (await (await fetch(`${fake.url}/sdapi/v1/progress`)).json()) as { progress: number; state: { job: string; sampling_step: number; sampling_steps: number } };
  expect(during.state).toMatchObject({ job: "scripts_txt2img", sampling_steps: 10 });
  expect(during.progress).toBeCloseTo(0.01 + during.state.sampling_step / 10, 6);
  await running;
  fake.stepMs = 0;
  const after = (await (await fetch(`${fake.url}/sdapi/v1/progress`)).json()) as { progress: number; state: { job: string } };
  expect(after).toMatchObject({ progress: 0, state: { job: "" } });
});

test("errors: 422 validation, the web UI's four-key 404s, and FastAPI's 404 without --api", async () => {
  expect(await (await post("/sdapi/v1/txt2img", { prompt: "p", steps: "x" })).json()).toEqual({ detail: [{ loc: ["body", "steps"], msg: "value is not a valid integer", type: "type_error.integer" }] });
  const sampler = await post("/sdapi/v1/txt2img", { prompt: "p", sampler_name: "Nope" });
  expect(sampler.status).toBe(404);
  expect(await sampler.json()).toMatchObject({ error: "HTTPException", detail: "Sampler not found", body: "" });
  fake.api = false;
  const off = await fetch(`${fake.url}/sdapi/v1/sd-models`);
  fake.api = true;
  expect([off.status, await off.json()]).toEqual([404, { detail: "Not Found" }]);
  expect(await (await fetch(`${fake.url}/sdapi/v1/sd-models`)).json()).toEqual(FAKE_CHECKPOINTS);
});
