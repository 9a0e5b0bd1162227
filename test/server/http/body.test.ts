import { describe, expect, test } from "bun:test";
import { MAX_JSON_DEPTH } from "../../../server/defaults.ts";
import { readJsonBody, readLimited } from "../../../server/http/body.ts";
import { rejection } from "../../helpers.ts";

const MiB = 1024 * 1024;

/** A POST with `body` and `headers`. */
const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request("http://127.0.0.1:7070/api/media/image", { method: "POST", body, headers });

/** A body that arrives in chunks with no Content-Length, as with chunked transfer encoding. */
function chunked(chunks: number, chunkBytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === chunks) return controller.close();
      sent++;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
    },
  });
}

describe("readJsonBody", () => {
  const parsed: [string, BodyInit | null, Record<string, string>, Record<string, unknown>][] = [
    ["JSON with application/json", '{"prompt":"a cat"}', { "content-type": "application/json" }, { prompt: "a cat" }],
    ["JSON without a content-type", new TextEncoder().encode('{"prompt":"a cat"}'), {}, { prompt: "a cat" }],
    ["JSON sent as a form (curl -d)", '{"prompt":"a cat","n":2}', { "content-type": "application/x-www-form-urlencoded" }, { prompt: "a cat", n: 2 }],
    ["JSON as text/plain with whitespace around it", '\n  {"prompt":"ü 🦊"}  \n', { "content-type": "text/plain" }, { prompt: "ü 🦊" }],
    ["an empty body", "", {}, {}],
    ["no body at all", null, {}, {}],
    ["a blank body", "  \n\t ", {}, {}],
    ["a streamed body without content-length", new Blob(['{"a":', '{"b":[1,2]}}']).stream(), {}, { a: { b: [1, 2] } }],
  ];
  test.each(parsed)("%s", async (_name, body, headers, expected) => {
    expect(await readJsonBody(post(body, headers), MiB)).toEqual(expected);
  });

  test.each([["{prompt: 'a cat'}"], ['{"prompt": "a cat",}'], ["prompt=a+cat"], ['{"a":']])("malformed JSON %p is invalid_argument on body, saying JSON", async (text) => {
    const error = await rejection(readJsonBody(post(text), MiB));
    expect(error.type).toBe("invalid_argument");
    expect(error.status).toBe(400);
    expect(error.details.field).toBe("body");
    expect(error.message).toContain("not valid JSON");
    expect(error.message).toContain("send a JSON object");
  });

  test.each([["[]"], ['[{"prompt":"a"}]'], ['"a cat"'], ["42"], ["null"], ["true"]])("the JSON value %p is invalid_argument: it must be an object", async (text) => {
    const error = await rejection(readJsonBody(post(text), MiB));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("body");
    expect(error.message).toBe("Request body must be a JSON object");
  });

  test("a declared content-length above the limit is payload_too_large before reading", async () => {
    const error = await rejection(readJsonBody(post("{}", { "content-length": String(65 * MiB) }), 64 * MiB));
    expect(error.type).toBe("payload_too_large");
    expect(error.status).toBe(413);
    expect(error.message).toContain("65.0 MiB");
    expect(error.message).toContain("64 MiB");
    expect(error.message).toContain("server.max_body_mib");
  });

  test("an undeclared oversized chunked body is payload_too_large", async () => {
    const request = post(chunked(3, MiB / 2));
    expect(request.headers.get("content-length")).toBeNull();
    const error = await rejection(readJsonBody(request, MiB));
    expect(error.type).toBe("payload_too_large");
    expect(error.message).toContain("larger than 1 MiB");
  });

  test("a body exactly at the limit is read", async () => {
    const text = `{"pad":"${"x".repeat(1000 - 10)}"}`;
    expect(text.length).toBe(1000);
    expect(await readJsonBody(post(text), 1000)).toEqual({ pad: "x".repeat(990) });
    const error = await rejection(readJsonBody(post(`${text} `), 1000));
    expect(error.type).toBe("payload_too_large");
  });

  test("an endless chunked body is refused once past the limit, without reading the rest", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const error = await rejection(readJsonBody(post(endless), MiB));
    expect(error.type).toBe("payload_too_large");
    expect(error.details.field).toBe("body");
    expect(pulled).toBeLessThan(40);
  });

  test.each([
    ["arrays", `{"a":${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}}`],
    ["objects", `{"prompt":"x","deep":${'{"a":'.repeat(MAX_JSON_DEPTH)}1${"}".repeat(MAX_JSON_DEPTH)}}`],
    ["100,000 arrays", `{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`],
  ])("JSON nesting %s deeper than the limit is invalid_argument on body", async (_name, text) => {
    const error = await rejection(readJsonBody(post(text), 64 * MiB));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("body");
    expect(error.message).toContain(String(MAX_JSON_DEPTH));
  });

  test("nesting up to the limit is read", async () => {
    const text = `{"a":${"[".repeat(MAX_JSON_DEPTH - 1)}${"]".repeat(MAX_JSON_DEPTH - 1)}}`;
    expect(await readJsonBody(post(text), MiB)).toHaveProperty("a");
  });
});

describe("readLimited", () => {
  test("a single chunk is returned as it came, without a copy", async () => {
    const chunk = new TextEncoder().encode("one chunk");
    const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    expect(await readLimited(stream, 100)).toBe(chunk);
  });

  test("several chunks are joined in order; no stream is empty", async () => {
    expect(new TextDecoder().decode(await readLimited(new Blob(["ab", "cd", "ef"]).stream(), 6))).toBe("abcdef");
    expect(await readLimited(null, 6)).toEqual(new Uint8Array());
  });

  test("a stream past the limit is undefined, cancelled without reading the rest", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024));
      },
      cancel: () => void (cancelled = true),
    });
    expect(await readLimited(endless, 4096)).toBeUndefined();
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });

  test("a stream that breaks rejects with its own error", async () => {
    const broken = new ReadableStream<Uint8Array<ArrayBuffer>>({ pull: (controller) => controller.error(new Error("reset")) });
    await expect(readLimited(broken, 100)).rejects.toThrow("reset");
  });
});

test("a request body that breaks off is invalid_argument on body, not an internal error", async () => {
  const broken = new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(new Error("reset")) });
  const error = await rejection(readJsonBody(post(broken), MiB));
  expect(error.type).toBe("invalid_argument");
  expect(error.details.field).toBe("body");
});
