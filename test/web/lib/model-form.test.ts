// The Models form without a DOM: offers per type and provider, the bodies of save and test, server fields mapped to the form.
import { describe, expect, test } from "bun:test";
import { draftOf, formFieldOf, type FormField, knownModels, providerForType, providersFor, saveInput, testInput } from "../../../web/src/lib/model-form.ts";
import { MODELS, PROVIDERS } from "../catalog-fixture.ts";

describe("offers", () => {
  test("only providers able to produce the type", () => {
    expect(providersFor(PROVIDERS, "video").map((p) => p.id)).toEqual(["openclacky", "openrouter"]);
    expect(providersFor(PROVIDERS, "audio").map((p) => p.id)).toEqual(["openclacky", "openai", "openai-compatible", "local"]);
  });

  test("known models of a provider and type; none for an unknown pair", () => {
    expect(knownModels(PROVIDERS, "openai", "audio")).toEqual(["gpt-4o-mini-tts", "tts-1"]);
    expect(knownModels(PROVIDERS, "openai", "video")).toEqual([]);
    expect(knownModels(PROVIDERS, "nope", "image")).toEqual([]);
  });

  test("changing the type keeps a provider that can do it, else takes the first that can", () => {
    expect(providerForType(PROVIDERS, "audio", "openai")).toBe("openai");
    expect(providerForType(PROVIDERS, "video", "openai")).toBe("openclacky");
  });
});

describe("bodies", () => {
  const saved = MODELS[0]!;

  test("fallbacks round-trip as comma-separated names; an empty field sends none", () => {
    const withFallbacks = { ...saved, fallbacks: ["b", "c"] };
    const draft = draftOf(PROVIDERS, withFallbacks);
    expect(draft.fallbacks).toBe("b, c");
    expect(saveInput({ ...draft, fallbacks: " b ,, d " }, withFallbacks)).toMatchObject({ fallbacks: ["b", "d"] });
    expect(saveInput({ ...draft, fallbacks: " " }, withFallbacks)).not.toHaveProperty("fallbacks");
    expect(formFieldOf("models[0].fallbacks[1]")).toBe("fallbacks");
  });

  test("a saved key is kept by leaving it out; the options and default go along", () => {
    const draft = { ...draftOf(PROVIDERS, saved), model: " gpt-image-1.5 " };
    expect(draft.key).toEqual({ mode: "keep", masked: "sk-t****fXYZ" });
    expect(saveInput(draft, saved)).toEqual({ name: "pics", type: "image", provider: "openai", model: "gpt-image-1.5", default: false, options: { quality: "high" } });
  });

  test("a replacement sends the new key; an empty replacement keeps the saved one; remove sends null", () => {
    const draft = draftOf(PROVIDERS, saved);
    expect(saveInput({ ...draft, key: { mode: "enter", value: " sk-new " } }, saved)).toMatchObject({ api_key: "sk-new" });
    expect(saveInput({ ...draft, key: { mode: "enter", value: "" } }, saved)).not.toHaveProperty("api_key");
    expect(saveInput({ ...draft, key: { mode: "remove" } }, saved)).toMatchObject({ api_key: null });
  });

  test("a new entry leaves out empty name and base URL", () => {
    const draft = { ...draftOf(PROVIDERS, undefined, "video"), model: "or-veo-3-1", key: { mode: "enter" as const, value: "${CLACKY_KEY}" } };
    expect(saveInput(draft)).toEqual({ type: "video", provider: "openclacky", model: "or-veo-3-1", default: false, api_key: "${CLACKY_KEY}" });
  });

  test("options that are not a JSON object are a problem of the options field", () => {
    const draft = { ...draftOf(PROVIDERS, saved), options: "[1, 2]" };
    expect(saveInput(draft, saved)).toEqual({ field: "options", messageKey: "models.form.optionsInvalid" });
  });

  test("speech entries get no options editor: their saved options are kept", () => {
    const speech = { ...MODELS[1]!, options: { speed: 1.2 } };
    expect(saveInput({ ...draftOf(PROVIDERS, speech), options: "" }, speech)).toMatchObject({ options: { speed: 1.2 } });
  });

  test("a test with the saved key sends it masked with the saved entry's name, even after a rename", () => {
    const draft = { ...draftOf(PROVIDERS, saved), name: "renamed" };
    expect(testInput(draft, saved)).toEqual({ name: "pics", type: "image", provider: "openai", model: "gpt-image-2", api_key: "sk-t****fXYZ", options: { quality: "high" } });
    expect(testInput({ ...draft, key: { mode: "enter", value: "sk-typed" } }, saved)).toMatchObject({ name: "renamed", api_key: "sk-typed" });
  });
});

test.each<[string | undefined, FormField | undefined]>([
  ["model", "model"],
  ["base_url", "base_url"],
  ["models[1].options.quality", "options"],
  ["models[12].name", "name"],
  ["models[0].base_url", "base_url"],
  ["config", undefined],
  [undefined, undefined],
])("server field %p belongs to form field %p", (field, expected) => {
  expect(formFieldOf(field)).toBe(expected);
});
