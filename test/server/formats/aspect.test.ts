import { describe, expect, test } from "bun:test";
import { type Aspect, parseAspect } from "../../../server/formats/aspect.ts";
import { thrown } from "../../helpers.ts";


describe("parseAspect", () => {
  const accepted: [unknown, Aspect][] = [
    ["landscape", "landscape"],
    ["square", "square"],
    ["portrait", "portrait"],
    ["  Portrait ", "portrait"],
    ["LANDSCAPE", "landscape"],
    ["16:9", "landscape"],
    ["1:1", "square"],
    ["9:16", "portrait"],
    ["4:3", "landscape"],
    ["3:2", "landscape"],
    ["2:3", "portrait"],
    ["3:4", "portrait"],
    ["5:4", "square"],
    ["4:5", "square"],
    ["21:9", "landscape"],
    ["16x9", "landscape"],
    ["9/16", "portrait"],
    ["16 : 9", "landscape"],
    ["1.91:1", "landscape"],
    [undefined, "landscape"],
    ["", "landscape"],
    [null, "landscape"],
  ];
  test.each(accepted)("%p -> %s", (value, aspect) => {
    expect(parseAspect(value)).toBe(aspect);
  });

  const refused: [unknown][] = [["wide"], ["16:0"], ["0:9"], ["16:9:1"], ["-16:9"], ["16;9"], [16], [true], [{ ratio: "16:9" }], [["16:9"]]];
  test.each(refused)("%p is an invalid_argument naming aspect_ratio and the allowed values", (value) => {
    const error = thrown(() => parseAspect(value));
    expect(error.type).toBe("invalid_argument");
    expect(error.status).toBe(400);
    expect(error.details.field).toBe("aspect_ratio");
    expect(error.details.allowed).toEqual(["landscape", "square", "portrait"]);
    expect(error.message).toContain("landscape, square, portrait");
    expect(error.message).toContain("16:9");
  });

  describe("with a video-style allowed list without square", () => {
    const video: Aspect[] = ["landscape", "portrait"];

    test.each([
      ["16:9", "landscape"],
      ["9:16", "portrait"],
      [undefined, "landscape"],
    ] as [unknown, Aspect][])("%p -> %s", (value, aspect) => {
      expect(parseAspect(value, video)).toBe(aspect);
    });

    test.each(["square", "1:1", "5:4"])("%p is refused with only landscape and portrait allowed", (value) => {
      const error = thrown(() => parseAspect(value, video));
      expect(error.type).toBe("invalid_argument");
      expect(error.details.field).toBe("aspect_ratio");
      expect(error.details.allowed).toEqual(["landscape", "portrait"]);
      expect(error.message).toContain(`"${value}"`);
      expect(error.message).toContain("use one of landscape, portrait (or a ratio such as 16:9, 9:16)");
    });
  });
});
