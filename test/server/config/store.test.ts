import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Config, type ModelEntry } from "../../../server/config/schema.ts";
import { ConfigError, ConfigStore, maskKey, modelFor, parseConfig, resolveApiKey } from "../../../server/config/store.ts";
import { CONFIG_TEMPLATE } from "../../../server/config/template.ts";
import { DEFAULT_MAX_BODY_MIB, DEFAULT_SHUTDOWN_GRACE_SECONDS } from "../../../server/defaults.ts";
import { AppError } from "../../../server/errors.ts";
import { tempDir, thrown } from "../../helpers.ts";

const FILE = "/home/me/.mediagen/config.yml";

/** The ConfigError `run` throws. */
const configError = (run: () => unknown): ConfigError => thrown(run, ConfigError);

const entry = (fields: Partial<ModelEntry> & Pick<ModelEntry, "type">): ModelEntry => ({ provider: "openai", model: "m", ...fields });

describe("the template", () => {
  test("parses, with one offline audio model and the default server settings", () => {
    const config = parseConfig(CONFIG_TEMPLATE, FILE);
    expect(config.models).toEqual([{ name: "offline-speech", type: "audio", provider: "local", model: "flite", default: true }]);
    expect(config.server).toEqual({ allowed_hosts: [], max_body_mib: DEFAULT_MAX_BODY_MIB, shutdown_grace_seconds: DEFAULT_SHUTDOWN_GRACE_SECONDS });
    expect(config.output_dir).toBeUndefined();
  });

  test("its commented-out example entry is itself valid once uncommented", () => {
    const example = CONFIG_TEMPLATE.split("\n")
      .filter((line) => /^ {2}# {1,3}[- ] /.test(line))
      .map((line) => line.replace(/^ {2}# /, "  ").replace(/\s+#.*$/, ""))
      .join("\n");
    const config = parseConfig(`models:\n${example}\n`, FILE);
    expect(config.models).toEqual([
      { name: "banana", type: "image", provider: "openclacky", model: "or-gemini-3-1-flash-image", api_key: "${CLACKY_API_KEY}", base_url: "https://api.openclacky.com", default: true },
    ]);
  });
});

describe("parseConfig errors", () => {
  const cases: [string, string, string[]][] = [
    [
      "a bad type names the field, its line and the allowed values",
      "# my models\nmodels:\n  - provider: openai\n    type: picture\n    model: gpt-image-1\n",
      [`${FILE}:4:`, "models[0].type", '"image"|"video"|"audio"'],
    ],
    ["a bad provider", "models:\n  - type: image\n    provider: acme\n    model: x\n", [`${FILE}:3:`, "models[0].provider", "openclacky", "openai-compatible", "local"]],
    ["an unknown top-level key is named on its own line", "models: []\nserver:\n  max_body_mib: 3\ncolour: blue\n", [`${FILE}:4:`, 'unknown field "colour"']],
    ["an unknown server key", "server:\n  max_body_mib: 3\n  allowed_hostz: [a]\n", [`${FILE}:3:`, 'unknown field "allowed_hostz" in server']],
    ["an unknown model key", "models:\n  - type: image\n    provider: openai\n    model: x\n    apikey: sk-1\n", [`${FILE}:5:`, 'unknown field "apikey" in models[0]']],
    [
      "a duplicate name names both entries",
      "models:\n  - name: a\n    type: image\n    provider: openai\n    model: x\n  - name: a\n    type: audio\n    provider: local\n    model: flite\n",
      [`${FILE}:6:`, "models[1].name", "models[0]", "unique"],
    ],
    ["a missing model is placed at its entry", "# c\nmodels:\n  - type: image\n    provider: openai\n", [`${FILE}:3:`, "models[0].model"]],
    ["a non-http base_url", "models:\n  - type: image\n    provider: openai\n    model: x\n    base_url: ftp://x\n", [`${FILE}:5:`, "models[0].base_url", "http(s) URL"]],
    ["a short token", "server:\n  token: short\n", [`${FILE}:2:`, "server.token", "at least 16 characters"]],
    ["a relative output_dir", "output_dir: relative/dir\n", [`${FILE}:1:`, "output_dir", "absolute path"]],
    ["a YAML syntax error gives line and column", "models: [\n  - a\n", [`${FILE}:2:3:`, "not valid YAML"]],
    ["a tab-indented YAML file", "server:\n\tmax_body_mib: 3\n", [`${FILE}:2:`, "not valid YAML"]],
    ["a list instead of a mapping", "- a\n- b\n", [`${FILE}:1:`, "expected object"]],
  ];
  test.each(cases)("%s", (_name, text, parts) => {
    const error = configError(() => parseConfig(text, FILE));
    for (const part of parts) expect(error.message).toContain(part);
  });

  test("every issue gets its own line", () => {
    const error = configError(() => parseConfig("models:\n  - type: x\n    provider: y\n    model: z\n", FILE));
    const lines = error.message.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toStartWith(`${FILE}:2: models[0].type`);
    expect(lines[1]).toStartWith(`${FILE}:3: models[0].provider`);
  });

  test.each([[""], ["# only comments\n"]])("%p is an empty config: the defaults, with the template's offline speech model", (text) => {
    expect(parseConfig(text, FILE)).toEqual(Config.parse({ models: parseConfig(CONFIG_TEMPLATE, FILE).models }));
  });
});

describe("ConfigStore", () => {
  test("a fresh data dir gets a commented config.yml with mode 0600 holding one local audio model", () => {
    using dir = tempDir();
    const dataDir = join(dir.path, "nested", "data");
    const store = ConfigStore.open(dataDir);
    const path = join(dataDir, "config.yml");
    expect(store.path).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, "utf8");
    expect(text).toBe(CONFIG_TEMPLATE);
    expect(text.split("\n").filter((line) => line.trimStart().startsWith("#")).length).toBeGreaterThan(10);
    expect(store.get().models).toHaveLength(1);
    expect(modelFor(store.get(), "audio")).toMatchObject({ type: "audio", provider: "local" });
    expect(store.status()).toMatchObject({ path, ok: true, error: undefined });
    expect(store.defaultOutputDir()).toBe(join(dataDir, "output"));
  });

  test("an existing config.yml is used as is", () => {
    using dir = tempDir();
    const path = join(dir.path, "config.yml");
    writeFileSync(path, "output_dir: /srv/media\n");
    const store = ConfigStore.open(dir.path);
    expect(readFileSync(path, "utf8")).toBe("output_dir: /srv/media\n");
    expect(store.get().models).toEqual([]);
    expect(store.defaultOutputDir()).toBe("/srv/media");
  });

  test("an invalid file refuses to open with a ConfigError naming the file", () => {
    using dir = tempDir();
    const path = join(dir.path, "config.yml");
    writeFileSync(path, "models:\n  - type: image\n    provider: nope\n    model: x\n");
    const error = configError(() => ConfigStore.open(dir.path));
    expect(error.message).toContain(`${path}:3: models[0].provider`);
  });

  test("an edit of the file is picked up by the next get()", () => {
    using dir = tempDir();
    const events: { ok: boolean; message: string }[] = [];
    const store = ConfigStore.open(dir.path, (event) => events.push(event));
    expect(store.get().output_dir).toBeUndefined();
    writeFileSync(store.path, "output_dir: /srv/media\nmodels:\n  - type: image\n    provider: openai\n    model: gpt-image-1\n");
    expect(store.get().output_dir).toBe("/srv/media");
    expect(modelFor(store.get(), "image")?.model).toBe("gpt-image-1");
    expect(modelFor(store.get(), "audio")).toBeUndefined();
    expect(events).toEqual([{ ok: true, message: `config reloaded from ${store.path}` }]);
  });

  test("an invalid edit keeps the previous config and is reported by status() until fixed", () => {
    using dir = tempDir();
    const events: { ok: boolean; message: string }[] = [];
    const store = ConfigStore.open(dir.path, (event) => events.push(event));
    const before = store.get();
    writeFileSync(store.path, "models:\n  - type: image\n    provider: openai\n    model: x\n    oops: 1\n");

    expect(store.get()).toBe(before);
    const status = store.status();
    expect(status.ok).toBe(false);
    expect(status.error).toContain(`${store.path}:5: unknown field "oops" in models[0]`);
    expect(events).toHaveLength(1);
    expect(events[0]!.ok).toBe(false);
    expect(events[0]!.message).toContain("keeping the previous one");

    writeFileSync(store.path, "output_dir: /fixed\n");
    expect(store.get().output_dir).toBe("/fixed");
    expect(store.status()).toMatchObject({ ok: true, error: undefined });
  });

  test("update() keeps the user's comments and reloads", () => {
    using dir = tempDir();
    const store = ConfigStore.open(dir.path);
    store.update((doc) => {
      doc.set("output_dir", "/srv/media");
      doc.addIn(["models"], { name: "img", type: "image", provider: "openai", model: "gpt-image-1", api_key: "${OPENAI_API_KEY}" });
    });
    const text = readFileSync(store.path, "utf8");
    for (const comment of ["# mediagen configuration.", "# Offline speech synthesis built into mediagen", "# Largest request body accepted, in MiB."]) {
      expect(text).toContain(comment);
    }
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(store.get().output_dir).toBe("/srv/media");
    expect(store.get().models.map((m) => m.name)).toEqual(["offline-speech", "img"]);
    expect(parse(text).models[1].api_key).toBe("${OPENAI_API_KEY}");
  });

  test("update() that would make the file invalid throws and leaves the file alone", () => {
    using dir = tempDir();
    const store = ConfigStore.open(dir.path);
    const before = readFileSync(store.path, "utf8");
    const error = configError(() => store.update((doc) => doc.set("output_dir", "not/absolute")));
    expect(error.message).toContain("output_dir: must be an absolute path");
    expect(readFileSync(store.path, "utf8")).toBe(before);
    expect(readdirSync(dir.path)).toEqual(["config.yml"]);
    expect(store.status().ok).toBe(true);
  });
});

describe("modelFor", () => {
  const config = (models: ModelEntry[]) => Config.parse({ models });

  test("picks the entry of the type marked default", () => {
    const models = [entry({ type: "image", model: "a" }), entry({ type: "audio", model: "tts" }), entry({ type: "image", model: "b", default: true })];
    expect(modelFor(config(models), "image")?.model).toBe("b");
  });

  test("else the first entry of the type", () => {
    const models = [entry({ type: "audio", model: "tts", default: true }), entry({ type: "image", model: "a" }), entry({ type: "image", model: "b" })];
    expect(modelFor(config(models), "image")?.model).toBe("a");
  });

  test("a default of another type does not count", () => {
    const models = [entry({ type: "image", model: "a" }), entry({ type: "video", model: "v", default: true })];
    expect(modelFor(config(models), "image")?.model).toBe("a");
  });

  test("nothing configured for the type gives undefined", () => {
    expect(modelFor(config([entry({ type: "image" })]), "video")).toBeUndefined();
  });
});

describe("resolveApiKey", () => {
  const secret = "sk-live-0123456789abcdefghij";
  const cases: [string, string | undefined, Record<string, string>, string | undefined][] = [
    ["a literal key", secret, {}, secret],
    ["a literal key with surrounding spaces", `  ${secret}  `, {}, secret],
    ["an ${ENV} reference", "${OPENAI_API_KEY}", { OPENAI_API_KEY: secret }, secret],
    ["an ${ENV} reference with spaces around", " ${OPENAI_API_KEY} ", { OPENAI_API_KEY: ` ${secret}\n` }, secret],
    ["no key", undefined, {}, undefined],
    ["an empty key", "", {}, undefined],
    ["a blank key", "   ", {}, undefined],
    ["a $VAR without braces is a literal", "$OPENAI_API_KEY", { OPENAI_API_KEY: secret }, "$OPENAI_API_KEY"],
  ];
  test.each(cases)("%s", (_name, apiKey, env, expected) => {
    expect(resolveApiKey(entry({ type: "image", api_key: apiKey }), env)).toBe(expected);
  });

  test("reads the environment at call time", () => {
    const env: Record<string, string | undefined> = { KEY: "first-key-value" };
    const model = entry({ type: "image", api_key: "${KEY}" });
    expect(resolveApiKey(model, env)).toBe("first-key-value");
    env.KEY = "rotated-key-value";
    expect(resolveApiKey(model, env)).toBe("rotated-key-value");
  });

  test.each([
    ["unset", {}],
    ["empty", { MISSING_KEY: "" }],
    ["blank", { MISSING_KEY: "   " }],
  ])("a referenced variable that is %s is auth_required naming the variable, never a key", (_name, env) => {
    const model = entry({ type: "video", model: "veo", name: "clip", api_key: "${MISSING_KEY}" });
    let error: unknown;
    try {
      resolveApiKey(model, { ...env, OTHER_KEY: secret });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).type).toBe("auth_required");
    expect((error as AppError).message).toContain("MISSING_KEY is not set");
    expect((error as AppError).message).toContain("video model 'veo' (clip)");
    expect((error as AppError).message).not.toContain(secret);
    expect(JSON.stringify((error as AppError).toJSON())).not.toContain(secret);
  });
});

describe("maskKey", () => {
  const revealed = (masked: string) => masked.replaceAll("*", "");

  test.each([[undefined, ""], ["", ""], ["short", "****"], ["exactly12chr", "****"], ["sk-abcdefghijklmnop", "sk-a****mnop"]] as [string | undefined, string][])(
    "%p -> %p",
    (key, masked) => {
      expect(maskKey(key)).toBe(masked);
    },
  );

  test("never reveals more than 8 characters", () => {
    for (let length = 1; length <= 80; length++) {
      const key = Array.from({ length }, (_, i) => "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36]).join("");
      const shown = revealed(maskKey(key));
      expect(shown.length).toBeLessThanOrEqual(8);
      expect(shown.length).toBeLessThan(length);
    }
  });
});
