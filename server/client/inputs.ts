// Input files named by path in a request body, for a daemon on another machine: that daemon reads no file of this
// one (it refuses paths from remote callers), so each file named by absolute path is sent as a data: URL instead.
import { isAbsolute } from "node:path";
import { readFileSync, statSync } from "node:fs";
import { invalidArgument } from "../errors.ts";

/** The request fields that may name input files: a single reference, or a list of them. */
const SINGLE_FIELDS = ["image", "first_frame", "last_frame"] as const;
const LIST_FIELDS = ["images", "reference_images", "reference_videos", "reference_audios"] as const;

/** An absolute path that is not data or a URL (bare base64 of a JPEG starts with "/9j/", so a path must exist). */
function inlined(value: unknown, field: string): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (!isAbsolute(text) || /^data:|^https?:\/\//i.test(text)) return value;
  let isFile: boolean;
  try {
    isFile = statSync(text).isFile();
  } catch {
    if (text.startsWith("/9j/")) return value;
    throw invalidArgument(field, `${field}: no such file on this machine: ${text}`);
  }
  if (!isFile) throw invalidArgument(field, `${field}: ${text} is not a file`);
  const type = Bun.file(text).type.split(";")[0] || "application/octet-stream";
  return `data:${type};base64,${readFileSync(text).toString("base64")}`;
}

/** `body` with every input file it names by absolute path replaced by its bytes as a data: URL. Throws invalid_argument naming the field of a missing file. */
export function inlineInputFiles(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  for (const field of SINGLE_FIELDS) if (field in out) out[field] = inlined(out[field], field);
  for (const field of LIST_FIELDS) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = list.map((value, i) => inlined(value, `${field}[${i}]`));
  }
  return out;
}
