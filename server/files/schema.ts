// Shapes of the gallery's file actions, shared with the web UI via `import type`.
import { z } from "zod";

/** `GET /api/files/folder-opener`: whether this daemon can open a result's folder on the desktop, and if not why. */
export const FolderOpenerStatus = z.object({ available: z.boolean(), reason: z.string().optional() });
export type FolderOpenerStatus = z.infer<typeof FolderOpenerStatus>;

/** `POST /api/generations/:id/open-folder`: the folder the file manager was started on. */
export const FolderOpened = z.object({ opened: z.literal(true), folder: z.string() });
export type FolderOpened = z.infer<typeof FolderOpened>;
