import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../../../server/errors.ts";
import { fileResponse } from "../../../server/http/range.ts";
import { tempDir } from "../../helpers.ts";

/** 100 distinct bytes: 0, 1, ..., 99. */
const CONTENT = Uint8Array.from({ length: 100 }, (_, i) => i);

/** Serves CONTENT from a temp file with the given request headers. */
async function serve(headers: Record<string, string> = {}, content = CONTENT) {
  using dir = tempDir();
  const path = join(dir.path, "clip.mp4");
  writeFileSync(path, content);
  const response = await fileResponse(new Request("http://127.0.0.1:7070/api/files/x", { headers }), path, "video/mp4");
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

describe("fileResponse", () => {
  test("without Range: the whole file with type, length and accept-ranges", async () => {
    const { response, bytes } = await serve();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("video/mp4");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(response.headers.get("content-length")).toBe("100");
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(response.headers.get("cache-control")).toContain("must-revalidate");
    expect(bytes).toEqual(CONTENT);
  });

  const ranges: [string, number, number][] = [
    ["bytes=0-9", 0, 9],
    ["bytes=10-19", 10, 19],
    ["bytes=99-99", 99, 99],
    ["bytes=-5", 95, 99],
    ["bytes=-100", 0, 99],
    ["bytes=-500", 0, 99],
    ["bytes=10-", 10, 99],
    ["bytes=0-", 0, 99],
    ["bytes=90-1000", 90, 99],
    [" bytes=0-0 ", 0, 0],
  ];
  test.each(ranges)("%p -> 206 with bytes %d-%d", async (range, start, end) => {
    const { response, bytes } = await serve({ range });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes ${start}-${end}/100`);
    expect(response.headers.get("content-length")).toBe(String(end - start + 1));
    expect(response.headers.get("content-type")).toBe("video/mp4");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(bytes).toEqual(CONTENT.slice(start, end + 1));
  });

  const unsatisfiable: [string, string][] = [
    ["bytes=100-", "beyond the end"],
    ["bytes=100-200", "beyond the end"],
    ["bytes=50-10", "backwards"],
    ["bytes=-0", "an empty suffix"],
    ["bytes=-", "malformed"],
    ["bytes=a-b", "malformed"],
    ["bytes=0-9,20-29", "multiple ranges"],
    ["items=0-9", "another unit"],
    ["0-9", "malformed"],
    ["bytes=-5-", "malformed"],
  ];
  test.each(unsatisfiable)("%p (%s) -> 416 with content-range bytes */size", async (range) => {
    const { response, bytes } = await serve({ range });
    expect(response.status).toBe(416);
    expect(response.headers.get("content-range")).toBe("bytes */100");
    const body = JSON.parse(new TextDecoder().decode(bytes));
    expect(body).toMatchObject({ success: false, error_type: "range_not_satisfiable" });
    expect(body.error).toContain(range.trim());
  });

  test("any range of an empty file is 416", async () => {
    const { response } = await serve({ range: "bytes=0-0" }, new Uint8Array());
    expect(response.status).toBe(416);
    expect(response.headers.get("content-range")).toBe("bytes */0");
  });

  test("If-None-Match with the current etag -> 304 without a body; a stale etag -> 200", async () => {
    using dir = tempDir();
    const path = join(dir.path, "a.png");
    writeFileSync(path, CONTENT);
    const first = await fileResponse(new Request("http://127.0.0.1:7070/f"), path, "image/png");
    const etag = first.headers.get("etag")!;

    const cached = await fileResponse(new Request("http://127.0.0.1:7070/f", { headers: { "if-none-match": etag } }), path, "image/png");
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);
    expect((await cached.arrayBuffer()).byteLength).toBe(0);

    const stale = await fileResponse(new Request("http://127.0.0.1:7070/f", { headers: { "if-none-match": '"0-0"' } }), path, "image/png");
    expect(stale.status).toBe(200);
    expect(new Uint8Array(await stale.arrayBuffer())).toEqual(CONTENT);
  });

  test("the etag changes when the file's size changes", async () => {
    using dir = tempDir();
    const path = join(dir.path, "a.wav");
    writeFileSync(path, CONTENT);
    const before = (await fileResponse(new Request("http://127.0.0.1:7070/f"), path, "audio/wav")).headers.get("etag");
    writeFileSync(path, CONTENT.slice(0, 50));
    const after = (await fileResponse(new Request("http://127.0.0.1:7070/f"), path, "audio/wav")).headers.get("etag");
    expect(after).not.toBe(before);
  });

  test("a missing file is an AppError not_found naming the path", async () => {
    using dir = tempDir();
    const path = join(dir.path, "gone.png");
    let error: unknown;
    try {
      await fileResponse(new Request("http://127.0.0.1:7070/f"), path, "image/png");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).type).toBe("not_found");
    expect((error as AppError).status).toBe(404);
    expect((error as AppError).message).toContain(path);
  });
});
