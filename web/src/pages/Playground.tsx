import { createResource, createSignal, For, Match, Show, Switch } from "solid-js";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { Link } from "../components/Link.tsx";
import { PlaygroundCurl } from "../components/PlaygroundCurl.tsx";
import { PlaygroundImagePicker } from "../components/PlaygroundImagePicker.tsx";
import { PlaygroundJob } from "../components/PlaygroundJob.tsx";
import { api, type JobAccepted } from "../lib/api.ts";
import type { CurlRequest } from "../lib/curl.ts";
import { t } from "../lib/i18n.ts";
import { MEDIA_TYPES, type MediaType } from "../lib/enums.ts";
import {
  ASPECTS,
  imageBody,
  MAX_INPUT_IMAGES,
  speechBody,
  VIDEO_SECONDS,
  videoBody,
  voicesFor,
  type PickedImage,
} from "../lib/playground-requests.ts";
import "./Playground.css";

/** A submitted job and the text it was asked for. */
interface Submitted {
  accepted: JobAccepted;
  label: string;
}

/** The Playground: image, video and speech forms, each job followed live to its result. */
export function Playground() {
  const [tab, setTab] = createSignal<MediaType>("image");
  const [types, { refetch: refetchTypes }] = createResource(() => api.mediaTypes());
  const [catalog] = createResource(() => api.models.catalog());

  const [imagePrompt, setImagePrompt] = createSignal("");
  const [imageAspect, setImageAspect] = createSignal<string>(ASPECTS.image[0]);
  const [images, setImages] = createSignal<PickedImage[]>([]);
  const [videoPrompt, setVideoPrompt] = createSignal("");
  const [videoAspect, setVideoAspect] = createSignal<string>(ASPECTS.video[0]);
  const [videoSeconds, setVideoSeconds] = createSignal<number>(VIDEO_SECONDS[VIDEO_SECONDS.length - 1]!);
  const [firstFrame, setFirstFrame] = createSignal<PickedImage[]>([]);
  const [speechText, setSpeechText] = createSignal("");
  const [voice, setVoice] = createSignal("");

  const [submitted, setSubmitted] = createSignal<Record<MediaType, Submitted[]>>({ image: [], video: [], audio: [] });
  const [submitting, setSubmitting] = createSignal(false);
  const [submitError, setSubmitError] = createSignal<unknown>();

  const status = () => (types.error ? undefined : types()?.[tab()]);
  const voices = () => voicesFor(types.error ? undefined : types(), catalog.error ? undefined : catalog()?.providers);

  /** The request the current tab's form describes. */
  const request = (): CurlRequest => {
    if (tab() === "image") return { type: "image", body: imageBody({ prompt: imagePrompt(), aspect: imageAspect(), images: images() }) };
    if (tab() === "video") return { type: "video", body: videoBody({ prompt: videoPrompt(), aspect: videoAspect(), seconds: videoSeconds(), firstFrame: firstFrame()[0] }) };
    return { type: "audio", body: speechBody({ text: speechText(), voice: voice() }) };
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

  const onTabKey = (event: KeyboardEvent) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = MEDIA_TYPES[(MEDIA_TYPES.indexOf(tab()) + step + MEDIA_TYPES.length) % MEDIA_TYPES.length]!;
    selectTab(next);
    document.getElementById(`playground-tab-${next}`)?.focus();
  };

  return (
    <section class="playground-page">
      <h1>{t("nav.playground")}</h1>
      <div class="playground-tabs" role="tablist" aria-label={t("playground.tabs")}>
        <For each={MEDIA_TYPES}>
          {(type) => (
            <button
              type="button"
              role="tab"
              id={`playground-tab-${type}`}
              aria-selected={tab() === type}
              aria-controls="playground-panel"
              tabindex={tab() === type ? 0 : -1}
              onClick={() => selectTab(type)}
              onKeyDown={onTabKey}
            >
              {t(`common.${type}`)}
            </button>
          )}
        </For>
      </div>

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
            <p class="muted playground-model">
              {t("playground.model", { name: status()!.name ?? status()!.model ?? "", provider: status()!.provider ?? "", model: status()!.model ?? "" })}
            </p>
            <form class="card playground-form" onSubmit={submit}>
              <Switch>
                <Match when={tab() === "image"}>
                  <label>
                    {t("playground.prompt")}
                    <textarea required value={imagePrompt()} onInput={(e) => setImagePrompt(e.currentTarget.value)} placeholder={t("playground.promptPlaceholder")} />
                  </label>
                  <label class="playground-narrow">
                    {t("playground.aspect")}
                    <select value={imageAspect()} onChange={(e) => setImageAspect(e.currentTarget.value)}>
                      <For each={ASPECTS.image}>
                        {(aspect) => (
                          <option value={aspect} selected={aspect === imageAspect()}>
                            {t(`playground.aspect.${aspect}`)}
                          </option>
                        )}
                      </For>
                    </select>
                  </label>
                  <PlaygroundImagePicker
                    id="playground-images"
                    label={t("playground.images.label")}
                    hint={t("playground.images.hint", { max: MAX_INPUT_IMAGES })}
                    max={MAX_INPUT_IMAGES}
                    images={images()}
                    onChange={setImages}
                  />
                </Match>
                <Match when={tab() === "video"}>
                  <label>
                    {t("playground.prompt")}
                    <textarea required value={videoPrompt()} onInput={(e) => setVideoPrompt(e.currentTarget.value)} placeholder={t("playground.promptPlaceholder")} />
                  </label>
                  <div class="row playground-options">
                    <label>
                      {t("playground.aspect")}
                      <select value={videoAspect()} onChange={(e) => setVideoAspect(e.currentTarget.value)}>
                        <For each={ASPECTS.video}>
                          {(aspect) => (
                            <option value={aspect} selected={aspect === videoAspect()}>
                              {t(`playground.aspect.${aspect}`)}
                            </option>
                          )}
                        </For>
                      </select>
                    </label>
                    <label>
                      {t("playground.duration")}
                      <select value={String(videoSeconds())} onChange={(e) => setVideoSeconds(Number(e.currentTarget.value))}>
                        <For each={VIDEO_SECONDS}>
                          {(seconds) => (
                            <option value={seconds} selected={seconds === videoSeconds()}>
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
                    images={firstFrame()}
                    onChange={setFirstFrame}
                  />
                </Match>
                <Match when={tab() === "audio"}>
                  <label>
                    {t("playground.text")}
                    <textarea required value={speechText()} onInput={(e) => setSpeechText(e.currentTarget.value)} placeholder={t("playground.textPlaceholder")} />
                  </label>
                  <Show when={catalog.error}>
                    <ErrorMessage error={catalog.error} />
                  </Show>
                  <label class="playground-narrow">
                    {t("playground.voice")}
                    <Show
                      when={voices().length > 0}
                      fallback={<input value={voice()} autocomplete="off" placeholder={t("playground.voiceFree")} onInput={(e) => setVoice(e.currentTarget.value)} />}
                    >
                      <select value={voice()} onChange={(e) => setVoice(e.currentTarget.value)}>
                        <option value="" selected={voice() === ""}>
                          {t("playground.voiceDefault")}
                        </option>
                        <For each={voices()}>
                          {(name) => (
                            <option value={name} selected={name === voice()}>
                              {name}
                            </option>
                          )}
                        </For>
                      </select>
                    </Show>
                  </label>
                </Match>
              </Switch>
              <div class="row">
                <button type="submit" disabled={submitting()}>
                  {submitting() ? t("playground.submitting") : t("playground.generate")}
                </button>
                <PlaygroundCurl request={request} />
              </div>
              <Show when={submitError()}>{(error) => <ErrorMessage error={error()} />}</Show>
            </form>
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
