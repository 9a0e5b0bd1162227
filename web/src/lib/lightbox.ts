// The lightbox's pure logic: which key does what, moving between results and zoom steps.

/** What a key press asks of the lightbox. */
export type LightboxAction = "close" | "next" | "previous" | "zoomIn" | "zoomOut" | "zoomReset" | "first" | "last";

const KEYS: Record<string, LightboxAction> = {
  Escape: "close",
  ArrowRight: "next",
  ArrowLeft: "previous",
  "+": "zoomIn",
  "=": "zoomIn",
  "-": "zoomOut",
  "0": "zoomReset",
  Home: "first",
  End: "last",
};

/** The action of a key (`KeyboardEvent.key`), or undefined for keys the lightbox leaves alone. */
export function lightboxAction(key: string): LightboxAction | undefined {
  return KEYS[key];
}

/** The zoom levels, 1 = fit to the window. */
export const ZOOM_LEVELS = [1, 1.5, 2, 3, 4] as const;

/** The next zoom level up (`+1`) or down (`-1`) from the level nearest `zoom`, staying within ZOOM_LEVELS. */
export function stepZoom(zoom: number, direction: 1 | -1): number {
  let at = 0;
  ZOOM_LEVELS.forEach((level, i) => {
    if (Math.abs(level - zoom) < Math.abs(ZOOM_LEVELS[at]! - zoom)) at = i;
  });
  return ZOOM_LEVELS[Math.min(ZOOM_LEVELS.length - 1, Math.max(0, at + direction))]!;
}

/** The index after `action` among `count` loaded results; unchanged at either end (no wrap: more may still load). */
export function stepIndex(index: number, action: "next" | "previous" | "first" | "last", count: number): number {
  if (count === 0) return 0;
  if (action === "first") return 0;
  if (action === "last") return count - 1;
  return Math.min(count - 1, Math.max(0, index + (action === "next" ? 1 : -1)));
}

/** Whether moving on from `index` should first load the next page (at the last loaded result, with more to load). */
export function wantsMore(index: number, count: number, hasMore: boolean): boolean {
  return hasMore && index >= count - 2;
}
