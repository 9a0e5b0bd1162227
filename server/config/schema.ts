// The shape of config.yml, checked with zod: the single source of the config's types.
import { isAbsolute } from "node:path";
import { z } from "zod";
import {
  MAX_BUDGET_USD,
  DEFAULT_CONCURRENCY,
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_BODY_MIB,
  DEFAULT_QUEUE_LENGTH,
  DEFAULT_SHUTDOWN_GRACE_SECONDS,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_BODY_MIB_LIMIT,
  MAX_CONNECT_TIMEOUT_SECONDS,
  MAX_NAME_CHARS,
  MAX_OPTIONS_JSON_CHARS,
  MAX_PATH_CHARS,
  MAX_SECRET_CHARS,
  MAX_SHUTDOWN_GRACE_SECONDS,
  MAX_TIMEOUT_SECONDS,
} from "../defaults.ts";

import { PriceEntry } from "../costs/price-schema.ts";
import { PROVIDER_OPTIONS } from "../providers/options.ts";
import { MediaType, ProviderId } from "../enums.ts";
import { MAX_TOKEN_NAME_CHARS } from "../tokens/schema.ts";

export { MEDIA_TYPES, MediaType, PROVIDER_IDS, ProviderId } from "../enums.ts";

/** A string of at most `max` characters, with a message naming the limit. */
const bounded = (max: number) => z.string().max(max, `must be at most ${max} characters`);
/** A number of seconds from above 0 to `max` (timers overflow past 2^31-1 ms). */
const seconds = (max: number, what: string) =>
  z.number().positive().max(max, `must be at most ${max} seconds (${what})`);

/** One configured model: which provider and model serve one media type. */
export const ModelEntry = z
  .object({
    name: bounded(MAX_NAME_CHARS).trim().min(1, "must be a non-empty label").optional(),
    type: MediaType,
    provider: ProviderId,
    model: bounded(MAX_NAME_CHARS).trim().min(1, "must name the provider's model"),
    api_key: bounded(MAX_SECRET_CHARS).optional(),
    base_url: bounded(MAX_PATH_CHARS).pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })).optional(),
    default: z.boolean().optional(),
    /** Names of entries of the same type tried in order when this one answers "not now" and charged nothing. */
    fallbacks: z.array(bounded(MAX_NAME_CHARS).trim().min(1, "must name a model entry")).max(16, "at most 16 fallbacks").optional(),
    options: z
      .record(z.string(), z.unknown())
      .refine((options) => JSON.stringify(options).length <= MAX_OPTIONS_JSON_CHARS, `must be at most ${MAX_OPTIONS_JSON_CHARS} characters of JSON`)
      .optional(),
  })
  .strict();
export type ModelEntry = z.infer<typeof ModelEntry>;

