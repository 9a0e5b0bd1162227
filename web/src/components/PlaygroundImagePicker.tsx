import { createSignal, For, Show } from "solid-js";
import { t } from "../lib/i18n.ts";
import { imageFilesOf, readDataUrl, type PickedImage } from "../lib/playground-requests.ts";

/**
 * Input images by drag-and-drop or the file picker (the drop zone opens it on click, Enter or Space), read as
 * data URLs and shown as thumbnails with remove buttons. With `max` 1 a new pick replaces the image.
 */
export function PlaygroundImagePicker(props: { id: string; label: string; hint: string; max: number; images: readonly PickedImage[]; onChange: (images: PickedImage[]) => void }) {
  let input: HTMLInputElement | undefined;
  const [dragging, setDragging] = createSignal(false);
  const [problem, setProblem] = createSignal("");

  const add = async (files: File[]) => {
    setProblem("");
    const images = imageFilesOf(files);
    if (files.length > 0 && images.length === 0) return setProblem(t("playground.images.notImages"));
    const room = props.max === 1 ? 1 : props.max - props.images.length;
    if (images.length > room) setProblem(t("playground.images.tooMany", { max: props.max }));
    try {
      const read = await Promise.all(images.slice(0, Math.max(0, room)).map(async (file) => ({ name: file.name, dataUrl: await readDataUrl(file) })));
      if (read.length > 0) props.onChange(props.max === 1 ? read : [...props.images, ...read]);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };

  const openPicker = () => input?.click();

  return (
    <div class="playground-picker">
      <div
        id={props.id}
        class="playground-drop"
        classList={{ dragging: dragging() }}
        role="button"
        tabindex="0"
        aria-label={`${props.label}: ${props.hint}`}
        aria-describedby={`${props.id}-hint`}
        onClick={openPicker}
        onKeyDown={(event) => {
          if (event.key !== "Enter" && event.key !== " ") return;
          event.preventDefault();
          openPicker();
        }}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          void add(Array.from(event.dataTransfer?.files ?? []));
        }}
      >
        <strong>{props.label}</strong>
        <span class="muted" id={`${props.id}-hint`}>
          {props.hint}
        </span>
      </div>
      <input
        ref={input}
        type="file"
        accept="image/*"
        multiple={props.max > 1}
        hidden
        tabindex="-1"
        aria-label={props.label}
        onChange={(event) => {
          const files = Array.from(event.currentTarget.files ?? []);
          event.currentTarget.value = "";
          void add(files);
        }}
      />
      <Show when={problem()}>
        <p class="error" role="alert">
          {problem()}
        </p>
      </Show>
      <Show when={props.images.length > 0}>
        <ul class="playground-thumbs" aria-label={t("playground.images.selected", { count: props.images.length })}>
          <For each={props.images}>
            {(image, index) => (
              <li>
                <Show
                  when={image.dataUrl}
                  fallback={
                    <span class="playground-thumb-path" title={image.path}>
                      <span class="sr-only">{t("playground.images.path")}: </span>
                      {image.name}
                    </span>
                  }
                >
                  {(src) => <img src={src()} alt={image.name} />}
                </Show>
                <button
                  type="button"
                  class="secondary"
                  aria-label={t("playground.images.remove", { name: image.name })}
                  onClick={() => props.onChange(props.images.filter((_, i) => i !== index()))}
                >
                  ×
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </div>
  );
}
