// A file another daemon of the same database keeps: the address a daemon announces, and the answers when its holder
// cannot be reached (never announced, or not answering) or when a request was already forwarded once. The forwarding
// itself, across daemons whose disks the others cannot see, is proven end to end in test/e2e/postgres-files.test.ts.
import { SQL } from "bun";
import { beforeAll, describe, expect, test } from "bun:test";
import { allowedHosts, internalUrl } from "../../../server/files/holder.ts";
import { PostgresLedger } from "../../../server/ledger/postgres.ts";
import { PostgresTokenStore } from "../../../server/tokens/store.ts";
import { createHarness } from "../../helpers.ts";
import { fileDatabase, postgresAvailable } from "../../postgres.ts";

describe("the address other daemons reach this one at", () => {
  test("server.internal_url wins; else the bound address, the machine's name when bound to every interface", () => {
    expect(internalUrl("http://10.0.0.5:8787/", "0.0.0.0", 7070, "box")).toBe("http://10.0.0.5:8787");
    expect(internalUrl(undefined, "127.0.0.1", 7070, "box")).toBe("http://127.0.0.1:7070");
    expect(internalUrl(undefined, "0.0.0.0", 7071, "box")).toBe("http://box:7071");
    expect(internalUrl(undefined, "::", 7072, "box")).toBe("http://box:7072");
    expect(internalUrl(undefined, "fd00::5", 7073, "box")).toBe("http://[fd00::5]:7073");
  });

  test("the internal_url's host name is one the daemon answers to (the others call it by that name)", () => {
    expect(allowedHosts({ allowed_hosts: ["media.example.com"], internal_url: "http://gpu-box.lan:7070" })).toEqual(["media.example.com", "gpu-box.lan"]);
    expect(allowedHosts({ allowed_hosts: [] })).toEqual([]);
  });
});

const available = await postgresAvailable();
const database = fileDatabase(available);
/** A pool for the test's own writes (rows of daemons that are not running). */
let direct: SQL;
beforeAll(() => {
  if (available) direct = database.pool();
});

function daemon(name: string) {
  const sql = database.pool();
  return createHarness({ config: { models: [] }, storage: { ledger: new PostgresLedger(sql, Date.now, () => {}, name), tokens: new PostgresTokenStore(sql) } });
}

/** A succeeded image made by daemon `holder` whose file is not on this machine. */
async function madeBy(holder: string): Promise<string> {
  const ledger = new PostgresLedger(direct, Date.now, () => {}, holder);
  const id = await ledger.start({ type: "image", model: "m", provider: "fake", prompt: "elsewhere", params: {} });
  await ledger.succeed(id, { outputPath: `/nowhere/${holder}/x.png`, mimeType: "image/png", bytes: 10, cost: { costUsd: 0.01, source: "catalog" } });
  return id;
}

describe.skipIf(!available)("a file kept by another daemon", () => {
  test("is listed as present; its holder never announced an address, or does not answer: 503 file_unavailable, never a 500", async () => {
    using here = daemon("host:here");
    const silent = await madeBy("host:silent");
    const listed = await here.get("/api/generations");
    expect(listed.body.items.find((item: { id: string }) => item.id === silent).file_missing).toBe(false);
    const never = await here.get(`/api/generations/${silent}/file`);
    expect(never.status).toBe(503);
    expect(never.body).toMatchObject({ success: false, error_type: "file_unavailable" });
    expect(never.body.error).toContain("has not announced an address");

    const down = await madeBy("host:down");
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const url = closed.url.origin;
    await closed.stop(true);
    await new PostgresLedger(direct, Date.now, () => {}, "host:down").leases!.announce(url);
    const refused = await here.get(`/api/generations/${down}/file`);
    expect(refused.status).toBe(503);
    expect(refused.body.error_type).toBe("file_unavailable");
    expect(refused.body.error).toContain(url);
    const thumbnail = await here.get(`/api/generations/${down}/thumbnail`);
    expect(thumbnail.status).toBe(404);
  });

  test("a loopback address announced from another machine is never called (it would reach a daemon of this machine, with the caller's token)", async () => {
    using here = daemon("host:here-4");
    const id = await madeBy("other-machine:/srv/mediagen");
    const trap = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("the wrong daemon", { status: 200 }) });
    try {
      await new PostgresLedger(direct, Date.now, () => {}, "other-machine:/srv/mediagen").leases!.announce(trap.url.origin);
      let calls = 0;
      trap.reload({ fetch: () => (calls++, new Response("the wrong daemon")) });
      const answer = await here.get(`/api/generations/${id}/file`, { authorization: "Bearer mg_secret" });
      expect(answer.status).toBe(503);
      expect(answer.body.error_type).toBe("file_unavailable");
      expect(answer.body.error).toContain("set server.internal_url there");
      expect(calls).toBe(0);
    } finally {
      await trap.stop(true);
    }
  });

  test("a request already forwarded once is answered from this disk only (no loops between daemons)", async () => {
    using here = daemon("host:here-2");
    const id = await madeBy("host:other-2");
    const answer = await here.get(`/api/generations/${id}/file`, { "x-mediagen-forwarded": "host:other-2" });
    expect(answer.status).toBe(404);
    expect(answer.body.error_type).toBe("not_found");
  });

  test("a file this machine can read is served from here, whichever daemon made it (a shared disk needs no forwarding)", async () => {
    using here = daemon("host:here-3");
    const id = await madeBy("host:never-announced");
    const path = `${here.workDir}/shared.png`;
    await Bun.write(path, new Uint8Array([1, 2, 3, 4]));
    await direct`UPDATE generations SET output_path = ${path}, bytes = 4 WHERE id = ${id}`;
    const answer = await here.call(`/api/generations/${id}/file`);
    expect(answer.status).toBe(200);
    expect([...new Uint8Array(await answer.arrayBuffer())]).toEqual([1, 2, 3, 4]);
  });
});
