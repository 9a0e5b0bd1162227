// Plumbing shared by the provider fakes: reading requests (JSON or multipart), JSON answers, base64 and data URLs.

/** One part of a multipart/form-data body, as the fake parsed it. */
export interface RecordedPart {
  /** The form field name (`image[]`, `prompt`, ...). */
  name: string;
  /** The part's filename, when it is a file part. */
  filename?: string;
  /** The part's own Content-Type header, when it sent one. */
  contentType?: string;
  size: number;
  bytes: Uint8Array;
  /** The part decoded as UTF-8, for parts without a filename (plain form fields). */
  text?: string;
}

/** One request a fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The JSON body, or the plain fields of a multipart body; `{}` when there was none or it did not parse. */
  body: Record<string, unknown>;
  /** The body text when it was meant to be JSON but did not parse. */
  rawText?: string;
  /** Every part of a multipart/form-data body, in order. */
  parts?: RecordedPart[];
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** Bytes of a base64 string, or undefined when it is not base64 at all. */
export function fromBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== "string" || text.length === 0) return undefined;
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) return undefined;
  return new Uint8Array(Buffer.from(clean, "base64"));
}

/** A `data:<mime>;base64,<data>` URL split into its parts. */
export function parseDataUrl(url: string): { mime: string; bytes: Uint8Array } | undefined {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (!match) return undefined;
  const bytes = fromBase64(match[2]);
  return bytes ? { mime: match[1]!, bytes } : undefined;
}

function headerParam(header: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|;)\\s*${name}="([^"]*)"`, "i").exec(header) ?? new RegExp(`(?:^|;)\\s*${name}=([^;\\s]+)`, "i").exec(header);
  return match?.[1];
}

/** Parses a multipart/form-data body byte for byte (so the parts' own headers are seen exactly as sent). */
export function parseMultipart(body: Uint8Array, boundary: string): RecordedPart[] {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: RecordedPart[] = [];
  let at = buffer.indexOf(delimiter);
  while (at !== -1) {
    let start = at + delimiter.length;
    if (buffer[start] === 0x2d && buffer[start + 1] === 0x2d) break; // closing delimiter
    if (buffer[start] === 0x0d && buffer[start + 1] === 0x0a) start += 2;
    const next = buffer.indexOf(delimiter, start);
    if (next === -1) break;
    const headerEnd = buffer.indexOf("\r\n\r\n", start);
    if (headerEnd === -1 || headerEnd > next) break;
    const headers = new Map<string, string>();
    for (const line of buffer.subarray(start, headerEnd).toString("utf8").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    let end = next;
    if (buffer[end - 2] === 0x0d && buffer[end - 1] === 0x0a) end -= 2;
    const bytes = new Uint8Array(buffer.subarray(headerEnd + 4, end));
    const disposition = headers.get("content-disposition") ?? "";
    const filename = headerParam(disposition, "filename");
    const part: RecordedPart = { name: headerParam(disposition, "name") ?? "", size: bytes.length, bytes };
    if (filename !== undefined) part.filename = filename;
    const contentType = headers.get("content-type");
    if (contentType !== undefined) part.contentType = contentType;
    if (filename === undefined) part.text = new TextDecoder().decode(bytes);
    parts.push(part);
    at = next;
  }
  return parts;
}

/** Reads and records a request: JSON bodies parsed, multipart bodies split into parts (plain fields also land in `body`). */
export async function readRequest(request: Request): Promise<RecordedRequest> {
  const url = new URL(request.url);
  const recorded: RecordedRequest = {
    method: request.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(request.headers),
    body: {},
  };
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length === 0) return recorded;
  const contentType = request.headers.get("content-type") ?? "";
  const boundary = /multipart\/form-data/i.test(contentType) ? headerParam(contentType, "boundary") : undefined;
  if (boundary) {
    recorded.parts = parseMultipart(bytes, boundary);
    for (const part of recorded.parts) if (part.text !== undefined) recorded.body[part.name] = part.text;
    return recorded;
  }
  const text = new TextDecoder().decode(bytes);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) recorded.body = parsed as Record<string, unknown>;
    else recorded.rawText = text;
  } catch {
    recorded.rawText = text;
  }
  return recorded;
}

/** A short random id of lowercase letters and digits. */
export function randomId(length = 12): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => alphabet[b % alphabet.length]).join("");
}

/** Gemini's output pixel sizes per aspect ratio at 1K, which OpenRouter documents for the same models. */
export const ASPECT_SIZES_1K: Record<string, [number, number]> = {
  "1:1": [1024, 1024],
  "2:3": [832, 1248],
  "3:2": [1248, 832],
  "3:4": [864, 1184],
  "4:3": [1184, 864],
  "4:5": [896, 1152],
  "5:4": [1152, 896],
  "9:16": [768, 1344],
  "16:9": [1344, 768],
  "21:9": [1536, 672],
};
/** The extra ratios only gemini-3.1-flash-image-preview accepts, at 1K. */
export const EXTENDED_ASPECT_SIZES_1K: Record<string, [number, number]> = { "1:4": [512, 2048], "4:1": [2048, 512], "1:8": [384, 3072], "8:1": [3072, 384] };

/** Seconds of audio a fake answers `text` with: one second per `charsPerSecond` characters, to 0.1 s, clamped to [minSeconds, maxSeconds]. */
export function speechSeconds(text: string, pace: { charsPerSecond: number; minSeconds: number; maxSeconds: number }): number {
  return Math.min(pace.maxSeconds, Math.max(pace.minSeconds, Math.round((text.length / pace.charsPerSecond) * 10) / 10));
}
