// The front door as Bun.serve calls it, with a recorded ServerLike in place of Bun's server: which requests lose
// their idle timeout and when, the JSON answers it gives itself, and what reaches the app.
import { describe, expect, test } from "bun:test";
import { AppError } from "../../../server/errors.ts";
import { readJsonBody } from "../../../server/http/body.ts";
import { createFrontDoor, DEFAULT_IDLE_TIMEOUT_SECONDS, waitsLong } from "../../../server/http/front-door.ts";
import { memoryLogger } from "../../../server/log.ts";

const MiB = 1024 * 1024;
const ORIGIN = "http://127.0.0.1:7070";

/** A front door over an app that answers with the body it received, and a server that records timeout calls. */
function door(maxBodyBytes = MiB, apiGuard: (request: Request) => AppError | undefined = () => undefined) {
  const timeouts: number[] = [];
  const received: string[] = [];
  const frontDoor = createFrontDoor({
    handle: async (request) => {
      const text = await request.text();
      received.push(text);
      return Response.json({ received: text.length });
    },
    uiGuard: () => undefined,
    apiGuard,
    maxBodyBytes: () => maxBodyBytes,
    log: memoryLogger(),
  });
  const server = { timeout: (_request: Request, seconds: number) => void timeouts.push(seconds) };
  return { fetch: (request: Request) => frontDoor.fetch(request, server), error: frontDoor.error, timeouts, received };
}

/** A request body whose chunks are pushed by the test, as a client sends them. */
function controlledBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    stream,
    send: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
    fail: () => controller.error(new Error("connection reset")),
  };
}

describe("waitsLong", () => {
  test.each([
    ["POST", "/api/media/image", true],
    ["POST", "/api/media/video", true],
    ["POST", "/api/media/audio/speech", true],
    ["POST", "/api/media/image/", true],
    ["POST", "/api/config/models/test", true],
    ["GET", "/api/media/jobs/job_1/events", true],
    ["POST", "/api/media/zzz", false],
    ["POST", "/api/media/jobs", false],
    ["POST", "/api/media/image/extra", false],
    ["GET", "/api/media/image", false],
    ["POST", "/api/generations", false],
    ["POST", "/api/config/models", false],
    ["GET", "/api/media/jobs/job_1", false],
    ["GET", "/api/media/jobs/a/b/events", false],
  ])("%s %s -> %p", (method, path, expected) => {
    expect(waitsLong(method, path)).toBe(expected);
  });
});

describe("the idle timeout of a long-waiting request", () => {
  test.each([
    ["declared with Content-Length", { "content-length": "18" }],
    ["chunked", {}],
  ])("is lifted only once the whole body has arrived (%s)", async (_name, headers: Record<string, string>) => {
    const d = door();
    const body = controlledBody();
    const answered = d.fetch(new Request(`${ORIGIN}/api/media/image`, { method: "POST", body: body.stream, headers }));
    body.send('{"prompt":');
    await Bun.sleep(20);
    expect(d.timeouts).toEqual([]);
    expect(d.received).toEqual([]);
    body.send('"a cat"}');
    body.end();
    const response = await answered;
    // Lifted while the provider works, given back once the answer is whole: the connection is kept for the next request.
    expect(d.timeouts).toEqual([0, DEFAULT_IDLE_TIMEOUT_SECONDS]);
    expect(d.received).toEqual(['{"prompt":"a cat"}']);
    expect(response.headers.get("connection")).toBeNull();
  });

  test("a stream of job events keeps no idle timeout and closes its connection after its last event", async () => {
    const timeouts: number[] = [];
    const frontDoor = createFrontDoor({
      handle: async () => new Response("event: succeeded\ndata: {}\n\n", { headers: { "content-type": "text/event-stream" } }),
      uiGuard: () => undefined,
      apiGuard: () => undefined,
      maxBodyBytes: () => MiB,
      idleTimeoutSeconds: 7,
      log: memoryLogger(),
    });
    const response = await frontDoor.fetch(new Request(`${ORIGIN}/api/media/jobs/abc/events`), { timeout: (_r: Request, seconds: number) => void timeouts.push(seconds) } as never);
    expect(timeouts).toEqual([0]);
    expect(response.headers.get("connection")).toBe("close");
  });

  test("is kept for a body that breaks off, which is a JSON 400 on body and never reaches the app", async () => {
    const d = door();
    const body = controlledBody();
    const answered = d.fetch(new Request(`${ORIGIN}/api/media/image`, { method: "POST", body: body.stream }));
    body.send('{"prompt":');
    await Bun.sleep(10);
    body.fail();
    const response = await answered;
    expect(response.status).toBe(400);
    expect(response.headers.get("connection")).toBe("close");
    expect(await response.json()).toMatchObject({ success: false, error_type: "invalid_argument", field: "body" });
    expect(d.timeouts).toEqual([]);
    expect(d.received).toEqual([]);
  });

  test("is kept on routes that answer at once", async () => {
    const d = door();
    for (const path of ["/api/media/zzz", "/api/generations", "/api/config/models"]) {
      await d.fetch(new Request(`${ORIGIN}${path}`, { method: "POST", body: "{}" }));
    }
    expect(d.timeouts).toEqual([]);
    expect(d.received).toEqual(["{}", "{}", "{}"]);
  });
});

