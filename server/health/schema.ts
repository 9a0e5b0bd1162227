// The shape of GET /api/health, declared once (the web UI imports its type).
import { z } from "zod";
import { StorageStatus } from "../ledger/schema.ts";

/** Body of `GET /api/health`. */
export const Health = z.object({
  /** False when the ledger cannot be written: generations would not be recorded. */
  ok: z.boolean(),
  version: z.string(),
  uptime_seconds: z.number(),
  config: z.object({ ok: z.boolean(), error: z.string().optional(), warning: z.string().optional() }),
  storage: StorageStatus,
  running_generations: z.number(),
  token_required: z.boolean(),
});
export type Health = z.infer<typeof Health>;
