// Reading a JSON request body with a size limit and errors that say what is wrong.
import { MAX_JSON_DEPTH } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";

/** The 413 for a request body past server.max_body_mib: the declared size when there is one, the limit always. */
export function payloadTooLarge(maxBytes: number, declared?: number): AppError {
  const limit = `${Math.round(maxBytes / 1048576)} MiB`;
  const message =
    declared === undefined
      ? `Request body is larger than ${limit} (server.max_body_mib)`
      : `Request body is ${(declared / 1048576).toFixed(1)} MiB; the limit is ${limit} (server.max_body_mib)`;
  return new AppError("payload_too_large", message, { field: "body" });
}

/**
 * Reads a stream whole into one buffer, or undefined (the stream cancelled at once) when it passes `maxBytes`;
 * a stream that breaks rejects with its own error. A single chunk is returned as is, several are joined once.
 */
export async function readLimited(stream: ReadableStream<Uint8Array<ArrayBuffer>> | null, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!stream) return new Uint8Array();
  const reader = stream.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/**
 * Reads a request's body, at most `maxBytes` declared or sent: past it a 413 (a declared size is refused before
 * reading), a body that breaks off (the client went away, the idle timeout closed it) a 400 on `body`.
 */
export async function readRequestBody(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declaredText = request.headers.get("content-length");
  const declared = declaredText === null ? undefined : Number(declaredText);
  if (declared !== undefined && declared > maxBytes) throw payloadTooLarge(maxBytes, declared);
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  try {
    // A declared length (within the limit) is read natively in one piece; touching `request.body` would turn it into
    // a stream read. Without one, the stream is read and counted as it arrives.
    bytes = declared !== undefined && Number.isSafeInteger(declared) ? await request.bytes() : await readLimited(request.body, maxBytes);
  } catch {
    throw invalidArgument("body", "Request body could not be read: the connection broke off before it was complete");
  }
  if (!bytes) throw payloadTooLarge(maxBytes);
  return bytes;
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
  const text = new TextDecoder().decode(await readRequestBody(request, maxBytes)).trim();
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
