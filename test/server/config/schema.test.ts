// The config schema bounds every number that becomes a timer and every string a request can store.
import { describe, expect, test } from "bun:test";
import { Config, ModelEntry } from "../../../server/config/schema.ts";
import {
  MAX_BODY_MIB_LIMIT,
  MAX_CONNECT_TIMEOUT_SECONDS,
  MAX_NAME_CHARS,
  MAX_OPTIONS_JSON_CHARS,
  MAX_PATH_CHARS,
  MAX_SECRET_CHARS,
  MAX_SHUTDOWN_GRACE_SECONDS,
  MAX_TIMEOUT_SECONDS,
} from "../../../server/defaults.ts";

/** The first issue of a failed parse as `path: message`. */
function firstIssue(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string {
  expect(result.success).toBe(false);
  const issue = result.error!.issues[0]!;
  return `${issue.path.join(".")}: ${issue.message}`;
}

describe("timers", () => {
  // setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days).
  test("the largest timeout accepted still fits a setTimeout delay", () => {
    expect(MAX_TIMEOUT_SECONDS * 1000).toBeLessThan(2 ** 31 - 1);
    expect(MAX_CONNECT_TIMEOUT_SECONDS * 1000).toBeLessThan(2 ** 31 - 1);
    expect(MAX_SHUTDOWN_GRACE_SECONDS * 1000).toBeLessThan(2 ** 31 - 1);
  });

  const tooLarge: [string, Record<string, unknown>, string, number][] = [
    ["timeout_seconds above 2^31 ms", { jobs: { video: { timeout_seconds: 2_200_000 } } }, "jobs.video.timeout_seconds", MAX_TIMEOUT_SECONDS],
    ["timeout_seconds just past the limit", { jobs: { image: { timeout_seconds: MAX_TIMEOUT_SECONDS + 1 } } }, "jobs.image.timeout_seconds", MAX_TIMEOUT_SECONDS],
    ["connect_timeout_seconds above 2^31 ms", { jobs: { audio: { connect_timeout_seconds: 1e12 } } }, "jobs.audio.connect_timeout_seconds", MAX_CONNECT_TIMEOUT_SECONDS],
    ["shutdown_grace_seconds above 2^31 ms", { server: { shutdown_grace_seconds: 3e6 } }, "server.shutdown_grace_seconds", MAX_SHUTDOWN_GRACE_SECONDS],
    ["max_body_mib beyond any sane body", { server: { max_body_mib: 1e9 } }, "server.max_body_mib", MAX_BODY_MIB_LIMIT],
  ];
  test.each(tooLarge)("refuses %s, naming the limit", (_name, config, path, limit) => {
    const message = firstIssue(Config.safeParse(config));
    expect(message.startsWith(`${path}: `)).toBe(true);
    expect(message).toContain(limit.toLocaleString("en-US").replace(/,/g, ""));
  });

  test("accepts the limits themselves", () => {
    const config = Config.parse({ jobs: { video: { timeout_seconds: MAX_TIMEOUT_SECONDS, connect_timeout_seconds: MAX_CONNECT_TIMEOUT_SECONDS } }, server: { shutdown_grace_seconds: MAX_SHUTDOWN_GRACE_SECONDS } });
    expect(config.jobs.video.timeout_seconds).toBe(MAX_TIMEOUT_SECONDS);
  });
});

describe("string fields of a model entry", () => {
  const base = { type: "image", provider: "openclacky", model: "or-gpt-image-2" } as const;
  const tooLong: [string, Record<string, unknown>, string][] = [
    ["name", { name: "n".repeat(MAX_NAME_CHARS + 1) }, `name: must be at most ${MAX_NAME_CHARS} characters`],
    ["model", { model: "m".repeat(MAX_NAME_CHARS + 1) }, `model: must be at most ${MAX_NAME_CHARS} characters`],
    ["api_key", { api_key: "k".repeat(MAX_SECRET_CHARS + 1) }, `api_key: must be at most ${MAX_SECRET_CHARS} characters`],
    ["base_url", { base_url: `http://127.0.0.1/${"p".repeat(MAX_PATH_CHARS)}` }, `base_url: must be at most ${MAX_PATH_CHARS} characters`],
    ["options", { options: { negative_prompt: "x".repeat(MAX_OPTIONS_JSON_CHARS) } }, `options: must be at most ${MAX_OPTIONS_JSON_CHARS} characters of JSON`],
  ];
  test.each(tooLong)("refuses a %s that is too long, naming the field and the limit", (_name, fields, message) => {
    expect(firstIssue(ModelEntry.safeParse({ ...base, ...fields }))).toBe(message);
  });

  test("a 30 MB name is refused without being echoed", () => {
    const message = firstIssue(ModelEntry.safeParse({ ...base, name: "x".repeat(30_000_000) }));
    expect(message.length).toBeLessThan(200);
  });

  test("server and top-level strings are bounded too", () => {
    expect(firstIssue(Config.safeParse({ output_dir: `/${"d".repeat(MAX_PATH_CHARS)}` }))).toBe(`output_dir: must be at most ${MAX_PATH_CHARS} characters`);
    expect(firstIssue(Config.safeParse({ server: { token: "t".repeat(MAX_SECRET_CHARS + 1) } }))).toBe(`server.token: must be at most ${MAX_SECRET_CHARS} characters`);
    expect(firstIssue(Config.safeParse({ server: { allowed_hosts: ["h".repeat(MAX_NAME_CHARS + 1)] } }))).toBe(`server.allowed_hosts.0: must be at most ${MAX_NAME_CHARS} characters`);
  });
});

describe("model ids", () => {
  test("a Gemini `models/<id>` resource name is read as `<id>`, once, for prices, budgets and the ledger", () => {
    const config = Config.parse({
      models: [
        { type: "video", provider: "gemini", model: "models/veo-3.1-generate-preview", api_key: "k" },
        { type: "image", provider: "openai-compatible", model: "models/flux", base_url: "http://127.0.0.1:1" },
      ],
    });
    expect(config.models.map((m) => m.model)).toEqual(["veo-3.1-generate-preview", "models/flux"]);
  });
});
