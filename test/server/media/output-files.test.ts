import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MediaType } from "../../../server/config/schema.ts";
import { AppError } from "../../../server/errors.ts";
import { FILE_PREFIX, generatedDir, openSpool, openSpoolIn, outputFileName, placeFile, writeNewFile } from "../../../server/media/output-files.ts";
import { makePng } from "../../fakes/media.ts";
import { tempDir } from "../../helpers.ts";

const NAME = /^(img|vid|tts)_\d{8}_\d{6}_[0-9a-f]{8}\.(png|mp4|wav)$/;

describe("outputFileName", () => {
  const cases: [MediaType, string][] = [
    ["image", "png"],
    ["video", "mp4"],
    ["audio", "wav"],
  ];
  test.each(cases)("%s files are <prefix>_<date>_<time>_<hex>.%s", (type, extension) => {
    const name = outputFileName(type, extension);
    expect(name).toMatch(NAME);
    expect(name.startsWith(`${FILE_PREFIX[type]}_`)).toBe(true);
    expect(name.endsWith(`.${extension}`)).toBe(true);
  });

  test("the stamp is the local date and time, zero-padded", () => {
    const name = outputFileName("image", "png", new Date(2026, 4, 5, 1, 8, 2));
    expect(name).toMatch(/^img_20260505_010802_[0-9a-f]{8}\.png$/);
  });

  test("two names in the same second differ", () => {
    const now = new Date(2026, 0, 1, 12, 0, 0);
    const names = new Set(Array.from({ length: 50 }, () => outputFileName("audio", "wav", now)));
    expect(names.size).toBe(50);
  });
});

describe("generatedDir", () => {
  const cases: [string, string | undefined, string][] = [
    ["appends assets/generated", "/home/me/project", "/home/me/project/assets/generated"],
    ["ignores a trailing slash", "/home/me/project/", "/home/me/project/assets/generated"],
    ["does not double assets/generated", "/home/me/project/assets/generated", "/home/me/project/assets/generated"],
    ["does not double it with a trailing slash", "/home/me/project/assets/generated/", "/home/me/project/assets/generated"],
    ["normalises dot segments", "/home/me/./project/../project", "/home/me/project/assets/generated"],
    ["appends to a folder merely named generated", "/home/me/generated", "/home/me/generated/assets/generated"],
    ["appends to a folder ending in assets-generated", "/home/me/myassets/generated", "/home/me/myassets/generated/assets/generated"],
    ["uses the fallback without output_dir", undefined, "/data/output/assets/generated"],
    ["stays absolute for the root folder", "/", "/assets/generated"],
  ];
  test.each(cases)("%s", (_name, outputDir, expected) => {
    expect(generatedDir(outputDir, "/data/output")).toBe(expected);
  });

  test.each([["relative/dir"], ["./out"], ["~/out"], [""]])("a relative output_dir %p is an invalid_argument on output_dir", (outputDir) => {
    let error: unknown;
    try {
      generatedDir(outputDir, "/data/output");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).type).toBe("invalid_argument");
    expect((error as AppError).details.field).toBe("output_dir");
    expect((error as AppError).message).toContain("absolute path");
  });
});

