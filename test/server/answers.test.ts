// Routes declare their response schemas; validating against them must never reorder, drop or add a field of
// what the services build (the answers stay byte-for-byte what they were).
import { expect, test } from "bun:test";
import { listModels, providerCatalog } from "../../server/config/editor.ts";
import { priceList } from "../../server/costs/price-list.ts";
import { budgetStatus, costSummary } from "../../server/costs/summary.ts";
import { CostQuery } from "../../server/ledger/schema.ts";
import { createHarness } from "../helpers.ts";

test("the declared response schemas keep every answer exactly as its service built it", async () => {
  using h = createHarness({
    config: {
      models: [{ name: "n", type: "image", provider: "openai", model: "gpt-image-1", api_key: "sk-test-answers-0001", base_url: "http://127.0.0.1:9/v1", options: { quality: "low" } }],
      budget: { daily_usd: 5, per_type: { video: { monthly_usd: 9 } } },
    },
  });
  const id = (await h.ledger.enqueue({ type: "image", model: "gpt-image-1", provider: "openai", prompt: "p", params: { aspect_ratio: "square" }, estimatedCostUsd: 0.1 }));
  const same = async (path: string, built: unknown) => expect(JSON.stringify((await h.get(path)).body)).toBe(JSON.stringify(built));
  await same("/api/config/models", listModels(h.config));
  await same("/api/config/catalog", providerCatalog());
  await same(`/api/media/jobs/${id}`, (await h.media.job(id)));
  await same("/api/media/types", h.media.types());
  await same(`/api/generations/${id}`, (await h.ledger.get(id)));
  await same("/api/generations", (await h.ledger.list({})));
  await same("/api/costs/budget", (await budgetStatus(h.ledger, h.config.get().budget)));
  const prices = (await h.get("/api/costs/prices")).body;
  expect(JSON.stringify({ ...prices, at: "" })).toBe(JSON.stringify({ ...priceList(h.config.get(), Date.parse(prices.at)), at: "" }));
  await h.ledger.markRunning(id);
  await h.ledger.succeed(id, { outputPath: "/x.png", mimeType: "image/png", bytes: 9, width: 2, height: 2, usage: { total_tokens: 5 }, cost: { costUsd: 0.01, source: "catalog", unit: "image", quantity: 1, unitPrice: 0.01, breakdown: [{ unit: "image", quantity: 1, unit_price_usd: 0.01, usd: 0.01 }] } });
  await h.ledger.setResponse(id, { status: 200, body: { success: true, image: "/x.png", model: "gpt-image-1", provider: "openai", prompt: "p", cost_usd: 0.01, id } });
  // The jobs route adds, last in the result, the file's download_url.
  const finished = (await h.media.job(id))!;
  await same(`/api/media/jobs/${id}`, { ...finished, result: { ...finished.result, download_url: `http://127.0.0.1:7070/api/generations/${id}/file` } });
  // The generations routes add, last, whether a succeeded record's file is still on disk (/x.png is not).
  await same(`/api/generations/${id}`, { ...(await h.ledger.get(id)), file_missing: true });
  for (const groupBy of ["day", "model", "type", "provider"]) {
    const range = { from: "2026-01-01", to: "2030-12-31" };
    await same(`/api/costs/summary?group_by=${groupBy}&from=${range.from}&to=${range.to}`, (await costSummary(h.ledger, CostQuery.parse({ group_by: groupBy, ...range }))));
  }
  const health = (await h.get("/api/health")).body;
  expect(Object.keys(health)).toEqual(["ok", "version", "uptime_seconds", "config", "storage", "running_generations", "token_required"]);
});
