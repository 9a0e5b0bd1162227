// The data-folder lock: one holder at a time, the holder's PID in the message, released and removed on release.
import { expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DataDirInUseError, LOCK_FILE_NAME, lockDataDir } from "../../server/data-lock.ts";
import { tempDir } from "../helpers.ts";

test("a second lock of the same folder fails naming the holder's PID; after release it can be taken again", () => {
  using dir = tempDir();
  const first = lockDataDir(dir.path);
  expect(readFileSync(join(dir.path, LOCK_FILE_NAME), "utf8").trim()).toBe(String(process.pid));
  let refused: unknown;
  try {
    lockDataDir(dir.path);
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(DataDirInUseError);
  expect((refused as Error).message).toContain(`data directory ${dir.path} is in use by PID ${process.pid}`);
  first.release();
  expect(existsSync(join(dir.path, LOCK_FILE_NAME))).toBe(false);
  const second = lockDataDir(dir.path);
  second.release();
});

test("a lock file nobody holds (left by kill -9, or naming a reused PID) is taken over", () => {
  using dir = tempDir();
  writeFileSync(join(dir.path, LOCK_FILE_NAME), "1\n");
  const lock = lockDataDir(dir.path);
  expect(readFileSync(join(dir.path, LOCK_FILE_NAME), "utf8").trim()).toBe(String(process.pid));
  lock.release();
});

test("the folder is created when missing", () => {
  using dir = tempDir();
  const lock = lockDataDir(join(dir.path, "new", "data"));
  expect(existsSync(join(dir.path, "new", "data", LOCK_FILE_NAME))).toBe(true);
  lock.release();
});
