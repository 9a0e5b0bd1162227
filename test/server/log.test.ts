import { describe, expect, test } from "bun:test";
import { createLogger, type GenerationLogLine, memoryLogger } from "../../server/log.ts";

const ISO_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /;

const generation = (fields: Partial<GenerationLogLine> = {}): GenerationLogLine => ({
  id: "0196f0c2-aaaa-7bbb-8ccc-dddddddddddd",
  type: "image",
  model: "or-gpt-image-2",
  provider: "openclacky",
  outcome: "succeeded",
  costUsd: 0.042,
  latencyMs: 4321.6,
  ...fields,
});

describe("createLogger", () => {
  test("writes one timestamped line per call through `write`", () => {
    const lines: string[] = [];
    const log = createLogger((line) => lines.push(line));
    log.info("listening on http://127.0.0.1:7070");
    log.warn("config not reloaded");
    log.error("boom");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(ISO_PREFIX);
    expect(lines.map((line) => line.replace(ISO_PREFIX, ""))).toEqual([
      "INFO listening on http://127.0.0.1:7070",
      "WARN config not reloaded",
      "ERROR boom",
    ]);
  });

  test("a request line has the method, path, status and rounded latency", () => {
    const log = memoryLogger();
    log.request("POST", "/api/media/image", 422, 12.6);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatch(ISO_PREFIX);
    expect(log.lines[0]!.replace(ISO_PREFIX, "")).toBe("INFO POST /api/media/image 422 13ms");
  });

  const generations: [string, GenerationLogLine, string[], string][] = [
    [
      "a success with a known cost",
      generation(),
      ["generation image", "model=or-gpt-image-2", "provider=openclacky", "outcome=succeeded", "cost_usd=0.042000", "latency=4322ms", "id=0196f0c2-aaaa-7bbb-8ccc-dddddddddddd"],
      "INFO",
    ],
    ["a free local generation", generation({ type: "audio", model: "flite", provider: "local", costUsd: 0 }), ["generation audio", "model=flite", "provider=local", "cost_usd=0.000000"], "INFO"],
    ["a success of unknown cost", generation({ costUsd: null }), ["outcome=succeeded", "cost_usd=unknown"], "INFO"],
    [
      "a failure with its error type",
      generation({ type: "video", model: "or-veo-3-1", outcome: "failed", errorType: "rate_limited", costUsd: null }),
      ["generation video", "model=or-veo-3-1", "outcome=failed", "error_type=rate_limited", "cost_usd=unknown"],
      "WARN",
    ],
    ["an interruption", generation({ outcome: "interrupted", errorType: "interrupted" }), ["outcome=interrupted", "error_type=interrupted"], "WARN"],
  ];
  test.each(generations)("a generation line: %s", (_name, line, parts, level) => {
    const log = memoryLogger();
    log.generation(line);
    expect(log.lines).toHaveLength(1);
    const text = log.lines[0]!.replace(ISO_PREFIX, "");
    expect(text.startsWith(`${level} generation `)).toBe(true);
    for (const part of parts) expect(text).toContain(part);
    if (!line.errorType) expect(text).not.toContain("error_type=");
  });

  test("a cost of 0 is never written as unknown, and unknown never as a number", () => {
    const log = memoryLogger();
    log.generation(generation({ costUsd: 0 }));
    log.generation(generation({ costUsd: null }));
    expect(log.lines[0]).not.toContain("unknown");
    expect(log.lines[1]).not.toMatch(/cost_usd=\d/);
  });
});
