// The one interface every provider implements. Nothing outside server/providers knows a wire format.
import type { MediaType, ModelEntry, ProviderId } from "../config/schema.ts";
import type { CostLine, Meter } from "../costs/price-schema.ts";
import type { Usage } from "../ledger/schema.ts";
import type { Aspect } from "../formats/aspect.ts";
import type { InputImage } from "../formats/input-images.ts";

/** What a provider call gets besides the request: the entry, its resolved key and base URL, and a cancel signal. */
export interface CallContext {
  entry: ModelEntry;
  apiKey?: string;
  baseUrl: string;
  signal: AbortSignal;
  /** Delay between polls of a long-running operation, in ms. */
  pollIntervalMs: number;
  /** Time allowed to open the connection before a request is sent, in ms (0 or absent: no separate limit). */
  connectTimeoutMs?: number;
  /** Called with the provider-side id of a long-running operation as soon as it exists (kept for restart recovery). */
  onOperation?(operationId: string): void;
  /** Called with progress (0-100) when the provider reports it. */
  onProgress?(percent: number): void;
  /**
   * Opens a temp file in the job's output folder (or the default one) that a downloaded result is streamed into, so
   * a large video never sits in memory. Absent (connection tests, unit tests): downloads are read into memory.
   */
  openSpool?(): Promise<Spool>;
}

/** A temp file a download is streamed into: `write` appends, `finish` flushes, syncs and closes it, `discard` removes it. */
export interface Spool {
  path: string;
  /** Bytes written so far. */
  size: number;
  write(chunk: Uint8Array): void;
  /** Writes a whole response body natively (for a declared length already checked against the cap); rejects when it breaks off. */
  pipe(response: Response): Promise<void>;
  finish(): Promise<SpooledFile>;
  discard(): void;
}

/** A result already on disk: a synced temp file that saving renames into place (never copied when on the same disk). */
export interface SpooledFile {
  path: string;
  size: number;
}

/** The media of a result: bytes in memory, or a file a download was streamed into. */
export type MediaPayload = { bytes: Uint8Array; file?: undefined } | { file: SpooledFile; bytes?: undefined };

/** What is known about a request before it is sent (for estimating its cost). */
export interface RequestFacts {
  aspect?: Aspect;
  /** A video's resolution and ratio when the request names them (Seedance). */
  resolution?: string;
  ratio?: string;
  seconds?: number;
  characters?: number;
}

/** What a provider reads from an entry's options that changes a cost estimate (absent: medium quality, 720p). */
export interface EstimateTuning {
  quality?: string;
  resolution?: string;
  /** The image size the request will ask for, when the provider picks it itself (fal's presets), replacing the GPT size. */
  imageSize?: string;
  /** Token counts the request is expected to use, by kind, replacing the price entry's typical ones (size, quality). */
  tokens?: Meter["tokens"];
}

/** An image generation, or an edit when `inputs` is non-empty. */
export interface ImageJob {
  prompt: string;
  aspect: Aspect;
  inputs: InputImage[];
}

/** A video generation, optionally from a first frame. */
export interface VideoJob {
  prompt: string;
  aspect: Aspect;
  durationSeconds: number;
  firstFrame?: InputImage;
  /** Request fields only some providers take (Seedance's); each one given is listed in `Provider.videoFields` or refused. */
  more?: VideoExtras;
}

/** A media input as a provider receives it: bytes read from a file or inline data, or a public http(s) URL passed on unread. */
export type MediaInput = InputImage | { url: string; source: string; bytes?: undefined; mimeType?: undefined };

/** The request's optional video fields beyond the skill's (named as in the request, see `VideoField`). */
export interface VideoExtras {
  /** `first_frame` given as a URL (a file or inline image is `VideoJob.firstFrame`). */
  firstFrameUrl?: string;
  lastFrame?: MediaInput;
  referenceImages?: MediaInput[];
  referenceVideos?: MediaInput[];
  referenceAudios?: MediaInput[];
  resolution?: string;
  generateAudio?: boolean;
  watermark?: boolean;
  seed?: number;
  /** `aspect_ratio` given as a ratio the skill's names cannot say (1:1, 4:3, 3:4, 21:9, adaptive). */
  ratio?: string;
}

