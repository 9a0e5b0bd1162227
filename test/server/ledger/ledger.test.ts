import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { MIGRATIONS, migrate, openDatabase } from "../../../server/ledger/database.ts";
import { ASSUMED_COST_USD } from "../../../server/defaults.ts";
import { SqliteLedger, type NewGeneration } from "../../../server/ledger/ledger.ts";
import type { Generation, GenerationQuery } from "../../../server/ledger/schema.ts";
import type { Ledger } from "../../../server/ledger/store.ts";
import { tempDir } from "../../helpers.ts";
import { BACKENDS, openStorage, type OpenedStorage } from "../../storage.ts";

const userVersion = (db: Database) => db.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version;

describe("openDatabase", () => {
  test("migrates a new database to the latest user_version", () => {
    const db = openDatabase(":memory:");
    expect(userVersion(db)).toBe(MIGRATIONS.length);
    const columns = db.query<{ name: string }, []>("PRAGMA table_info(generations)").all().map((c) => c.name);
    expect(columns).toContain("cost_usd");
    expect(columns).toContain("error_type");
    db.close();
  });

  test("a file database is in WAL mode, in a folder created for it", () => {
    using dir = tempDir();
    const db = openDatabase(join(dir.path, "deep", "er", "mediagen.db"));
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode).toBe("wal");
    db.close();
  });

  test("reopening keeps the rows and the version; migrate() again changes nothing", async () => {
    using dir = tempDir();
    const path = join(dir.path, "mediagen.db");
    const first = openDatabase(path);
    const id = await new SqliteLedger(first).start({ type: "image", model: "m", provider: "p", prompt: "a cat", params: {} });
    first.close();

    const second = openDatabase(path);
    expect(userVersion(second)).toBe(MIGRATIONS.length);
    expect(migrate(second)).toBe(MIGRATIONS.length);
    expect(userVersion(second)).toBe(MIGRATIONS.length);
    expect((await new SqliteLedger(second).get(id))?.prompt).toBe("a cat");
    second.close();
  });

  test("a database from a newer mediagen is refused", () => {
    using dir = tempDir();
    const path = join(dir.path, "mediagen.db");
    const newer = new Database(path, { create: true });
    newer.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    newer.close();
    expect(() => openDatabase(path)).toThrow(`database schema version ${MIGRATIONS.length + 1} is newer than this mediagen`);
  });
});

