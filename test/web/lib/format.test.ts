// Money, sizes, durations and times as the pages show them.
import { describe, expect, test } from "bun:test";
import { formatBytes, formatClock, formatDuration, formatTime, formatUsd, localDate } from "../../../web/src/lib/format.ts";

describe("formatUsd", () => {
  test.each([
    [null, "—"],
    [undefined, "—"],
    [0, "$0"],
    [0.0387, "$0.039"],
    [0.000259, "$0.0003"],
    [0.00002, "$2.0e-5"],
    [2.688, "$2.69"],
    [123.4, "$123"],
  ])("%p -> %s", (value, text) => {
    expect(formatUsd(value)).toBe(text);
  });
});

test("formatBytes", () => {
  expect(formatBytes(512)).toBe("512 B");
  expect(formatBytes(1536)).toBe("1.5 KB");
  expect(formatBytes(null)).toBe("—");
});

test("formatDuration", () => {
  expect(formatDuration(850)).toBe("850 ms");
  expect(formatDuration(12_340)).toBe("12.3 s");
  expect(formatDuration(125_000)).toBe("2 min 5 s");
});

test("formatTime and localDate use local time", () => {
  const d = new Date(2026, 10, 23, 9, 5);
  expect(formatTime(d.toISOString())).toBe("2026-11-23 09:05");
  expect(localDate(d)).toBe("2026-11-23");
});

test("formatClock", () => {
  expect(formatClock(0)).toBe("0:00");
  expect(formatClock(1.4)).toBe("0:01");
  expect(formatClock(65)).toBe("1:05");
  expect(formatClock(3723)).toBe("1:02:03");
  expect(formatClock(null)).toBe("—");
  expect(formatClock(Number.NaN)).toBe("—");
});
