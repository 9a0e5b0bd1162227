import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_INPUT_IMAGE_MIB } from "../../../server/defaults.ts";
import { AppError } from "../../../server/errors.ts";
import { loadInlineImage, loadInputImage } from "../../../server/services/input-images.ts";
import { b64, makeJpeg, makePng, makeWav, makeWebp } from "../../fakes/media.ts";
import { tempDir } from "../../helpers.ts";

/** The AppError a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError, the promise resolved");
}

describe("loadInputImage", () => {
  test("reads an absolute path to a PNG without touching the file", async () => {
    using dir = tempDir();
    const path = join(dir.path, "cat.png");
    const png = makePng(12, 8);
    writeFileSync(path, png);
    const before = statSync(path);

    const image = await loadInputImage(path, "image");

    expect(image.mimeType).toBe("image/png");
    expect(image.source).toBe(path);
    expect(image.bytes).toEqual(png);
    const after = statSync(path);
    expect(readFileSync(path).equals(png)).toBe(true);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.size).toBe(before.size);
    expect(after.mode).toBe(before.mode);
  });

  test("trims surrounding whitespace from a path", async () => {
    using dir = tempDir();
    const path = join(dir.path, "photo.jpg");
    writeFileSync(path, makeJpeg(4, 4));
    expect((await loadInputImage(`  ${path}\n`, "image")).mimeType).toBe("image/jpeg");
  });

  const inline: [string, string, string, string][] = [
    ["a PNG data URL", `data:image/png;base64,${b64(makePng(3, 3))}`, "image/png", "data-url"],
    ["a WebP data URL", `data:image/webp;base64,${b64(makeWebp(3, 3))}`, "image/webp", "data-url"],
    ["a data URL with extra parameters", `data:image/png;name=x.png;base64,${b64(makePng(3, 3))}`, "image/png", "data-url"],
    ["a data URL whose declared type is wrong (the bytes decide)", `data:image/jpeg;base64,${b64(makePng(3, 3))}`, "image/png", "data-url"],
    ["bare base64", b64(makePng(5, 5)), "image/png", "base64"],
    ["bare base64 wrapped at 76 columns", b64(makeJpeg(9, 9)).replace(/(.{76})/g, "$1\n"), "image/jpeg", "base64"],
    ["base64url", Buffer.from(makePng(64, 64, [255, 254, 253])).toString("base64url"), "image/png", "base64"],
  ];
  test.each(inline)("reads %s", async (_name, value, mimeType, source) => {
    const image = await loadInputImage(value, "image");
    expect(image.mimeType).toBe(mimeType);
    expect(image.source).toBe(source);
    expect(image.bytes.length).toBeGreaterThan(0);
  });

  test("bare base64 of a JPEG is base64, although it starts with /9j/ like an absolute path", async () => {
    const jpeg = makeJpeg(16, 9);
    expect(b64(jpeg).startsWith("/9j/")).toBe(true);
    const image = await loadInputImage(b64(jpeg), "image");
    expect(image).toEqual({ bytes: new Uint8Array(jpeg), mimeType: "image/jpeg", source: "base64" });
  });

  test("an absolute path made only of base64 characters is still read as a file", async () => {
    using dir = tempDir();
    mkdirSync(join(dir.path, "Pictures"));
    const path = join(dir.path, "Pictures", "holiday");
    writeFileSync(path, makeWebp(10, 10));
    const image = await loadInputImage(path, "image");
    expect(image.source).toBe(path);
    expect(image.mimeType).toBe("image/webp");
  });

  test("bare base64 decodes to the exact bytes", async () => {
    const png = makePng(7, 3);
    expect((await loadInputImage(b64(png), "image")).bytes).toEqual(png);
  });

  const relative: [string][] = [["photos/cat.png"], ["./cat.png"], ["cat.png"], ["../images/dog.jpg"], ["~/Pictures/a.png"]];
  test.each(relative)("the relative path %p is a 400 saying relative paths are not accepted", async (value) => {
    const error = await rejection(loadInputImage(value, "images[0]"));
    expect(error.type).toBe("invalid_argument");
    expect(error.status).toBe(400);
    expect(error.details.field).toBe("images[0]");
    expect(error.message).toContain("relative paths are not accepted");
    expect(error.message).toContain(value);
  });

  test.each([["http://example.com/cat.png"], ["HTTPS://example.com/cat.png"]])("the URL %p is a 400: inputs are never downloaded", async (url) => {
    const error = await rejection(loadInputImage(url, "image"));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("image");
    expect(error.message).toContain("does not download");
  });

  test("a missing file is a 400 naming the field and the path", async () => {
    using dir = tempDir();
    const path = join(dir.path, "missing.png");
    const error = await rejection(loadInputImage(path, "images[1]"));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("images[1]");
    expect(error.message).toContain("images[1]");
    expect(error.message).toContain("not found");
    expect(error.message).toContain(path);
  });

  test("a directory is a 400 saying it is not a file", async () => {
    using dir = tempDir();
    const folder = join(dir.path, "pictures");
    mkdirSync(folder);
    const error = await rejection(loadInputImage(folder, "images[1]"));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("images[1]");
    expect(error.message).toContain("images[1] is not a file");
  });

  test.each([
    ["text", new TextEncoder().encode("just some notes, not a picture")],
    ["a WAV", makeWav(0.01)],
    ["an empty file", new Uint8Array()],
  ])("a file holding %s is a 400 naming the image formats", async (_name, bytes) => {
    using dir = tempDir();
    const path = join(dir.path, "fake.png");
    writeFileSync(path, bytes);
    const error = await rejection(loadInputImage(path, "images[1]"));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("images[1]");
    expect(error.message).toContain("images[1] is not a PNG, JPEG, WebP or GIF image");
  });

  test("base64 of something that is not an image is a 400", async () => {
    const error = await rejection(loadInputImage(b64(makeWav(0.01)), "image"));
    expect(error.type).toBe("invalid_argument");
    expect(error.message).toContain("not a PNG, JPEG, WebP or GIF");
  });

  test.each([
    ["a data URL without ;base64", `data:image/png,${encodeURIComponent("not base64")}`, "not a base64 one"],
    ["a data URL without a comma", "data:image/png;base64", "not a base64 one"],
    ["a data URL with invalid base64", "data:image/png;base64,@@@not*base64", "not valid base64"],
    ["an empty data URL", "data:image/png;base64,", "not valid base64"],
  ])("%s is a 400", async (_name, value, message) => {
    const error = await rejection(loadInputImage(value, "images[1]"));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("images[1]");
    expect(error.message).toContain("images[1]");
    expect(error.message).toContain(message);
  });

  test.each([[""], ["   "]])("the blank value %p is a 400", async (value) => {
    const error = await rejection(loadInputImage(value, "image"));
    expect(error.type).toBe("invalid_argument");
    expect(error.message).toBe("image is empty");
  });

  test("a file over the size limit is payload_too_large, refused before it is read", async () => {
    using dir = tempDir();
    const path = join(dir.path, "huge.png");
    writeFileSync(path, makePng(2, 2));
    truncateSync(path, MAX_INPUT_IMAGE_MIB * 1024 * 1024 + 1);
    const error = await rejection(loadInputImage(path, "images[1]"));
    expect(error.type).toBe("payload_too_large");
    expect(error.status).toBe(413);
    expect(error.details.field).toBe("images[1]");
    expect(error.message).toContain("images[1]");
    expect(error.message).toContain(`${MAX_INPUT_IMAGE_MIB} MiB`);
  });

  test("a file exactly at the size limit is accepted", async () => {
    using dir = tempDir();
    const path = join(dir.path, "big.png");
    writeFileSync(path, makePng(2, 2));
    truncateSync(path, MAX_INPUT_IMAGE_MIB * 1024 * 1024);
    expect((await loadInputImage(path, "image")).mimeType).toBe("image/png");
  });
});

describe("loadInlineImage", () => {
  test("reads {b64_json} by its bytes, not its declared mime_type", () => {
    const png = makePng(4, 4);
    const image = loadInlineImage({ b64_json: b64(png), mime_type: "image/jpeg" }, "image");
    expect(image).toEqual({ bytes: new Uint8Array(png), mimeType: "image/png", source: "base64" });
  });

  test.each([
    ["invalid base64", "%%%", "not valid base64"],
    ["base64 of text", b64(new TextEncoder().encode("hello world, not an image")), "not a PNG, JPEG, WebP or GIF"],
  ])("%s is a 400 naming image.b64_json", (_name, value, message) => {
    let error: unknown;
    try {
      loadInlineImage({ b64_json: value }, "image");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).details.field).toBe("image.b64_json");
    expect((error as AppError).message).toContain(message);
  });
});