describe.each(BACKENDS)("Ledger on %s", (backend) => {
  let storage: OpenedStorage;
  let clock: number;
  let ledger: Ledger;
  const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

  beforeEach(async () => {
    clock = T0;
    storage = await openStorage(backend, () => clock);
    ledger = storage.ledger;
  });
  afterEach(() => storage.close());

  const newImage = (fields: Partial<NewGeneration> = {}): NewGeneration => ({
    type: "image",
    model: "or-gpt-image-2",
    modelName: "img",
    provider: "openclacky",
    prompt: "a red fox in snow",
    params: { aspect_ratio: "landscape" },
    ...fields,
  });

  test("start records a running row with the request's facts", async () => {
    const id = (await ledger.start(newImage({ sessionId: "s-1", client: "claude-code" })));
    expect(await ledger.get(id)).toMatchObject({
      id,
      type: "image",
      status: "running",
      model: "or-gpt-image-2",
      model_name: "img",
      provider: "openclacky",
      prompt: "a red fox in snow",
      params: { aspect_ratio: "landscape" },
      output_path: null,
      cost_usd: null,
      cost_source: "unknown",
      created_at: new Date(T0).toISOString(),
      started_at: new Date(T0).toISOString(),
      finished_at: null,
      latency_ms: null,
      session_id: "s-1",
      client: "claude-code",
    } satisfies Partial<Generation>);
  });

  test("succeed fills in the output, cost and latency", async () => {
    const id = (await ledger.start(newImage()));
    clock = T0 + 4200;
    (await ledger.succeed(id, {
      outputPath: "/p/assets/generated/img.png",
      mimeType: "image/png",
      bytes: 1234,
      width: 1536,
      height: 1024,
      usage: { input_tokens: 12 },
      cost: { costUsd: 0.042, source: "upstream" },
      params: { aspect_ratio: "landscape", size: "1536x1024" },
    }));
    expect(await ledger.get(id)).toMatchObject({
      status: "succeeded",
      output_path: "/p/assets/generated/img.png",
      mime_type: "image/png",
      bytes: 1234,
      width: 1536,
      height: 1024,
      duration_seconds: null,
      usage: { input_tokens: 12 },
      cost_usd: 0.042,
      cost_source: "upstream",
      params: { aspect_ratio: "landscape", size: "1536x1024" },
      finished_at: new Date(T0 + 4200).toISOString(),
      latency_ms: 4200,
      error: null,
    } satisfies Partial<Generation>);
  });

  test("succeed without params keeps the params recorded at start", async () => {
    const id = (await ledger.start(newImage()));
    await ledger.succeed(id, { outputPath: "/x.png", mimeType: "image/png", bytes: 1, cost: { costUsd: null, source: "unknown" } });
    expect((await ledger.get(id))?.params).toEqual({ aspect_ratio: "landscape" });
  });

  test("fail records the error, its type, the upstream status and any cost", async () => {
    const id = (await ledger.start(newImage()));
    clock = T0 + 900;
    (await ledger.fail(id, {
      status: "failed",
      error: "quota exceeded",
      errorType: "rate_limited",
      upstreamStatus: 429,
      cost: { costUsd: 0.01, source: "catalog", unit: "image", quantity: 1, unitPrice: 0.01 },
    }));
    expect(await ledger.get(id)).toMatchObject({
      status: "failed",
      error: "quota exceeded",
      error_type: "rate_limited",
      upstream_status: 429,
      cost_usd: 0.01,
      cost_source: "catalog",
      cost_unit: "image",
      cost_quantity: 1,
      cost_unit_price: 0.01,
      output_path: null,
      latency_ms: 900,
    } satisfies Partial<Generation>);
  });

  test("a finished row is never rewritten by a later succeed or fail", async () => {
    const failed = (await ledger.start(newImage()));
    await ledger.fail(failed, { status: "failed", error: "boom", errorType: "api_error" });
    const before = (await ledger.get(failed));
    clock += 5000;
    await ledger.succeed(failed, { outputPath: "/late.png", mimeType: "image/png", bytes: 9, cost: { costUsd: 1, source: "upstream" } });
    expect(await ledger.get(failed)).toEqual(before!);

    const succeeded = (await ledger.start(newImage()));
    await ledger.succeed(succeeded, { outputPath: "/ok.png", mimeType: "image/png", bytes: 9, cost: { costUsd: 0.02, source: "upstream" } });
    const done = (await ledger.get(succeeded));
    await ledger.fail(succeeded, { status: "interrupted", error: "shutdown", errorType: "interrupted" });
    expect(await ledger.get(succeeded)).toEqual(done!);
  });

  test("get of an unknown id is undefined", async () => {
    expect(await ledger.get("nope")).toBeUndefined();
  });

  test("a prompt with quotes and SQL in it is stored verbatim", async () => {
    const prompt = `Robert'); DROP TABLE generations;-- "quoted" 100% _under_`;
    const id = (await ledger.start(newImage({ prompt })));
    expect((await ledger.get(id))?.prompt).toBe(prompt);
    expect((await ledger.list({ q: "drop table" })).items.map((g) => g.id)).toEqual([id]);
    expect((await ledger.list({ q: "100%" })).items.map((g) => g.id)).toEqual([id]);
    expect((await ledger.list({ q: "_under_" })).items.map((g) => g.id)).toEqual([id]);
  });

  describe("list", () => {
    /** Nine rows, oldest first: a mix of types, statuses, models and prompts. */
    async function seed(): Promise<string[]> {
      const specs: [NewGeneration, "running" | "succeeded" | "failed"][] = [
        [newImage({ prompt: "A Red Fox" }), "succeeded"],
        [newImage({ type: "video", model: "or-veo-3-1", modelName: "vid", prompt: "fox running" }), "succeeded"],
        [newImage({ type: "audio", model: "flite", modelName: "offline-speech", provider: "local", prompt: "hello there" }), "succeeded"],
        [newImage({ prompt: "blue whale" }), "failed"],
        [newImage({ prompt: "red panda" }), "succeeded"],
        [newImage({ type: "video", model: "or-veo-3-1", modelName: "vid", prompt: "waves" }), "failed"],
        [newImage({ type: "audio", model: "flite", modelName: "offline-speech", provider: "local", prompt: "goodbye" }), "succeeded"],
        [newImage({ prompt: "fox den" }), "running"],
        [newImage({ model: "gpt-image-1", modelName: undefined, provider: "openai", prompt: "a red barn" }), "succeeded"],
      ];
      const ids: string[] = [];
      for (const [input, outcome] of specs) {
        clock += 1000;
        const id = await ledger.start(input);
        if (outcome === "succeeded") await ledger.succeed(id, { outputPath: `/o/${id}`, mimeType: "x/y", bytes: 1, cost: { costUsd: 0.01, source: "upstream" } });
        if (outcome === "failed") await ledger.fail(id, { status: "failed", error: "boom", errorType: "api_error" });
        ids.push(id);
      }
      return ids;
    }

    const filters: [string, GenerationQuery, number[]][] = [
      ["no filter, newest first", {}, [8, 7, 6, 5, 4, 3, 2, 1, 0]],
      ["type", { type: "video" }, [5, 1]],
      ["status", { status: "failed" }, [5, 3]],
      ["status running", { status: "running" }, [7]],
      ["model id", { model: "flite" }, [6, 2]],
      ["model name", { model: "vid" }, [5, 1]],
      ["q, case-insensitive substring of the prompt", { q: "RED" }, [8, 4, 0]],
      ["type and status together", { type: "image", status: "succeeded" }, [8, 4, 0]],
      ["q and type together", { q: "fox", type: "image" }, [7, 0]],
      ["nothing matches", { q: "zebra" }, []],
    ];
    test.each(filters)("%s", async (_name, query, expected) => {
      const ids = await seed();
      const page = (await ledger.list(query));
      expect(page.items.map((g) => g.id)).toEqual(expected.map((i) => ids[i]!));
      expect(page.next_cursor).toBeNull();
    });

    test("cursor pagination walks 3 pages with no duplicates or gaps", async () => {
      const ids = await seed();
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = (await ledger.list({ limit: 4, cursor }));
        sizes.push(page.items.length);
        seen.push(...page.items.map((g) => g.id));
        if (page.next_cursor === null) break;
        cursor = page.next_cursor;
      }
      expect(sizes).toEqual([4, 4, 1]);
      expect(seen).toEqual([...ids].reverse());
    });

    test("a page that ends exactly at the last row has no next cursor", async () => {
      await seed();
      const first = (await ledger.list({ limit: 6 }));
      const second = (await ledger.list({ limit: 3, cursor: first.next_cursor! }));
      expect(second.items).toHaveLength(3);
      expect(second.next_cursor).toBeNull();
    });

    test("pagination keeps its filter across pages", async () => {
      const ids = await seed();
      const first = (await ledger.list({ type: "image", limit: 2 }));
      expect(first.items.map((g) => g.id)).toEqual([ids[8]!, ids[7]!]);
      const second = (await ledger.list({ type: "image", limit: 2, cursor: first.next_cursor! }));
      expect(second.items.map((g) => g.id)).toEqual([ids[4]!, ids[3]!]);
      const third = (await ledger.list({ type: "image", limit: 2, cursor: second.next_cursor! }));
      expect(third.items.map((g) => g.id)).toEqual([ids[0]!]);
      expect(third.next_cursor).toBeNull();
    });

    test("rows added while paging do not shift later pages", async () => {
      const ids = await seed();
      const first = (await ledger.list({ limit: 5 }));
      await ledger.start(newImage({ prompt: "newcomer" }));
      const second = (await ledger.list({ limit: 5, cursor: first.next_cursor! }));
      expect([...first.items, ...second.items].map((g) => g.id)).toEqual([...ids].reverse());
    });

    test("without a limit, pages hold 50", async () => {
      for (let i = 0; i < 51; i++) (await ledger.start(newImage({ prompt: `n${i}` })));
      const page = (await ledger.list({}));
      expect(page.items).toHaveLength(50);
      expect(page.next_cursor).not.toBeNull();
      expect((await ledger.list({ cursor: page.next_cursor! })).items.map((g) => g.prompt)).toEqual(["n0"]);
    });
  });
});

