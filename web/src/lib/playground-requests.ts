// The playground's request bodies built from its forms, input images as data URLs or file paths, the voices on offer,
// and a form filled in from a recorded generation ("Open in Playground" in History).
import type { EstimateRequest, Generation, ImageBody, MediaTypes, ProviderInfo, SpeechBody, VideoBody } from "./api.ts";
import type { CurlRequest } from "./curl.ts";

/** Input images an image request may carry (the server's limit). */
export const MAX_INPUT_IMAGES = 16;

/** Aspect ratios offered per media type, the first being the default. */
export const ASPECTS = { image: ["landscape", "square", "portrait"], video: ["landscape", "portrait"] } as const;

/** Video lengths the API accepts, in seconds; the last is the default. */
export const VIDEO_SECONDS = [4, 5, 6, 7, 8] as const;

/** An input image as the form holds it: read from a file picked here (a data URL), or a file on the daemon's machine by its absolute path (from History). */
export interface PickedImage {
  name: string;
  dataUrl?: string;
  path?: string;
}

/** What a request sends for an input image: its data URL, else its path. */
export const imageRef = (image: PickedImage): string => image.dataUrl ?? image.path ?? "";

/** Reads a file as a `data:` URL. */
export function readDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
    reader.readAsDataURL(file);
  });
}

/** Only the image files of a drop or a file pick. */
export function imageFilesOf(files: Iterable<File> | ArrayLike<File> | null | undefined): File[] {
  return files ? Array.from(files).filter((file) => file.type.startsWith("image/")) : [];
}

/** A `data:` URL as the video endpoint's first frame, `{b64_json, mime_type}`. */
export function inlineImage(dataUrl: string): { b64_json: string; mime_type: string } {
  const match = /^data:([^;,]+)?(?:;[^,]*)?,(.*)$/s.exec(dataUrl);
  if (!match) return { b64_json: dataUrl, mime_type: "image/png" };
  return { b64_json: match[2] ?? "", mime_type: match[1] ?? "image/png" };
}

/** What the image form holds; a blank output folder is the daemon's default. */
export interface ImageForm {
  prompt: string;
  aspect: string;
  images: readonly PickedImage[];
  outputDir?: string;
}

/** What the video form holds; the first frame is picked as a list of at most one image (videoBody takes that one). */
export interface VideoForm {
  prompt: string;
  aspect: string;
  seconds: number;
  firstFrame: readonly PickedImage[];
  outputDir?: string;
}

/** What the speech form holds; an empty voice means the model's default. */
export interface SpeechForm {
  text: string;
  voice: string;
  outputDir?: string;
}

const withOutputDir = <B extends object>(body: B, outputDir: string | undefined): B => (outputDir?.trim() ? { ...body, output_dir: outputDir.trim() } : body);

/** Body of an image request. */
export function imageBody(form: ImageForm): ImageBody {
  const body: ImageBody = { prompt: form.prompt.trim(), aspect_ratio: form.aspect };
  if (form.images.length > 0) body.images = form.images.slice(0, MAX_INPUT_IMAGES).map(imageRef);
  return withOutputDir(body, form.outputDir);
}

/** Body of a video request; a first frame read here goes as {b64_json, mime_type}, one from History by its path. */
export function videoBody(form: { prompt: string; aspect: string; seconds: number; firstFrame?: PickedImage; outputDir?: string }): VideoBody {
  const body: VideoBody = { prompt: form.prompt.trim(), aspect_ratio: form.aspect, duration_seconds: form.seconds };
  if (form.firstFrame?.dataUrl) body.image = inlineImage(form.firstFrame.dataUrl);
  else if (form.firstFrame?.path) body.image = form.firstFrame.path;
  return withOutputDir(body, form.outputDir);
}

/** Body of a speech request; an empty voice is left to the model's default. */
export function speechBody(form: SpeechForm): SpeechBody {
  const body: SpeechBody = { input: form.text };
  if (form.voice.trim()) body.voice = form.voice.trim();
  return withOutputDir(body, form.outputDir);
}

/**
 * The catalogue's voices for the speech model that will serve the request: `picked` when one is chosen on the page,
 * else the configured default (empty: the model takes any voice name, or none is known).
 */
