// How configured models are priced, for `mediagen prices` and GET /api/costs/prices.
import { describe, expect, test } from "bun:test";
import { Config } from "../../../server/config/schema.ts";
import { priceList, rateLines } from "../../../server/costs/price-list.ts";
import { PriceEntry } from "../../../server/costs/price-schema.ts";

const AT = Date.parse("2026-11-29T12:00:00Z");
const catalog = [
  PriceEntry.parse({ provider: "gemini", model: "img-1", tokens: { output_image: 30 }, source: "ai.google.dev", checked: "2026-11-29" }),
  PriceEntry.parse({ provider: "gemini", model: "old-1", images: [{ usd: 0.04 }], retired: "2026-08-17", source: "s", checked: "2026-11-29" }),
  PriceEntry.parse({ provider: "gemini", model: "tts-1", tokens: { output_audio: 9 }, until: "2027-01-01", source: "s", checked: "2026-11-29" }),
  PriceEntry.parse({ provider: "gemini", model: "tts-1", tokens: { output_audio: 18 }, from: "2027-01-01", source: "s", checked: "2026-11-29" }),
];
const config = Config.parse({
  models: [
    { type: "image", provider: "gemini", model: "models/img-1", api_key: "k", name: "main" },
    { type: "image", provider: "gemini", model: "old-1", api_key: "k" },
    { type: "image", provider: "openrouter", model: "google/x", api_key: "k" },
    { type: "video", provider: "openai-compatible", model: "wan", base_url: "http://127.0.0.1:1" },
    { type: "image", provider: "openai-compatible", model: "sdxl", base_url: "http://127.0.0.1:1" },
    { type: "audio", provider: "gemini", model: "tts-1", api_key: "k" },
  ],
  prices: [{ provider: "openai-compatible", model: "sdxl", images: [{ usd: 0.002 }], source: "my server" }],
});

describe("priceList", () => {
  const list = priceList(config, AT, catalog);
  const byModel = Object.fromEntries(list.configured.map((m) => [m.model, m]));

  test("each configured model says how it is priced: catalogue, override, the provider's own figure, or none (flagged)", () => {
    expect(byModel["img-1"]).toMatchObject({ name: "main", priced_by: "catalog", price: { rates: ["output_image $30/M tokens"], source: "ai.google.dev", checked: "2026-11-29" } });
    expect(byModel.sdxl).toMatchObject({ priced_by: "override", price: { origin: "override", rates: ["$0.002/image"] } });
    expect(byModel["google/x"]).toMatchObject({ priced_by: "provider", price: null });
    expect(byModel["google/x"]!.warning).toBeUndefined();
    expect(byModel.wan).toMatchObject({ priced_by: "none", price: null });
    expect(byModel.wan!.warning).toContain("add a prices: entry in config.yml");
  });

  test("a retired model is flagged; a dated price shows the entry in force", () => {
    expect(byModel["old-1"]!.warning).toBe("gemini retired old-1 on 2026-08-17; configure its successor");
    expect(byModel["tts-1"]!.price).toMatchObject({ rates: ["output_audio $9/M tokens"], until: "2027-01-01", in_force: true });
    expect(priceList(config, Date.parse("2027-01-02T00:00:00Z"), catalog).configured.find((m) => m.model === "tts-1")!.price!.rates).toEqual(["output_audio $18/M tokens"]);
  });

  test("the catalogue lists the config's overrides first, each entry marked in force or not", () => {
    expect(list.catalog.map((p) => `${p.origin}:${p.model}:${p.in_force}`)).toEqual(["override:sdxl:true", "catalog:img-1:true", "catalog:old-1:true", "catalog:tts-1:true", "catalog:tts-1:false"]);
  });
});

describe("rateLines", () => {
  test("every unit in words", () => {
    const entry = PriceEntry.parse({
      provider: "openai",
      model: "m",
      tokens: { input_text: 5 },
      images: [{ size: "1024x1024", quality: "high", usd: 0.167 }, { usd: 0.1 }],
      seconds: { "720p": 0.4 },
      characters: 0.000015,
    });
    expect(rateLines(entry)).toEqual(["input_text $5/M tokens", "1024x1024 high $0.167/image", "$0.1/image", "720p $0.4/s", "$15/M characters"]);
  });
});
