import { createEffect, createResource, createSignal, For, Match, onCleanup, Show, Switch } from "solid-js";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { Link } from "../components/Link.tsx";
import { PlaygroundCompare } from "../components/PlaygroundCompare.tsx";
import { PlaygroundEstimate } from "../components/PlaygroundEstimate.tsx";
import { PlaygroundForm } from "../components/PlaygroundForm.tsx";
import { PlaygroundImageFields } from "../components/PlaygroundImageFields.tsx";
import { modelChoice, PlaygroundModelSelect } from "../components/PlaygroundModelSelect.tsx";
import { PlaygroundRun } from "../components/PlaygroundRun.tsx";
import { PlaygroundSpeechFields } from "../components/PlaygroundSpeechFields.tsx";
import { PlaygroundTabs } from "../components/PlaygroundTabs.tsx";
import { PlaygroundVideoFields } from "../components/PlaygroundVideoFields.tsx";
import { api, ApiError, type JobAccepted, type ModelView } from "../lib/api.ts";
import type { CurlRequest } from "../lib/curl.ts";
import type { MediaType } from "../lib/enums.ts";
import { t } from "../lib/i18n.ts";
import { estimateQueryOf, imageBody, speechBody, videoBody, voicesFor } from "../lib/playground-requests.ts";
import { COMPARE_MAX, COMPARE_MIN, playground, type RunCard } from "../lib/playground-store.ts";
import "./Playground.css";

/** Delay between the last change of a form and asking for its estimate, in ms. */
const ESTIMATE_DELAY_MS = 300;

/** Sends one generation request of `request`'s type, at `choice` ("" is the type's default). */
function send(request: CurlRequest, choice: string): Promise<JobAccepted> {
  const model = choice ? { model: choice } : {};
  if (request.type === "image") return api.generate.image({ ...request.body, ...model });
  if (request.type === "video") return api.generate.video({ ...request.body, ...model });
  return api.generate.speech({ ...request.body, ...model });
}

/** A refused submission as plain data for a run's card. */
const refusal = (error: unknown) =>
  error instanceof ApiError
    ? { message: error.message, error_type: error.errorType, status: error.status, ...(error.field ? { field: error.field } : {}) }
    : { message: error instanceof Error ? error.message : String(error), error_type: "unknown", status: 0 };

/**
 * The Playground: image, video and speech forms with the estimated cost before running, one model or a comparison of
 * 2-4 models side by side, each job followed live to its result. Its state lives in playground-store, so it survives
 * other pages and a reload.
 */