describe("writeNewFile", () => {
  test("writes the exact bytes to a new file, creating the folder, and leaves no temp file", async () => {
    using dir = tempDir();
    const folder = join(dir.path, "project", "assets", "generated");
    const bytes = makePng(20, 10);
    const path = await writeNewFile(folder, () => outputFileName("image", "png"), bytes);
    expect(path.startsWith(`${folder}/`)).toBe(true);
    expect(path.slice(folder.length + 1)).toMatch(NAME);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(folder)).toEqual([path.slice(folder.length + 1)]);
  });

  test("never overwrites: a taken name makes it ask for another", async () => {
    using dir = tempDir();
    const existing = join(dir.path, "img_20260101_000000_aaaaaaaa.png");
    writeFileSync(existing, "precious");
    const names = ["img_20260101_000000_aaaaaaaa.png", "img_20260101_000000_aaaaaaaa.png", "img_20260101_000000_bbbbbbbb.png"];
    let asked = 0;
    const path = await writeNewFile(dir.path, () => names[asked++]!, new TextEncoder().encode("new"));
    expect(asked).toBe(3);
    expect(path).toBe(join(dir.path, "img_20260101_000000_bbbbbbbb.png"));
    expect(readFileSync(existing, "utf8")).toBe("precious");
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(readdirSync(dir.path).sort()).toEqual(["img_20260101_000000_aaaaaaaa.png", "img_20260101_000000_bbbbbbbb.png"]);
  });

  test("many writes into one folder give distinct files and no .partial leftovers", async () => {
    using dir = tempDir();
    const writes = Array.from({ length: 20 }, (_, i) => writeNewFile(dir.path, () => outputFileName("audio", "wav"), new Uint8Array([i])));
    const paths = await Promise.all(writes);
    expect(new Set(paths).size).toBe(20);
    const files = readdirSync(dir.path);
    expect(files.filter((f) => f.endsWith(".partial"))).toEqual([]);
    expect(files.length).toBe(20);
    paths.forEach((path, i) => expect(Array.from(readFileSync(path))).toEqual([i]));
  });

  test("an empty payload is written as an empty file", async () => {
    using dir = tempDir();
    const path = await writeNewFile(dir.path, () => "tts_20260101_000000_00000000.wav", new Uint8Array());
    expect(statSync(path).size).toBe(0);
  });
});

describe("spools and placeFile", () => {
  const bytes = makePng(64, 64);

  /** A synced spool holding `bytes`, written in pieces smaller and larger than its write buffer. */
  async function spoolOf(dir: string, data: Uint8Array) {
    const spool = openSpool(dir);
    spool.write(data.subarray(0, 10));
    spool.write(data.subarray(10));
    return spool.finish();
  }

  test("a spool is a .mediagen-*.partial file; placeFile moves it under the new name, byte for byte", async () => {
    using dir = tempDir();
    const file = await spoolOf(dir.path, bytes);
    expect(file.path.split("/").at(-1)).toStartWith(".mediagen-");
    expect(file.size).toBe(bytes.length);
    const target = await placeFile(join(dir.path, "out"), () => "img_20260101_000000_00000000.png", file);
    expect(Buffer.compare(readFileSync(target), bytes)).toBe(0);
    expect(existsSync(file.path)).toBe(false);
  });

  test("placeFile never overwrites: a taken name gets another", async () => {
    using dir = tempDir();
    writeFileSync(join(dir.path, "taken.png"), "the user's file");
    const names = ["taken.png", "free.png"];
    const target = await placeFile(dir.path, () => names.shift()!, await spoolOf(dir.path, bytes));
    expect(target).toBe(join(dir.path, "free.png"));
    expect(readFileSync(join(dir.path, "taken.png"), "utf8")).toBe("the user's file");
  });

  test("across file systems the spool is copied, synced and removed", async () => {
    if (!existsSync("/dev/shm") || statSync("/dev/shm").dev === statSync(import.meta.dir).dev) return;
    const shm = mkdtempSync("/dev/shm/mediagen-test-");
    try {
      using dir = tempDir();
      const file = await spoolOf(shm, bytes);
      const target = await placeFile(dir.path, () => "img_20260101_000000_00000000.png", file);
      expect(Buffer.compare(readFileSync(target), bytes)).toBe(0);
      expect(readdirSync(shm)).toEqual([]);
      expect(readdirSync(dir.path)).toEqual(["img_20260101_000000_00000000.png"]);
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });

  test("discard removes the spool; openSpoolIn falls back to the next folder and says why when none takes it", async () => {
    using dir = tempDir();
    const spool = openSpool(dir.path);
    spool.write(bytes);
    spool.discard();
    expect(readdirSync(dir.path)).toEqual([]);
    const blocker = join(dir.path, "a-file");
    writeFileSync(blocker, "x");
    const fallback = await openSpoolIn([join(blocker, "sub"), join(dir.path, "fallback")]);
    expect(fallback.path).toStartWith(join(dir.path, "fallback") + "/");
    fallback.discard();
    const error = await openSpoolIn([join(blocker, "sub")]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).type).toBe("storage_error");
  });
});
