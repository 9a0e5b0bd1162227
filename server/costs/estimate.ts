// What a request would cost before it is sent, for one or several configured models (the Playground shows it
// before running and beside each model of a comparison). The same estimate the budget check uses.
import { z } from "zod";
import { MediaType, type Config } from "../config/schema.ts";
import { modelFor, selectModel } from "../config/store.ts";
import { MAX_NAME_CHARS, MAX_SPEECH_INPUT_CHARS } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { parseAspect } from "../formats/aspect.ts";
import { MAX_VIDEO_SECONDS } from "../media/schema.ts";
import type { RequestFacts } from "../providers/types.ts";
import { estimateCostWithBasis } from "./budget.ts";
import { CATALOG } from "./catalog.ts";

/** Models one estimate may cover: a comparison runs at most this many side by side. */
export const MAX_ESTIMATE_MODELS = 4;

/** Seconds a video request asks for when it names none (the video endpoint's default). */
const DEFAULT_VIDEO_SECONDS = 8;

/** Body of `POST /api/costs/estimate`: the fields of a generation request that decide its price. */
export const EstimateRequest = z
  .object({
    type: MediaType,
    /** Configured models by name (or a model id only one entry has); absent: the type's default. */
    models: z
      .array(
        z
          .string({ error: "must be the name of a configured model" })
          .trim()
          .min(1, "must name a configured model")
          .max(MAX_NAME_CHARS, `must be at most ${MAX_NAME_CHARS} characters`),
        { error: "models must be an array of configured model names" },
      )
      .min(1, "models must name at least one configured model")
      .max(MAX_ESTIMATE_MODELS, `models takes at most ${MAX_ESTIMATE_MODELS} names`)
      .optional(),
    aspect_ratio: z.string({ error: "aspect_ratio must be a string" }).max(MAX_NAME_CHARS).optional(),
    duration_seconds: z
      .number({ error: "duration_seconds must be a whole number of seconds" })
      .int("duration_seconds must be a whole number of seconds")
      .min(1, `duration_seconds must be from 1 to ${MAX_VIDEO_SECONDS}`)
      .max(MAX_VIDEO_SECONDS, `duration_seconds must be from 1 to ${MAX_VIDEO_SECONDS}`)
      .optional(),
    resolution: z.enum(["480p", "720p", "1080p"]).optional(),
    /** Characters of the text to speak (speech is priced by its length). */
    characters: z
      .number({ error: "characters must be a whole number" })
      .int("characters must be a whole number")
      .min(0, "characters must be 0 or more")
      .max(MAX_SPEECH_INPUT_CHARS, `characters must be at most ${MAX_SPEECH_INPUT_CHARS}`)
      .optional(),
  })
  .strict();
export type EstimateRequest = z.infer<typeof EstimateRequest>;

/** One model's estimate. */
export const ModelEstimate = z.object({
  /** How the request names it (what the generation endpoints take as `model`). */
  choice: z.string(),
  name: z.string().nullable(),
  model: z.string(),
  provider: z.string(),
  /** Whether it is the type's default (what agents get). */
  default: z.boolean(),
  /** Null when it cannot be estimated: no price and no recorded cost yet. */
  estimated_cost_usd: z.number().nullable(),
  /** A price set under prices:, the built-in catalogue, the average of this model's recent costs, or none. */
  basis: z.enum(["override", "catalog", "recent", "unknown"]),
});
export type ModelEstimate = z.infer<typeof ModelEstimate>;

/** Body of the answer: one estimate per requested model, in the order asked. */
export const EstimateAnswer = z.object({ type: MediaType, estimates: z.array(ModelEstimate) });
export type EstimateAnswer = z.infer<typeof EstimateAnswer>;

/** The facts the estimate of a request of `type` needs. */
function factsOf(request: EstimateRequest): RequestFacts {
  if (request.type === "audio") return { characters: request.characters ?? 0 };
  if (request.type === "image") return { aspect: parseAspect(request.aspect_ratio) };
  const aspect = parseAspect(request.aspect_ratio, ["landscape", "portrait"]);
  return { aspect, seconds: request.duration_seconds ?? DEFAULT_VIDEO_SECONDS, ...(request.resolution ? { resolution: request.resolution } : {}) };
}

/** Estimates `request` for each model it names (or the type's default), as the budget check would before a call. */
export async function estimateRequest(config: Config, ledger: Pick<Ledger, "recentCostAverage">, request: EstimateRequest): Promise<EstimateAnswer> {
  const { type } = request;
  const facts = factsOf(request);
  const fallback = modelFor(config, type);
  const entries = request.models
    ? request.models.map((name, i) => {
        try {
          return selectModel(config, type, name)!;
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          throw invalidArgument(`models[${i}]`, error.message, error.details?.allowed as string[] | undefined);
        }
      })
    : fallback
      ? [fallback]
      : [];
  if (entries.length === 0) throw new AppError("not_configured", `No ${type} model configured. Add a model with type=${type} in settings.`);
  return {
    type,
    estimates: await Promise.all(entries.map(async (entry) => {
      const priced = estimateCostWithBasis(type, entry, facts, config.prices, CATALOG, () => undefined);
      const recent = priced.basis === "unknown" ? await ledger.recentCostAverage(entry.model, entry.provider, type) : undefined;
      const { usd, basis } = recent === undefined ? priced : { usd: recent, basis: "recent" as const };
      return {
        choice: entry.name ?? entry.model,
        name: entry.name ?? null,
        model: entry.model,
        provider: entry.provider,
        default: entry === fallback,
        estimated_cost_usd: usd === null ? null : Math.round(usd * 1e8) / 1e8,
        basis,
      };
    })),
  };
}
