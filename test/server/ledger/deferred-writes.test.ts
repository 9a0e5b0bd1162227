import { describe, expect, test } from "bun:test";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeferredWrites, isDiskError } from "../../../server/ledger/deferred-writes.ts";
import { tempDir } from "../../helpers.ts";

const diskFull = () => Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });

describe("DeferredWrites", () => {
  test("a write that fails on the disk is kept, later writes wait behind it, and all are replayed in order", () => {
    const done: string[] = [];
    let broken = true;
    const events: string[] = [];
    const writes = new DeferredWrites(undefined, (message, recovered) => events.push(`${recovered}:${message}`), 60_000);
    const write = (name: string) => () => {
      if (broken) throw diskFull();
      done.push(name);
    };
    expect(writes.run("a", write("a"))).toBe(false);
    expect(writes.run("b", write("b"))).toBe(false);
    expect(writes.status()).toMatchObject({ ok: false, pending_writes: 2 });
    expect(writes.status().error).toContain("database or disk is full");
    broken = false;
    expect(writes.run("c", write("c"))).toBe(true);
    expect(done).toEqual(["a", "b", "c"]);
    expect(writes.status()).toEqual({ ok: true, pending_writes: 0 });
    expect(events).toEqual(["false:ledger database write failed: database or disk is full", "true:ledger database writable again; deferred writes recorded"]);
    writes.close();
  });

  test("a write that fails for another reason (a bug, not the disk) is reported and dropped, never retried forever", () => {
    const events: string[] = [];
    const writes = new DeferredWrites(undefined, (message) => events.push(message), 60_000);
    expect(writes.run("bad", () => {
      throw new TypeError("oops");
    })).toBe(false);
    expect(writes.status()).toEqual({ ok: true, pending_writes: 0 });
    expect(events[0]).toContain('"bad" failed and was dropped: oops');
  });

  test("the retry timer replays writes without any new request", async () => {
    let broken = true;
    let written = 0;
    const writes = new DeferredWrites(undefined, () => {}, 20);
    writes.run("x", () => {
      if (broken) throw diskFull();
      written++;
    });
    broken = false;
    await Bun.sleep(80);
    expect(written).toBe(1);
    writes.close();
  });

  test("a database file deleted or replaced while running makes the ledger unusable", () => {
    using dir = tempDir();
    const path = join(dir.path, "mediagen.db");
    writeFileSync(path, "x");
    const writes = new DeferredWrites(path);
    expect(writes.unusable()).toBeUndefined();
    rmSync(path);
    expect(writes.unusable()).toContain("was deleted");
    writeFileSync(join(dir.path, "other"), "y");
    renameSync(join(dir.path, "other"), path);
    expect(writes.status().error).toContain("was replaced");
    writes.close();
  });

  test.each([
    ["SQLITE_FULL", true],
    ["SQLITE_READONLY_DBMOVED", true],
    ["SQLITE_IOERR_WRITE", true],
    ["ENOSPC", true],
    ["SQLITE_CONSTRAINT_UNIQUE", false],
    [undefined, false],
  ])("isDiskError(%p) is %p", (code, expected) => {
    expect(isDiskError(Object.assign(new Error("e"), { code }))).toBe(expected);
  });
});
