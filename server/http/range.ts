// Serving a file with its content type and single-range HTTP Range support.
import { AppError, errorResponse } from "../errors.ts";

/** A Response for `path`, honouring a `Range: bytes=a-b` header (206/416) and `If-None-Match`; `extra` headers win. */
export async function fileResponse(request: Request, path: string, mimeType: string, extra: Record<string, string> = {}): Promise<Response> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new AppError("not_found", `The file of this generation is no longer on disk: ${path}`);
  const size = file.size;
  const etag = `"${size.toString(16)}-${Math.floor(file.lastModified).toString(16)}"`;
  const headers: Record<string, string> = {
    "content-type": mimeType,
    "accept-ranges": "bytes",
    etag,
    "cache-control": "private, max-age=0, must-revalidate",
    ...extra,
  };
  if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  const range = request.headers.get("range");
  if (!range) return new Response(file, { headers: { ...headers, "content-length": String(size) } });
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match || (match[1] === "" && match[2] === "")) {
    return rangeError(size, `Range "${range}" is not a single bytes range`);
  }
  let start: number;
  let end: number;
  if (match[1] === "") {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) return rangeError(size, `Range "${range}" is outside the file (${size} bytes)`);
  return new Response(file.slice(start, end + 1), {
    status: 206,
    headers: { ...headers, "content-range": `bytes ${start}-${end}/${size}`, "content-length": String(end - start + 1) },
  });
}

function rangeError(size: number, message: string): Response {
  return errorResponse(new AppError("range_not_satisfiable", message), { "content-range": `bytes */${size}` });
}
