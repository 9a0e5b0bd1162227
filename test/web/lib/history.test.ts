// History helpers: filters to queries, the re-run request of a record, field formatting.
import { describe, expect, test } from "bun:test";
import {
  fieldRows,
  formatTimestamp,
  formatUnitPrice,
  hadInputs,
  historyQuery,
  mediaSize,
  NO_FILTERS,
  PAGE_SIZE,
  rerunRequest,
} from "../../../web/src/lib/history.ts";

describe("historyQuery", () => {
  test("no filters: only the page size", () => {
    expect(historyQuery(NO_FILTERS)).toEqual({ limit: PAGE_SIZE });
  });

  test("every filter, trimmed, and the cursor of the next page", () => {
    const filters = { type: "video", status: "refused", model: "  veo ", q: " cat  ", door: "mcp", client: " claude-code ", session: " s-1 ", from: "2026-11-01", to: "2026-11-23" } as const;
    expect(historyQuery(filters, "42")).toEqual({
      limit: PAGE_SIZE,
      type: "video",
      status: "refused",
      model: "veo",
      q: "cat",
      door: "mcp",
      client: "claude-code",
      session: "s-1",
      from: "2026-11-01",
      to: "2026-11-23",
      cursor: "42",
    });
  });

  test("blank text is left out", () => {
    expect(historyQuery({ ...NO_FILTERS, q: "   ", model: "", client: "  " }, null)).toEqual({ limit: PAGE_SIZE });
  });
});

describe("rerunRequest", () => {
  test("image: prompt and aspect ratio; input images cannot be re-sent", () => {
    expect(rerunRequest({ type: "image", prompt: "A cat", params: { aspect_ratio: "square", output_dir: "/tmp/x" } })).toEqual({
      type: "image",
      body: { prompt: "A cat", aspect_ratio: "square" },
      droppedInputs: false,
    });
    expect(rerunRequest({ type: "image", prompt: "Edit", params: { aspect_ratio: "landscape", inputs: ["/a.png"] } }).droppedInputs).toBe(true);
  });

  test("video: prompt, aspect ratio and duration; a first frame is dropped", () => {
    expect(rerunRequest({ type: "video", prompt: "Waves", params: { aspect_ratio: "portrait", duration_seconds: 6, first_frame: "inline" } })).toEqual({
      type: "video",
      body: { prompt: "Waves", aspect_ratio: "portrait", duration_seconds: 6 },
      droppedInputs: true,
    });
  });

  test("speech: the text as input, with the voice when one was chosen", () => {
    expect(rerunRequest({ type: "audio", prompt: "Hello", params: { voice: "kal" } })).toEqual({ type: "audio", body: { input: "Hello", voice: "kal" }, droppedInputs: false });
    expect(rerunRequest({ type: "audio", prompt: "Hello", params: {} }).body).toEqual({ input: "Hello" });
  });

  test("hadInputs ignores an empty inputs list", () => {
    expect(hadInputs({ params: { inputs: [] } })).toBe(false);
  });
});

describe("formatting", () => {
  test("fieldRows shows text as is and anything else as JSON", () => {
    expect(fieldRows({ aspect_ratio: "square", duration_seconds: 8, inputs: ["/a.png"], extra: null })).toEqual([
      ["aspect_ratio", "square"],
      ["duration_seconds", "8"],
      ["inputs", '["/a.png"]'],
      ["extra", "null"],
    ]);
    expect(fieldRows(null)).toEqual([]);
  });

  test("unit prices keep their precision", () => {
    expect(formatUnitPrice(0.000002)).toBe("$0.000002");
    expect(formatUnitPrice(0.04)).toBe("$0.04");
    expect(formatUnitPrice(0)).toBe("$0");
    expect(formatUnitPrice(null)).toBe("—");
  });

  test("timestamps have seconds, in local time", () => {
    expect(formatTimestamp(new Date(2026, 10, 23, 9, 5, 7).toISOString())).toBe("2026-11-23 09:05:07");
    expect(formatTimestamp(null)).toBe("—");
  });

  test("size of pictures, duration of videos and speech", () => {
    expect(mediaSize({ width: 1536, height: 1024, duration_seconds: null })).toBe("1536×1024");
    expect(mediaSize({ width: null, height: null, duration_seconds: 4 })).toBe("4 s");
    expect(mediaSize({ width: null, height: null, duration_seconds: 2.3456 })).toBe("2.35 s");
    expect(mediaSize({ width: null, height: null, duration_seconds: null })).toBeNull();
  });
});
