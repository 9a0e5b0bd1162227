// History helpers: filters to queries, the re-run request of a record, field formatting.
import { describe, expect, test } from "bun:test";
import {
  fieldRows,
  filtersFromSearch,
  formatTimestamp,
  formatUnitPrice,
  hadInputs,
  historyQuery,
  isViewable,
  markdownOf,
  mediaSize,
  NO_FILTERS,
  ownerOf,
  PAGE_SIZE,
  rerunRequest,
  searchFromFilters,
} from "../../../web/src/lib/history.ts";

describe("historyQuery", () => {
  test("no filters: only the page size", () => {
    expect(historyQuery(NO_FILTERS)).toEqual({ limit: PAGE_SIZE });
  });

  test("every filter, trimmed, and the cursor of the next page", () => {
    const filters = { type: "video", status: "refused", model: "  veo ", q: " cat  ", door: "mcp", client: " claude-code ", session: " s-1 ", who: "owner:ana", from: "2026-11-01", to: "2026-11-23" } as const;
    expect(historyQuery(filters, "42")).toEqual({
      limit: PAGE_SIZE,
      type: "video",
      status: "refused",
      model: "veo",
      q: "cat",
      door: "mcp",
      client: "claude-code",
      session: "s-1",
      owner: "ana",
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
  const image = { type: "image" as const, model: "gpt-image-2", model_name: "hero" };

  test("image: prompt, aspect ratio, the same model (its entry name) and output folder", () => {
    expect(rerunRequest({ ...image, prompt: "A cat", params: { aspect_ratio: "square", output_dir: "/tmp/x/assets/generated" } })).toEqual({
      type: "image",
      body: { prompt: "A cat", aspect_ratio: "square", model: "hero", output_dir: "/tmp/x/assets/generated" },
      droppedInputs: false,
    });
  });

  test("image: input images kept as file paths are sent again; inline ones cannot be", () => {
    const kept = rerunRequest({ ...image, prompt: "Edit", params: { aspect_ratio: "landscape", inputs: ["/a.png", "/b.jpg"] } });
    expect(kept.body).toMatchObject({ images: ["/a.png", "/b.jpg"] });
    expect(kept.droppedInputs).toBe(false);
    const partly = rerunRequest({ ...image, prompt: "Edit", params: { inputs: ["/a.png", "base64"] } });
    expect(partly.body).toMatchObject({ images: ["/a.png"] });
    expect(partly.droppedInputs).toBe(true);
    expect("images" in rerunRequest({ ...image, prompt: "Edit", params: { inputs: ["data-url"] } }).body).toBe(false);
  });

  test("another model, or the type's default (\"\"), when the user picks one", () => {
    expect(rerunRequest({ ...image, prompt: "A cat", params: {} }, "other").body).toEqual({ prompt: "A cat", model: "other" });
    expect(rerunRequest({ ...image, prompt: "A cat", params: {} }, "").body).toEqual({ prompt: "A cat" });
    expect(rerunRequest({ ...image, model_name: null, prompt: "A cat", params: {} }).body).toEqual({ prompt: "A cat", model: "gpt-image-2" });
  });

  test("video: prompt, aspect ratio, duration and a first frame given as a file; an inline frame is dropped", () => {
    const video = { type: "video" as const, model: "veo-3.1", model_name: null };
    expect(rerunRequest({ ...video, prompt: "Waves", params: { aspect_ratio: "portrait", duration_seconds: 6, first_frame: "base64" } })).toEqual({
      type: "video",
      body: { prompt: "Waves", aspect_ratio: "portrait", duration_seconds: 6, model: "veo-3.1" },
      droppedInputs: true,
    });
    expect(rerunRequest({ ...video, prompt: "Waves", params: { first_frame: "/f.png" } })).toMatchObject({ body: { first_frame: "/f.png" }, droppedInputs: false });
  });

  test("speech: the text as input, with the voice when one was chosen", () => {
    const audio = { type: "audio" as const, model: "flite", model_name: "offline" };
    expect(rerunRequest({ ...audio, prompt: "Hello", params: { voice: "kal" } })).toEqual({ type: "audio", body: { input: "Hello", voice: "kal", model: "offline" }, droppedInputs: false });
    expect(rerunRequest({ ...audio, prompt: "Hello", params: {} }, "").body).toEqual({ input: "Hello" });
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

describe("filters in the URL", () => {
  test("read every known field, ignore the rest, keep defaults for the missing", () => {
    expect(filtersFromSearch("?type=image&q=cat%20sofa&bogus=1", NO_FILTERS)).toEqual({ ...NO_FILTERS, type: "image", q: "cat sofa" });
    expect(filtersFromSearch("", NO_FILTERS)).toEqual(NO_FILTERS);
  });

  test("written back in field order, blank and default fields left out", () => {
    expect(searchFromFilters({ ...NO_FILTERS, q: "a&b", type: "video" }, NO_FILTERS)).toBe("?type=video&q=a%26b");
    expect(searchFromFilters(NO_FILTERS, NO_FILTERS)).toBe("");
  });

  test("generic over whatever fields the filter model has", () => {
    const defaults = { door: "", client: "", session: "" };
    const filters = filtersFromSearch("?door=mcp&session=s1", defaults);
    expect(filters).toEqual({ door: "mcp", client: "", session: "s1" });
    expect(searchFromFilters(filters, defaults)).toBe("?door=mcp&session=s1");
    expect(historyQuery(filters as never)).toEqual({ limit: PAGE_SIZE, door: "mcp", session: "s1" });
  });
});

describe("markdownOf", () => {
  test("a picture as the skill writes it, other files as links; special characters escaped", () => {
    expect(markdownOf({ type: "image", output_path: "/home/me/out/img_1.png" })).toBe("![](file:///home/me/out/img_1.png)");
    expect(markdownOf({ type: "image", output_path: "/home/me/my pics (new)/猫.png" })).toBe("![](file:///home/me/my%20pics%20%28new%29/%E7%8C%AB.png)");
    expect(markdownOf({ type: "audio", output_path: "/out/tts_1.wav" })).toBe("[🔊 tts_1.wav](file:///out/tts_1.wav)");
    expect(markdownOf({ type: "image", output_path: "C:\\Users\\me\\a.png" })).toBe("![](file:///C:/Users/me/a.png)");
    expect(markdownOf({ type: "image", output_path: null })).toBeUndefined();
  });
});

describe("isViewable", () => {
  test("a succeeded record with a file still on disk", () => {
    expect(isViewable({ status: "succeeded", output_path: "/a.png" })).toBe(true);
    expect(isViewable({ status: "succeeded", output_path: "/a.png", file_missing: true })).toBe(false);
    expect(isViewable({ status: "failed", output_path: null })).toBe(false);
    expect(isViewable({ status: "running", output_path: null })).toBe(false);
  });
});

describe("ownerOf", () => {
  test("the token's owner with its team, the owner alone, or nothing outside team mode", () => {
    expect(ownerOf({ owner: "alice", team: "design" })).toBe("alice (design)");
    expect(ownerOf({ owner: "bob", team: null })).toBe("bob");
    expect(ownerOf({ owner: null, team: null })).toBeUndefined();
    expect(ownerOf({})).toBeUndefined();
  });
});
