// Where a key may travel: the URL a saved key belongs to, what a request's api_key means, and the refusals.
import { describe, expect, test } from "bun:test";
import type { ModelEntry } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { checkSavedKeyDestination, keyChoice, keyDestination, refuseEnvReference } from "../../../server/config/key-scope.ts";

const saved: ModelEntry = { name: "pic", type: "image", provider: "openai", model: "gpt-image-2", api_key: "sk-test-scope-not-real", base_url: "https://Example.COM/v1/" };
const fromEnv: ModelEntry = { ...saved, api_key: "${SOME_KEY}" };

function thrown(run: () => void): AppError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error as AppError;
  }
}

describe("keyDestination", () => {
  test.each([
    [{ provider: "openai", base_url: "https://Example.COM/v1/" }, "https://example.com/v1"],
    [{ provider: "openai", base_url: "https://example.com:443/v1//" }, "https://example.com/v1"],
    [{ provider: "openai", base_url: "http://user:pass@127.0.0.1:8080" }, "http://127.0.0.1:8080"],
    [{ provider: "openai" }, "https://api.openai.com/v1"],
    [{ provider: "openrouter" }, "https://openrouter.ai/api/v1"],
    [{ provider: "local" }, "local:"],
  ] as const)("%j goes to %s", (entry, url) => {
    expect(keyDestination(entry)).toBe(url);
  });
});

describe("keyChoice", () => {
  const against = { "a saved key": saved, "a saved ${SOME_KEY}": fromEnv, "no saved entry": undefined };
  test.each([
    [undefined, "a saved key", { kind: "saved" }],
    ["sk-t****real", "a saved key", { kind: "saved" }],
    [null, "a saved key", { kind: "none" }],
    ["  ", "a saved key", { kind: "none" }],
    ["typed-key", "a saved key", { kind: "typed", key: "typed-key" }],
    ["${SOME_KEY}", "a saved ${SOME_KEY}", { kind: "saved" }],
    [" ${SOME_KEY} ", "a saved ${SOME_KEY}", { kind: "saved" }],
    ["${OTHER_KEY}", "a saved ${SOME_KEY}", { kind: "typed", key: "${OTHER_KEY}" }],
    ["${SOME_KEY}", "a saved key", { kind: "typed", key: "${SOME_KEY}" }],
    ["${SOME_KEY}", "no saved entry", { kind: "typed", key: "${SOME_KEY}" }],
  ] as const)("%j against %s is %j", (typed, entry, choice) => {
    expect(keyChoice(typed, against[entry])).toEqual(choice);
  });
});

describe("checkSavedKeyDestination", () => {
  test("the same URL written differently passes; another URL, or another provider's default, is a 400 naming api_key", () => {
    expect(thrown(() => checkSavedKeyDestination(saved, { provider: "openai-compatible", base_url: "https://example.com/v1" }, "advice"))).toBeUndefined();
    const moved = thrown(() => checkSavedKeyDestination(saved, { provider: "openai", base_url: "https://example.com/v2" }, "type the key"));
    expect(moved?.toJSON()).toMatchObject({ error_type: "invalid_argument", field: "api_key" });
    expect(moved?.message).toBe("The saved key of image model 'gpt-image-2' (pic) only goes to https://example.com/v1; type the key");
    expect(moved?.message).not.toContain(saved.api_key!);
    const { base_url: _url, ...atDefault } = saved;
    expect(thrown(() => checkSavedKeyDestination(atDefault, { provider: "openrouter" }, "x"))?.details.field).toBe("api_key");
  });

  test("an entry without a saved key has nothing to protect", () => {
    expect(thrown(() => checkSavedKeyDestination({ ...saved, api_key: undefined }, { provider: "openai", base_url: "http://127.0.0.1:9" }, "x"))).toBeUndefined();
  });
});

describe("refuseEnvReference", () => {
  test("a typed ${VAR} (blanks around it too) is a 400 naming api_key; anything else passes", () => {
    expect(thrown(() => refuseEnvReference(" ${HOME} "))?.details.field).toBe("api_key");
    for (const typed of ["key-${HOME}", "$HOME", "${1X}", "plain-key"]) expect(thrown(() => refuseEnvReference(typed))).toBeUndefined();
  });
});
