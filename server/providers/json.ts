// Narrowing parsed upstream JSON, and the base64 and data-URL spellings providers send media in: one set for every provider.
import type { InputImage } from "../formats/input-images.ts";

/** A JSON object as parsed from an upstream answer. */
export type Json = Record<string, unknown>;

/** The value when it is a JSON object (not null, not an array, not a LargeText), else undefined. */
export const asObject = (value: unknown): Json | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof LargeText) ? (value as Json) : undefined;

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

/** Bytes from base64 (a view of the decoded buffer, not a copy). */
export const fromBase64 = (data: string): Uint8Array => {
  const decoded = Buffer.from(data, "base64");
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
};

/** Strings of an upstream JSON answer at least this long (base64 media) are kept as their raw bytes, in bytes. */
export const LARGE_TEXT_BYTES = 64 * 1024;

/**
 * Bodies smaller than this are parsed whole (a few copies of a few MiB cost less than the byte-level decoding, which
 * pays for itself only on big answers, where holding the body, a string and the bytes at once would hurt).
 */
export const LARGE_BODY_BYTES = 8 * 1048576;

/**
 * A long string of an upstream JSON answer (base64 media, a data: URL) kept as its raw UTF-8 bytes inside the
 * answer's body instead of as a JS string, so decoding it never holds the body, a string copy and the bytes at once.
 */
export class LargeText {
  /** The string's bytes between its quotes, JSON escapes unresolved. */
  readonly #raw: Uint8Array;

  constructor(raw: Uint8Array) {
    this.#raw = raw;
  }

  /** Length in bytes (base64 and data: URLs are ASCII, so also in characters). */
  get length(): number {
    return this.#raw.length;
  }

  /** The first `n` characters (a data: URL's header). */
  head(n: number): string {
    return new TextDecoder().decode(this.#raw.subarray(0, n));
  }

  /** The base64 from character `from` on, decoded from the bytes; throws `tooLarge()` before decoding more than `maxBytes`. */
  decodeBase64(from: number, maxBytes: number, tooLarge: (bytes: number) => Error): Uint8Array {
    const text = unescapeBase64(this.#raw.subarray(from));
    let end = text.length;
    while (end > 0 && text[end - 1] === 0x3d) end -= 1;
    const decodedLength = Math.floor((end * 3) / 4);
    if (decodedLength > maxBytes) throw tooLarge(decodedLength);
    const out = new Uint8Array(decodedLength);
    return out.subarray(0, decodeBase64Bytes(text.subarray(0, end), out));
  }
}

/** Value of each base64 character (both alphabets), -1 for anything else. */
const BASE64_VALUES = (() => {
  const values = new Int16Array(256).fill(-1);
  [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].forEach((c, i) => (values[c.charCodeAt(0)] = i));
  values[0x2d] = 62;
  values[0x5f] = 63;
  return values;
})();

/** Base64 decoded per slice of this many characters (a multiple of 4): only one slice is ever a JS string. */
const BASE64_SLICE_CHARS = 1 << 20;
/** The string of ASCII bytes (Buffer's latin1 decoding: a few times faster than TextDecoder on a view). */
const asciiString = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/** `Uint8Array.prototype.setFromBase64` (TC39, in Bun): decodes a string straight into an existing array. */
type SetFromBase64 = (text: string, options: { alphabet: "base64" | "base64url"; lastChunkHandling: "loose" | "strict" }) => { read: number; written: number };

/**
 * Decodes base64 characters from bytes into `out`, returning the bytes written: natively, one 1 MiB slice at a time
 * (about 20x the JavaScript loop), else, for text with characters outside the alphabet, by the loop below.
 */
function decodeBase64Bytes(text: Uint8Array, out: Uint8Array): number {
  try {
    const alphabet = text.includes(0x2d) || text.includes(0x5f) ? "base64url" : "base64";
    let written = 0;
    for (let at = 0; at < text.length; at += BASE64_SLICE_CHARS) {
      const last = at + BASE64_SLICE_CHARS >= text.length;
      const target = out.subarray(written) as Uint8Array & { setFromBase64: SetFromBase64 };
      written += target.setFromBase64(asciiString(text.subarray(at, at + BASE64_SLICE_CHARS)), { alphabet, lastChunkHandling: last ? "loose" : "strict" }).written;
    }
    return written;
  } catch {
    return decodeBase64Loop(text, out);
  }
}

/**
 * Decodes base64 characters straight from bytes into `out` (no JS string, so no garbage the size of the text),
 * skipping characters outside the alphabet as Buffer does; returns the bytes written.
 */
function decodeBase64Loop(text: Uint8Array, out: Uint8Array): number {
  let written = 0;
  let at = 0;
  for (; at + 4 <= text.length; at += 4) {
    const a = BASE64_VALUES[text[at]!]!;
    const b = BASE64_VALUES[text[at + 1]!]!;
    const c = BASE64_VALUES[text[at + 2]!]!;
    const d = BASE64_VALUES[text[at + 3]!]!;
    if ((a | b | c | d) < 0) break;
    out[written++] = (a << 2) | (b >> 4);
    out[written++] = ((b & 15) << 4) | (c >> 2);
    out[written++] = ((c & 3) << 6) | d;
  }
  let bits = 0;
  let buffer = 0;
  for (; at < text.length; at++) {
    const value = BASE64_VALUES[text[at]!]!;
    if (value < 0) continue;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = (buffer >> bits) & 0xff;
    }
  }
  return written;
}

/** Base64 bytes with JSON escapes removed (`\/` is a slash; `\n`, `\r`, `\t` and `\uXXXX` are dropped); the same view when there are none. */
function unescapeBase64(raw: Uint8Array): Uint8Array {
  if (raw.indexOf(0x5c) < 0) return raw;
  const out = new Uint8Array(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte !== 0x5c) {
      out[length++] = byte;
      continue;
    }
    const next = raw[i + 1];
    if (next === 0x2f) out[length++] = 0x2f;
    i += next === 0x75 ? 5 : 1;
  }
  return out.subarray(0, length);
}

