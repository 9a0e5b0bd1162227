// The UI's files: served gzipped to clients that accept it, identical once decoded, revalidated by ETag per encoding;
// and their total weight on the wire against the size before issue 15.
import { expect, test } from "bun:test";
import { UI_GZIP_BASELINE_BYTES, UI_GZIP_LIMIT, uiGzipTotal } from "../../bench/ui-gzip.ts";
import { serveUi } from "../../server/ui.ts";

const get = (path: string, headers: Record<string, string> = {}) => serveUi(new Request(`http://127.0.0.1:7070${path}`, { headers }), path);

test("the page and its script go gzipped when the client accepts gzip, and decode to the same bytes", async () => {
  const plain = (await get("/"))!;
  const zipped = (await get("/", { "accept-encoding": "gzip, deflate, br" }))!;
  expect(plain.headers.get("content-encoding")).toBeNull();
  expect(zipped.headers.get("content-encoding")).toBe("gzip");
  expect(zipped.headers.get("vary")).toBe("accept-encoding");
  const html = await plain.text();
  expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await zipped.arrayBuffer())))).toBe(html);
  const script = /src="([^"]+\.js)"/.exec(html)?.[1];
  expect(script).toBeDefined();
  const js = (await get(script!, { "accept-encoding": "gzip" }))!;
  const raw = new Uint8Array(await (await get(script!))!.arrayBuffer());
  const body = new Uint8Array(await js.arrayBuffer());
  expect(js.headers.get("cache-control")).toContain("immutable");
  expect(body.length).toBeLessThan(raw.length / 2);
  expect(Bun.gunzipSync(body)).toEqual(raw);
  // Each encoding has its own ETag, and each revalidates to a 304.
  const etag = js.headers.get("etag")!;
  expect(etag).not.toBe((await get(script!))!.headers.get("etag"));
  expect((await get(script!, { "accept-encoding": "gzip", "if-none-match": etag }))!.status).toBe(304);
});

test("the whole UI on the wire stays within UI_GZIP_LIMIT of its size before issue 15 (bench/ui-gzip.ts)", async () => {
  const { total, files } = await uiGzipTotal();
  expect(files.map(([path]) => path)).toContain("/");
  expect(files.some(([path]) => path.endsWith(".js"))).toBe(true);
  const ratio = total / UI_GZIP_BASELINE_BYTES;
  if (ratio > UI_GZIP_LIMIT) {
    throw new Error(
      `the UI is ${total} bytes gzipped, ${ratio.toFixed(2)}x the ${UI_GZIP_BASELINE_BYTES} of e1bb0f2 (limit ${UI_GZIP_LIMIT}x): ` +
        "make it lighter, or raise UI_GZIP_LIMIT in bench/ui-gzip.ts and say in docs/benchmarks.md what the extra bytes buy",
    );
  }
});