describe.each(BACKENDS)("Ledger on %s: unknown costs are never $0 to a budget", (backend) => {
  test("finished rows without a cost count at their estimate; refusals that billed nothing count nothing", async () => {
    const storage = await openStorage(backend);
    const ledger = storage.ledger;
    const row = async (estimate: number) => (await ledger.enqueue({ type: "image", model: "m", provider: "openclacky", prompt: "p", params: {}, estimatedCostUsd: estimate }));
    const unpriced = await row(0.25);
    await ledger.markRunning(unpriced);
    await ledger.succeed(unpriced, { outputPath: "/x.png", mimeType: "image/png", bytes: 1, cost: { costUsd: null, source: "unknown" } });
    const billedFailure = await row(0.5);
    await ledger.markRunning(billedFailure);
    await ledger.fail(billedFailure, { status: "failed", error: "bad bytes", errorType: "invalid_response", cost: { costUsd: null, source: "unknown", note: "billed" } });
    const refused = await row(4);
    await ledger.markRunning(refused);
    await ledger.fail(refused, { status: "failed", error: "400", errorType: "api_error" });
    expect(await ledger.spendSince(0)).toBeCloseTo(0.75, 9);
    // Billed at an unknown cost and never estimated: it counts as the assumed cost of an image, not $0.
    const unestimated = (await ledger.enqueue({ type: "image", model: "m", provider: "openclacky", prompt: "p", params: {} }));
    await ledger.markRunning(unestimated);
    expect(await ledger.spendSince(0)).toBeCloseTo(0.75, 9);
    await ledger.fail(unestimated, { status: "interrupted", error: "killed", errorType: "interrupted", cost: { costUsd: null, source: "unknown", note: "may have been billed" } });
    expect(await ledger.spendSince(0)).toBeCloseTo(0.75 + ASSUMED_COST_USD.image, 9);
    const [group] = (await ledger.costGroups(0, Date.now() + 1000, "type"));
    expect(group).toMatchObject({ key: "image", count: 1, unknown_cost_count: 3 });
    await storage.close();
  });
});

describe("Ledger: a database that cannot be written", () => {
  test("an insert is refused with storage_error; updates are kept and written once the database is writable", async () => {
    using db = openDatabase(":memory:");
    const ledger = new SqliteLedger(db);
    const id = (await ledger.enqueue({ type: "audio", model: "m", provider: "local", prompt: "p", params: {} }));
    db.exec("PRAGMA query_only = ON");
    expect(ledger.enqueue({ type: "audio", model: "m", provider: "local", prompt: "p", params: {} })).rejects.toThrow(expect.objectContaining({ type: "storage_error" }));
    expect(await ledger.markRunning(id)).toBe(false);
    expect(await ledger.succeed(id, { outputPath: "/a.wav", mimeType: "audio/wav", bytes: 10, cost: { costUsd: 0, source: "catalog" } })).toBe(false);
    expect(ledger.storage()).toMatchObject({ ok: false, pending_writes: 2 });
    expect((await ledger.get(id))!.status).toBe("queued");
    db.exec("PRAGMA query_only = OFF");
    expect(ledger.storage()).toEqual({ ok: true, pending_writes: 0 });
    expect(await ledger.get(id)).toMatchObject({ status: "succeeded", output_path: "/a.wav" });
    await ledger.close();
  });
});
