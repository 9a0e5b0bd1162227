// Leases on a real PostgreSQL database, with two (or more) PostgresLedgers as separate daemons on it: slots are
// counted across daemons, FIFO by seq, a dead daemon's jobs are taken over exactly once after their lease expires,
// the former holder's writes no longer land, and admissions are one at a time across daemons.
import { describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { PostgresLedger } from "../../../server/ledger/postgres.ts";
import type { NewGeneration } from "../../../server/ledger/records.ts";
import { fileDatabase, postgresAvailable } from "../../postgres.ts";

const available = await postgresAvailable();
const database = fileDatabase(available);

/** A ledger of its own (own connection pool) for daemon `name`, with leases of `leaseMs`. */
function daemon(name: string, leaseMs = 60_000): PostgresLedger {
  return new PostgresLedger(database.pool(), Date.now, () => {}, name, leaseMs);
}

const job = (type: NewGeneration["type"], prompt: string, estimate = 0.01): NewGeneration => ({ type, model: "m", provider: "fake", prompt, params: {}, estimatedCostUsd: estimate });

async function clear(): Promise<void> {
  const sql = new SQL(database.url);
  await sql`DELETE FROM generations`;
  await sql.close();
}

describe.skipIf(!available)("job leases on PostgreSQL", () => {
  test("a type's slots are counted across daemons, and the oldest queued job is served first", async () => {
    await clear();
    const a = daemon("host:a");
    const b = daemon("host:b");
    const first = await a.enqueue(job("image", "first"));
    const second = await b.enqueue(job("image", "second"));
    const third = await a.enqueue(job("image", "third"));
    const speech = await b.enqueue(job("audio", "other type"));
    // The head is a's: b must wait even with a slot free; a claims it; then nothing more fits the limit of 1.
    expect(await b.leases!.claim(second, "image", 1)).toBe("wait");
    expect(await a.leases!.claim(first, "image", 1)).toBe("claimed");
    expect(await b.leases!.claim(second, "image", 1)).toBe("wait");
    expect(await a.leases!.claim(third, "image", 1)).toBe("wait");
    // Another type has slots of its own; a claim for another daemon's job is refused as lost.
    expect(await a.leases!.claim(speech, "audio", 1)).toBe("lost");
    expect(await b.leases!.claim(speech, "audio", 1)).toBe("claimed");
    // With the first finished, the next in seq order (b's) is served, then a's.
    await a.succeed(first, { outputPath: "/x.png", mimeType: "image/png", bytes: 1, cost: { costUsd: 0.01, source: "catalog" } });
    expect(await a.leases!.claim(third, "image", 1)).toBe("wait");
    expect(await b.leases!.claim(second, "image", 1)).toBe("claimed");
    expect(await a.leases!.claim(third, "image", 2)).toBe("claimed");
    expect((await a.get(first))!.status).toBe("succeeded");
    expect((await b.get(second))!.status).toBe("running");
  });

  test("many claims at once from three daemons never exceed the limit", async () => {
    await clear();
    const ledgers = [daemon("host:x"), daemon("host:y"), daemon("host:z")];
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => ledgers[i % 3]!.enqueue(job("video", `v${i}`))));
    // Every daemon asks for every one of its jobs at once, twice over; the oldest ones win, three at most.
    const results = await Promise.all(ids.flatMap((id, i) => [ledgers[i % 3]!.leases!.claim(id, "video", 3), ledgers[i % 3]!.leases!.claim(id, "video", 3)]));
    const claimed = ids.filter((_, i) => results[2 * i] === "claimed" || results[2 * i + 1] === "claimed");
    expect(claimed.length).toBeLessThanOrEqual(3);
    const sql = new SQL(database.url);
    const [row] = await sql`SELECT count(*)::int AS running FROM generations WHERE status = 'running'`;
    await sql.close();
    expect(row.running).toBeLessThanOrEqual(3);
    expect(row.running).toBe(claimed.length);
  });

  test("a dead daemon's jobs are taken over once after their lease expires; its later writes do not land", async () => {
    await clear();
    const dead = daemon("host:dead", 400);
    const heirs = [daemon("host:heir1", 60_000), daemon("host:heir2", 60_000)];
    const plain = await dead.start(job("image", "no operation"));
    const polled = await dead.start(job("video", "has an operation"));
    await dead.setOperation(polled, "op-1");
    const waiting = await dead.enqueue(job("audio", "queued"));
    // Before the lease expires nobody may take them.
    expect(await heirs[0]!.leases!.takeOver({ image: 1, video: 1, audio: 1 })).toEqual([]);
    await Bun.sleep(600);
    const [one, two] = await Promise.all(heirs.map((heir) => heir.leases!.takeOver({ image: 1, video: 1, audio: 1 })));
    const taken = [...one!, ...two!].map((row) => row.id).sort();
    expect(taken).toEqual([plain, polled, waiting].sort());
    // A third sweep finds nothing: the jobs taken only to be closed are held (not expired), yet they fill no slot and
    // no place in the queue; the resumed video fills its slot.
    expect(await heirs[1]!.leases!.takeOver({ image: 1, video: 1, audio: 1 })).toEqual([]);
    expect(await heirs[0]!.leases!.depth("image")).toEqual({ running: 0, queued: 0 });
    expect(await heirs[0]!.leases!.depth("audio")).toEqual({ running: 0, queued: 0 });
    expect(await heirs[0]!.leases!.depth("video")).toEqual({ running: 1, queued: 0 });
    const sql = new SQL(database.url);
    const owners = await sql`SELECT daemon FROM generations ORDER BY seq`;
    await sql.close();
    expect(owners.every((row: { daemon: string }) => row.daemon.startsWith("host:heir"))).toBe(true);
    // The former holder learns it lost them, and what it writes is ignored.
    expect((await dead.leases!.renew([plain, polled, waiting])).sort()).toEqual([plain, polled, waiting].sort());
    await dead.succeed(plain, { outputPath: "/late.png", mimeType: "image/png", bytes: 1, cost: { costUsd: 0.01, source: "catalog" } });
    await dead.setProgress(polled, 50);
    const row = (await heirs[0]!.get(plain))!;
    expect(row.status).toBe("running");
    expect(row.output_path).toBeNull();
    expect((await heirs[0]!.get(polled))!.progress).toBeNull();
  });

  test("a job taken over to be closed, whose new daemon died before closing it, is taken over again once that lease expires", async () => {
    await clear();
    const first = daemon("host:first", 300);
    const closer = daemon("host:closer", 300);
    const last = daemon("host:last");
    const orphan = await first.start(job("image", "twice orphaned"));
    await Bun.sleep(450);
    expect((await closer.leases!.takeOver({ image: 1, video: 1, audio: 1 })).map((row) => row.id)).toEqual([orphan]);
    // The closer dies before writing the end: nobody takes it while its (negative) lease runs, then one daemon does.
    expect(await last.leases!.takeOver({ image: 1, video: 1, audio: 1 })).toEqual([]);
    await Bun.sleep(450);
    expect((await last.leases!.takeOver({ image: 1, video: 1, audio: 1 })).map((row) => row.id)).toEqual([orphan]);
    await last.fail(orphan, { status: "interrupted", error: "closed", errorType: "interrupted" });
    expect((await first.get(orphan))!.status).toBe("interrupted");
  });

  test("a job with an operation this daemon cannot resume is taken to be closed, without a slot, even when none is free; a restart keeps it so", async () => {
    await clear();
    const dead = daemon("host:gone-2", 300);
    const heir = daemon("host:heir-3");
    const busy = await heir.enqueue(job("video", "fills the only slot"));
    expect(await heir.leases!.claim(busy, "video", 1)).toBe("claimed");
    const orphan = await dead.start(job("video", "no model polls it here"));
    await dead.setOperation(orphan, "op-x");
    await Bun.sleep(450);
    // With no free slot a resumable job would wait; one this daemon cannot resume is taken now, to be closed.
    expect(await heir.leases!.takeOver({ image: 1, video: 1, audio: 1 }, () => true)).toEqual([]);
    expect((await heir.leases!.takeOver({ image: 1, video: 1, audio: 1 }, () => false)).map((row) => row.id)).toEqual([orphan]);
    expect(await heir.leases!.depth("video")).toEqual({ running: 1, queued: 0 });
    // The heir restarts before closing it: its recovery gets the job back, still holding no slot.
    const again = daemon("host:heir-3");
    expect((await again.unfinished()).map((row) => row.id)).toContain(orphan);
    expect(await again.leases!.depth("video")).toEqual({ running: 1, queued: 0 });
  });

  test("a resumable job is taken over only while its type has a free slot", async () => {
    await clear();
    const dead = daemon("host:gone", 300);
    const heir = daemon("host:alive");
    const polled = await dead.start(job("video", "resumable"));
    await dead.setOperation(polled, "op-2");
    const busy = await heir.start(job("video", "holds the only slot"));
    await Bun.sleep(500);
    expect(await heir.leases!.takeOver({ image: 1, video: 1, audio: 1 })).toEqual([]);
    await heir.succeed(busy, { outputPath: "/v.mp4", mimeType: "video/mp4", bytes: 1, cost: { costUsd: 0.01, source: "catalog" } });
    expect((await heir.leases!.takeOver({ image: 1, video: 1, audio: 1 })).map((row) => row.id)).toEqual([polled]);
  });

  test("a restarted daemon's resumed jobs claim slots, not counting each other while they wait, and only their own", async () => {
    await clear();
    const back = daemon("host:back");
    const other = daemon("host:busy");
    const one = await back.start(job("video", "resumed one"));
    const two = await back.start(job("video", "resumed two"));
    await back.setOperation(one, "op-3");
    await back.setOperation(two, "op-4");
    const busy = await other.start(job("video", "holds the only slot"));
    // Both resumed rows are running with live leases; they do not count against themselves, the other daemon's job does.
    expect(await back.leases!.claimResumed(one, "video", 1, [one, two])).toBe("wait");
    expect(await other.leases!.claimResumed(one, "video", 1, [one, two])).toBe("lost");
    await other.succeed(busy, { outputPath: "/v.mp4", mimeType: "video/mp4", bytes: 1, cost: { costUsd: 0.01, source: "catalog" } });
    expect(await back.leases!.claimResumed(one, "video", 1, [one, two])).toBe("claimed");
    // The first now fills the slot: the second waits, and a new queued job of the other daemon waits behind both.
    expect(await back.leases!.claimResumed(two, "video", 1, [two])).toBe("wait");
    const queued = await other.enqueue(job("video", "queued since"));
    expect(await other.leases!.claim(queued, "video", 2)).toBe("wait");
    expect(await back.leases!.claimResumed(two, "video", 2, [two])).toBe("claimed");
  });

  test("renewal keeps a live daemon's jobs from being taken over", async () => {
    await clear();
    const holder = daemon("host:live", 500);
    const other = daemon("host:other");
    const id = await holder.start(job("image", "renewed"));
    for (let i = 0; i < 4; i++) {
      await Bun.sleep(200);
      expect(await holder.leases!.renew([id])).toEqual([]);
    }
    expect(await other.leases!.takeOver({ image: 1, video: 1, audio: 1 })).toEqual([]);
  });

  test("a freed slot is announced to the other daemons (LISTEN/NOTIFY), until they stop listening", async () => {
    const a = daemon("host:n1");
    const b = daemon("host:n2");
    const heard: string[] = [];
    const stop = await b.leases!.onFreed((type) => heard.push(type));
    a.leases!.freed("video");
    a.leases!.freed("audio");
    const end = Date.now() + 5000;
    while (heard.length < 2 && Date.now() < end) await Bun.sleep(20);
    // Sent on two pooled connections: either order.
    expect([...heard].sort()).toEqual(["audio", "video"]);
    await stop();
    a.leases!.freed("image");
    await Bun.sleep(300);
    expect(heard).toHaveLength(2);
  });

  test("admissions are one at a time across daemons", async () => {
    const a = daemon("host:p");
    const b = daemon("host:q");
    let inside = 0;
    let most = 0;
    const step = async () => {
      inside++;
      most = Math.max(most, inside);
      await Bun.sleep(30);
      inside--;
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).leases!.admit(step)));
    expect(most).toBe(1);
  });
  test("each daemon announces its address; a file's holder is the other daemon that made it; thumbnails are made only by the holder", async () => {
    await clear();
    const a = daemon("host:files-a");
    const b = daemon("host:files-b");
    await a.leases!.announce("http://10.0.0.1:7070");
    await a.leases!.announce("http://10.0.0.1:7071");
    const made = await a.start(job("image", "a's picture"));
    await a.succeed(made, { outputPath: "/disk-a/x.png", mimeType: "image/png", bytes: 1, cost: { costUsd: 0.01, source: "catalog" } });
    const mine = await b.start(job("image", "b's picture"));
    await b.succeed(mine, { outputPath: "/disk-b/y.png", mimeType: "image/png", bytes: 1, cost: { costUsd: 0.01, source: "catalog" } });
    // From b: a's file is a's (at its latest address); b's own is not "held elsewhere". From a: the reverse, b never announced.
    const fromB = await b.leases!.holders([made, mine, "no-such-id"]);
    expect([...fromB.keys()]).toEqual([made]);
    expect(fromB.get(made)).toMatchObject({ daemon: "host:files-a", url: "http://10.0.0.1:7071" });
    expect(fromB.get(made)!.seenAt).toBeGreaterThan(Date.now() - 60_000);
    expect(await a.leases!.holders([mine])).toEqual(new Map([[mine, { daemon: "host:files-b", url: null, seenAt: null }]]));
    expect((await a.thumbnailBacklog(10)).map((file) => file.id)).toEqual([made]);
    expect((await b.thumbnailBacklog(10)).map((file) => file.id)).toEqual([mine]);
  });

  test("the queue's depth counts every daemon's live jobs, and a queued job can be taken by another daemon to cancel it", async () => {
    await clear();
    const a = daemon("host:depth-a");
    const b = daemon("host:depth-b");
    const running = await a.enqueue(job("image", "running"));
    expect(await a.leases!.claim(running, "image", 1)).toBe("claimed");
    const queued = await a.enqueue(job("image", "queued on a"));
    await b.enqueue(job("image", "queued on b"));
    await b.enqueue(job("audio", "another type"));
    expect(await b.leases!.depth("image")).toEqual({ running: 1, queued: 2 });
    expect(await a.leases!.depth("video")).toEqual({ running: 0, queued: 0 });
    // b cancels a's queued job in one statement, with its answer; a's next claim finds it lost; a running job cannot be cancelled that way.
    const failure = { status: "cancelled" as const, error: "Cancelled", errorType: "cancelled" };
    const answer = { status: 409, body: { success: false, error_type: "cancelled", id: queued } };
    expect(await b.leases!.cancelQueued(queued, failure, answer)).toBe(true);
    expect(await a.leases!.claim(queued, "image", 5)).toBe("lost");
    expect(await b.leases!.cancelQueued(running, failure, answer)).toBe(false);
    expect(await b.leases!.cancelQueued(queued, failure, answer)).toBe(false);
    expect((await a.get(queued))!).toMatchObject({ status: "cancelled", error_type: "cancelled", error: "Cancelled" });
    expect(await a.response(queued)).toEqual(answer);
    expect(await a.leases!.depth("image")).toEqual({ running: 1, queued: 1 });
  });
});
