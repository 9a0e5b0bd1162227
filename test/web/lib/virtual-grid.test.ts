// The virtual grid's window: only the rows near the viewport, with room above them, and when to fetch more.
import { describe, expect, test } from "bun:test";
import { columnsFor, gridWindow, needsMore, scrollToReveal } from "../../../web/src/lib/virtual-grid.ts";

const layout = { columns: 4, rowHeight: 400, overscan: 2 };

describe("columnsFor", () => {
  test.each([
    [1280, 5],
    [1000, 3],
    [496, 2],
    [495, 1],
    [100, 1],
    [0, 1],
  ])("%d px wide holds %d columns of 240 px with 16 px gaps", (width, columns) => {
    expect(columnsFor(width, 240, 16)).toBe(columns);
  });
});

describe("gridWindow", () => {
  test("at the top: the visible rows and the overscan below", () => {
    expect(gridWindow(0, 900, 100_000, layout)).toEqual({ start: 0, end: 4 * 5, offset: 0, height: 25_000 * 400 });
  });

  test("deep in 100k rows: a few rows around the viewport, placed where they belong", () => {
    const top = 10_000 * 400 + 123;
    const window = gridWindow(top, 900, 100_000, layout);
    expect(window.offset).toBe(9_998 * 400);
    expect(window.start).toBe(9_998 * 4);
    expect(window.end - window.start).toBeLessThanOrEqual(4 * 7);
  });

  test("while the grid starts below the viewport's top, it renders from its first row", () => {
    expect(gridWindow(-300, 900, 10, layout)).toMatchObject({ start: 0, end: 10, offset: 0 });
  });

  test("past the end it keeps the last rows; an empty grid renders nothing", () => {
    expect(gridWindow(1_000_000, 900, 10, layout)).toMatchObject({ start: 8, end: 10, offset: 800 });
    expect(gridWindow(0, 900, 0, layout)).toEqual({ start: 0, end: 0, offset: 0, height: 0 });
  });

  test("a window never holds more than the visible rows and the overscan, whatever the count", () => {
    for (const count of [1, 59, 60, 1000, 100_000]) {
      for (const top of [0, 5000, 123_456, 39_999_000]) {
        const w = gridWindow(top, 1000, count, layout);
        expect(w.end - w.start).toBeLessThanOrEqual(layout.columns * (Math.ceil(1000 / 400) + 1 + 2 * layout.overscan));
        expect(w.start % layout.columns).toBe(0);
        expect(w.end).toBeLessThanOrEqual(count);
      }
    }
  });
});

describe("needsMore", () => {
  test("only once the window comes within `ahead` items of the loaded end", () => {
    expect(needsMore({ start: 0, end: 20, offset: 0, height: 0 }, 60, 16)).toBe(false);
    expect(needsMore({ start: 24, end: 44, offset: 0, height: 0 }, 60, 16)).toBe(true);
  });
});

describe("scrollToReveal", () => {
  test("scrolls up or down just enough to show an item's row, and not at all when it is in view", () => {
    expect(scrollToReveal(0, 800, 900, layout)).toBe(0);
    expect(scrollToReveal(40, 0, 900, layout)).toBe(10 * 400 + 400 - 900);
    expect(scrollToReveal(5, 0, 900, layout)).toBeUndefined();
  });
});
