// The shape of config.yml, checked with zod: the single source of the config's types.
import { isAbsolute } from "node:path";
import { z } from "zod";
import { DEFAULT_MAX_BODY_MIB, DEFAULT_SHUTDOWN_GRACE_SECONDS } from "../defaults.ts";

import { PriceEntry } from "../pricing/schema.ts";
import { PROVIDER_OPTIONS } from "../providers/options.ts";
import { MediaType, ProviderId } from "../schemas/common.ts";

export { MEDIA_TYPES, MediaType, ProviderId } from "../schemas/common.ts";

/** One configured model: which provider and model serve one media type. */
export const ModelEntry = z
  .object({
    name: z.string().trim().min(1, "must be a non-empty label").optional(),
    type: MediaType,
    provider: ProviderId,
    model: z.string().trim().min(1, "must name the provider's model"),
    api_key: z.string().optional(),
    base_url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    default: z.boolean().optional(),
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type ModelEntry = z.infer<typeof ModelEntry>;

/** Settings of the HTTP server itself. */
export const ServerSettings = z
  .object({
    allowed_hosts: z.array(z.string().trim().min(1)).default([]),
    token: z.string().min(16, "must be at least 16 characters").optional(),
    max_body_mib: z.number().positive().default(DEFAULT_MAX_BODY_MIB),
    shutdown_grace_seconds: z.number().min(0).default(DEFAULT_SHUTDOWN_GRACE_SECONDS),
  })
  .strict();

/** The whole config.yml. */
export const Config = z
  .object({
    output_dir: z
      .string()
      .refine((dir) => isAbsolute(dir), "must be an absolute path")
      .optional(),
    server: ServerSettings.default(() => ServerSettings.parse({})),
    models: z.array(ModelEntry).default([]),
    prices: z.array(PriceEntry).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.models.forEach((entry, index) => {
      const options = PROVIDER_OPTIONS[entry.provider].safeParse(entry.options ?? {});
      for (const issue of options.success ? [] : options.error.issues) {
        ctx.addIssue({ code: "custom", path: ["models", index, "options", ...issue.path], message: issue.message });
      }
      if (entry.provider === "openai-compatible" && !entry.base_url) {
        ctx.addIssue({ code: "custom", path: ["models", index, "base_url"], message: "is required for provider openai-compatible (the server's URL, e.g. http://localhost:8080/v1)" });
      }
      if (!entry.name) return;
      const first = seen.get(entry.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["models", index, "name"],
          message: `duplicates the name of models[${first}]; names must be unique`,
        });
      }
      seen.set(entry.name, index);
    });
  });
export type Config = z.infer<typeof Config>;
