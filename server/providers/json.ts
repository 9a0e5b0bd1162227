// Narrowing parsed upstream JSON, and the base64 and data-URL spellings providers send media in: one set for every provider.
import type { InputImage } from "../formats/input-images.ts";

/** A JSON object as parsed from an upstream answer. */
export type Json = Record<string, unknown>;

/** The value when it is a JSON object (not null, not an array), else undefined. */
export const asObject = (value: unknown): Json | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** The objects of an array (other items skipped); anything but an array gives []. */
export const asObjects = (value: unknown): Json[] => (Array.isArray(value) ? value.map(asObject).filter((v): v is Json => v !== undefined) : []);

/** The value when it is a non-empty string, else undefined. */
export const asString = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** The value when it is a string with something besides blanks, else undefined. */
export const asNonBlank = (value: unknown): string | undefined => (typeof value === "string" && value.trim() !== "" ? value : undefined);

/** The value when it is a finite number, else undefined. */
export const asNumber = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);

/** The object without its undefined fields. */
export const defined = <T extends Json>(object: T): Partial<T> => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Bytes as base64. */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

/** Bytes from base64. */
export const fromBase64 = (data: string): Uint8Array => new Uint8Array(Buffer.from(data, "base64"));

/** An input image as a `data:` URL. */
export const dataUrl = (image: InputImage): string => `data:${image.mimeType};base64,${toBase64(image.bytes)}`;
