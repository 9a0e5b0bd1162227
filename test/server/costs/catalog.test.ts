// The price catalogue file and the arithmetic that prices a meter.
import { describe, expect, test } from "bun:test";
import { CATALOG, findPrice, priceMeter } from "../../../server/costs/catalog.ts";
import { PriceEntry } from "../../../server/costs/price-schema.ts";
import { costOf } from "../../../server/costs/pricing.ts";
import type { ModelEntry } from "../../../server/config/schema.ts";

const M = 1_000_000;

describe("prices.yml", () => {
  test("every entry has a source and the date it was checked (an id may have several entries, see the windows test)", () => {
    for (const entry of CATALOG) {
      expect(entry.source?.length).toBeGreaterThan(10);
      expect(String(entry.checked)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  test("entries of one model id have effective windows that do not overlap", () => {
    const windows = new Map<string, [number, number][]>();
    for (const entry of CATALOG) {
      const window: [number, number] = [entry.from ? Date.parse(entry.from) : -Infinity, entry.until ? Date.parse(entry.until) : Infinity];
      for (const id of [entry.model, ...(entry.aliases ?? [])]) {
        const key = `${entry.provider}/${id}`;
        for (const [from, until] of windows.get(key) ?? []) expect(window[0] >= until || window[1] <= from).toBe(true);
        windows.set(key, [...(windows.get(key) ?? []), window]);
      }
    }
  });

  test("every entry was checked for the 2026-11 catalogue update or later", () => {
    const stale = CATALOG.filter((e) => String(e.checked) < "2026-11-29").map((e) => `${e.provider}/${e.model}: ${String(e.checked)}`);
    expect(stale).toEqual([]);
  });

  test("a shutdown is a retired day, never the end of a price window; retired ids stay priced", () => {
    for (const entry of CATALOG.filter((e) => e.retired)) {
      expect(entry.until).toBeUndefined();
      expect(findPrice(CATALOG, entry.provider, entry.model, Date.parse("2026-11-29"))).toBe(entry);
    }
  });

  const TODAY = Date.parse("2026-11-29");
  test.each([
    ["gemini", "gemini-3-pro-image"],
    ["gemini", "gemini-3-pro-image-preview"],
    ["gemini", "gemini-3.1-flash-image"],
    ["gemini", "gemini-3.1-flash-image-preview"],
    ["gemini", "gemini-3.1-flash-lite-image"],
    ["gemini", "gemini-nano-banana-2.1"],
    ["gemini", "gemini-2.5-flash-image"],
    ["gemini", "imagen-4.0-generate-001"],
    ["gemini", "imagen-4.0-fast-generate-001"],
    ["gemini", "imagen-4.0-ultra-generate-001"],
    ["gemini", "gemini-3.8-flash-tts"],
    ["gemini", "gemini-3.8-flash-lite-tts"],
    ["gemini", "veo-3.1-generate-preview"],
    ["gemini", "veo-3.1-fast-generate-preview"],
    ["gemini", "veo-3.1-fast-generate-001"],
    ["gemini", "veo-3.1-lite-generate-preview"],
    ["gemini", "veo-3.0-generate-001"],
    ["gemini", "veo-3.0-fast-generate-001"],
    ["openai", "gpt-image-2.5-flare"],
    ["openai", "gpt-image-2.5-flare-2026-09-08"],
    ["openai", "gpt-image-2.5-sunburst"],
    ["openai", "gpt-image-2.5-sunburst-2026-09-08"],
    ["openai", "gpt-image-2.6-flare"],
    ["openai", "gpt-image-2.6-sunburst"],
    ["openai", "chatgpt-image-latest"],
    ["openai", "gpt-image-2"],
    ["openai", "gpt-image-1.5"],
    ["openai", "gpt-image-1.5-2025-12-16"],
    ["openai", "gpt-image-1-mini"],
    ["openai", "gpt-image-1"],
  ])("%s/%s is priced on 2026-11-29", (provider, id) => {
    expect(findPrice(CATALOG, provider, id, TODAY)).toBeDefined();
  });

  test("retired models keep pricing old rows and stay priced after their shutdown", () => {
    for (const id of ["gpt-image-1.5", "gpt-image-1.5-2025-12-16", "gpt-image-1-mini", "chatgpt-image-latest"]) {
      expect(findPrice(CATALOG, "openai", id, Date.parse("2026-06-01"))?.retired).toBe("2026-12-01");
      expect(findPrice(CATALOG, "openai", id, Date.parse("2026-12-02"))).toBeDefined();
    }
    expect(findPrice(CATALOG, "openai", "gpt-image-1", Date.parse("2026-06-01"))?.retired).toBe("2026-10-23");
    expect(findPrice(CATALOG, "gemini", "gemini-3-pro-image-preview", Date.parse("2026-03-01"))?.retired).toBe("2026-06-25");
  });

  test("Gemini 3.8 TTS launch prices end with 2026-12-31; the doubled output rate applies from 2027-01-01", () => {
    const last = Date.parse("2026-12-31T12:00:00Z");
    const next = Date.parse("2027-01-01T00:00:00Z");
    for (const [id, launch] of [["gemini-3.8-flash-tts", 9], ["gemini-3.8-flash-lite-tts", 6]] as const) {
      expect(findPrice(CATALOG, "gemini", id, last)?.tokens?.output_audio).toBe(launch);
      expect(findPrice(CATALOG, "gemini", id, next)?.tokens?.output_audio).toBe(launch * 2);
      expect(findPrice(CATALOG, "gemini", id, Date.parse("2026-09-21"))).toBeUndefined();
    }
  });

  test("Veo 3.1 Fast: $0.15/s before the 2026-04-07 cut, $0.10/s at 720p from that day", () => {
    expect(findPrice(CATALOG, "gemini", "veo-3.1-fast-generate-001", Date.parse("2026-04-06T23:59:59Z"))?.seconds?.["720p"]).toBe(0.15);
    expect(findPrice(CATALOG, "gemini", "veo-3.1-fast-generate-001", Date.parse("2026-04-07"))?.seconds?.["720p"]).toBe(0.1);
  });

  test("Gemini TTS entries give no output_text rate (thinking tokens are left out and noted, no source gives a rate)", () => {
    for (const entry of CATALOG.filter((e) => e.provider === "gemini" && e.type === "audio")) expect(entry.tokens?.output_text).toBeUndefined();
  });

  test("finds models by id and alias", () => {
    expect(findPrice(CATALOG, "gemini", "veo-3.1-generate-001")?.model).toBe("veo-3.1-generate-preview");
    expect(findPrice(CATALOG, "openai", "gemini-2.5-flash-image")).toBeUndefined();
  });
});

describe("findPrice", () => {
  const launch = PriceEntry.parse({ provider: "gemini", model: "tts-x", tokens: { output_audio: 9 }, until: "2027-01-01" });
  const later = PriceEntry.parse({ provider: "gemini", model: "tts-x", tokens: { output_audio: 18 }, from: "2027-01-01" });

  test("picks the entry in force at the moment given: `from` inclusive, `until` exclusive, at 00:00 UTC", () => {
    expect(findPrice([launch, later], "gemini", "tts-x", Date.parse("2026-12-31T23:59:59.999Z"))).toBe(launch);
    expect(findPrice([launch, later], "gemini", "tts-x", Date.parse("2027-01-01T00:00:00Z"))).toBe(later);
  });

  test("a Gemini `models/` resource name finds the entry of its id", () => {
    expect(findPrice(CATALOG, "gemini", "models/veo-3.1-generate-preview")?.model).toBe("veo-3.1-generate-preview");
    expect(findPrice(CATALOG, "openai", "models/gpt-image-2")).toBeUndefined();
  });

  test("an entry whose window is empty or reversed is refused", () => {
    expect(PriceEntry.safeParse({ provider: "openai", model: "m", characters: 1, from: "2027-01-01", until: "2027-01-01" }).success).toBe(false);
    expect(PriceEntry.safeParse({ provider: "openai", model: "m", characters: 1, from: "2027-13-01" }).success).toBe(false);
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

  test("a token kind without a rate is left out and named; the kinds with a rate are still priced", () => {
    const priced = priceMeter(entry, { tokens: { input_text: 100, output_text: 300, output_image: 1000 }, images: 1 })!;
    expect(priced.usd).toBeCloseTo((100 * 5) / M + (1000 * 30) / M, 12);
    expect(priced.unpriced).toEqual(["output_text"]);
  });

  test("per image by size and quality, else the catch-all", () => {
    expect(priceMeter(entry, { images: 1, imageSize: "1024x1024", quality: "high" })!.usd).toBe(0.2);
    expect(priceMeter(entry, { images: 2, imageSize: "1536x1024", quality: "low" })!.usd).toBe(0.2);
  });

  test("per second by resolution, 720p by default", () => {
    expect(priceMeter(entry, { seconds: 8 })!.usd).toBeCloseTo(3.2, 12);
    expect(priceMeter(entry, { seconds: 8, resolution: "4k" })!.usd).toBeCloseTo(4.8, 12);
    expect(priceMeter(entry, { seconds: 8, resolution: "1080p" })).toBeUndefined();
    expect(priceMeter(entry, { seconds: 8, resolution: "4K" })!.usd).toBeCloseTo(4.8, 12);
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

  test("a partial price is recorded with a note naming the token kinds left out", () => {
    const override = PriceEntry.parse({ provider: "openai", model: "gpt-image-2", tokens: { output_image: 30 } });
    const cost = costOf(model, { bytes: new Uint8Array() }, meter, [override]);
    expect(cost.costUsd).toBeCloseTo((1568 * 30) / M, 12);
    expect(cost.note).toBe("Partial price: no prices: entry rate for input_text tokens, left out of this cost");
  });

  test("a gpt-image-1 edit prices its input-image tokens: 6,000 of them add $0.06 to the image", () => {
    const edit = costOf({ type: "image", provider: "openai", model: "gpt-image-1" }, { bytes: new Uint8Array() }, { tokens: { input_text: 40, input_image: 6000, output_image: 1568 }, images: 1, imageSize: "1536x1024", quality: "medium" }, []);
    expect(edit.costUsd).toBeCloseTo((40 * 5 + 6000 * 10 + 1568 * 40) / M, 12);
    expect(edit.costUsd!).toBeGreaterThan(0.12);
  });

  test("Gemini TTS thinking tokens (output_text) do not make the cost unknown", () => {
    const cost = costOf({ type: "audio", provider: "gemini", model: "gemini-2.5-flash-preview-tts" }, { bytes: new Uint8Array() }, { tokens: { input_text: 20, output_audio: 500, output_text: 120 } }, []);
    expect(cost.source).toBe("catalog");
    expect(cost.costUsd).toBeGreaterThan(0);
  });

  test("an unknown model's cost is null with source unknown", () => {
    expect(costOf({ ...model, model: "mystery" }, { bytes: new Uint8Array() }, meter, [])).toEqual({ costUsd: null, source: "unknown" });
  });
});
