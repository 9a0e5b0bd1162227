// Turning zod issues into messages that name the field and what it accepts.
import type { z } from "zod";
import { invalidArgument, type AppError } from "./errors.ts";

/** Renders a zod issue path as `models[0].type` or `images[1]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, "");
}

/** One line per issue: `field: message`. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const field = fieldPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const where = field ? ` in ${field}` : "";
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}${where}`;
  }
  return field ? `${field}: ${issue.message}` : issue.message;
}

/** The first issue of a failed parse as an invalid_argument error naming its field and allowed values. */
export function issueToError(issue: z.core.$ZodIssue): AppError {
  const field = issue.code === "unrecognized_keys" ? (issue.keys[0] ?? "body") : fieldPath(issue.path) || "body";
  const allowed = issue.code === "invalid_value" ? issue.values.map((v) => String(v)) : undefined;
  return invalidArgument(field, describeIssue(issue), allowed);
}

/** Parses `value` with `schema` or throws an invalid_argument naming the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  if (!first) throw invalidArgument("body", "invalid request");
  throw issueToError(first);
}
