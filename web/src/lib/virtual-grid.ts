// The window of a virtualised grid: which rows of fixed height are near the viewport, so only those are in the DOM.

/** How the grid is laid out. */
export interface GridLayout {
  /** Cards per row (at least 1). */
  columns: number;
  /** Height of one row including the gap below it, in px. */
  rowHeight: number;
  /** Rows rendered above and below the visible ones. */
  overscan: number;
}

/** The rows to render: items [start, end), placed `offset` px below the grid's top, in a grid `height` px tall. */
export interface GridWindow {
  start: number;
  end: number;
  offset: number;
  height: number;
}

/** Columns that fit `width` px with cards at least `minCard` px wide and `gap` px between them (as CSS auto-fill does). */
export function columnsFor(width: number, minCard: number, gap: number): number {
  if (!(width > 0)) return 1;
  return Math.max(1, Math.floor((width + gap) / (minCard + gap)));
}

/**
 * The items to render for a viewport: `top` is the viewport's top relative to the grid's top (negative while the
 * grid starts below it), `viewport` its height, `count` the items loaded.
 */
export function gridWindow(top: number, viewport: number, count: number, layout: GridLayout): GridWindow {
  const columns = Math.max(1, layout.columns);
  const rows = Math.ceil(count / columns);
  const height = rows * layout.rowHeight;
  if (rows === 0) return { start: 0, end: 0, offset: 0, height: 0 };
  const firstVisible = Math.floor(Math.max(0, top) / layout.rowHeight);
  const lastVisible = Math.floor(Math.max(0, top + viewport) / layout.rowHeight);
  const firstRow = Math.min(rows - 1, Math.max(0, firstVisible - layout.overscan));
  const lastRow = Math.min(rows - 1, Math.max(firstRow, lastVisible + layout.overscan));
  return { start: firstRow * columns, end: Math.min(count, (lastRow + 1) * columns), offset: firstRow * layout.rowHeight, height };
}

/** Whether the next page should be fetched: the window reaches within `ahead` items of the end of what is loaded. */
export function needsMore(window: GridWindow, count: number, ahead: number): boolean {
  return window.end >= count - ahead;
}

/** The scroll offset (relative to the grid's top) that brings item `index` into view, or undefined when it already is. */
export function scrollToReveal(index: number, top: number, viewport: number, layout: GridLayout): number | undefined {
  const rowTop = Math.floor(index / Math.max(1, layout.columns)) * layout.rowHeight;
  if (rowTop < top) return rowTop;
  if (rowTop + layout.rowHeight > top + viewport) return rowTop + layout.rowHeight - viewport;
  return undefined;
}