describe("bodies past server.max_body_mib", () => {
  /** The 413 readJsonBody gives for the same request, as the JSON the app would answer. */
  async function appAnswer(request: Request, maxBytes: number): Promise<unknown> {
    const error = await readJsonBody(request, maxBytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    return { success: false, ...(error as AppError).toJSON() };
  }

  test("a declared one is the same JSON 413 as the app's, with field body, before reading", async () => {
    const d = door(MiB);
    const make = () => new Request(`${ORIGIN}/api/media/image`, { method: "POST", body: "{}", headers: { "content-length": String(65 * MiB) } });
    const response = await d.fetch(make());
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    const json = await response.json();
    expect(json).toMatchObject({ success: false, error_type: "payload_too_large", field: "body" });
    expect(json).toEqual(await appAnswer(make(), MiB));
    expect(d.received).toEqual([]);
  });

  test("a chunked one is the same JSON 413 as the app's, with field body", async () => {
    const d = door(MiB);
    const make = () => new Request(`${ORIGIN}/api/media/image`, { method: "POST", body: new Blob([new Uint8Array(MiB), new Uint8Array(MiB)]).stream() });
    const response = await d.fetch(make());
    expect(response.status).toBe(413);
    const json = await response.json();
    expect(json).toMatchObject({ success: false, error_type: "payload_too_large", field: "body" });
    expect(json).toEqual(await appAnswer(make(), MiB));
    expect(d.received).toEqual([]);
  });
});

describe("the error handler", () => {
  test("answers the documented JSON, with Retry-After when the error carries one", async () => {
    const d = door();
    const response = d.error(new AppError("queue_full", "busy", { retry_after_seconds: 5 }));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toEqual({ success: false, error: "busy", error_type: "queue_full", retry_after_seconds: 5 });
  });

  test("answers an unknown exception with the generic 500 that leaks nothing", async () => {
    const response = door().error(new Error("secret path /home/x"));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("secret");
  });
});

describe("a refused request costs nothing", () => {
  test("the API guard answers before a byte of the body is read", async () => {
    const refuse = (request: Request) => (request.headers.get("authorization") ? undefined : new AppError("unauthorized"));
    const d = door(MiB, refuse);
    const body = controlledBody();
    const response = await d.fetch(new Request(`${ORIGIN}/api/media/image`, { method: "POST", body: body.stream, duplex: "half" } as RequestInit));
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error_type: string }).error_type).toBe("unauthorized");
    expect(d.received).toEqual([]);
    expect(d.timeouts).toEqual([]);
  });
});
