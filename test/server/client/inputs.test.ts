// Input files a tool names by path, turned into data: URLs for a daemon on another machine.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inlineInputFiles } from "../../../server/client/inputs.ts";
import { makePng } from "../../fakes/media.ts";
import { tempDir, thrown } from "../../helpers.ts";

describe("inlineInputFiles", () => {
  test("files named by absolute path become data: URLs of their bytes; data, URLs, base64 and other fields are left alone", () => {
    using dir = tempDir();
    const png = join(dir.path, "a.png");
    const bytes = makePng(4, 4);
    writeFileSync(png, bytes);
    const dataUrl = `data:image/png;base64,${Buffer.from(bytes).toString("base64")}`;
    const body = {
      prompt: "/not/an/input",
      output_dir: dir.path,
      image: png,
      images: [png, "https://example.com/b.png", dataUrl],
      first_frame: "/9j/4AAQSkZJRgABAQ",
      reference_videos: [],
    };
    expect(inlineInputFiles(body)).toEqual({ ...body, image: dataUrl, images: [dataUrl, "https://example.com/b.png", dataUrl] });
  });

  test("a path with no file behind it is a 400 naming the field", () => {
    const error = thrown(() => inlineInputFiles({ prompt: "x", images: ["data:image/png;base64,AAAA", "/no/such/file.png"] }));
    expect(error.type).toBe("invalid_argument");
    expect(error.details.field).toBe("images[1]");
    expect(error.message).toContain("no such file on this machine: /no/such/file.png");
  });
});
