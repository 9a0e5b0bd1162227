import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { HistoryCard } from "../components/HistoryCard.tsx";
import { OwnerSelect } from "../components/OwnerSelect.tsx";
import { type DeleteOutcome, HistoryDetail } from "../components/HistoryDetail.tsx";
import { HistoryGrid } from "../components/HistoryGrid.tsx";
import { HistoryLightbox } from "../components/HistoryLightbox.tsx";
import { api, type Generation } from "../lib/api.ts";
import { DOORS, GENERATION_STATUSES } from "../lib/enums.ts";
import { filtersFromSearch, historyQuery, isViewable, NO_FILTERS, searchFromFilters, type HistoryFilters } from "../lib/history.ts";
import { t } from "../lib/i18n.ts";
import "./history.css";

/** How long typing in the search or model box waits before it queries, in ms (the prompt index answers in a few ms). */
export const SEARCH_DEBOUNCE_MS = 200;

/** The filters a History URL carries (`/history?type=image&q=cat`), so a reload or a shared link keeps them. */
const filtersOfUrl = (): HistoryFilters => (typeof location === "undefined" ? NO_FILTERS : filtersFromSearch(location.search, NO_FILTERS));

/**
 * The gallery of generations, newest first: filters kept in the URL, a virtualised grid that loads pages by cursor as
 * it scrolls, a lightbox over the loaded results and a detail dialog.
 */
