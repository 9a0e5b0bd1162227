// The playground's request bodies built from its forms, input images as data URLs, and the voices on offer.
import type { ImageBody, MediaTypes, ProviderInfo, SpeechBody, VideoBody } from "./api.ts";

/** Input images an image request may carry (the server's limit). */
export const MAX_INPUT_IMAGES = 16;

/** Aspect ratios offered per media type, the first being the default. */
export const ASPECTS = { image: ["landscape", "square", "portrait"], video: ["landscape", "portrait"] } as const;

/** Video lengths the API accepts, in seconds; the last is the default. */
export const VIDEO_SECONDS = [4, 5, 6, 7, 8] as const;

/** An input image as the form holds it. */
export interface PickedImage {
  name: string;
  dataUrl: string;
}

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

/** What the image form holds. */
export interface ImageForm {
  prompt: string;
  aspect: string;
  images: readonly PickedImage[];
}

/** What the video form holds; the first frame is picked as a list of at most one image (videoBody takes that one). */
export interface VideoForm {
  prompt: string;
  aspect: string;
  seconds: number;
  firstFrame: readonly PickedImage[];
}

/** What the speech form holds; an empty voice means the model's default. */
export interface SpeechForm {
  text: string;
  voice: string;
}

/** Body of an image request. */
export function imageBody(form: ImageForm): ImageBody {
  const body: ImageBody = { prompt: form.prompt.trim(), aspect_ratio: form.aspect };
  if (form.images.length > 0) body.images = form.images.slice(0, MAX_INPUT_IMAGES).map((image) => image.dataUrl);
  return body;
}

/** Body of a video request. */
export function videoBody(form: { prompt: string; aspect: string; seconds: number; firstFrame?: PickedImage }): VideoBody {
  const body: VideoBody = { prompt: form.prompt.trim(), aspect_ratio: form.aspect, duration_seconds: form.seconds };
  if (form.firstFrame) body.image = inlineImage(form.firstFrame.dataUrl);
  return body;
}

/** Body of a speech request; an empty voice is left to the model's default. */
export function speechBody(form: SpeechForm): SpeechBody {
  const body: SpeechBody = { input: form.text };
  if (form.voice.trim()) body.voice = form.voice.trim();
  return body;
}

/** The catalogue's voices for the configured speech model (empty: the model takes any voice name, or none is known). */
export function voicesFor(types: MediaTypes | undefined, providers: readonly ProviderInfo[] | undefined): readonly string[] {
  const audio = types?.audio;
  if (!audio?.configured || !audio.provider || !audio.model) return [];
  return providers?.find((p) => p.id === audio.provider)?.voices[audio.model] ?? [];
}
