// The WASM thumbnail maker on real PNG, JPEG and WebP files: WebP out, at most 512 px on the long side.
import { describe, expect, test } from "bun:test";
import { decodePicture, fitWithin, makeThumbnail } from "../../../server/thumbnails/codec.ts";
import { imageSize, sniffMedia } from "../../../server/formats/media-bytes.ts";
import { gradient, jpeg, png, webp } from "./pictures.ts";

const landscape = gradient(1600, 900);
const small = gradient(300, 200);

describe("makeThumbnail", () => {
  test.each([
    ["PNG", () => Promise.resolve(png(landscape))],
    ["JPEG", () => jpeg(landscape)],
    ["WebP", () => webp(landscape)],
  ])("a 1600×900 %s becomes a 512×288 WebP, far smaller", async (_format, make) => {
    const input = await make();
    const out = await makeThumbnail(input);
    expect(sniffMedia(out.webp)?.mimeType).toBe("image/webp");
    expect(imageSize(out.webp)).toEqual({ width: 512, height: 288 });
    expect({ width: out.width, height: out.height }).toEqual({ width: 512, height: 288 });
    expect(out.webp.length).toBeLessThan(input.length / 4);
    // The thumbnail decodes again and keeps the picture: little red at the left edge, much at the right.
    const back = await decodePicture(out.webp);
    expect(back.width).toBe(512);
    expect(back.data[(144 * 512 + 500) * 4]!).toBeGreaterThan(200);
    expect(back.data[(144 * 512 + 5) * 4]!).toBeLessThan(40);
  });

  test("a portrait picture is limited by its height; a small one keeps its size", async () => {
    expect(imageSize((await makeThumbnail(png(gradient(600, 1400)))).webp)).toEqual({ width: 219, height: 512 });
    expect(imageSize((await makeThumbnail(png(small))).webp)).toEqual({ width: 300, height: 200 });
  });

  test("what is not a PNG, JPEG or WebP, or is damaged, is an error", async () => {
    await expect(makeThumbnail(new TextEncoder().encode("GIF89a not really a picture"))).rejects.toThrow(/cannot be made into a thumbnail/);
    await expect(makeThumbnail(new TextEncoder().encode("hello, this is text and no picture"))).rejects.toThrow(/cannot be made into a thumbnail/);
    const cut = png(landscape).subarray(0, 4000);
    await expect(makeThumbnail(cut)).rejects.toThrow();
  });
});

describe("fitWithin", () => {
  test.each([
    [4096, 2304, 512, 288],
    [1024, 1024, 512, 512],
    [100, 50, 100, 50],
    [5000, 3, 512, 1],
  ])("%d×%d fits in %d×%d", (width, height, w, h) => {
    expect(fitWithin(width, height, 512)).toEqual({ width: w, height: h });
  });
});
