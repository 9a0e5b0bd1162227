// A remote daemon's result brought to the caller's machine: the CLI and `mediagen mcp` stream the generation's file
// from the daemon into <output_dir>/assets/generated/ (a temp file beside its final name, synced, then placed under a
// name no existing file has), and answer with the local path. The result is paid for: a failed download says where
// it is kept and under which generation id.
import { basename, extname } from "node:path";
import type { MediaType } from "../config/schema.ts";
import { generatedDir, openSpool, outputFileName, placeFile } from "../media/output-files.ts";
import type { MediaResponse } from "../media/schema.ts";
import type { DaemonClient } from "./daemon-client.ts";

/** The field of a media answer holding its file's path. */
const PATH_FIELD: Record<MediaType, "image" | "video" | "audio"> = { image: "image", video: "video", audio: "audio" };

/** A result that was made (and paid for) but could not be brought to this machine; it is still kept on the daemon. */
export class DownloadFailed extends Error {
  constructor(
    readonly id: string,
    readonly url: string,
    readonly reason: string,
    /** The daemon's answer, as it was before the download. */
    readonly record: MediaResponse,
  ) {
    super(
      `The result was generated (generation ${id}) but could not be downloaded to this machine: ${reason}. It is kept on the daemon; fetch it from ${url} with your token (Authorization: Bearer), or retry later. Do not generate it again.`,
    );
  }
}

/** The name the daemon gave its copy when it is a plain file name, else a fresh one of the daemon's pattern. */
function namesFor(type: MediaType, daemonPath: string, mimeType: string | undefined): () => string {
  const given = basename(daemonPath.replaceAll("\\", "/"));
  const extension = extname(given).slice(1) || mimeType?.split("/")[1]?.replace("jpeg", "jpg").replace("mpeg", "mp3") || "bin";
  let first = /^[\w.-]+$/.test(given) && !given.startsWith(".") ? given : undefined;
  return () => {
    const name = first ?? outputFileName(type, extension);
    first = undefined;
    return name;
  };
}

/**
 * Downloads the file of a successful answer into `<outputDir>/assets/generated/` on this machine and returns the
 * answer with its path field naming the local file (`daemon_path`: the daemon's copy, kept). `outputDir` must be
 * absolute. Throws DownloadFailed, leaving no partial file behind.
 */
export async function downloadResult(client: DaemonClient, type: MediaType, record: MediaResponse, outputDir: string): Promise<MediaResponse> {
  const field = PATH_FIELD[type];
  const id = String(record.id ?? "");
  const url = typeof record.download_url === "string" ? record.download_url : client.fileUrl(id);
  const daemonPath = String(record[field] ?? "");
  let spool: ReturnType<typeof openSpool> | undefined;
  try {
    if (!id) throw new Error("the daemon's answer has no generation id");
    const dir = generatedDir(outputDir, outputDir);
    const response = await client.file(id);
    if (response.status !== 200) {
      const text = await response.text().catch(() => "");
      let detail = text.slice(0, 300);
      try {
        detail = String((JSON.parse(text) as { error?: unknown }).error ?? detail);
      } catch {
        // not JSON: the text itself
      }
      throw new Error(`the daemon answered HTTP ${response.status}${detail ? ` (${detail})` : ""}`);
    }
    spool = openSpool(dir);
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (response.body) for await (const chunk of response.body) spool.write(chunk);
    if (Number.isFinite(declared) && spool.size !== declared) throw new Error(`the download broke off after ${spool.size} of ${declared} bytes`);
    const file = await spool.finish();
    const local = await placeFile(dir, namesFor(type, daemonPath, typeof record.mime_type === "string" ? record.mime_type : undefined), file);
    spool = undefined;
    const { delivery: _delivery, ...rest } = record;
    return { ...rest, [field]: local, daemon_path: daemonPath };
  } catch (error) {
    spool?.discard();
    const reason = error instanceof Error ? error.message : String(error);
    throw new DownloadFailed(id || "unknown", url, reason, record);
  }
}
