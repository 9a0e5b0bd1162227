import { createEffect, createMemo, createSignal, For, type JSX, on, onCleanup, onMount } from "solid-js";
import { columnsFor, gridWindow, needsMore, scrollToReveal } from "../lib/virtual-grid.ts";

/** Height of one card in the grid, in px (cards are clamped to it so rows can be computed without measuring). */
export const CARD_HEIGHT_PX = 384;
/** Space between cards, in px. */
export const CARD_GAP_PX = 16;
/** Narrowest card, in px (as `minmax(15rem, 1fr)` did). */
export const CARD_MIN_WIDTH_PX = 240;
/** Rows kept in the DOM above and below the visible ones. */
const OVERSCAN_ROWS = 2;

/**
 * A grid of fixed-height cards that keeps only the rows near the viewport in the DOM: the page scrolls as usual (the
 * grid is as tall as all its rows), and `onNeedMore` is called when the rendered rows come near the last loaded item.
 */
export function HistoryGrid<T>(props: {
  items: readonly T[];
  label: string;
  busy: boolean;
  onNeedMore: () => void;
  /** An item to scroll into view when it changes (the last one seen in the lightbox). */
  reveal?: number;
  children: (item: T, index: number) => JSX.Element;
}) {
  let outer!: HTMLDivElement;
  const [top, setTop] = createSignal(0);
  const [viewport, setViewport] = createSignal(typeof window === "undefined" ? 800 : window.innerHeight || 800);
  const [width, setWidth] = createSignal(0);
  let frame = 0;

  const measure = () => {
    frame = 0;
    setTop(-outer.getBoundingClientRect().top);
    setViewport(window.innerHeight || 800);
    setWidth(outer.clientWidth);
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(measure);
  };

  onMount(() => {
    measure();
    window.addEventListener("scroll", schedule, { passive: true });
    window.addEventListener("resize", schedule);
    const observer = typeof ResizeObserver === "undefined" ? undefined : new ResizeObserver(schedule);
    observer?.observe(outer);
    onCleanup(() => {
      window.removeEventListener("scroll", schedule);
      window.removeEventListener("resize", schedule);
      observer?.disconnect();
      if (frame) cancelAnimationFrame(frame);
    });
  });

  const layout = createMemo(() => ({ columns: columnsFor(width(), CARD_MIN_WIDTH_PX, CARD_GAP_PX), rowHeight: CARD_HEIGHT_PX + CARD_GAP_PX, overscan: OVERSCAN_ROWS }));
  const range = createMemo(() => gridWindow(top(), viewport(), props.items.length, layout()));
  const shown = createMemo(() => props.items.slice(range().start, range().end));

  createEffect(() => {
    if (props.items.length > 0 && needsMore(range(), props.items.length, layout().columns * (OVERSCAN_ROWS + 2))) props.onNeedMore();
  });

  createEffect(
    on(
      () => props.reveal,
      (index) => {
        if (index === undefined) return;
        const gridTop = outer.getBoundingClientRect().top + window.scrollY;
        const target = scrollToReveal(index, window.scrollY - gridTop, window.innerHeight || 800, layout());
        if (target !== undefined) window.scrollTo({ top: gridTop + target });
      },
      { defer: true },
    ),
  );

  return (
    <div ref={outer} class="history-grid-outer" style={{ height: `${range().height}px` }}>
      <ul
        class="history-grid"
        aria-label={props.label}
        aria-busy={props.busy}
        style={{ transform: `translateY(${range().offset}px)`, "grid-template-columns": `repeat(${layout().columns}, minmax(0, 1fr))` }}
      >
        <For each={shown()}>
          {(item, i) => (
            <li style={{ height: `${CARD_HEIGHT_PX}px` }} aria-posinset={range().start + i() + 1} aria-setsize={props.items.length}>
              {props.children(item, range().start + i())}
            </li>
          )}
        </For>
      </ul>
    </div>
  );
}
