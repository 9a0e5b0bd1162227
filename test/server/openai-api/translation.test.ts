// The pure parts of the OpenAI door: sizes to aspects, PCM from WAV, field names, and the error envelope per error_type.
import { describe, expect, test } from "bun:test";
import { AppError, ERROR_CATALOGUE, type ErrorType } from "../../../server/errors.ts";
import { encodeWav } from "../../../server/formats/wav.ts";
import { errorEnvelope, openaiErrorResponse, openaiStatus } from "../../../server/openai-api/errors.ts";
import { aspectOfSize, openaiField, pcmOfWav } from "../../../server/openai-api/service.ts";
import { thrown } from "../../helpers.ts";

describe("aspectOfSize: the nearest aspect to WxH", () => {
  test.each([
    ["1024x1024", "square"],
    ["1536x1024", "landscape"],
    ["1024x1536", "portrait"],
    ["1792x1024", "landscape"],
    ["1024x1792", "portrait"],
    ["1280x720", "landscape"],
    ["720x1280", "portrait"],
    ["256x256", "square"],
    ["1152x1024", "square"],
    ["1024x1400", "portrait"],
    [" 1024X1024 ", "square"],
    ["auto", undefined],
    ["", undefined],
    [undefined, undefined],
    [null, undefined],
  ])("%p -> %p", (size, aspect) => {
    expect(aspectOfSize(size)).toBe(aspect as never);
  });

  test("videos choose between landscape and portrait only", () => {
    expect(aspectOfSize("1024x1024", ["landscape", "portrait"])).toBe("landscape");
    expect(aspectOfSize("720x1280", ["landscape", "portrait"])).toBe("portrait");
  });

  test.each(["big", "1024", "0x1024", "1024x0", "1024*1024", "-5x5", "123456x1"])("%p is a 400 naming size", (size) => {
    const error = thrown(() => aspectOfSize(size));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("size");
  });
});

describe("pcmOfWav", () => {
  test("is the data chunk of the WAV: 24 kHz mono 16-bit samples", () => {
    const samples = Int16Array.from([0, 1000, -1000, 32767, -32768]);
    const wav = encodeWav({ sampleRate: 24_000, samples });
    const pcm = pcmOfWav(wav);
    expect(pcm.length).toBe(10);
    expect(Array.from(new Int16Array(pcm.slice().buffer))).toEqual(Array.from(samples));
  });

  test("a WAV without data is invalid_response", () => {
    expect(thrown(() => pcmOfWav(new TextEncoder().encode("RIFF\0\0\0\0WAVE"))).type).toBe("invalid_response");
  });
});

describe("openaiField: the seed's field names in OpenAI's terms", () => {
  test.each([
    ["image", "aspect_ratio", "size"],
    ["image", "images[1]", "image"],
    ["image", "images", "image"],
    ["image", "model", "model"],
    ["video", "duration_seconds", "seconds"],
    ["video", "image", "input_reference"],
    ["video", "image.b64_json", "input_reference"],
    ["audio", "input", "input"],
    ["audio", "voice", "voice"],
  ] as const)("%s: %s -> %s", (type, field, expected) => {
    expect(openaiField(type)(field)).toBe(expected);
  });
});

describe("the error envelope", () => {
  const expected: Record<ErrorType, [status: number, type: string, code: string]> = {
    invalid_argument: [400, "invalid_request_error", "invalid_value"],
    unauthorized: [401, "authentication_error", "invalid_api_key"],
    forbidden: [403, "permission_error", "forbidden"],
    not_found: [404, "invalid_request_error", "not_found"],
    insufficient_credits: [429, "insufficient_quota", "insufficient_quota"],
    budget_exceeded: [429, "insufficient_quota", "budget_exceeded"],
    cancelled: [409, "invalid_request_error", "cancelled"],
    not_cancellable: [409, "invalid_request_error", "not_cancellable"],
    idempotency_conflict: [409, "invalid_request_error", "idempotency_conflict"],
    payload_too_large: [413, "invalid_request_error", "payload_too_large"],
    range_not_satisfiable: [416, "invalid_request_error", "range_not_satisfiable"],
    unknown_model: [400, "invalid_request_error", "model_not_found"],
    not_configured: [422, "invalid_request_error", "not_configured"],
    not_implemented: [422, "invalid_request_error", "not_implemented"],
    no_desktop: [422, "invalid_request_error", "no_desktop"],
    auth_required: [422, "invalid_request_error", "auth_required"],
    content_filtered: [400, "invalid_request_error", "moderation_blocked"],
    rate_limited: [429, "requests", "rate_limit_exceeded"],
    queue_full: [429, "requests", "queue_full"],
    api_error: [502, "server_error", "api_error"],
    network_error: [502, "server_error", "network_error"],
    invalid_response: [502, "server_error", "invalid_response"],
    empty_response: [502, "server_error", "empty_response"],
    overloaded: [503, "server_error", "overloaded"],
    interrupted: [503, "server_error", "interrupted"],
    storage_error: [503, "server_error", "storage_error"],
    file_unavailable: [503, "server_error", "file_unavailable"],
    timeout: [504, "server_error", "timeout"],
    internal: [500, "server_error", "internal"],
  };

  test.each(Object.keys(ERROR_CATALOGUE) as ErrorType[])("%s", (type) => {
    const error = new AppError(type, "what went wrong");
    const [status, errorType, code] = expected[type];
    expect(openaiStatus(error)).toBe(status);
    expect(errorEnvelope(error)).toEqual({ error: { message: "what went wrong", type: errorType, code, param: null } });
  });

  test("a key the provider rejected (auth_required with a 502) is a server_error", () => {
    const error = new AppError("auth_required", "rejected", { status: 502 });
    expect(openaiStatus(error)).toBe(502);
    expect(errorEnvelope(error).error.type).toBe("server_error");
  });

  test("param is the field at fault, renamed to OpenAI's name", () => {
    const error = new AppError("invalid_argument", "bad", { field: "aspect_ratio" });
    expect(errorEnvelope(error, openaiField("image")).error.param).toBe("size");
  });

  test("x-should-retry is true only where a retry cannot pay twice; Retry-After is kept", async () => {
    const queued = openaiErrorResponse(new AppError("queue_full", "wait", { retry_after_seconds: 7 }));
    expect(queued.status).toBe(429);
    expect(queued.headers.get("x-should-retry")).toBe("true");
    expect(queued.headers.get("retry-after")).toBe("7");
    for (const type of ["timeout", "network_error", "interrupted", "budget_exceeded", "idempotency_conflict", "internal"] as const) {
      expect(openaiErrorResponse(new AppError(type)).headers.get("x-should-retry")).toBe("false");
    }
    expect(await queued.json()).toEqual({ error: { message: "wait", type: "requests", code: "queue_full", param: null } });
  });
});