export function Playground() {
  const tab = playground.tab;
  const [types, { refetch: refetchTypes }] = createResource(() => api.mediaTypes());
  const [catalog] = createResource(() => api.models.catalog());
  const [configured] = createResource(() => api.models.list());
  const [submitting, setSubmitting] = createSignal(false);
  const [submitError, setSubmitError] = createSignal<unknown>();
  const [problem, setProblem] = createSignal("");

  const status = () => (types.error ? undefined : types()?.[tab()]);
  const modelsKnown = () => !configured.loading && !configured.error && configured() !== undefined;
  const modelsOfTab = (): ModelView[] => (modelsKnown() ? configured()!.models.filter((m) => m.type === tab()) : []);
  /** A model's value in the picker: "" for the default (agents keep getting it), else how a request names it. */
  const choiceOf = (model: ModelView) => (model.in_use ? "" : modelChoice(model));
  const findModel = (choice: string) => modelsOfTab().find((m) => modelChoice(m) === choice || m.model === choice);
  /** The pick of this tab as the picker shows it; a pick no longer configured falls back to the default. */
  const pickedChoice = () => {
    const pick = playground.picked()[tab()];
    if (pick === "" || !modelsKnown()) return pick;
    const found = findModel(pick);
    return found ? choiceOf(found) : "";
  };
  const pickGone = () => {
    const pick = playground.picked()[tab()];
    return modelsKnown() && pick !== "" && findModel(pick) === undefined;
  };
  const pickedModel = () => modelsOfTab().find((m) => choiceOf(m) === pickedChoice());

  const canCompare = () => modelsOfTab().length >= COMPARE_MIN;
  const comparing = () => canCompare() && playground.compare()[tab()].on;
  const compared = () => playground.compare()[tab()].models.filter((choice) => findModel(choice) !== undefined);

  const voices = () =>
    voicesFor(types.error ? undefined : types(), catalog.error ? undefined : catalog()?.providers, comparing() ? undefined : pickedModel());

  /** The request the current tab's form describes (without a model: each send names its own). */
  const request = (): CurlRequest => {
    const forms = playground.forms();
    if (tab() === "image") return { type: "image", body: imageBody(forms.image) };
    if (tab() === "video") return { type: "video", body: videoBody({ ...forms.video, firstFrame: forms.video.firstFrame[0] }) };
    return { type: "audio", body: speechBody(forms.audio) };
  };
  /** The same request as Copy as curl shows it: with the picked model. */
  const curlRequest = (): CurlRequest => {
    const current = request();
    const choice = pickedChoice();
    return choice && !comparing() ? ({ ...current, body: { ...current.body, model: choice } } as CurlRequest) : current;
  };
  const choices = () => (comparing() ? compared() : [pickedChoice()]);

  // The estimate follows the form a moment after typing stops.
  const estimateKey = () => (status()?.configured && choices().length > 0 ? JSON.stringify(estimateQueryOf(request(), choices())) : undefined);
  const [estimateSource, setEstimateSource] = createSignal<string>();
  createEffect(() => {
    const key = estimateKey();
    const timer = setTimeout(() => setEstimateSource(key), ESTIMATE_DELAY_MS);
    onCleanup(() => clearTimeout(timer));
  });
  const [estimate] = createResource(estimateSource, (key) => api.costs.estimate(JSON.parse(key)));
  /** The estimates to show: none while there is nothing to estimate, nor another tab's. */
  const shownEstimates = () => (estimateKey() !== undefined && !estimate.error && estimate()?.type === tab() ? estimate()?.estimates : undefined);

  const submit = async (event: Event) => {
    event.preventDefault();
    const current = request();
    const type = current.type;
    const text = type === "audio" ? (current.body as { input: string }).input : (current.body as { prompt: string }).prompt;
    setSubmitError(undefined);
    if (!text.trim()) return setProblem(t(type === "audio" ? "playground.validation.text" : "playground.validation.prompt"));
    const runChoices = choices();
    if (comparing() && runChoices.length < COMPARE_MIN) return setProblem(t("playground.compare.tooFew", { min: COMPARE_MIN }));
    setProblem("");
    setSubmitting(true);
    try {
      const cards = await Promise.all(
        runChoices.map(async (choice): Promise<RunCard> => {
          try {
            return { choice, accepted: await send(current, choice) };
          } catch (error) {
            return { choice, refused: refusal(error) };
          }
        }),
      );
      // A single request refused before it became a job is answered in the form, as before.
      if (!comparing() && cards[0]?.refused) {
        const refused = cards[0].refused;
        return setSubmitError(new ApiError(refused.message, refused.error_type, refused.status, refused.field));
      }
      playground.addRun(type, { id: crypto.randomUUID(), label: text.trim(), compare: comparing(), cards });
    } finally {
      setSubmitting(false);
    }
  };

  const selectTab = (type: MediaType) => {
    setSubmitError(undefined);
    setProblem("");
    playground.dismissPrefillNote();
    playground.setTab(type);
  };

  const change =
    <T extends MediaType>(type: T) =>
    (fields: Parameters<typeof playground.changeForm<T>>[1]) => {
      setProblem("");
      playground.changeForm(type, fields);
    };

  return (
    <section class="playground-page">
      <h1>{t("nav.playground")}</h1>
      <PlaygroundTabs selected={tab()} onSelect={selectTab} />

      <div class="playground-panel" id="playground-panel" role="tabpanel" aria-labelledby={`playground-tab-${tab()}`}>
        <Show when={playground.prefillNote()?.type === tab() ? playground.prefillNote() : undefined}>
          {(note) => (
            <div class="card playground-prefilled" role="status">
              <p>{t("playground.prefilled", { model: note().model })}</p>
              <Show when={note().droppedInputs}>
                <p class="playground-warning">{t("playground.prefilledDropped")}</p>
              </Show>
              <button type="button" class="link" onClick={() => playground.dismissPrefillNote()}>
                {t("common.close")}
              </button>
            </div>
          )}
        </Show>
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
            <Show when={canCompare()}>
              <label class="playground-compare-toggle">
                <input type="checkbox" checked={comparing()} onChange={(e) => playground.setCompare(tab(), { on: e.currentTarget.checked })} />
                {t("playground.compare.toggle")}
              </label>
            </Show>
            <Show
              when={!comparing()}
              fallback={
                <PlaygroundCompare
                  models={modelsOfTab()}
                  chosen={compared()}
                  estimates={shownEstimates()}
                  onChange={(models) => {
                    setProblem("");
                    playground.setCompare(tab(), { models });
                  }}
                />
              }
            >
              <Show
                when={modelsOfTab().length > 1}
                fallback={
                  <p class="muted playground-model">
                    {t("playground.model", { name: status()!.name ?? status()!.model ?? "", provider: status()!.provider ?? "", model: status()!.model ?? "" })}
                  </p>
                }
              >
                <PlaygroundModelSelect models={modelsOfTab()} value={pickedChoice()} onChange={(choice) => playground.pick(tab(), choice)} />
              </Show>
              <Show when={pickGone()}>
                <p class="playground-warning">{t("playground.pickGone", { model: playground.picked()[tab()] })}</p>
              </Show>
            </Show>
            <PlaygroundForm
              request={curlRequest}
              submitting={submitting()}
              error={submitError()}
              problem={problem()}
              onSubmit={submit}
              submitLabel={comparing() ? t("playground.compare.submit", { count: compared().length }) : undefined}
            >
              <Switch>
                <Match when={tab() === "image"}>
                  <PlaygroundImageFields form={playground.forms().image} onChange={change("image")} />
                </Match>
                <Match when={tab() === "video"}>
                  <PlaygroundVideoFields form={playground.forms().video} onChange={change("video")} />
                </Match>
                <Match when={tab() === "audio"}>
                  <PlaygroundSpeechFields form={playground.forms().audio} onChange={change("audio")} voices={voices()} catalogError={catalog.error} />
                </Match>
              </Switch>
              <label class="playground-output-dir">
                {t("playground.outputDir")}
                <input
                  value={playground.forms()[tab()].outputDir ?? ""}
                  autocomplete="off"
                  spellcheck={false}
                  placeholder={t("playground.outputDirPlaceholder")}
                  onInput={(e) => change(tab())({ outputDir: e.currentTarget.value })}
                />
              </label>
              <PlaygroundEstimate estimates={shownEstimates()} error={estimate.error} compare={comparing()} />
            </PlaygroundForm>
          </Match>
        </Switch>

        <Show when={playground.runs()[tab()].length > 0}>
          <h2 class="playground-results-title">{t("playground.results")}</h2>
          <div class="playground-results">
            <For each={playground.runs()[tab()]}>{(run) => <PlaygroundRun run={run} models={modelsOfTab()} />}</For>
          </div>
        </Show>
      </div>
    </section>
  );
}
