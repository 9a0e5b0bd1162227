import { describe, expect, test } from "bun:test";
import { linkSync, mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_INPUT_IMAGE_MIB, MAX_INPUT_MIB_PER_REQUEST } from "../../../server/defaults.ts";
import { AppError } from "../../../server/errors.ts";
import { InputBudget, loadInputImages, type ImageRef, type InputImage } from "../../../server/formats/input-images.ts";
import { b64, makeJpeg, makePng, makeWav, makeWebp } from "../../fakes/media.ts";
import { rejection, tempDir } from "../../helpers.ts";

const MiB = 1024 * 1024;

/** The one image of a request naming `value` in `field`. */
async function loadOne(value: ImageRef["value"], field: string): Promise<InputImage> {
  const { images } = await loadInputImages([{ value, field }]);
  return images[0]!;
}

describe("loadInputImages: one reference", () => {
  test("reads an absolute path to a PNG without touching the file", async () => {
    using dir = tempDir();
    const path = join(dir.path, "cat.png");
    const png = makePng(12, 8);
    writeFileSync(path, png);
    const before = statSync(path);

    const image = await loadOne(path, "image");

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
    expect((await loadOne(`  ${path}\n`, "image")).mimeType).toBe("image/jpeg");
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
    const image = await loadOne(value, "image");
    expect(image.mimeType).toBe(mimeType);
    expect(image.source).toBe(source);
    expect(image.bytes.length).toBeGreaterThan(0);
  });

  test("bare base64 of a JPEG is base64, although it starts with /9j/ like an absolute path", async () => {
    const jpeg = makeJpeg(16, 9);
    expect(b64(jpeg).startsWith("/9j/")).toBe(true);
    const image = await loadOne(b64(jpeg), "image");
    expect(image).toEqual({ bytes: new Uint8Array(jpeg), mimeType: "image/jpeg", source: "base64" });
  });

  test("an absolute path made only of base64 characters is still read as a file", async () => {
    using dir = tempDir();
    mkdirSync(join(dir.path, "Pictures"));
    const path = join(dir.path, "Pictures", "holiday");
    writeFileSync(path, makeWebp(10, 10));
    const image = await loadOne(path, "image");
    expect(image.source).toBe(path);
    expect(image.mimeType).toBe("image/webp");
  });

  test("bare base64 decodes to the exact bytes", async () => {
    const png = makePng(7, 3);
    expect((await loadOne(b64(png), "image")).bytes).toEqual(png);
  });

  const relative: [string][] = [["photos/cat.png"], ["./cat.png"], ["cat.png"], ["../images/dog.jpg"], ["~/Pictures/a.png"]];
  test.each(relative)("the relative path %p is a 400 saying relative paths are not accepted", async (value) => {
    const error = await rejection(loadOne(value, "images[0]"));
    expect(error.type).toBe("invalid_argument");
    expect(error.status).toBe(400);
    expect(error.details.field).toBe("images[0]");
    expect(error.message).toContain("relative paths are not accepted");
    expect(error.message).toContain(value);
  });

  test.each([["http://example.com/cat.png"], ["HTTPS://example.com/cat.png"]])("the URL %p is a 400: inputs are never downloaded", async (url) => {
    const error = await rejection(loadOne(url, "image"));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("image");
    expect(error.message).toContain("does not download");
  });

  test("a missing file is a 400 naming the field and the path", async () => {
    using dir = tempDir();
    const path = join(dir.path, "missing.png");
    const error = await rejection(loadOne(path, "images[1]"));
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
    const error = await rejection(loadOne(folder, "images[1]"));
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
    const error = await rejection(loadOne(path, "images[1]"));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("images[1]");
    expect(error.message).toContain("images[1] is not a PNG, JPEG, WebP or GIF image");
  });

  test("base64 of something that is not an image is a 400", async () => {
    const error = await rejection(loadOne(b64(makeWav(0.01)), "image"));
    expect(error.type).toBe("invalid_argument");
    expect(error.message).toContain("not a PNG, JPEG, WebP or GIF");
  });

  test.each([
    ["a data URL without ;base64", `data:image/png,${encodeURIComponent("not base64")}`, "not a base64 one"],
    ["a data URL without a comma", "data:image/png;base64", "not a base64 one"],
    ["a data URL with invalid base64", "data:image/png;base64,@@@not*base64", "not valid base64"],
    ["an empty data URL", "data:image/png;base64,", "not valid base64"],
  ])("%s is a 400", async (_name, value, message) => {
    const error = await rejection(loadOne(value, "images[1]"));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("images[1]");
    expect(error.message).toContain("images[1]");
    expect(error.message).toContain(message);
  });

  test.each([[""], ["   "]])("the blank value %p is a 400", async (value) => {
    const error = await rejection(loadOne(value, "image"));
    expect(error.type).toBe("invalid_argument");
    expect(error.message).toBe("image is empty");
  });

  test("a file over the size limit is payload_too_large, refused before it is read", async () => {
    using dir = tempDir();
    const path = join(dir.path, "huge.png");
    writeFileSync(path, makePng(2, 2));
    truncateSync(path, MAX_INPUT_IMAGE_MIB * 1024 * 1024 + 1);
    const error = await rejection(loadOne(path, "images[1]"));
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
    expect((await loadOne(path, "image")).mimeType).toBe("image/png");
  });
});