/** Base64 media in an answer: a string, or a LargeText. */
export type Base64Text = string | LargeText;

/** The value when it is non-empty base64 text (a string or a LargeText), else undefined. */
export const asBase64 = (value: unknown): Base64Text | undefined => (value instanceof LargeText && value.length > 0 ? value : asString(value));

/** Decodes base64 text starting at character `from`; throws `tooLarge(decodedBytes)` instead of decoding past `maxBytes`. */
export function decodeBase64(text: Base64Text, maxBytes: number, tooLarge: (bytes: number) => Error, from = 0): Uint8Array {
  if (text instanceof LargeText) return text.decodeBase64(from, maxBytes, tooLarge);
  const data = from > 0 ? text.slice(from) : text;
  let end = data.length;
  while (end > 0 && data[end - 1] === "=") end -= 1;
  const estimate = Math.floor((end * 3) / 4);
  if (estimate > maxBytes) throw tooLarge(estimate);
  return fromBase64(data);
}

// JSON text of a placeholder (an escaped NUL no real string starts with), and the string it parses to.
const PLACEHOLDER = "\\u0000mediagen-large-text-";
const MARK = JSON.parse(`"${PLACEHOLDER}"`) as string;

/**
 * Parses a JSON body of `minBodyBytes` or more keeping every string of LARGE_TEXT_BYTES or more as a LargeText over
 * `raw` (only the rest of the body becomes a JS string); a smaller body is parsed whole. Throws SyntaxError like
 * JSON.parse.
 */
export function parseJsonKeepingLargeText(raw: Uint8Array, minBodyBytes = LARGE_BODY_BYTES): unknown {
  const decoder = new TextDecoder();
  if (raw.length < Math.max(minBodyBytes, LARGE_TEXT_BYTES)) return JSON.parse(decoder.decode(raw));
  const large: LargeText[] = [];
  const pieces: string[] = [];
  let copied = 0;
  let at = raw.indexOf(0x22);
  while (at >= 0) {
    const close = closingQuote(raw, at + 1);
    if (close < 0) break;
    if (close - at - 1 >= LARGE_TEXT_BYTES && looksLikeMedia(raw, at + 1)) {
      pieces.push(decoder.decode(raw.subarray(copied, at + 1)), `${PLACEHOLDER}${large.length}`);
      large.push(new LargeText(raw.subarray(at + 1, close)));
      copied = close;
    }
    at = raw.indexOf(0x22, close + 1);
  }
  if (large.length === 0) return JSON.parse(decoder.decode(raw));
  pieces.push(decoder.decode(raw.subarray(copied)));
  return restore(JSON.parse(pieces.join("")), large);
}

/** Whether a string starting at `from` is a data: URL or base64 (its first 64 characters are base64's). */
function looksLikeMedia(raw: Uint8Array, from: number): boolean {
  const start = raw.subarray(from, from + 64);
  return new TextDecoder().decode(start.subarray(0, 5)) === "data:" || start.every((b) => BASE64_CHARS.has(b));
}

const BASE64_CHARS = new Set([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"].map((c) => c.charCodeAt(0)));

/** The index of the quote ending a JSON string whose content starts at `from` (skipping escaped quotes), or -1. */
function closingQuote(raw: Uint8Array, from: number): number {
  let at = raw.indexOf(0x22, from);
  while (at >= 0) {
    let backslashes = 0;
    while (raw[at - 1 - backslashes] === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) return at;
    at = raw.indexOf(0x22, at + 1);
  }
  return -1;
}

/** Puts the LargeTexts back where their placeholders were parsed. */
function restore(value: unknown, large: LargeText[]): unknown {
  if (typeof value === "string") return value.startsWith(MARK) ? (large[Number(value.slice(MARK.length))] ?? value) : value;
  if (Array.isArray(value)) return value.map((item) => restore(item, large));
  if (typeof value !== "object" || value === null) return value;
  const object = value as Json;
  for (const key of Object.keys(object)) object[key] = restore(object[key], large);
  return object;
}

/** An input image as a `data:` URL. */
export const dataUrl = (image: InputImage): string => `data:${image.mimeType};base64,${toBase64(image.bytes)}`;
