// The media types and generation statuses the web UI lists, declared once and checked against the server's own types.
import type { MediaType as ServerMediaType } from "../../../server/enums.ts";
import type { Door as ServerDoor, GenerationStatus as ServerGenerationStatus } from "../../../server/ledger/schema.ts";

/** The media types, in display and stacking order (bottom first). */
export const MEDIA_TYPES = ["image", "video", "audio"] as const satisfies readonly ServerMediaType[];
export type MediaType = (typeof MEDIA_TYPES)[number];

/** Every status a generation or job can have, in lifecycle order. */
export const GENERATION_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted", "refused"] as const satisfies readonly ServerGenerationStatus[];
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

/** The front doors a request can come through, in display order. */
export const DOORS = ["api", "mcp", "openai", "cli", "ui"] as const satisfies readonly ServerDoor[];
export type Door = (typeof DOORS)[number];

// Compile-time guard: a type, status or door the server adds must be listed above.
const everyMediaType: Exclude<ServerMediaType, MediaType> extends never ? true : never = true;
const everyStatus: Exclude<ServerGenerationStatus, GenerationStatus> extends never ? true : never = true;
void everyMediaType;
const everyDoor: Exclude<ServerDoor, Door> extends never ? true : never = true;
void everyStatus;
void everyDoor;

/** Whether a generation in `status` has ended (it is neither queued nor running). */
export function isFinished(status: GenerationStatus): boolean {
  return status !== "queued" && status !== "running";
}