describe("loadInputImages: a {b64_json} object", () => {
  test("reads {b64_json} by its bytes, not its declared mime_type", async () => {
    const png = makePng(4, 4);
    const image = await loadOne({ b64_json: b64(png), mime_type: "image/jpeg" }, "image");
    expect(image).toEqual({ bytes: new Uint8Array(png), mimeType: "image/png", source: "base64" });
  });

  test.each([
    ["invalid base64", "%%%", "not valid base64"],
    ["base64 of text", b64(new TextEncoder().encode("hello world, not an image")), "not a PNG, JPEG, WebP or GIF"],
  ])("%s is a 400 naming image.b64_json", async (_name, value, message) => {
    const error = await rejection(loadOne({ b64_json: value }, "image"));
    expect(error.details.field).toBe("image.b64_json");
    expect(error.message).toContain(message);
  });
});

describe("loadInputImages: the inputs of one request", () => {

  test("a file named many times is read once: every reference shares the same bytes", async () => {
    using dir = tempDir();
    const path = join(dir.path, "cat.png");
    writeFileSync(path, makePng(16, 16));
    const refs = Array.from({ length: 16 }, (_, i) => ({ value: i % 2 ? path : `  ${path}`, field: `images[${i}]` }));
    const { images, reservation } = await loadInputImages(refs);
    expect(images).toHaveLength(16);
    expect(new Set(images.map((image) => image.bytes)).size).toBe(1);
    expect(reservation.bytes).toBe(makePng(16, 16).length);
  });

  test("a hard link or a symlink to the same file is the same file", async () => {
    using dir = tempDir();
    const path = join(dir.path, "cat.png");
    writeFileSync(path, makePng(16, 16));
    symlinkSync(path, join(dir.path, "alias.png"));
    linkSync(path, join(dir.path, "hard.png"));
    const { images } = await loadInputImages(["cat.png", "alias.png", "hard.png"].map((name, i) => ({ value: join(dir.path, name), field: `images[${i}]` })));
    expect(new Set(images.map((image) => image.bytes)).size).toBe(1);
  });

  // The case: one 19 MB file named 16 times took 1.78 GB for one request.
  test("16 references to a 19 MB file are payload_too_large, naming the field that passes the cap, before any file is read", async () => {
    using dir = tempDir();
    const path = join(dir.path, "big.png");
    writeFileSync(path, "");
    truncateSync(path, 19 * 1_000_000); // sparse and all zeros: had it been read, the answer would be "not a PNG"
    const refs = Array.from({ length: 16 }, (_, i) => ({ value: path, field: `images[${i}]` }));
    const error = await rejection(loadInputImages(refs));
    expect(error.type).toBe("payload_too_large");
    expect(error.status).toBe(413);
    expect(error.details.field).toBe(`images[${Math.floor((MAX_INPUT_MIB_PER_REQUEST * MiB) / 19_000_000)}]`);
    expect(error.message).toContain(`${MAX_INPUT_MIB_PER_REQUEST} MiB`);
  });

  test("inline images count toward the same cap", async () => {
    const png = makePng(4, 4);
    const padded = Buffer.concat([png, Buffer.alloc(MAX_INPUT_IMAGE_MIB * MiB - png.length)]);
    const value = `data:image/png;base64,${b64(padded)}`;
    const refs = Array.from({ length: 4 }, (_, i) => ({ value, field: `images[${i}]` }));
    const error = await rejection(loadInputImages(refs));
    expect(error.type).toBe("payload_too_large");
    expect(error.details.field).toBe("images[3]");
  });

  test("inputs up to the cap are read", async () => {
    using dir = tempDir();
    const count = Math.ceil(MAX_INPUT_MIB_PER_REQUEST / MAX_INPUT_IMAGE_MIB);
    const paths = Array.from({ length: count }, (_, i) => join(dir.path, `in${i}.png`));
    for (const path of paths) {
      writeFileSync(path, makePng(2, 2));
      truncateSync(path, Math.floor((MAX_INPUT_MIB_PER_REQUEST * MiB) / count));
    }
    const { reservation } = await loadInputImages(paths.map((value, i) => ({ value, field: `images[${i}]` })));
    expect(reservation.bytes).toBe(count * Math.floor((MAX_INPUT_MIB_PER_REQUEST * MiB) / count));
  });
});

