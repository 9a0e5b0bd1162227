import { createResource, createSignal, For, Match, type Setter, Show, Switch } from "solid-js";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { Link } from "../components/Link.tsx";
import { PlaygroundForm } from "../components/PlaygroundForm.tsx";
import { PlaygroundImageFields } from "../components/PlaygroundImageFields.tsx";
import { PlaygroundJob } from "../components/PlaygroundJob.tsx";
import { PlaygroundModelSelect } from "../components/PlaygroundModelSelect.tsx";
import { PlaygroundSpeechFields } from "../components/PlaygroundSpeechFields.tsx";
import { PlaygroundTabs } from "../components/PlaygroundTabs.tsx";
import { PlaygroundVideoFields } from "../components/PlaygroundVideoFields.tsx";
import { api, type JobAccepted } from "../lib/api.ts";
import type { CurlRequest } from "../lib/curl.ts";
import type { MediaType } from "../lib/enums.ts";
import { t } from "../lib/i18n.ts";
import {
  ASPECTS,
  imageBody,
  speechBody,
  VIDEO_SECONDS,
  videoBody,
  voicesFor,
  type ImageForm,
  type SpeechForm,
  type VideoForm,
} from "../lib/playground-requests.ts";
import "./Playground.css";

/** A submitted job and the text it was asked for. */
interface Submitted {
  accepted: JobAccepted;
  label: string;
}

/** A form's change handler: merges the changed fields into what the form holds. */
const changeOf =
  <T,>(set: Setter<T>) =>
  (change: Partial<T>) =>
    set((form) => ({ ...form, ...change }));

/** The Playground: image, video and speech forms, each job followed live to its result. */
export function Playground() {
  const [tab, setTab] = createSignal<MediaType>("image");
  const [types, { refetch: refetchTypes }] = createResource(() => api.mediaTypes());
  const [catalog] = createResource(() => api.models.catalog());
  const [configured] = createResource(() => api.models.list());
  // The model picked per tab: "" is the type's default (agents keep getting it; the pick is for this page only).
  const [picked, setPicked] = createSignal<Record<MediaType, string>>({ image: "", video: "", audio: "" });
  const modelsOfTab = () => (configured.error ? [] : (configured()?.models ?? []).filter((m) => m.type === tab()));
  const withModel = <B extends object>(body: B): B & { model?: string } => (picked()[tab()] ? { ...body, model: picked()[tab()] } : body);

  // Each tab's form keeps what was typed while another tab is shown.
  const [image, setImage] = createSignal<ImageForm>({ prompt: "", aspect: ASPECTS.image[0], images: [] });
  const [video, setVideo] = createSignal<VideoForm>({ prompt: "", aspect: ASPECTS.video[0], seconds: VIDEO_SECONDS[VIDEO_SECONDS.length - 1]!, firstFrame: [] });
  const [speech, setSpeech] = createSignal<SpeechForm>({ text: "", voice: "" });

  const [submitted, setSubmitted] = createSignal<Record<MediaType, Submitted[]>>({ image: [], video: [], audio: [] });
  const [submitting, setSubmitting] = createSignal(false);
  const [submitError, setSubmitError] = createSignal<unknown>();

  const status = () => (types.error ? undefined : types()?.[tab()]);
  const voices = () => voicesFor(types.error ? undefined : types(), catalog.error ? undefined : catalog()?.providers);

  /** The request the current tab's form describes. */
  const request = (): CurlRequest => {
    if (tab() === "image") return { type: "image", body: withModel(imageBody(image())) };
    if (tab() === "video") return { type: "video", body: withModel(videoBody({ ...video(), firstFrame: video().firstFrame[0] })) };
    return { type: "audio", body: withModel(speechBody(speech())) };
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const current = request();
    const text = current.type === "audio" ? current.body.input : current.body.prompt;
    if (!text.trim()) return;
    setSubmitError(undefined);
    setSubmitting(true);
    try {
      const accepted =
        current.type === "image" ? await api.generate.image(current.body) : current.type === "video" ? await api.generate.video(current.body) : await api.generate.speech(current.body);
      setSubmitted((all) => ({ ...all, [current.type]: [{ accepted, label: text }, ...all[current.type]] }));
    } catch (error) {
      setSubmitError(error);
    } finally {
      setSubmitting(false);
    }
  };

  const selectTab = (type: MediaType) => {
    setSubmitError(undefined);
    setTab(type);
  };

  return (
    <section class="playground-page">
      <h1>{t("nav.playground")}</h1>
      <PlaygroundTabs selected={tab()} onSelect={selectTab} />

      <div class="playground-panel" id="playground-panel" role="tabpanel" aria-labelledby={`playground-tab-${tab()}`}>
        <Switch>
          <Match when={types.error}>
            <ErrorMessage error={types.error} onRetry={refetchTypes} />
          </Match>
          <Match when={types.loading && !types()}>
            <p class="muted">{t("common.loading")}</p>
          </Match>
          <Match when={status() && !status()!.configured}>
            <div class="card playground-not-configured" role="status">
              <p>{t("playground.notConfigured", { type: t(`common.${tab()}`) })}</p>
              <Link href="/models">{t("playground.configure")}</Link>
            </div>
          </Match>
          <Match when={status()?.configured}>
            <Show
              when={modelsOfTab().length > 1}
              fallback={
                <p class="muted playground-model">
                  {t("playground.model", { name: status()!.name ?? status()!.model ?? "", provider: status()!.provider ?? "", model: status()!.model ?? "" })}
                </p>
              }
            >
              <PlaygroundModelSelect models={modelsOfTab()} value={picked()[tab()]} onChange={(choice) => setPicked((all) => ({ ...all, [tab()]: choice }))} />
            </Show>
            <PlaygroundForm request={request} submitting={submitting()} error={submitError()} onSubmit={submit}>
              <Switch>
                <Match when={tab() === "image"}>
                  <PlaygroundImageFields form={image()} onChange={changeOf(setImage)} />
                </Match>
                <Match when={tab() === "video"}>
                  <PlaygroundVideoFields form={video()} onChange={changeOf(setVideo)} />
                </Match>
                <Match when={tab() === "audio"}>
                  <PlaygroundSpeechFields form={speech()} onChange={changeOf(setSpeech)} voices={voices()} catalogError={catalog.error} />
                </Match>
              </Switch>
            </PlaygroundForm>
          </Match>
        </Switch>

        <Show when={submitted()[tab()].length > 0}>
          <h2 class="playground-results-title">{t("playground.results")}</h2>
          <div class="playground-results">
            <For each={submitted()[tab()]}>{(job) => <PlaygroundJob accepted={job.accepted} label={job.label} />}</For>
          </div>
        </Show>
      </div>
    </section>
  );
}
