// A request's billable units guessed before it is sent (for budget estimates), tuned by what its provider reads from the options.
import type { MediaType } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import { GPT_IMAGE_SIZES } from "./sizes.ts";
import type { EstimateTuning, RequestFacts } from "./types.ts";

/** Speech estimates: characters per text token, characters spoken per second, audio tokens per second. */
const CHARS_PER_TOKEN = 4;
const CHARS_PER_SECOND = 15;
const AUDIO_TOKENS_PER_SECOND = 25;
/** Assumed when the entry's options name no image quality. */
export const DEFAULT_QUALITY = "medium";
/** Assumed when the entry's options name no video resolution. */
const DEFAULT_RESOLUTION = "720p";

/** The units a request of each media type is expected to use, from what is known before it is sent. */
const ESTIMATES: Record<MediaType, (facts: RequestFacts, typicalTokens: Meter["tokens"], tuning: EstimateTuning) => Meter> = {
  image: (facts, typicalTokens, tuning) => ({
    images: 1,
    imageSize: tuning.imageSize ?? GPT_IMAGE_SIZES[facts.aspect ?? "landscape"],
    quality: tuning.quality ?? DEFAULT_QUALITY,
    tokens: typicalTokens && { ...typicalTokens, ...tuning.tokens },
  }),
  video: (facts, _typicalTokens, tuning) => ({ seconds: facts.seconds, resolution: tuning.resolution ?? DEFAULT_RESOLUTION, ...(tuning.tokens ? { tokens: tuning.tokens } : {}) }),
  audio: (facts) => {
    const characters = facts.characters ?? 0;
    const tokens = { input_text: Math.ceil(characters / CHARS_PER_TOKEN), output_audio: Math.ceil((characters / CHARS_PER_SECOND) * AUDIO_TOKENS_PER_SECOND) };
    return { characters, tokens };
  },
};

/**
 * The units a request is expected to use: one image at the GPT size for its aspect with the price's typical
 * tokens (the provider's counts for the size and quality win), video seconds at the resolution, speech tokens from
 * its characters.
 */
export function estimateUnits(type: MediaType, facts: RequestFacts, typicalTokens: Meter["tokens"], tuning: EstimateTuning = {}): Meter {
  return ESTIMATES[type](facts, typicalTokens, tuning);
}
