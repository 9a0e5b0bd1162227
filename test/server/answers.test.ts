// Routes declare their response schemas; validating against them must never reorder, drop or add a field of
// what the services build (the answers stay byte-for-byte what they were).
import { expect, test } from "bun:test";
import { listModels, providerCatalog } from "../../server/config/editor.ts";
import { budgetStatus } from "../../server/costs/summary.ts";
import { createHarness } from "../helpers.ts";

test("the declared response schemas keep every answer exactly as its service built it", async () => {
  using h = createHarness({
    config: {
      models: [{ name: "n", type: "image", provider: "openai", model: "gpt-image-1", api_key: "sk-test-answers-0001", base_url: "http://127.0.0.1:9/v1", options: { quality: "low" } }],
      budget: { daily_usd: 5, per_type: { video: { monthly_usd: 9 } } },
    },
  });
  const id = h.ledger.enqueue({ type: "image", model: "gpt-image-1", provider: "openai", prompt: "p", params: { aspect_ratio: "square" }, estimatedCostUsd: 0.1 });
  const same = async (path: string, built: unknown) => expect(JSON.stringify((await h.get(path)).body)).toBe(JSON.stringify(built));
  await same("/api/config/models", listModels(h.config));
  await same("/api/config/catalog", providerCatalog());
  await same(`/api/media/jobs/${id}`, h.media.job(id));
  await same("/api/media/types", h.media.types());
  await same(`/api/generations/${id}`, h.ledger.get(id));
  await same("/api/generations", h.ledger.list({}));
  await same("/api/costs/budget", budgetStatus(h.ledger, h.config.get().budget));
});
