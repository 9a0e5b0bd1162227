// The blocking curl command equivalent to a playground request, for pasting into a shell.
import type { ImageBody, SpeechBody, VideoBody } from "./api.ts";

/** Endpoint path of each media type's generation call. */
export const MEDIA_PATHS = { image: "/api/media/image", video: "/api/media/video", audio: "/api/media/audio/speech" } as const;

/** A generation request as the playground sends it, by media type. */
export type CurlRequest = { type: "image"; body: ImageBody } | { type: "video"; body: VideoBody } | { type: "audio"; body: SpeechBody };

/** `text` as one POSIX shell word in single quotes (a `'` becomes `'\''`), so nothing inside is expanded. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The blocking curl call of `request` (the body as the playground sends it, without `async`) against `host` (`127.0.0.1:7070`). The token itself never
 * appears: with `withToken` the command reads it from `$MEDIAGEN_TOKEN`. Input images stay complete.
 */
export function curlCommand(request: CurlRequest, host: string, withToken: boolean): string {
  const parts = [`curl -s -X POST http://${host}${MEDIA_PATHS[request.type]}`, `-H "Content-Type: application/json"`];
  if (withToken) parts.push(`-H "Authorization: Bearer $MEDIAGEN_TOKEN"`);
  parts.push(`-d ${shellQuote(JSON.stringify(request.body))}`);
  return parts.join(" ");
}
