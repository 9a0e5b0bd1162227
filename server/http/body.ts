// Reading a JSON request body with a size limit and errors that say what is wrong.
import { MAX_JSON_DEPTH } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";

const tooLarge = (message: string) => new AppError("payload_too_large", message, { field: "body" });

/** Reads the body's bytes, stopping (and cancelling the stream) as soon as they pass `maxBytes`. */
async function readLimited(request: Request, maxBytes: number, limitText: string): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(`Request body is larger than ${limitText} (server.max_body_mib)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Whether a parsed JSON value nests arrays/objects deeper than `max` (checked without recursion). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Reads the body as a JSON object whatever its Content-Type (curl's -d sends form encoding by default).
 * An empty body is `{}`; malformed or too deeply nested JSON is a 400 saying so; a body over `maxBytes` is a 413.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const limitText = `${Math.round(maxBytes / 1048576)} MiB`;
  if (declared > maxBytes) {
    throw tooLarge(`Request body is ${(declared / 1048576).toFixed(1)} MiB; the limit is ${limitText} (server.max_body_mib)`);
  }
  const text = new TextDecoder().decode(await readLimited(request, maxBytes, limitText)).trim();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : "nested too deeply";
    throw invalidArgument("body", `Request body is not valid JSON (${reason}); send a JSON object`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument("body", "Request body must be a JSON object");
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
    throw invalidArgument("body", `Request body nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return value as Record<string, unknown>;
}
