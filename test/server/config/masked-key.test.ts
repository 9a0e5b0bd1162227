// A masked key sent back through the API stands for the saved key: what maskKey shows, isMaskedKey recognises.
import { describe, expect, test } from "bun:test";
import { keyChoice } from "../../../server/config/key-scope.ts";
import { isMaskedKey, maskKey } from "../../../server/config/store.ts";

describe("isMaskedKey", () => {
  test.each(["short-key", "sk-a-long-secret-key-1234"])("recognises what maskKey made of %p", (key) => {
    expect(isMaskedKey(maskKey(key))).toBe(true);
    expect(isMaskedKey(key)).toBe(false);
  });

  test("a masked key chooses the saved key; a typed one is used as typed", () => {
    const saved = { type: "image", provider: "openai", model: "gpt-image-1", api_key: "sk-a-long-secret-key-1234" } as const;
    expect(keyChoice(maskKey(saved.api_key), saved)).toEqual({ kind: "saved" });
    expect(keyChoice("sk-another-key", saved)).toEqual({ kind: "typed", key: "sk-another-key" });
  });
});
