// Long base64 strings of JSON answers stay raw bytes (LargeText) and decode in steps, within a cap checked first.
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { asBase64, decodeBase64, LargeText, parseJsonKeepingLargeText } from "../../../server/providers/json.ts";

const media = new Uint8Array(randomBytes(3 * 1048576 + 2));
const b64 = Buffer.from(media).toString("base64");
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
/** Parses as a body past LARGE_BODY_BYTES would be (these bodies are a few MiB). */
const parseLarge = (raw: Uint8Array) => parseJsonKeepingLargeText(raw, 0);
const tooLarge = (bytes: number) => new Error(`too large: ${bytes}`);

describe("parseJsonKeepingLargeText", () => {
  test("a body under LARGE_BODY_BYTES is parsed whole: its base64 is a plain string", () => {
    const json = parseJsonKeepingLargeText(encode({ data: [{ b64_json: b64 }] })) as any;
    expect(typeof json.data[0].b64_json).toBe("string");
    expect(Buffer.compare(decodeBase64(asBase64(json.data[0].b64_json)!, 1 << 30, tooLarge), media)).toBe(0);
  });

  test("a long base64 string becomes a LargeText that decodes to the same bytes; the rest parses as usual", () => {
    const json = parseLarge(encode({ data: [{ b64_json: b64, note: 'a "quoted" \\ text' }], cost_usd: 0.04 })) as any;
    expect(json.cost_usd).toBe(0.04);
    expect(json.data[0].note).toBe('a "quoted" \\ text');
    expect(json.data[0].b64_json).toBeInstanceOf(LargeText);
    expect(Buffer.compare(decodeBase64(asBase64(json.data[0].b64_json)!, 1 << 30, tooLarge), media)).toBe(0);
  });

  test("a data: URL keeps its header readable and decodes from after it; escaped slashes are unescaped", () => {
    const url = `data:image/png;base64,${b64}`;
    const raw = new TextEncoder().encode(`{"url":"${url.replaceAll("/", "\\/")}"}`);
    const text = (parseLarge(raw) as { url: LargeText }).url;
    expect(text.head(22)).toBe("data:image\\/png;base64");
    const prefix = /^data:[^,]*,/.exec(text.head(64))![0].length;
    expect(Buffer.compare(text.decodeBase64(prefix, 1 << 30, tooLarge), media)).toBe(0);
  });

  test("short strings and long non-base64 text stay strings", () => {
    const prose = "a long sentence. ".repeat(8000);
    const json = parseLarge(encode({ short: "abc", prose })) as Record<string, unknown>;
    expect(json).toEqual({ short: "abc", prose });
  });
});

describe("decodeBase64 caps the decoded size before decoding", () => {
  test.each([["a string", b64], ["a LargeText", new LargeText(new TextEncoder().encode(b64))]] as const)("%s past the cap throws the cap error", (_name, text) => {
    expect(() => decodeBase64(text, 1048576, tooLarge)).toThrow(`too large: ${media.length}`);
    expect(decodeBase64(text, media.length, tooLarge).length).toBe(media.length);
  });
});

describe("decoding is native, slice by slice, and falls back for unusual text", () => {
  const field = (text: string) => (parseLarge(encode({ b64: text })) as { b64: LargeText }).b64;

  test("3 MiB in several 1 MiB slices, the URL-safe alphabet, and text with characters outside the alphabet all decode to the bytes", () => {
    expect(Buffer.compare(decodeBase64(asBase64(field(b64))!, 1 << 30, tooLarge), media)).toBe(0);
    const urlSafe = b64.replaceAll("+", "-").replaceAll("/", "_");
    expect(Buffer.compare(decodeBase64(asBase64(field(urlSafe))!, 1 << 30, tooLarge), media)).toBe(0);
    // A space every 76 characters (MIME-style wrapping as some servers send it) shifts the slices: the loop decodes it.
    const wrapped = b64.replace(/(.{76})/g, "$1 ");
    expect(Buffer.compare(decodeBase64(asBase64(field(wrapped))!, 1 << 30, tooLarge), media)).toBe(0);
  });
});
