// A model entry's fallbacks: the job moves on only when an entry answers "not now" and charged nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig } from "../../../server/config/store.ts";
import { AppError } from "../../../server/errors.ts";
import { fallsThrough } from "../../../server/media/retry.ts";
import { CLACKY_REPORTS, startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { createHarness, type Harness } from "../../helpers.ts";

let fake: FakeClacky;
let h: Harness;
beforeAll(() => {
  fake = startFakeClacky();
  const at = (name: string, model: string, extra: Record<string, unknown> = {}) => ({ name, type: "image", provider: "openclacky", model, api_key: fake.key, base_url: fake.url, ...extra });
  h = createHarness({
    config: {
      models: [
        at("first", "or-gemini-3-1-flash-image", { default: true, fallbacks: ["second"] }),
        at("second", "or-gpt-image-2"),
        at("keyless", "or-gemini-3-pro-image", { api_key: undefined, fallbacks: ["second"] }),
        at("cheap", "or-cheap", { fallbacks: ["dear"] }),
        at("dear", "or-dear"),
      ],
      prices: [
        { provider: "openclacky", model: "or-cheap", images: [{ usd: 0.5 }] },
        { provider: "openclacky", model: "or-dear", images: [{ usd: 5 }] },
      ],
      budget: { per_type: { image: { daily_usd: 2 } } },
    },
  });
});
afterAll(async () => {
  h[Symbol.dispose]();
  await fake.close();
});

const sent = () => fake.requests.map((request) => request.body.model);

describe("falling back", () => {
  test("an overloaded entry (503) falls through: the answer names the second, the ledger keeps both attempts and the second's cost", async () => {
    fake.requests.length = 0;
    fake.next("503", "ok");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, model: "or-gpt-image-2", provider: "openclacky", cost_usd: CLACKY_REPORTS.image.cost_usd });
    expect(sent()).toEqual(["or-gemini-3-1-flash-image", "or-gpt-image-2"]);
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "succeeded", model: "or-gpt-image-2", model_name: "second", provider: "openclacky", cost_usd: CLACKY_REPORTS.image.cost_usd });
    expect(row.attempts).toMatchObject([
      { n: 1, outcome: "overloaded", upstream_status: 503, model: "or-gemini-3-1-flash-image", provider: "openclacky", entry: "first" },
      { n: 1, outcome: "succeeded", model: "or-gpt-image-2", provider: "openclacky", entry: "second" },
    ]);
    const job = await h.get(`/api/media/jobs/${body.id}`);
    expect(job.body).toMatchObject({ model: "or-gpt-image-2", fallback_from: [{ model: "or-gemini-3-1-flash-image", provider: "openclacky", name: "first", error_type: "overloaded" }] });
  });

  test("when every entry is busy the job fails with the last one's error, on the last entry", async () => {
    fake.requests.length = 0;
    fake.next("503", "429");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(429);
    expect(body).toMatchObject({ error_type: "rate_limited", model: "or-gpt-image-2" });
    const row = (await h.ledger.get(body.id))!;
    expect(row).toMatchObject({ status: "failed", model: "or-gpt-image-2", model_name: "second", cost_usd: null });
    expect(row.attempts.map((attempt) => [attempt.entry, attempt.outcome])).toEqual([["first", "overloaded"], ["second", "rate_limited"]]);
  });

  test("a content refusal does not fall through", async () => {
    fake.requests.length = 0;
    fake.next("content_filter");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBe(422);
    expect(body).toMatchObject({ error_type: "content_filtered", model: "or-gemini-3-1-flash-image" });
    expect(sent()).toEqual(["or-gemini-3-1-flash-image"]);
  });

  test("an answer the provider billed does not fall through: the failure stays on the first entry, noted as billed", async () => {
    fake.requests.length = 0;
    fake.next("not_media");
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir });
    expect(status).toBeGreaterThanOrEqual(400);
    expect(body.model).toBe("or-gemini-3-1-flash-image");
    expect(sent()).toEqual(["or-gemini-3-1-flash-image"]);
    const row = (await h.ledger.list({ limit: 1 })).items[0]!;
    expect(row).toMatchObject({ status: "failed", error_type: "invalid_response", model: "or-gemini-3-1-flash-image" });
    expect(row.cost_note).toMatch(/billed/);
    expect(row.attempts.map((attempt) => attempt.entry)).toEqual(["first"]);
  });

  test("a billed error never falls through, a missing key and an unsent request do", () => {
    const billed = new AppError("overloaded");
    billed.billed = { costUsd: 0.1 };
    const unsent = new AppError("network_error");
    unsent.requestNotSent = true;
    expect(fallsThrough(billed)).toBe(false);
    expect(fallsThrough(new AppError("overloaded", "busy", { cost_usd: 0.1 }))).toBe(false);
    expect(fallsThrough(new AppError("timeout"))).toBe(false);
    expect(fallsThrough(new AppError("network_error"))).toBe(false);
    expect(fallsThrough(new AppError("invalid_argument"))).toBe(false);
    expect(fallsThrough(new AppError("auth_required", "rejected", { status: 502 }))).toBe(false);
    expect(fallsThrough(unsent)).toBe(true);
    expect(fallsThrough(new AppError("auth_required"))).toBe(true);
    expect(fallsThrough(new AppError("api_error", "bad gateway", { upstream_status: 502 }))).toBe(true);
  });

  test("an entry without a key falls through before sending", async () => {
    fake.requests.length = 0;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir, model: "keyless" });
    expect(status).toBe(200);
    expect(body.model).toBe("or-gpt-image-2");
    expect(sent()).toEqual(["or-gpt-image-2"]);
    expect((await h.ledger.get(body.id))!.attempts).toMatchObject([
      { outcome: "auth_required", entry: "keyless" },
      { outcome: "succeeded", entry: "second" },
    ]);
  });

  test("the budget is checked against the chain's dearest estimate", async () => {
    fake.requests.length = 0;
    const { status, body } = await h.post("/api/media/image", { prompt: "p", output_dir: h.workDir, model: "cheap" });
    expect(status).toBe(402);
    expect(body).toMatchObject({ error_type: "budget_exceeded", estimated_usd: 5 });
    expect(sent()).toEqual([]);
  });
});

describe("fallbacks in config.yml", () => {
  const entry = (name: string, extra: Record<string, unknown> = {}) => ({ name, type: "image", provider: "openclacky", model: name, ...extra });
  const yaml = (models: unknown[]) => JSON.stringify({ models });

  test.each([
    ["an unknown name", [entry("a", { fallbacks: ["nope"] })], "models[0].fallbacks[0]", /"nope" names no model entry/],
    ["the entry itself", [entry("a", { fallbacks: ["a"] })], "models[0].fallbacks[0]", /names the entry itself/],
    ["another type", [entry("a", { fallbacks: ["v"] }), { ...entry("v"), type: "video" }], "models[0].fallbacks[0]", /names a video entry/],
    ["a name twice", [entry("a", { fallbacks: ["b", "b"] }), entry("b")], "models[0].fallbacks[1]", /listed twice/],
  ])("%s is refused naming the field", (_name, models, field, message) => {
    let error: unknown;
    try {
      parseConfig(yaml(models), "config.yml");
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ issue: { field } });
    expect(String((error as Error).message)).toMatch(message);
  });

  test("a cycle is accepted: a job follows only its chosen entry's own list", () => {
    const config = parseConfig(yaml([entry("a", { fallbacks: ["b"] }), entry("b", { fallbacks: ["a"] })]), "config.yml");
    expect(config.models.map((model) => model.fallbacks)).toEqual([["b"], ["a"]]);
  });
});
