// The lightbox's keys, moves and zoom steps.
import { describe, expect, test } from "bun:test";
import { lightboxAction, stepIndex, stepZoom, wantsMore, ZOOM_LEVELS } from "../../../web/src/lib/lightbox.ts";

describe("lightboxAction", () => {
  test.each([
    ["Escape", "close"],
    ["ArrowRight", "next"],
    ["ArrowLeft", "previous"],
    ["+", "zoomIn"],
    ["=", "zoomIn"],
    ["-", "zoomOut"],
    ["0", "zoomReset"],
    ["Home", "first"],
    ["End", "last"],
    ["a", undefined],
    ["Enter", undefined],
  ])("%s → %s", (key, action) => {
    expect(lightboxAction(key)).toBe(action as ReturnType<typeof lightboxAction>);
  });
});

describe("stepIndex", () => {
  test("moves by one and stops at either end", () => {
    expect(stepIndex(0, "next", 3)).toBe(1);
    expect(stepIndex(2, "next", 3)).toBe(2);
    expect(stepIndex(0, "previous", 3)).toBe(0);
    expect(stepIndex(1, "last", 3)).toBe(2);
    expect(stepIndex(2, "first", 3)).toBe(0);
    expect(stepIndex(0, "next", 0)).toBe(0);
  });
});

describe("stepZoom", () => {
  test("walks the levels and stays within them; an odd zoom snaps to its nearest level first", () => {
    expect(stepZoom(1, 1)).toBe(1.5);
    expect(stepZoom(4, 1)).toBe(4);
    expect(stepZoom(1, -1)).toBe(1);
    expect(stepZoom(3, -1)).toBe(2);
    expect(stepZoom(2.9, 1)).toBe(4);
    expect(ZOOM_LEVELS[0]).toBe(1);
  });
});

describe("wantsMore", () => {
  test("near the last loaded result, and only while there is more", () => {
    expect(wantsMore(58, 60, true)).toBe(true);
    expect(wantsMore(10, 60, true)).toBe(false);
    expect(wantsMore(59, 60, false)).toBe(false);
  });
});