export function voicesFor(types: MediaTypes | undefined, providers: readonly ProviderInfo[] | undefined, picked?: { provider: string; model: string }): readonly string[] {
  const audio = picked ?? (types?.audio?.configured ? types.audio : undefined);
  if (!audio?.provider || !audio.model) return [];
  return providers?.find((p) => p.id === audio.provider)?.voices[audio.model] ?? [];
}

/** A Playground form filled in from a recorded generation, and what of the original could not be carried over. */
export type Prefill =
  | { type: "image"; form: ImageForm; model: string; droppedInputs: boolean }
  | { type: "video"; form: VideoForm; model: string; droppedInputs: boolean }
  | { type: "audio"; form: SpeechForm; model: string; droppedInputs: false };

const textParam = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const isPath = (source: unknown): source is string => typeof source === "string" && source.startsWith("/");
const pathImage = (path: string): PickedImage => ({ name: path.slice(path.lastIndexOf("/") + 1) || path, path });

/**
 * The Playground form of a recorded generation: its type, prompt, model (its entry's name, else its id), output folder,
 * aspect, duration, voice, and the input images the ledger kept as file paths. Inline inputs (base64, data URLs) were
 * never stored, so they are left out and `droppedInputs` says so.
 */
export function prefillFrom(g: Pick<Generation, "type" | "prompt" | "params" | "model" | "model_name">): Prefill {
  const model = g.model_name ?? g.model;
  const outputDir = textParam(g.params.output_dir) ?? "";
  const aspect = textParam(g.params.aspect_ratio);
  if (g.type === "audio") return { type: "audio", form: { text: g.prompt, voice: textParam(g.params.voice) ?? "", outputDir }, model, droppedInputs: false };
  if (g.type === "video") {
    const frame = g.params.first_frame;
    const recorded = g.params.duration_seconds;
    const offered = typeof recorded === "number" && (VIDEO_SECONDS as readonly number[]).includes(recorded);
    const seconds = offered ? recorded : VIDEO_SECONDS[VIDEO_SECONDS.length - 1]!;
    return {
      type: "video",
      form: { prompt: g.prompt, aspect: aspect === "portrait" ? "portrait" : "landscape", seconds, firstFrame: isPath(frame) ? [pathImage(frame)] : [], outputDir },
      model,
      droppedInputs: frame !== undefined && !isPath(frame),
    };
  }
  const inputs = Array.isArray(g.params.inputs) ? (g.params.inputs as unknown[]) : [];
  const kept = inputs.filter(isPath);
  return {
    type: "image",
    form: { prompt: g.prompt, aspect: aspect && (ASPECTS.image as readonly string[]).includes(aspect) ? aspect : ASPECTS.image[0], images: kept.map(pathImage), outputDir },
    model,
    droppedInputs: kept.length < inputs.length,
  };
}

/** The estimate query of a request: the fields that decide its price, for the models it would run at ("" is the default). */
export function estimateQueryOf(request: CurlRequest, choices: readonly string[]): EstimateRequest {
  const named = choices.filter((choice) => choice !== "");
  // The default is named by leaving models out; alongside others it is named explicitly by the caller.
  const models = named.length > 0 ? { models: named } : {};
  if (request.type === "audio") return { type: "audio", characters: request.body.input.length, ...models };
  if (request.type === "video") {
    const seconds = Number(request.body.duration_seconds);
    return { type: "video", aspect_ratio: String(request.body.aspect_ratio ?? "landscape"), ...(Number.isInteger(seconds) ? { duration_seconds: seconds } : {}), ...models };
  }
  return { type: "image", aspect_ratio: String(request.body.aspect_ratio ?? "landscape"), ...models };
}

/** `choices` with `choice` added (unless `max` are already chosen) or removed. */
export function toggleChoice(choices: readonly string[], choice: string, max: number): string[] {
  if (choices.includes(choice)) return choices.filter((c) => c !== choice);
  return choices.length >= max ? [...choices] : [...choices, choice];
}

/** The sum of known estimates, and whether any was unknown (a comparison's total is then a lower bound). */
export function estimateTotal(estimates: readonly { estimated_cost_usd: number | null }[]): { usd: number; partial: boolean } {
  return {
    usd: estimates.reduce((sum, e) => sum + (e.estimated_cost_usd ?? 0), 0),
    partial: estimates.some((e) => e.estimated_cost_usd === null),
  };
}
