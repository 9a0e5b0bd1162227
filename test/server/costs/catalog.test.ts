// The price catalogue file and the arithmetic that prices a meter.
import { describe, expect, test } from "bun:test";
import { CATALOG, findPrice, priceMeter } from "../../../server/costs/catalog.ts";
import { PriceEntry } from "../../../server/costs/price-schema.ts";
import { costOf } from "../../../server/costs/pricing.ts";
import type { ModelEntry } from "../../../server/config/schema.ts";

const M = 1_000_000;

describe("prices.yml", () => {
  test("every entry has a source and the date it was checked, and ids are unique per provider", () => {
    const seen = new Set<string>();
    for (const entry of CATALOG) {
      expect(entry.source?.length).toBeGreaterThan(10);
      expect(String(entry.checked)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const id of [entry.model, ...(entry.aliases ?? [])]) {
        const key = `${entry.provider}/${id}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
  });

  test("finds models by id and alias", () => {
    expect(findPrice(CATALOG, "gemini", "veo-3.1-generate-001")?.model).toBe("veo-3.1-generate-preview");
    expect(findPrice(CATALOG, "openai", "gemini-2.5-flash-image")).toBeUndefined();
  });
});

describe("priceMeter", () => {
  const entry = PriceEntry.parse({
    provider: "openai",
    model: "m",
    tokens: { input_text: 5, input_image: 8, output_image: 30 },
    images: [{ size: "1024x1024", quality: "high", usd: 0.2 }, { usd: 0.1 }],
    seconds: { "720p": 0.4, "4k": 0.6 },
    characters: 0.00001,
  });

  test("tokens first: 1,290 output image tokens at $30/M = $0.0387", () => {
    expect(priceMeter(entry, { tokens: { output_image: 1290 } })!.usd).toBe(0.0387);
  });

  test("cached tokens fall back to the uncached rate when no cached rate is listed", () => {
    expect(priceMeter(entry, { tokens: { input_cached_text: 1000 } })!.usd).toBeCloseTo((1000 * 5) / M, 12);
  });

  test("a token kind without a price falls through to the next unit", () => {
    expect(priceMeter(entry, { tokens: { output_audio: 10 }, images: 1 })!.lines).toEqual([{ unit: "image", quantity: 1, unit_price_usd: 0.1, usd: 0.1 }]);
  });

  test("per image by size and quality, else the catch-all", () => {
    expect(priceMeter(entry, { images: 1, imageSize: "1024x1024", quality: "high" })!.usd).toBe(0.2);
    expect(priceMeter(entry, { images: 2, imageSize: "1536x1024", quality: "low" })!.usd).toBe(0.2);
  });

  test("per second by resolution, 720p by default", () => {
    expect(priceMeter(entry, { seconds: 8 })!.usd).toBeCloseTo(3.2, 12);
    expect(priceMeter(entry, { seconds: 8, resolution: "4k" })!.usd).toBeCloseTo(4.8, 12);
    expect(priceMeter(entry, { seconds: 8, resolution: "1080p" })).toBeUndefined();
  });

  test("per character", () => {
    expect(priceMeter(entry, { characters: 1000 })!.usd).toBeCloseTo(0.01, 12);
  });

  test("nothing priceable gives undefined", () => {
    expect(priceMeter(PriceEntry.parse({ provider: "openai", model: "x", characters: 1 }), { images: 1 })).toBeUndefined();
  });
});

describe("costOf", () => {
  const model: ModelEntry = { type: "image", provider: "openai", model: "gpt-image-2" };
  const meter = { tokens: { input_text: 50, output_image: 1568 }, images: 1 };

  test("an override wins over the upstream figure and the catalogue", () => {
    const override = PriceEntry.parse({ provider: "openai", model: "gpt-image-2", images: [{ usd: 0.5 }] });
    expect(costOf(model, { bytes: new Uint8Array(), costUsd: 9 }, meter, [override])).toMatchObject({ costUsd: 0.5, source: "override" });
  });

  test("the provider's own figure wins over the catalogue", () => {
    expect(costOf(model, { bytes: new Uint8Array(), costUsd: 0.07 }, meter, [])).toEqual({ costUsd: 0.07, source: "upstream" });
  });

  test("the catalogue prices the usage, keeping the largest line as the row's unit", () => {
    const cost = costOf(model, { bytes: new Uint8Array() }, meter, []);
    expect(cost).toMatchObject({ source: "catalog", unit: "output_image_token", quantity: 1568, unitPrice: 30 / M });
    expect(cost.costUsd).toBeCloseTo((50 * 5) / M + (1568 * 30) / M, 12);
  });

  test("an unknown model's cost is null with source unknown", () => {
    expect(costOf({ ...model, model: "mystery" }, { bytes: new Uint8Array() }, meter, [])).toEqual({ costUsd: null, source: "unknown" });
  });
});
