// What a broken or foreign config.yml may reveal: messages (in the log and on /api/health, which needs no token)
// name the field and the line, never a value; an empty file is warned about and offline speech keeps working.
import { describe, expect, test } from "bun:test";
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, modelFor, parseConfig } from "../../../server/config/store.ts";
import { createHarness, tempDir } from "../../helpers.ts";

const FILE = "/home/me/.mediagen/config.yml";
/** A marker standing for a secret inside a file config.yml should not have been. */
const SECRET = "zq9secretvalue";

function messageOf(text: string): string {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    return `${configError.message}\n${JSON.stringify(configError.issue ?? {})}`;
  }
  throw new Error("expected a ConfigError");
}

describe("config errors name the field and line, never a value of the file", () => {
  const cases: [string, string, RegExp][] = [
    ["a .env file", `OPENAI_API_KEY=${SECRET}\nDB_PASS=${SECRET}\n`, /:1: .*expected object/],
    ["a key that is itself a secret", `sk-${SECRET}-abcdef: 1\n`, /:1: 1 unknown field \(not shown/],
    ["an ini file", `[section]\nkey=${SECRET}\n`, /:2:1: not valid YAML/],
    ["an unsupported directive", `%YAML ${SECRET}\n---\na: 1\n`, /:1:\d+: not valid YAML/],
    ["a bad escape", `output_dir: "/a\\q${SECRET}"\n`, /:1:\d+: not valid YAML/],
    ["an unresolved alias", `server: *${SECRET}\n`, /not valid YAML/],
    ["a block scalar header with junk", `output_dir: |${SECRET}\n  x\n`, /:1:\d+: not valid YAML/],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => {
      const message = messageOf(text);
      expect(message).not.toContain(SECRET);
      expect(message).toMatch(expected);
    });
  }

  test("unknown fields that look like config fields are still named, so a typo can be found", () => {
    const message = messageOf("modles: []\nserver:\n  tokn: abcdefabcdefabcdef\n");
    expect(message).toContain('unknown field "modles"');
    expect(message).toContain('unknown field "tokn" in server');
    expect(message).not.toContain("abcdefabcdefabcdef");
  });

  test("/api/health of a daemon whose config.yml became a symlink to another file names no value of it", async () => {
    using harness = createHarness({ config: "models: []\n" });
    using outside = tempDir();
    const foreign = join(outside.path, "credentials");
    writeFileSync(foreign, `aws_access_key_id: AKIA${SECRET}\naws_secret_access_key: ${SECRET}\n[default]\n`);
    const file = join(harness.dataDir, "config.yml");
    Bun.spawnSync(["rm", file]);
    symlinkSync(foreign, file);
    const health = await harness.get("/api/health");
    expect(health.status).toBe(200);
    expect(health.body.config.ok).toBe(false);
    expect(JSON.stringify(health.body)).not.toContain(SECRET);
    expect(harness.log.lines.join("\n")).not.toContain(SECRET);

    writeFileSync(foreign, `aws_access_key_id: AKIA${SECRET}\nsk-${SECRET}: 1\n`);
    const again = await harness.get("/api/health");
    expect(again.body.config.ok).toBe(false);
    expect(again.body.config.error).toContain("unknown field");
    expect(JSON.stringify(again.body)).not.toContain(SECRET);
  });
});

describe("an empty config.yml", () => {
  test("is warned about on /api/health and in the log, and offline speech keeps working", async () => {
    using harness = createHarness({ config: "" });
    const health = await harness.get("/api/health");
    expect(health.body.config).toMatchObject({ ok: true });
    expect(health.body.config.warning).toContain("no models");
    expect(health.body.config.warning).toContain("offline speech");
    expect(modelFor(harness.config.get(), "audio")).toMatchObject({ provider: "local", model: "flite" });
    const speech = await harness.post("/api/media/audio/speech", { input: "Still speaking.", output_dir: harness.workDir });
    expect(speech.status).toBe(200);
    expect(speech.body).toMatchObject({ success: true, provider: "local" });
  }, 30_000);

  test("a file with only comments counts as empty; a file with settings has no warning and its models as written", () => {
    using comments = createHarness({ config: "# nothing here yet\n\n" });
    expect(comments.config.status().warning).toContain("no models");
    using configured = createHarness({ config: { models: [{ type: "image", provider: "openai", model: "gpt-image-1", api_key: "test-not-a-key" }] } });
    expect(configured.config.status().warning).toBeUndefined();
    expect(modelFor(configured.config.get(), "audio")).toBeUndefined();
  });

  test("adding the first model through the API keeps the offline speech an empty file was running with", async () => {
    using harness = createHarness({ config: "" });
    const added = await harness.post("/api/config/models", { type: "image", provider: "openai", model: "gpt-image-1", api_key: "test-not-a-key" });
    expect(added.status).toBeLessThan(300);
    expect(harness.config.get().models.map((entry) => entry.provider)).toEqual(["local", "openai"]);
    expect(harness.config.status().warning).toBeUndefined();
  });
});
