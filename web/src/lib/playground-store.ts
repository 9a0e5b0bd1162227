// The Playground's state, kept outside the page so that it survives a visit to another page (module signals) and a
// reload (sessionStorage, per browser tab): the media type shown, each type's form, the model picked, the models being
// compared, and the runs submitted. History's "Open in Playground" fills it in.
import { createSignal, type Accessor } from "solid-js";
import type { JobAccepted } from "./api.ts";
import { MEDIA_TYPES, type MediaType } from "./enums.ts";
import { ASPECTS, VIDEO_SECONDS, type ImageForm, type Prefill, type SpeechForm, type VideoForm } from "./playground-requests.ts";

/** Models a comparison sends one prompt to, at least and at most. */
export const COMPARE_MIN = 2;
export const COMPARE_MAX = 4;

/** Runs kept per media type (older ones are dropped). */
export const MAX_RUNS = 20;

/** Why a submission was refused, as plain data (kept across a reload). */
export interface RefusedSubmission {
  message: string;
  error_type: string;
  status: number;
  field?: string;
}

/** One model's part of a run: its job, or why it was refused before it became one. */
export interface RunCard {
  /** The model as the request named it; "" is the type's default. */
  choice: string;
  accepted?: JobAccepted;
  refused?: RefusedSubmission;
}

/** One press of Generate: a single job, or a comparison of one prompt across several models. */
export interface Run {
  id: string;
  label: string;
  compare: boolean;
  cards: RunCard[];
}

/** The models chosen for comparing, and whether the page is comparing. */
export interface CompareChoice {
  on: boolean;
  models: string[];
}

/** A note for the page after it was filled in from History: the original had inputs that could not be carried over. */
export interface PrefillNote {
  type: MediaType;
  droppedInputs: boolean;
  model: string;
}

const perType = <T,>(make: () => T): Record<MediaType, T> => Object.fromEntries(MEDIA_TYPES.map((type) => [type, make()])) as Record<MediaType, T>;

/** Empty forms, as a first visit shows them. */
export const EMPTY_FORMS = {
  image: { prompt: "", aspect: ASPECTS.image[0], images: [], outputDir: "" } as ImageForm,
  video: { prompt: "", aspect: ASPECTS.video[0], seconds: VIDEO_SECONDS[VIDEO_SECONDS.length - 1]!, firstFrame: [], outputDir: "" } as VideoForm,
  audio: { text: "", voice: "", outputDir: "" } as SpeechForm,
};

const KEY_PREFIX = "mediagen.playground.";

/** `stored` if it has the shape of `fallback` (an object gets the fallback's missing fields; anything else of another kind is dropped), else `fallback`. */
export function restoredValue<T>(stored: unknown, fallback: T): T {
  if (Array.isArray(fallback)) return (Array.isArray(stored) ? stored : fallback) as T;
  if (typeof fallback === "object" && fallback !== null) {
    if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return fallback;
    const merged: Record<string, unknown> = { ...(fallback as Record<string, unknown>) };
    for (const [key, value] of Object.entries(stored)) {
      if (!(key in merged)) continue;
      merged[key] = restoredValue(value, merged[key]);
    }
    return merged as T;
  }
  return typeof stored === typeof fallback ? (stored as T) : fallback;
}

function read<T>(key: string, fallback: T): T {
  try {
    const text = typeof sessionStorage === "undefined" ? null : sessionStorage.getItem(KEY_PREFIX + key);
    return text === null ? fallback : restoredValue(JSON.parse(text) as unknown, fallback);
  } catch {
    return fallback;
  }
}

const pending = new Map<string, ReturnType<typeof setTimeout>>();

/** Saves `value` a moment after the last change; when it does not fit (large input images), saves `lighter(value)` instead. */
function save<T>(key: string, value: T, lighter?: (value: T) => T): void {
  clearTimeout(pending.get(key));
  pending.set(
    key,
    setTimeout(() => {
      pending.delete(key);
      try {
        sessionStorage.setItem(KEY_PREFIX + key, JSON.stringify(value));
      } catch {
        try {
          if (lighter) sessionStorage.setItem(KEY_PREFIX + key, JSON.stringify(lighter(value)));
        } catch {
          // Kept in memory only: it still survives moving between pages.
        }
      }
    }, 250),
  );
}

/** A signal restored from and saved to sessionStorage under `key`. */
function persisted<T>(key: string, fallback: T, lighter?: (value: T) => T): [Accessor<T>, (next: T | ((previous: T) => T)) => void] {
  const [get, set] = createSignal<T>(read(key, fallback));
  const update = (next: T | ((previous: T) => T)) => {
    const value = set(next as Exclude<T, Function>) as T;
    save(key, value, lighter);
  };
  return [get, update];
}

/** Forms without the bytes of images read here (those paths picked from History stay). */
const withoutReadImages = (forms: typeof EMPTY_FORMS): typeof EMPTY_FORMS => ({
  ...forms,
  image: { ...forms.image, images: forms.image.images.filter((image) => !image.dataUrl) },
  video: { ...forms.video, firstFrame: forms.video.firstFrame.filter((image) => !image.dataUrl) },
});

const [tab, setTab] = persisted<MediaType>("tab", "image");
const [forms, setForms] = persisted("forms", EMPTY_FORMS, withoutReadImages);
const [picked, setPicked] = persisted<Record<MediaType, string>>("picked", perType(() => ""));
const [compare, setCompare] = persisted<Record<MediaType, CompareChoice>>("compare", perType(() => ({ on: false, models: [] })));
const [runs, setRuns] = persisted<Record<MediaType, Run[]>>("runs", perType(() => []));
const [prefillNote, setPrefillNote] = createSignal<PrefillNote>();

/** The Playground's state and the ways to change it. */
export const playground = {
  tab,
  setTab,
  forms,
  /** Merges `change` into the form of `type`. */
  changeForm<T extends MediaType>(type: T, change: Partial<(typeof EMPTY_FORMS)[T]>) {
    setForms((all) => ({ ...all, [type]: { ...all[type], ...change } }));
  },
  picked,
  /** Picks the model of `type`'s next request ("" is the default). */
  pick(type: MediaType, choice: string) {
    setPicked((all) => ({ ...all, [type]: choice }));
  },
  compare,
  /** Changes what `type` compares. */
  setCompare(type: MediaType, change: Partial<CompareChoice>) {
    setCompare((all) => ({ ...all, [type]: { ...all[type], ...change } }));
  },
  runs,
  /** Adds a run at the top of `type`'s results. */
  addRun(type: MediaType, run: Run) {
    setRuns((all) => ({ ...all, [type]: [run, ...all[type]].slice(0, MAX_RUNS) }));
  },
  prefillNote,
  /** Clears the note left by "Open in Playground". */
  dismissPrefillNote: () => setPrefillNote(undefined),
  /** Fills the form of a recorded generation's type with it and shows that type, its model picked, not comparing. */
  prefill(prefill: Prefill) {
    setForms((all) => ({ ...all, [prefill.type]: prefill.form }));
    setPicked((all) => ({ ...all, [prefill.type]: prefill.model }));
    setCompare((all) => ({ ...all, [prefill.type]: { ...all[prefill.type], on: false } }));
    setTab(prefill.type);
    setPrefillNote({ type: prefill.type, droppedInputs: prefill.droppedInputs, model: prefill.model });
  },
  /** Back to a first visit (tests). */
  reset() {
    setTab("image");
    setForms(EMPTY_FORMS);
    setPicked(perType(() => ""));
    setCompare(perType(() => ({ on: false, models: [] })));
    setRuns(perType(() => []));
    setPrefillNote(undefined);
  },
};
