import { t } from "../lib/i18n.ts";
import { ASPECTS, MAX_INPUT_IMAGES, type ImageForm } from "../lib/playground-requests.ts";
import { PlaygroundAspectSelect } from "./PlaygroundAspectSelect.tsx";
import { PlaygroundImagePicker } from "./PlaygroundImagePicker.tsx";

/** The image form's fields: prompt, aspect ratio and input images to edit from. */
export function PlaygroundImageFields(props: { form: ImageForm; onChange: (change: Partial<ImageForm>) => void }) {
  return (
    <>
      <label>
        {t("playground.prompt")}
        <textarea required value={props.form.prompt} onInput={(e) => props.onChange({ prompt: e.currentTarget.value })} placeholder={t("playground.promptPlaceholder")} />
      </label>
      <label class="playground-narrow">
        {t("playground.aspect")}
        <PlaygroundAspectSelect aspects={ASPECTS.image} value={props.form.aspect} onChange={(aspect) => props.onChange({ aspect })} />
      </label>
      <PlaygroundImagePicker
        id="playground-images"
        label={t("playground.images.label")}
        hint={t("playground.images.hint", { max: MAX_INPUT_IMAGES })}
        max={MAX_INPUT_IMAGES}
        images={props.form.images}
        onChange={(images) => props.onChange({ images })}
      />
    </>
  );
}
