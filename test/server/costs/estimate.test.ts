// POST /api/costs/estimate through the app: what a request would cost per configured model before it is sent,
// where the figure comes from, and bad input answered with the field at fault.
import { afterAll, describe, expect, test } from "bun:test";
import { estimateCost } from "../../../server/costs/budget.ts";
import { CATALOG } from "../../../server/costs/catalog.ts";
import { createHarness } from "../../helpers.ts";

const M = 1_000_000;
const harness = createHarness({
  config: {
    models: [
      { name: "pics", type: "image", provider: "openai", model: "gpt-image-2", api_key: "k-1", default: true },
      { name: "mid", type: "image", provider: "openai", model: "gpt-image-1.5", api_key: "k-1" },
      { name: "gateway", type: "image", provider: "openclacky", model: "or-gpt-image-2", api_key: "k-2" },
      { name: "local-sdxl", type: "image", provider: "openai-compatible", model: "sdxl", base_url: "http://127.0.0.1:9/v1" },
      { name: "veo", type: "video", provider: "gemini", model: "veo-3.1-generate-preview", api_key: "k-3" },
      { name: "tts", type: "audio", provider: "openai", model: "tts-1", api_key: "k-1" },
    ],
    prices: [{ provider: "openai-compatible", model: "sdxl", images: [{ usd: 0.002 }] }],
  },
});
afterAll(() => harness[Symbol.dispose]());

const estimate = (body: unknown) => harness.post("/api/costs/estimate", body);

describe("estimates", () => {
  test("the type's default when no model is named, from the catalogue", async () => {
    const { status, body } = await estimate({ type: "image" });
    expect(status).toBe(200);
    expect(body.type).toBe("image");
    expect(body.estimates).toHaveLength(1);
    const [only] = body.estimates;
    expect(only).toMatchObject({ choice: "pics", name: "pics", model: "gpt-image-2", provider: "openai", default: true, basis: "catalog" });
    // The same figure the budget check uses before a call.
    expect(only.estimated_cost_usd).toBeCloseTo(estimateCost("image", { type: "image", provider: "openai", model: "gpt-image-2" }, { aspect: "landscape" }, [], CATALOG, () => undefined)!, 8);
    expect(only.estimated_cost_usd).toBeGreaterThan(0.01);
  });

  test("up to four named models side by side, in the order asked: catalogue, override and unknown", async () => {
    const { status, body } = await estimate({ type: "image", models: ["mid", "local-sdxl", "gateway", "pics"], aspect_ratio: "square" });
    expect(status).toBe(200);
    expect(body.estimates.map((e: { choice: string }) => e.choice)).toEqual(["mid", "local-sdxl", "gateway", "pics"]);
    expect(body.estimates[0]).toMatchObject({ basis: "catalog", default: false });
    expect(body.estimates[0].estimated_cost_usd).toBeGreaterThan(0);
    expect(body.estimates[1]).toMatchObject({ basis: "override", estimated_cost_usd: 0.002 });
    // The gateway states its cost with each answer: nothing to estimate from before its first generation.
    expect(body.estimates[2]).toMatchObject({ basis: "unknown", estimated_cost_usd: null });
    expect(body.estimates[3]).toMatchObject({ default: true, basis: "catalog" });
  });

  test("a model id names its entry when only one entry has it", async () => {
    const { body } = await estimate({ type: "image", models: ["gpt-image-1.5"] });
    expect(body.estimates[0]).toMatchObject({ choice: "mid", model: "gpt-image-1.5" });
  });

  test("video by its seconds (8 by default), speech by its characters", async () => {
    const eight = await estimate({ type: "video" });
    expect(eight.body.estimates[0].estimated_cost_usd).toBeCloseTo(8 * 0.4, 8);
    const four = await estimate({ type: "video", duration_seconds: 4, aspect_ratio: "portrait" });
    expect(four.body.estimates[0].estimated_cost_usd).toBeCloseTo(4 * 0.4, 8);
    const speech = await estimate({ type: "audio", characters: 1000 });
    expect(speech.body.estimates[0].estimated_cost_usd).toBeCloseTo((1000 * 15) / M, 10);
  });
});

describe("bad input names its field", () => {
  test.each([
    [{}, "type"],
    [{ type: "music" }, "type"],
    [{ type: "image", models: [] }, "models"],
    [{ type: "image", models: ["a", "b", "c", "d", "e"] }, "models"],
    [{ type: "image", models: ["pics", "nope"] }, "models[1]"],
    [{ type: "image", models: ["veo"] }, "models[0]"],
    [{ type: "image", aspect_ratio: "diagonal" }, "aspect_ratio"],
    [{ type: "video", aspect_ratio: "square" }, "aspect_ratio"],
    [{ type: "video", duration_seconds: 99 }, "duration_seconds"],
    [{ type: "audio", characters: -1 }, "characters"],
    [{ type: "image", prompt: "x" }, "prompt"],
  ])("%j -> 400 on %s", async (body, field) => {
    const { status, body: answer } = await estimate(body);
    expect(status).toBe(400);
    expect(answer.error_type).toBe("invalid_argument");
    expect(answer.field).toBe(field);
  });

  test("an unknown model lists the configured ones", async () => {
    const { body } = await estimate({ type: "image", models: ["nope"] });
    expect(body.error).toContain("pics");
    expect(body.allowed).toEqual(["pics", "mid", "gateway", "local-sdxl"]);
  });

  test("a body that is not JSON", async () => {
    const { status, body } = await estimate("{");
    expect(status).toBe(400);
    expect(body.field).toBe("body");
  });
});

test("a type without any model is not_configured", async () => {
  using bare = createHarness({ config: { models: [] } });
  const { status, body } = await bare.post("/api/costs/estimate", { type: "video" });
  expect(status).toBe(422);
  expect(body.error_type).toBe("not_configured");
});
