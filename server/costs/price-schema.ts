// Shapes of the price catalogue and of what providers measure, shared with config.yml price overrides.
import { z } from "zod";
import { MediaType, ProviderId } from "../enums.ts";

/** Token kinds a price can be given for, per million tokens. */
export const TokenKind = z.enum(["input_text", "input_cached_text", "input_image", "input_cached_image", "output_text", "output_image", "output_audio", "output_video", "output_video_silent"]);
export type TokenKind = z.infer<typeof TokenKind>;

const usd = z.number().min(0, "must be a price in USD, 0 or more");
/** A calendar day as YYYY-MM-DD (a price change takes effect at 00:00 UTC that day). */
const isoDay = z.iso.date({ error: "must be a day written YYYY-MM-DD" });

/** One priced model: any combination of billing units. */
export const PriceEntry = z
  .object({
    provider: ProviderId,
    model: z.string().min(1),
    aliases: z.array(z.string().min(1)).optional(),
    type: MediaType.optional(),
    tokens: z.partialRecord(TokenKind, usd).optional(),
    images: z
      .array(z.object({ size: z.string().default("any"), quality: z.string().default("any"), usd }).strict())
      .min(1)
      .optional(),
    seconds: z.record(z.string(), usd).optional(),
    characters: usd.optional(),
    /** Usage of a typical request, for estimating a cost before the call (budgets) when tokens are the unit. */
    typical: z.object({ tokens: z.partialRecord(TokenKind, z.number().min(0)) }).strict().optional(),
    source: z.string().optional(),
    checked: z.union([z.string(), z.date()]).optional(),
    /** First day (UTC) this price is in force; absent: since ever. */
    from: isoDay.optional(),
    /** First day (UTC) it is no longer in force; absent: until further notice. */
    until: isoDay.optional(),
    /** Day the provider shut the model down (kept so older rows stay priced; configured models past it are flagged). */
    retired: isoDay.optional(),
  })
  .strict()
  .refine((e) => e.tokens || e.images || e.seconds || e.characters !== undefined, "needs at least one of tokens, images, seconds, characters")
  .refine((e) => !e.from || !e.until || e.from < e.until, { message: "from must be a day before until", path: ["until"] });
export type PriceEntry = z.infer<typeof PriceEntry>;

/** What a provider measured about one generation, in billable units. */
export interface Meter {
  tokens?: Partial<Record<TokenKind, number>>;
  images?: number;
  /** `WxH` of the images produced. */
  imageSize?: string;
  quality?: string;
  seconds?: number;
  /** Video resolution such as 720p. */
  resolution?: string;
  characters?: number;
}

/** One priced component of a cost: quantity x unit price. */
export interface CostLine {
  unit: string;
  quantity: number;
  unit_price_usd: number;
  usd: number;
}

/** A cost computed from a price entry, with its lines for auditing. */
export interface PricedCost {
  usd: number;
  lines: CostLine[];
  /** Token kinds used but without a rate in the entry: the cost leaves them out. */
  unpriced?: TokenKind[];
}