/** A model id as prices, budgets and the ledger know it: Gemini's `models/<id>` resource name is `<id>`. */
export function canonicalModelId(provider: string, model: string): string {
  return provider === "gemini" ? model.replace(/^models\//, "") : model;
}

/** Settings of the HTTP server itself. */
export const ServerSettings = z
  .object({
    allowed_hosts: z.array(bounded(MAX_NAME_CHARS).trim().min(1)).max(256, "at most 256 hosts").default([]),
    token: bounded(MAX_SECRET_CHARS).min(16, "must be at least 16 characters").optional(),
    max_body_mib: z.number().positive().max(MAX_BODY_MIB_LIMIT, `must be at most ${MAX_BODY_MIB_LIMIT} MiB`).default(DEFAULT_MAX_BODY_MIB),
    /** The address clients reach the daemon at through a reverse proxy (https://mediagen.example.com): answers' download_url is built on it. */
    public_url: bounded(MAX_PATH_CHARS).pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. https://mediagen.example.com" })).optional(),
    /** Several daemons on one database: the address the others reach this one at to fetch the files it keeps (default: its bound address). */
    internal_url: bounded(MAX_PATH_CHARS).pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. http://10.0.0.5:8787" })).optional(),
    shutdown_grace_seconds: z
      .number()
      .min(0)
      .max(MAX_SHUTDOWN_GRACE_SECONDS, `must be at most ${MAX_SHUTDOWN_GRACE_SECONDS} seconds (1 hour)`)
      .default(DEFAULT_SHUTDOWN_GRACE_SECONDS),
  })
  .strict();

/** Queue, concurrency, timeouts and retries of one media type. */
const jobLimits = (type: MediaType) =>
  z
    .object({
      concurrency: z.number().int().min(1).max(64).default(DEFAULT_CONCURRENCY[type]),
      queue: z.number().int().min(0).max(10_000).default(DEFAULT_QUEUE_LENGTH),
      timeout_seconds: seconds(MAX_TIMEOUT_SECONDS, "24 hours").default(DEFAULT_TIMEOUT_SECONDS[type]),
      connect_timeout_seconds: seconds(MAX_CONNECT_TIMEOUT_SECONDS, "10 minutes").default(DEFAULT_CONNECT_TIMEOUT_SECONDS),
      max_attempts: z.number().int().min(1).max(10).default(DEFAULT_MAX_ATTEMPTS),
    })
    .strict();
export const JobLimits = jobLimits("image");
export type JobLimits = z.infer<typeof JobLimits>;

/** Queue settings per media type. */
export const JobSettings = z
  .object({
    image: jobLimits("image").default(() => jobLimits("image").parse({})),
    video: jobLimits("video").default(() => jobLimits("video").parse({})),
    audio: jobLimits("audio").default(() => jobLimits("audio").parse({})),
  })
  .strict();

/** A daily and a monthly spending limit, in USD. */
const usdLimit = z
  .number({ error: "must be a number of US dollars" })
  .positive("must be more than 0 (leave it out for no limit)")
  .max(MAX_BUDGET_USD, `must be at most ${MAX_BUDGET_USD}`);
const Limits = z.object({ daily_usd: usdLimit.optional(), monthly_usd: usdLimit.optional() }).strict();
export type Limits = z.infer<typeof Limits>;

/** Spending limits overall, per media type, and per team (the `team` of person tokens). */
export const Budget = Limits.extend({
  per_type: z.object({ image: Limits.optional(), video: Limits.optional(), audio: Limits.optional() }).strict().optional(),
  per_team: z.record(z.string().min(1).max(MAX_TOKEN_NAME_CHARS, `a team name is at most ${MAX_TOKEN_NAME_CHARS} characters`), Limits).optional(),
}).strict();
export type Budget = z.infer<typeof Budget>;

/** The whole config.yml. */
export const Config = z
  .object({
    output_dir: bounded(MAX_PATH_CHARS)
      .refine((dir) => isAbsolute(dir), "must be an absolute path")
      .optional(),
    server: ServerSettings.default(() => ServerSettings.parse({})),
    // Model ids normalised once here, so everything after the config sees one id per model.
    models: z.array(ModelEntry).default([]).transform((models) => models.map((m) => ({ ...m, model: canonicalModelId(m.provider, m.model) }))),
    prices: z.array(PriceEntry).default([]),
    jobs: JobSettings.default(() => JobSettings.parse({})),
    budget: Budget.optional(),
    // Where the ledger and tokens live: absent for <data-dir>/mediagen.db (SQLite), or a PostgreSQL URL (read at start;
    // MEDIAGEN_DATABASE_URL wins). The message never repeats the value: it may hold a password.
    storage: z
      .string()
      .max(MAX_PATH_CHARS)
      .refine((url) => isPostgresUrl(url), "must be a postgres:// or postgresql:// URL (postgres://user:password@host:5432/database), or left out for the SQLite file in the data folder")
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.models.forEach((entry, index) => {
      checkFallbacks(config.models, index, ctx);
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

/** Whether `text` is a URL PostgreSQL's clients accept (postgres:// or postgresql://). */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\/./.test(text) && URL.canParse(text);
}

/**
 * Each name in `models[index].fallbacks` must be another entry's `name`, of the same type, listed once. A cycle
 * (a → b, b → a) is allowed: a job's chain is its chosen entry and that entry's own list, never followed further.
 */
function checkFallbacks(models: readonly ModelEntry[], index: number, ctx: z.RefinementCtx): void {
  const entry = models[index]!;
  const listed = new Set<string>();
  entry.fallbacks?.forEach((name, position) => {
    const path = ["models", index, "fallbacks", position];
    const target = models.find((other) => other.name === name);
    const problem = !target
      ? `names no model entry; use the name of another ${entry.type} entry`
      : target === entry
        ? "names the entry itself"
        : target.type !== entry.type
          ? `names a ${target.type} entry; fallbacks must be ${entry.type} entries`
          : listed.has(name)
            ? "is listed twice"
            : undefined;
    listed.add(name);
    if (problem) ctx.addIssue({ code: "custom", path, message: `"${name}" ${problem}` });
  });
}
