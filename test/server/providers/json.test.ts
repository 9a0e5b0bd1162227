// The shared narrowing of upstream JSON and the base64 / data-URL spellings every provider uses.
import { describe, expect, test } from "bun:test";
import { asNonBlank, asNumber, asObject, asObjects, asString, dataUrl, defined, fromBase64, toBase64 } from "../../../server/providers/json.ts";

describe("narrowing", () => {
  test.each([
    // value, asObject, asString, asNonBlank, asNumber
    [{ a: 1 }, { a: 1 }, undefined, undefined, undefined],
    [[1], undefined, undefined, undefined, undefined],
    [null, undefined, undefined, undefined, undefined],
    ["", undefined, undefined, undefined, undefined],
    ["  ", undefined, "  ", undefined, undefined],
    ["x", undefined, "x", "x", undefined],
    [3, undefined, undefined, undefined, 3],
    [Number.NaN, undefined, undefined, undefined, undefined],
    [Number.POSITIVE_INFINITY, undefined, undefined, undefined, undefined],
  ] as const)("%p", (value, object, string, nonBlank, number) => {
    expect(asObject(value)).toEqual(object as never);
    expect(asString(value)).toBe(string);
    expect(asNonBlank(value)).toBe(nonBlank);
    expect(asNumber(value)).toBe(number);
  });

  test("asObjects keeps the objects of an array and gives [] for anything else", () => {
    expect(asObjects([{ a: 1 }, 2, null, [3], { b: 2 }])).toEqual([{ a: 1 }, { b: 2 }]);
    expect(asObjects({ a: 1 })).toEqual([]);
  });

  test("defined drops undefined fields only", () => {
    expect(defined({ a: 1, b: undefined, c: null, d: 0 })).toEqual({ a: 1, c: null, d: 0 });
  });
});

describe("base64", () => {
  test("round-trips bytes, including a view into a larger buffer", () => {
    const whole = new Uint8Array([0, 1, 2, 250, 251, 252]);
    const view = whole.subarray(2, 5);
    expect(toBase64(view)).toBe(Buffer.from([2, 250, 251]).toString("base64"));
    expect(fromBase64(toBase64(view))).toEqual(new Uint8Array([2, 250, 251]));
  });

  test("dataUrl spells an input image as a data: URL", () => {
    expect(dataUrl({ mimeType: "image/png", bytes: new Uint8Array([1, 2, 3]), source: "base64" })).toBe("data:image/png;base64,AQID");
  });
});
