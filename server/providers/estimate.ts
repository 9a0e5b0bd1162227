// A request's billable units guessed before it is sent (for budget estimates), when its provider knows no better.
import type { MediaType } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import { GPT_IMAGE_SIZES } from "./sizes.ts";
import type { RequestFacts } from "./types.ts";

/** Speech estimates: characters per text token, characters spoken per second, audio tokens per second. */
const CHARS_PER_TOKEN = 4;
const CHARS_PER_SECOND = 15;
const AUDIO_TOKENS_PER_SECOND = 25;
/** Assumed when the entry's options name no image quality. */
const DEFAULT_QUALITY = "medium";
/** Assumed when the entry's options name no video resolution. */
const DEFAULT_RESOLUTION = "720p";

/** What a provider read from an entry's options that changes the estimate. */
export interface EstimateTuning {
  quality?: string;
  resolution?: string;
}

/**
 * The units a request is expected to use: video seconds at the resolution, speech tokens from its characters,
 * one image at the GPT size for its aspect with the price's typical tokens.
 */
export function defaultEstimate(type: MediaType, facts: RequestFacts, typicalTokens: Meter["tokens"], tuning: EstimateTuning = {}): Meter {
  if (type === "video") return { seconds: facts.seconds, resolution: tuning.resolution ?? DEFAULT_RESOLUTION };
  if (type === "audio") {
    const characters = facts.characters ?? 0;
    const tokens = { input_text: Math.ceil(characters / CHARS_PER_TOKEN), output_audio: Math.ceil((characters / CHARS_PER_SECOND) * AUDIO_TOKENS_PER_SECOND) };
    return { characters, tokens };
  }
  return { images: 1, imageSize: GPT_IMAGE_SIZES[facts.aspect ?? "landscape"], quality: tuning.quality ?? DEFAULT_QUALITY, tokens: typicalTokens };
}
