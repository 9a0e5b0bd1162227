import { For } from "solid-js";
import { t } from "../lib/i18n.ts";
import { ASPECTS, VIDEO_SECONDS, type VideoForm } from "../lib/playground-requests.ts";
import { PlaygroundAspectSelect } from "./PlaygroundAspectSelect.tsx";
import { PlaygroundImagePicker } from "./PlaygroundImagePicker.tsx";

/** The video form's fields: prompt, aspect ratio, duration and an optional first frame. */
export function PlaygroundVideoFields(props: { form: VideoForm; onChange: (change: Partial<VideoForm>) => void }) {
  return (
    <>
      <label>
        {t("playground.prompt")}
        <textarea required value={props.form.prompt} onInput={(e) => props.onChange({ prompt: e.currentTarget.value })} placeholder={t("playground.promptPlaceholder")} />
      </label>
      <div class="row playground-options">
        <label>
          {t("playground.aspect")}
          <PlaygroundAspectSelect aspects={ASPECTS.video} value={props.form.aspect} onChange={(aspect) => props.onChange({ aspect })} />
        </label>
        <label>
          {t("playground.duration")}
          <select value={String(props.form.seconds)} onChange={(e) => props.onChange({ seconds: Number(e.currentTarget.value) })}>
            <For each={VIDEO_SECONDS}>
              {(seconds) => (
                <option value={seconds} selected={seconds === props.form.seconds}>
                  {t("playground.job.seconds", { seconds })}
                </option>
              )}
            </For>
          </select>
        </label>
      </div>
      <PlaygroundImagePicker
        id="playground-first-frame"
        label={t("playground.firstFrame.label")}
        hint={t("playground.firstFrame.hint")}
        max={1}
        images={props.form.firstFrame}
        onChange={(firstFrame) => props.onChange({ firstFrame })}
      />
    </>
  );
}