describe("input files that are not plain files", () => {
  test("a FIFO is a 400 at once, never a blocked read", async () => {
    using dir = tempDir();
    const fifo = join(dir.path, "pipe.png");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const started = performance.now();
    const error = await rejection(loadOne(fifo, "images[0]"));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("images[0]");
    expect(error.message).toContain("not a file");
  });

  test.each([["/proc/self/mem"], ["/proc/self/status"], ["/proc/self/environ"]])("%s (a /proc file reporting size 0) is a 400 naming the field, never a 500", async (path) => {
    const error = await rejection(loadOne(path, "image"));
    expect(error.type).toBe("invalid_argument");
    expect(error.status).toBe(400);
    expect(error.details.field).toBe("image");
  });

  test.each([["/dev/zero"], ["/dev/null"], ["/dev/urandom"]])("the device %s is a 400, never read", async (path) => {
    const error = await rejection(loadOne(path, "image"));
    expect(error.type).toBe("invalid_argument");
    expect(error.message).toContain("not a file");
  });
});

describe("InputBudget: input bytes reserved by requests and held by queued and running jobs", () => {
  test("reserves up to the cap, refuses past it with a 413 naming the field, and frees a job's bytes when it ends", async () => {
    const budget = new InputBudget(100);
    const first = budget.reserve(60, "images");
    let finish!: () => void;
    first.holdUntil(new Promise<void>((resolve) => (finish = resolve)));
    expect(budget.heldBytes).toBe(60);
    const refused = (() => {
      try {
        budget.reserve(41, "image");
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).type).toBe("payload_too_large");
    expect((refused as AppError).status).toBe(413);
    expect((refused as AppError).details.field).toBe("image");
    expect(budget.heldBytes).toBe(60);
    first.release(); // a job holds them: only its end frees them
    expect(budget.heldBytes).toBe(60);
    finish();
    await Bun.sleep(0);
    expect(budget.heldBytes).toBe(0);
    budget.reserve(100, "images").release();
    expect(budget.heldBytes).toBe(0);
  });

  test("a released reservation frees its bytes once, however often it is released; a job that fails frees its bytes too", async () => {
    const budget = new InputBudget(10);
    const reservation = budget.reserve(10, "images");
    reservation.release();
    reservation.release();
    expect(budget.heldBytes).toBe(0);
    budget.reserve(10, "images").holdUntil(Promise.reject(new Error("boom")));
    budget.reserve(0, "images"); // requests without inputs are never refused
    await Bun.sleep(0);
    expect(budget.heldBytes).toBe(0);
  });
});

describe("loadInputImages with a queue budget", () => {
  /** A sparse file of `bytes` zeros: reading it would answer "not a PNG", so a 413 proves it was never read. */
  function sparse(dir: string, name: string, bytes: number): string {
    const path = join(dir, name);
    writeFileSync(path, "");
    truncateSync(path, bytes);
    return path;
  }

  test("requests each under the per-request cap but together over the queue cap are refused with a 413 before their files are read", async () => {
    using dir = tempDir();
    const budget = new InputBudget(10 * MiB);
    const held = budget.reserve(8 * MiB, "images"); // a queued job's inputs
    const paths = Array.from({ length: 4 }, (_, i) => sparse(dir.path, `in${i}.png`, 3 * MiB));
    const errors = await Promise.all(paths.map((value, i) => rejection(loadInputImages([{ value, field: "images[0]" }], { budget, field: i % 2 ? "image" : "images" }))));
    for (const [i, error] of errors.entries()) {
      expect(error.type).toBe("payload_too_large");
      expect(error.details.field).toBe(i % 2 ? "image" : "images");
      expect(error.message).toContain("Retry when");
    }
    held.release();
    expect(budget.heldBytes).toBe(0);
  });

  test("concurrent requests under the queue cap together: those that fit are read and keep their reservation, the rest are 413s; released, nothing stays reserved", async () => {
    using dir = tempDir();
    const budget = new InputBudget(10 * MiB);
    const paths = Array.from({ length: 6 }, (_, i) => {
      const path = join(dir.path, `in${i}.png`);
      writeFileSync(path, makePng(2, 2));
      truncateSync(path, 3 * MiB);
      return path;
    });
    const results = await Promise.allSettled(paths.map((value) => loadInputImages([{ value, field: "images[0]" }], { budget })));
    const loaded = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const refused = results.flatMap((result) => (result.status === "rejected" ? [result.reason as AppError] : []));
    expect(loaded).toHaveLength(3); // 3 × 3 MiB fit under 10 MiB
    expect(refused.map((error) => error.type)).toEqual(["payload_too_large", "payload_too_large", "payload_too_large"]);
    expect(budget.heldBytes).toBe(9 * MiB);
    for (const { reservation } of loaded) reservation.release();
    expect(budget.heldBytes).toBe(0);
  });

  test("a request whose images are read holds its reservation until released; each distinct file and each inline image counts once", async () => {
    using dir = tempDir();
    const budget = new InputBudget(10 * MiB);
    const path = join(dir.path, "cat.png");
    const png = makePng(16, 16);
    writeFileSync(path, png);
    const inline = makePng(3, 3);
    const { images, reservation } = await loadInputImages(
      [
        { value: path, field: "images[0]" },
        { value: path, field: "images[1]" },
        { value: b64(inline), field: "images[2]" },
      ],
      { budget },
    );
    expect(images).toHaveLength(3);
    expect(reservation.bytes).toBe(png.length + inline.length);
    expect(budget.heldBytes).toBe(reservation.bytes);
    reservation.release();
    expect(budget.heldBytes).toBe(0);
  });

  test("inline data that fails to decode releases what it reserved", async () => {
    const budget = new InputBudget(10 * MiB);
    const error = await rejection(loadInputImages([{ value: b64(makeWav(0.01)), field: "image" }], { budget }));
    expect(error.type).toBe("invalid_argument");
    expect(budget.heldBytes).toBe(0);
  });
});