/** The optional video request fields a provider may take (the original server's Seedance fields). */
export type VideoField =
  | "first_frame"
  | "last_frame"
  | "reference_images"
  | "reference_videos"
  | "reference_audios"
  | "resolution"
  | "generate_audio"
  | "watermark"
  | "seed"
  | "ratio";

/** A speech synthesis. `voice` has been checked by `checkSpeech` when the provider has one. */
export interface SpeechJob {
  input: string;
  voice?: string;
}

/** What a provider hands back: the media (in memory or on disk) and whatever it reported about them. */
export type ProviderResult = MediaPayload & ResultReport;

/** What a provider reported about its media. */
export interface ResultReport {
  mimeType?: string;
  usage?: Usage;
  /** Cost the provider itself reported, in USD. */
  costUsd?: number;
  /** The parts of that cost when the provider reports several (OpenRouter's fee and the upstream bill with BYOK). */
  costLines?: CostLine[];
  /** Billable units measured from the response (tokens by kind, image size and quality, seconds, resolution). */
  meter?: Meter;
  voice?: string;
  durationSeconds?: number;
  /** Provider-specific facts worth keeping in the ledger's params (request ids, revised prompts). */
  extra?: Record<string, unknown>;
}

/** One provider: how to reach it and which media types it can produce. */
export interface Provider {
  id: ProviderId;
  /** Whether a call without an API key is refused before reaching the provider. */
  requiresKey: boolean;
  /** Used when the entry has no base_url. */
  defaultBaseUrl: string;
  /** The environment variable a key for this provider is usually kept in (a hint for the Models page: `${NAME}`). */
  keyEnv?: string;
  /** Whether the provider states each generation's cost in its answer (OpenRouter's usage.cost), so no catalogue price is needed. */
  reportsCost?: boolean;
  /** The optional video request fields this provider uses; any other one given is refused before anything is sent. */
  videoFields?: readonly VideoField[];
  /** Video durations in seconds this provider's models may take, when wider than the skill's 4 to 8. */
  videoSeconds?: { min: number; max: number };
  /**
   * Whether a video request without `async` is answered with the original server's submission receipt
   * (`status: "submitted"`, a task id to poll at /api/media/video/status) once the provider accepted the task,
   * instead of blocking until the video is saved (Seedance's behaviour in the original).
   */
  answersVideoWithReceipt?: boolean;
  /** Whether every speech result is WAV (normalised to 24 kHz mono 16-bit), so a request for another container can be refused before anything is sent. */
  speechIsWav?: boolean;
  /** Model ids known for this provider besides those in the price catalogue, per media type (offered by the Models page). */
  models?: Partial<Record<MediaType, readonly string[]>>;
  image?(job: ImageJob, ctx: CallContext): Promise<ProviderResult>;
  video?(job: VideoJob, ctx: CallContext): Promise<ProviderResult>;
  speech?(job: SpeechJob, ctx: CallContext): Promise<ProviderResult>;
  /** Continues a long-running video operation started earlier (after a restart): polls it and downloads the result. */
  resumeVideo?(operationId: string, ctx: CallContext): Promise<ProviderResult>;
  /** Validates a job for this entry before anything is recorded or sent (voices, durations); throws invalid_argument. */
  checkImage?(job: ImageJob, entry: ModelEntry): void;
  checkVideo?(job: VideoJob, entry: ModelEntry): void;
  checkSpeech?(job: SpeechJob, entry: ModelEntry): void;
  /** Voices a speech model of this provider accepts (for pickers); empty when any voice name may be sent. */
  voices?(model: string): readonly string[];
  /** Checks the entry's key and model with the cheapest call the provider offers; resolves to a message, throws an AppError. */
  testConnection?(ctx: CallContext): Promise<string>;
  /** What the entry's options say about a request's billable units before it is sent (quality, resolution), for budgets. */
  estimateTuning?(entry: ModelEntry, facts: RequestFacts): EstimateTuning;
}
