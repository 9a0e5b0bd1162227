import { For, Show } from "solid-js";
import { t } from "../lib/i18n.ts";
import type { SpeechForm } from "../lib/playground-requests.ts";
import { ErrorMessage } from "./ErrorMessage.tsx";

/** The speech form's fields: the text, and the voice from the model's list or typed freely when none is known. */
export function PlaygroundSpeechFields(props: { form: SpeechForm; onChange: (change: Partial<SpeechForm>) => void; voices: readonly string[]; catalogError: unknown }) {
  return (
    <>
      <label>
        {t("playground.text")}
        <textarea required value={props.form.text} onInput={(e) => props.onChange({ text: e.currentTarget.value })} placeholder={t("playground.textPlaceholder")} />
      </label>
      <Show when={props.catalogError}>
        <ErrorMessage error={props.catalogError} />
      </Show>
      <label class="playground-narrow">
        {t("playground.voice")}
        <Show
          when={props.voices.length > 0}
          fallback={<input value={props.form.voice} autocomplete="off" placeholder={t("playground.voiceFree")} onInput={(e) => props.onChange({ voice: e.currentTarget.value })} />}
        >
          <select value={props.form.voice} onChange={(e) => props.onChange({ voice: e.currentTarget.value })}>
            <option value="" selected={props.form.voice === ""}>
              {t("playground.voiceDefault")}
            </option>
            <For each={props.voices}>
              {(name) => (
                <option value={name} selected={name === props.form.voice}>
                  {name}
                </option>
              )}
            </For>
          </select>
        </Show>
      </label>
    </>
  );
}
