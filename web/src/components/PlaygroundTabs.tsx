import { For } from "solid-js";
import { MEDIA_TYPES, type MediaType } from "../lib/enums.ts";
import { t } from "../lib/i18n.ts";

/** The media type tabs: buttons with the tab role, switched by click or the arrow keys; they control `#playground-panel`. */
export function PlaygroundTabs(props: { selected: MediaType; onSelect: (type: MediaType) => void }) {
  const onKey = (event: KeyboardEvent) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = MEDIA_TYPES[(MEDIA_TYPES.indexOf(props.selected) + step + MEDIA_TYPES.length) % MEDIA_TYPES.length]!;
    props.onSelect(next);
    document.getElementById(`playground-tab-${next}`)?.focus();
  };
  return (
    <div class="playground-tabs" role="tablist" aria-label={t("playground.tabs")}>
      <For each={MEDIA_TYPES}>
        {(type) => (
          <button
            type="button"
            role="tab"
            id={`playground-tab-${type}`}
            aria-selected={props.selected === type}
            aria-controls="playground-panel"
            tabindex={props.selected === type ? 0 : -1}
            onClick={() => props.onSelect(type)}
            onKeyDown={onKey}
          >
            {t(`common.${type}`)}
          </button>
        )}
      </For>
    </div>
  );
}