export function History() {
  const [filters, setFilters] = createSignal<HistoryFilters>(filtersOfUrl());
  // The text boxes show what is typed at once; the filters follow after a pause.
  const [search, setSearch] = createSignal(filters().q);
  const [model, setModel] = createSignal(filters().model);
  const [items, setItems] = createSignal<Generation[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [loaded, setLoaded] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [selected, setSelected] = createSignal<Generation>();
  const [notice, setNotice] = createSignal("");
  // The lightbox moves among the loaded results that have a file; `viewing` indexes those.
  const viewable = createMemo(() => items().filter(isViewable));
  const [viewing, setViewing] = createSignal<number>();
  // The last result seen in the lightbox, scrolled into view when it closes.
  const [seen, setSeen] = createSignal<number>();
  // Answers to an older filter set are dropped.
  let generation = 0;

  // A patch that changes nothing keeps the same object, so it queries nothing.
  const update = (patch: Partial<HistoryFilters>) =>
    setFilters((f) => (Object.entries(patch).every(([key, value]) => f[key as keyof HistoryFilters] === value) ? f : { ...f, ...patch }));

  createEffect(
    on([search, model], ([q, m]) => {
      const timer = setTimeout(() => update({ q, model: m }), SEARCH_DEBOUNCE_MS);
      onCleanup(() => clearTimeout(timer));
    }, { defer: true }),
  );

  async function load(reset: boolean) {
    if (!reset && (loading() || !cursor())) return;
    const mine = reset ? ++generation : generation;
    if (reset) {
      setItems([]);
      setCursor(null);
      setLoaded(false);
    }
    setLoading(true);
    setError(undefined);
    try {
      const page = await api.generations.list(historyQuery(filters(), reset ? null : cursor()));
      if (mine !== generation) return;
      const known = new Set(items().map((g) => g.id));
      setItems((previous) => [...previous, ...page.items.filter((g) => !known.has(g.id))]);
      setCursor(page.next_cursor);
      setLoaded(true);
    } catch (e) {
      if (mine === generation) setError(e);
    } finally {
      if (mine === generation) setLoading(false);
    }
  }

  createEffect(
    on(filters, (current) => {
      void load(true);
      setViewing(undefined);
      // The URL follows the filters (replacing, so Back leaves the page rather than undoing each keystroke).
      const search = searchFromFilters(current, NO_FILTERS);
      if (typeof location !== "undefined" && location.search !== search) history.replaceState(history.state, "", `${location.pathname}${search}`);
    }),
  );

  function deleted(outcome: DeleteOutcome) {
    setItems((list) => list.filter((g) => g.id !== outcome.id));
    const key = !outcome.withFile ? "history.deletedRecord" : outcome.fileRemoved ? "history.deletedBoth" : "history.deletedFileGone";
    setNotice(t(key));
  }

  function clearFilters() {
    setSearch("");
    setModel("");
    setFilters(NO_FILTERS);
  }

  const filtered = () => JSON.stringify(filters()) !== JSON.stringify(NO_FILTERS);

  return (
    <section class="history-page">
      <h1>{t("nav.history")}</h1>

      <form class="card history-filters" role="search" aria-label={t("history.filters")} onSubmit={(e) => e.preventDefault()}>
        <label class="history-search">
          <span>{t("history.search")}</span>
          <input type="search" value={search()} placeholder={t("history.searchPlaceholder")} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <label>
          <span>{t("history.type")}</span>
          <select value={filters().type} onChange={(e) => update({ type: e.currentTarget.value as HistoryFilters["type"] })}>
            <option value="">{t("history.any")}</option>
            <option value="image">{t("common.image")}</option>
            <option value="video">{t("common.video")}</option>
            <option value="audio">{t("common.audio")}</option>
          </select>
        </label>
        <label>
          <span>{t("history.status")}</span>
          <select value={filters().status} onChange={(e) => update({ status: e.currentTarget.value as HistoryFilters["status"] })}>
            <option value="">{t("history.any")}</option>
            <For each={GENERATION_STATUSES}>{(status) => <option value={status}>{t(`status.${status}`)}</option>}</For>
          </select>
        </label>
        <label>
          <span>{t("history.model")}</span>
          <input type="text" value={model()} placeholder={t("history.modelPlaceholder")} onInput={(e) => setModel(e.currentTarget.value)} />
        </label>
        <label>
          <span>{t("history.door")}</span>
          <select value={filters().door} onChange={(e) => update({ door: e.currentTarget.value as HistoryFilters["door"] })}>
            <option value="">{t("history.any")}</option>
            <For each={DOORS}>{(door) => <option value={door}>{t(`door.${door}`)}</option>}</For>
          </select>
        </label>
        <label>
          <span>{t("history.client")}</span>
          <input type="search" value={filters().client} placeholder={t("history.clientPlaceholder")} onChange={(e) => update({ client: e.currentTarget.value })} />
        </label>
        <label>
          <span>{t("history.session")}</span>
          <input type="search" value={filters().session} placeholder={t("history.sessionPlaceholder")} onChange={(e) => update({ session: e.currentTarget.value })} />
        </label>
        <label>
          <span>{t("history.from")}</span>
          <input type="date" value={filters().from} max={filters().to || undefined} onChange={(e) => update({ from: e.currentTarget.value })} />
        </label>
        <label>
          <span>{t("history.to")}</span>
          <input type="date" value={filters().to} min={filters().from || undefined} onChange={(e) => update({ to: e.currentTarget.value })} />
        </label>
        <OwnerSelect value={filters().who} onChange={(who) => update({ who })} />
        <button type="button" class="secondary" onClick={clearFilters} disabled={!filtered() && !search() && !model()}>
          {t("history.clearFilters")}
        </button>
      </form>

      <p class="muted history-notice" role="status">
        {notice()}
      </p>

      <Show when={loaded() && items().length === 0 && !error()}>
        <p class="muted">{filtered() ? t("history.emptyFiltered") : t("history.empty")}</p>
      </Show>

      <HistoryGrid items={items()} label={t("history.results")} busy={loading()} reveal={seen()} onNeedMore={() => !error() && void load(false)}>
        {(g) => <HistoryCard generation={g} onView={() => setViewing(viewable().indexOf(g))} onOpen={() => setSelected(g)} />}
      </HistoryGrid>

      <Show when={error()}>
        <ErrorMessage error={error()} onRetry={() => void load(!loaded())} />
      </Show>

      <div class="history-more" aria-live="polite">
        <Show when={loading()}>
          <p class="muted">{t("common.loading")}</p>
        </Show>
        <Show when={!loading() && cursor() && !error()}>
          <button type="button" class="secondary" onClick={() => void load(false)}>
            {t("history.loadMore")}
          </button>
        </Show>
        <Show when={loaded() && !cursor() && items().length > 0}>
          <p class="muted">{t("history.end")}</p>
        </Show>
      </div>

      <Show when={viewing() !== undefined && viewable().length > 0}>
        <HistoryLightbox
          items={viewable()}
          index={viewing() ?? 0}
          hasMore={cursor() !== null}
          onIndex={setViewing}
          onMore={() => void load(false)}
          onClose={() => {
            const last = viewable()[viewing() ?? 0];
            setSeen(undefined);
            setSeen(last ? items().indexOf(last) : undefined);
            setViewing(undefined);
          }}
          onDetails={(g) => {
            setViewing(undefined);
            setSelected(g);
          }}
        />
      </Show>

      <Show when={selected()} keyed>
        {(g) => <HistoryDetail generation={g} onClose={() => setSelected(undefined)} onDeleted={deleted} />}
      </Show>
    </section>
  );
}
