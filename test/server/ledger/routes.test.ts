// GET /api/generations, /:id, /:id/file and GET /api/costs/summary over a real ledger, on SQLite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { startFakeClacky, type FakeClacky } from "../../fakes/openclacky.ts";
import { clackyConfig, createHarness, type Harness } from "../../helpers.ts";
import { BACKENDS, openStorage, type OpenedStorage } from "../../storage.ts";

/** No refusals and no billed failures in a group. */
const NONE = { refused_count: 0, billed_failure_count: 0, billed_failure_usd: 0 };

/** A local date `YYYY-MM-DD` (the API's dates are local days). */
const localDay = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

describe.each(BACKENDS)("on %s", (backend) => {
  let fake: FakeClacky;
  let storage: OpenedStorage | undefined;
  let h: Harness;
  const ids = {} as Record<"cat" | "dog" | "video" | "speech" | "failed", string>;

  beforeAll(async () => {
    fake = startFakeClacky();
    storage = backend === "postgres" ? await openStorage(backend) : undefined;
    h = createHarness({ config: clackyConfig(fake.url, fake.key), ...(storage ? { storage } : {}) });
    ids.cat = (await h.post("/api/media/image", { prompt: "A cat on a sofa", output_dir: h.workDir })).body.id;
    ids.dog = (await h.post("/api/media/image", { prompt: "A dog in the park", output_dir: h.workDir })).body.id;
    ids.video = (await h.post("/api/media/video", { prompt: "A cat video", duration_seconds: 4, output_dir: h.workDir })).body.id;
    ids.speech = (await h.post("/api/media/audio/speech", { input: "Hello", output_dir: h.workDir })).body.id;
    ids.failed = (await h.post("/api/media/image", { prompt: "broken [[fake:500]]", output_dir: h.workDir })).body.id;
  });

  afterAll(async () => {
    h?.[Symbol.dispose]();
    await storage?.close();
    await fake?.close();
  });

  describe("GET /api/generations", () => {
    test("newest first, with every recorded field", async () => {
      const { status, body } = await h.get("/api/generations");
      expect(status).toBe(200);
      expect(body.items.map((g: { id: string }) => g.id)).toEqual([ids.failed, ids.speech, ids.video, ids.dog, ids.cat]);
      expect(body.next_cursor).toBeNull();
      expect(body.items[4]).toMatchObject({ type: "image", status: "succeeded", model: "or-gpt-image-2", model_name: "img", provider: "openclacky", prompt: "A cat on a sofa", mime_type: "image/png", width: 1536, height: 1024, cost_usd: 0.04, cost_source: "upstream", client: null });
      expect(body.items[0]).toMatchObject({ status: "failed", error_type: "api_error", upstream_status: 500, output_path: null });
    });

    test.each([
      ["type=image", 3],
      ["status=failed", 1],
      ["status=succeeded&type=image", 2],
      ["model=or-veo-3-1", 1],
      ["model=vid", 1],
      ["q=CAT", 2],
    ])("filter %s gives %d", async (query, count) => {
      const { body } = await h.get(`/api/generations?${query}`);
      expect(body.items).toHaveLength(count);
    });

    test("from/to are local dates (to inclusive) or ISO times, and combine with the other filters", async () => {
      const day = (offset: number) => localDay(new Date(Date.now() + offset * 86_400_000));
      const count = async (query: string) => (await h.get(`/api/generations?${query}`)).body.items.length;
      expect(await count(`from=${day(0)}&to=${day(0)}`)).toBe(5);
      expect(await count(`from=${day(0)}&type=image`)).toBe(3);
      expect(await count(`to=${day(-1)}`)).toBe(0);
      expect(await count(`from=${day(1)}`)).toBe(0);
      expect(await count(`from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toBe(0);
      expect(await count(`to=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toBe(5);
    });

    test("date-filtered pages keep the cursor order", async () => {
      const first = await h.get(`/api/generations?limit=3&from=${localDay(new Date())}`);
      const second = await h.get(`/api/generations?limit=3&from=${localDay(new Date())}&cursor=${first.body.next_cursor}`);
      expect([...first.body.items, ...second.body.items].map((g: { id: string }) => g.id)).toEqual([ids.failed, ids.speech, ids.video, ids.dog, ids.cat]);
      expect(second.body.next_cursor).toBeNull();
    });

    test("cursor pagination walks every row once", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await h.get(`/api/generations?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...page.body.items.map((g: { id: string }) => g.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual([ids.failed, ids.speech, ids.video, ids.dog, ids.cat]);
    });

    test.each([
      ["type=gif", "type"],
      ["status=done", "status"],
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["cursor=xyz", "cursor"],
      ["colour=red", "colour"],
      ["from=yesterday", "from"],
      ["to=2026-13-45", "to"],
      ["from=2026-12-01&to=2026-11-01", "from"],
    ])("bad query %s is a 400 naming %s", async (query, field) => {
      const { status, body } = await h.get(`/api/generations?${query}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({ error_type: "invalid_argument", field });
    });
  });

  describe("GET /api/generations/:id and /file", () => {
    test("one record by id; unknown id is 404", async () => {
      expect((await h.get(`/api/generations/${ids.video}`)).body).toMatchObject({ id: ids.video, type: "video", duration_seconds: 4, cost_usd: 1.344 });
      expect((await h.get("/api/generations/nope")).status).toBe(404);
    });

    test("serves the file with its content type and byte ranges", async () => {
      const record = (await h.get(`/api/generations/${ids.cat}`)).body;
      const bytes = readFileSync(record.output_path);
      const full = await h.call(`/api/generations/${ids.cat}/file`);
      expect(full.status).toBe(200);
      expect(full.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await full.arrayBuffer())).toEqual(bytes);
      const part = await h.call(`/api/generations/${ids.cat}/file`, { headers: { range: "bytes=0-7" } });
      expect(part.status).toBe(206);
      expect(part.headers.get("content-range")).toBe(`bytes 0-7/${bytes.length}`);
      expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(0, 8));
      const beyond = await h.call(`/api/generations/${ids.cat}/file`, { headers: { range: `bytes=${bytes.length + 10}-` } });
      expect(beyond.status).toBe(416);
      expect((await beyond.json()).error_type).toBe("range_not_satisfiable");
    });

    test("a failed generation has no file (404)", async () => {
      const { status, body } = await h.get(`/api/generations/${ids.failed}/file`);
      expect(status).toBe(404);
      expect(body.error_type).toBe("not_found");
    });
  });

  describe("GET /api/costs/summary", () => {
    test("group_by type sums upstream costs and counts successes", async () => {
      const { status, body } = await h.get("/api/costs/summary?group_by=type");
      expect(status).toBe(200);
      const byKey = Object.fromEntries(body.groups.map((g: { key: string }) => [g.key, g]));
      expect(byKey.image).toMatchObject({ count: 2, cost_usd: 0.08, unknown_cost_count: 0, ...NONE });
      expect(byKey.video).toMatchObject({ count: 1, cost_usd: 1.344 });
      expect(body.total.count).toBe(4);
      expect(body.total.cost_usd).toBeCloseTo(0.04 + 0.04 + 1.344 + 0.000259, 9);
    });

    test("group_by day, model and provider", async () => {
      const day = localDay(new Date());
      expect((await h.get(`/api/costs/summary?group_by=day&from=${day}&to=${day}`)).body.groups.map((g: { key: string }) => g.key)).toEqual([day]);
      expect((await h.get("/api/costs/summary?group_by=model")).body.groups).toHaveLength(3);
      expect((await h.get("/api/costs/summary?group_by=provider")).body.groups.map((g: { key: string }) => g.key)).toEqual(["openclacky"]);
    });

    test("type narrows the spend to one media type", async () => {
      const day = localDay(new Date());
      const video = (await h.get(`/api/costs/summary?group_by=day&type=video&from=${day}&to=${day}`)).body;
      expect(video.groups).toEqual([{ key: day, count: 1, cost_usd: 1.344, unknown_cost_count: 0, ...NONE }]);
      const image = (await h.get("/api/costs/summary?group_by=model&type=image")).body;
      expect(image.groups.map((g: { key: string }) => g.key)).toEqual(["or-gpt-image-2"]);
      expect(image.total).toMatchObject({ count: 2, cost_usd: 0.08 });
    });

    test.each([
      ["group_by=week", "group_by"],
      ["type=gif", "type"],
      ["from=yesterday", "from"],
      ["from=2026-12-01&to=2026-11-01", "from"],
    ])("bad query %s is a 400 naming %s", async (query, field) => {
      const { status, body } = await h.get(`/api/costs/summary?${query}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({ error_type: "invalid_argument", field });
    });
  });
});
