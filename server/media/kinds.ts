// One descriptor per media kind: everything that differs between an image, a video and speech, in one place,
// so the submit path, the runner and the response builders never branch on the type.
import type { MediaType, ModelEntry } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import type { InputBudget } from "../formats/input-images.ts";
import { invalidArgument } from "../errors.ts";
import type { CallContext, Provider, ProviderResult, VideoExtras, VideoField, VideoJob } from "../providers/types.ts";
import { prepareImage, prepareSpeech, prepareVideo, stringField, type Prepared, type PrepareOptions } from "./requests.ts";
import type { MediaResponse } from "./schema.ts";

/** What the saved file shows, for the meter and the answer. */
export interface ResultFacts {
  mimeType: string;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

/** How one media kind is parsed, generated, metered and answered. */
export interface MediaKind {
  type: MediaType;
  /** The answer's field holding the file path (`image`, `video`, `audio`), as the skill reads it. */
  resultField: "image" | "video" | "audio";
  /** "an image", "a video", "audio": for messages. */
  article: string;
  /** "image", "video", "speech": for messages. */
  noun: string;
  /** Validates the body and reads its inputs (reserving their bytes in `budget`). */
  prepare(raw: unknown, budget?: InputBudget, options?: PrepareOptions): Promise<Prepared<unknown>>;
  /** The provider's generation call for this kind; undefined when the provider cannot make it. */
  call(provider: Provider): ((job: unknown, ctx: CallContext) => Promise<ProviderResult>) | undefined;
  /** The provider's own validation of a job for an entry (voices, durations), before anything is recorded. */
  check(provider: Provider, job: unknown, entry: ModelEntry): void;
  /** The fields a failure echoes when the body could not be validated. */
  rawEcho(raw: unknown): Record<string, unknown>;
  /** The fields a job's answer echoes, rebuilt from its ledger row (a job resumed after a restart). */
  storedEcho(prompt: string, params: Record<string, unknown>): Record<string, unknown>;
  /** Billable units: what the provider measured, completed with what the file shows. */
  meter(prompt: string, facts: ResultFacts, result: ProviderResult): Meter;
  /** The kind's own fields of a success answer. */
  answer(facts: ResultFacts, result: ProviderResult, echo: Record<string, unknown>): Partial<MediaResponse>;
}

/** The request field each video extra came from. */
const EXTRA_FIELDS: Record<keyof VideoExtras, VideoField> = {
  firstFrameUrl: "first_frame",
  lastFrame: "last_frame",
  referenceImages: "reference_images",
  referenceVideos: "reference_videos",
  referenceAudios: "reference_audios",
  resolution: "resolution",
  generateAudio: "generate_audio",
  watermark: "watermark",
  seed: "seed",
  ratio: "ratio",
};

/** The skill's video durations, for providers that declare no wider range. */
const SKILL_SECONDS = { min: 4, max: 8 };

/**
 * Refuses, before anything is recorded or sent, a video field the entry's provider cannot use (the original passed
 * Seedance's fields to every adapter, which ignored them: here a video that silently ignored a frame or a reference
 * would be paid for and wrong) and a duration outside what the provider takes.
 */
function checkVideoFields(provider: Provider, job: VideoJob, entry: ModelEntry): void {
  const seconds = provider.videoSeconds ?? SKILL_SECONDS;
  if (job.durationSeconds < seconds.min || job.durationSeconds > seconds.max) {
    throw invalidArgument("duration_seconds", `duration_seconds must be from ${seconds.min} to ${seconds.max} for ${entry.provider} (${entry.model})`);
  }
  const taken = new Set(provider.videoFields ?? []);
  for (const key of Object.keys(job.more ?? {}) as (keyof VideoExtras)[]) {
    const field = EXTRA_FIELDS[key];
    if (taken.has(field)) continue;
    if (field === "ratio") {
      throw invalidArgument("aspect_ratio", `aspect_ratio "${job.more?.ratio}" is only taken by Seedance (provider volcengine); ${entry.provider} makes landscape or portrait video`, ["landscape", "portrait"]);
    }
    const what = field === "first_frame" ? "A first frame given as a URL (image or first_frame)" : field;
    const hint = field === "first_frame" ? "mediagen does not download inputs for it; pass a file path or base64" : "it is a Seedance field (provider volcengine)";
    throw invalidArgument(field, `${what} is not taken by ${entry.provider} (${entry.model}); ${hint}. Nothing was sent`);
  }
}

const bind = <J>(method: ((job: J, ctx: CallContext) => Promise<ProviderResult>) | undefined, provider: Provider) =>
  method ? (job: unknown, ctx: CallContext) => method.call(provider, job as J, ctx) : undefined;

/** The media kinds, by type. */
export const KINDS: Record<MediaType, MediaKind> = {
  image: {
    type: "image",
    resultField: "image",
    article: "an image",
    noun: "image",
    prepare: prepareImage,
    call: (provider) => bind(provider.image, provider),
    check: (provider, job, entry) => provider.checkImage?.(job as never, entry),
    rawEcho: (raw) => ({ prompt: stringField(raw, "prompt") ?? "" }),
    storedEcho: (prompt, params) => ({ prompt, aspect_ratio: params.aspect_ratio }),
    meter: (_prompt, facts, result) => ({ images: 1, imageSize: facts.width && facts.height ? `${facts.width}x${facts.height}` : undefined, ...result.meter }),
    answer: (facts) => (facts.width && facts.height ? { size: `${facts.width}x${facts.height}` } : {}),
  },
  video: {
    type: "video",
    resultField: "video",
    article: "a video",
    noun: "video",
    prepare: prepareVideo,
    call: (provider) => bind(provider.video, provider),
    check: (provider, job, entry) => {
      checkVideoFields(provider, job as VideoJob, entry);
      provider.checkVideo?.(job as VideoJob, entry);
    },
    rawEcho: (raw) => ({ prompt: stringField(raw, "prompt") ?? "" }),
    storedEcho: (prompt, params) => ({ prompt, aspect_ratio: params.aspect_ratio, duration_seconds: params.duration_seconds }),
    meter: (_prompt, facts, result) => ({ seconds: facts.durationSeconds ?? result.durationSeconds, ...result.meter }),
    answer: (_facts, result, echo) => ({ duration_seconds: result.durationSeconds ?? (echo.duration_seconds as number) }),
  },
  audio: {
    type: "audio",
    resultField: "audio",
    article: "audio",
    noun: "speech",
    prepare: (raw) => prepareSpeech(raw),
    call: (provider) => bind(provider.speech, provider),
    check: (provider, job, entry) => provider.checkSpeech?.(job as never, entry),
    rawEcho: (raw) => ({ input: stringField(raw, "input") ?? "" }),
    storedEcho: (prompt) => ({ input: prompt }),
    meter: (prompt, _facts, result) => ({ characters: prompt.length, ...result.meter }),
    answer: (facts, result, echo) => ({ voice: result.voice ?? (echo.voice as string | undefined) ?? "", mime_type: facts.mimeType }),
  },
};
