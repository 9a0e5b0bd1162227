import { describe, expect, test } from "bun:test";
import { AppError } from "../../../server/errors.ts";
import { cancelsUpstream, readBytes, readText, redact } from "../../../server/providers/http.ts";
import type { CallContext } from "../../../server/providers/types.ts";

const ctx = { entry: { type: "image", provider: "openai", model: "m" }, baseUrl: "http://127.0.0.1:1", signal: new AbortController().signal, pollIntervalMs: 0 } as unknown as CallContext;

/** A body of `chunks` chunks of `size` bytes, produced only as fast as it is read; counts what was pulled. */
function streamed(chunks: number, size: number) {
  const state = { pulled: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= chunks) return controller.close();
      state.pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x61));
    },
  });
  return { response: new Response(body), state };
}

describe("readBytes: a provider's answer is read only up to a limit", () => {
  test("a body within the limit is read whole", async () => {
    const { response } = streamed(4, 1000);
    expect((await readBytes(response, ctx, 4000)).length).toBe(4000);
  });

  test("a streamed body past the limit stops being read at the limit and is an invalid_response", async () => {
    const { response, state } = streamed(1000, 1024);
    const error = await readBytes(response, ctx, 8 * 1024).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: "invalid_response" });
    expect(String((error as Error).message)).toContain("larger than");
    expect(state.pulled).toBeLessThan(20);
  });

  test("a declared Content-Length past the limit is refused before reading", async () => {
    const { state } = streamed(1, 1);
    const response = new Response(new ReadableStream({ pull: () => void state.pulled++ }), { headers: { "content-length": String(10 * 1048576) } });
    await expect(readBytes(response, ctx, 1048576)).rejects.toMatchObject({ type: "invalid_response" });
  });

  test("a body that breaks off is a network_error, and one cut by the call's deadline its timeout", async () => {
    const broken = () => new Response(new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(new Error("socket reset")) }));
    await expect(readBytes(broken(), ctx, 1048576)).rejects.toMatchObject({ type: "network_error" });
    const deadline = new AbortController();
    deadline.abort();
    await expect(readBytes(broken(), { ...ctx, signal: deadline.signal }, 1048576)).rejects.toMatchObject({ type: "timeout" });
  });

  test("readText decodes UTF-8", async () => {
    expect(await readText(new Response("{\"a\":\"é\"}"), ctx)).toBe('{"a":"é"}');
  });
});

describe("redact", () => {
  test("removes a key in any letter case, every time it occurs", () => {
    const key = "sk-test-Leak-0123456789";
    expect(redact(`bad key ${key}; ${key.toLowerCase()} and ${key.toUpperCase()}`, [key])).toBe("bad key [redacted]; [redacted] and [redacted]");
    expect(redact("short ab", ["ab"])).toBe("short ab");
  });
});

describe("cancelsUpstream: which abandoned calls end the provider's operation too", () => {
  const aborted = (reason?: unknown) => {
    const controller = new AbortController();
    controller.abort(reason);
    return controller.signal;
  };
  test.each([
    ["a user's cancel (no reason)", aborted(), true],
    ["the job's deadline", aborted(new AppError("timeout", "too slow")), true],
    ["a daemon shutdown, left to resume", aborted(new AppError("interrupted", "The daemon stopped")), false],
    ["a call still running", new AbortController().signal, false],
  ])("%s", (_name, signal, expected) => {
    expect(cancelsUpstream(signal)).toBe(expected);
  });
});
