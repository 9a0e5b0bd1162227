// Aspect ratios: the skill's three names, plus W:H ratios mapped onto them.
import { invalidArgument } from "../errors.ts";

/** The aspect names the API speaks. */
export type Aspect = "landscape" | "square" | "portrait";
export const ASPECTS: readonly Aspect[] = ["landscape", "square", "portrait"];

const RATIO = /^(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)$/;
/** Ratios within this distance of 1 count as square (so 5:4 and 4:5 are square). */
const SQUARE_TOLERANCE = 0.26;

/**
 * Maps `landscape|square|portrait` or a `W:H` ratio (16:9, 1:1, 9:16, 4:3, ...) onto an Aspect.
 * Missing or empty means landscape. Anything else, or an aspect outside `allowed`, is a 400 listing the allowed values.
 */
export function parseAspect(value: unknown, allowed: readonly Aspect[] = ASPECTS): Aspect {
  const allowedText = `${allowed.join(", ")} (or a ratio such as ${allowed.map(exampleRatio).join(", ")})`;
  if (value === undefined || value === null || value === "") return "landscape";
  if (typeof value !== "string") {
    throw invalidArgument("aspect_ratio", `aspect_ratio must be one of ${allowedText}`, allowed);
  }
  const text = value.trim().toLowerCase();
  const aspect = (ASPECTS as readonly string[]).includes(text) ? (text as Aspect) : fromRatio(text);
  if (!aspect || !allowed.includes(aspect)) {
    throw invalidArgument("aspect_ratio", `aspect_ratio "${value}" is not supported here; use one of ${allowedText}`, allowed);
  }
  return aspect;
}

function fromRatio(text: string): Aspect | undefined {
  const match = RATIO.exec(text);
  if (!match) return undefined;
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (!(width > 0 && height > 0)) return undefined;
  const ratio = width / height;
  if (Math.abs(Math.log(ratio)) <= Math.log(1 + SQUARE_TOLERANCE)) return "square";
  return ratio > 1 ? "landscape" : "portrait";
}

function exampleRatio(aspect: Aspect): string {
  return { landscape: "16:9", square: "1:1", portrait: "9:16" }[aspect];
}
