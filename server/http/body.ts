// Reading a JSON request body with a size limit and errors that say what is wrong.
import { AppError, invalidArgument } from "../errors.ts";

/**
 * Reads the body as a JSON object whatever its Content-Type (curl's -d sends form encoding by default).
 * An empty body is `{}`; malformed JSON is a 400 saying so; a body over `maxBytes` is a 413.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const limitText = `${Math.round(maxBytes / 1048576)} MiB`;
  if (declared > maxBytes) {
    throw new AppError("payload_too_large", `Request body is ${(declared / 1048576).toFixed(1)} MiB; the limit is ${limitText} (server.max_body_mib)`);
  }
  const buffer = await request.arrayBuffer();
  if (buffer.byteLength > maxBytes) {
    throw new AppError("payload_too_large", `Request body is larger than ${limitText} (server.max_body_mib)`);
  }
  const text = new TextDecoder().decode(buffer).trim();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidArgument("body", `Request body is not valid JSON (${error instanceof Error ? error.message : "parse error"}); send a JSON object`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument("body", "Request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
