// The provider registry: provider id -> implementation.
import type { MediaType, ModelEntry, ProviderId } from "../config/schema.ts";
import type { Meter } from "../costs/price-schema.ts";
import { automatic1111 } from "./automatic1111.ts";
import { comfyui } from "./comfyui.ts";
import { dashscope } from "./dashscope.ts";
import { elevenlabs } from "./elevenlabs.ts";
import { estimateUnits } from "./estimate.ts";
import { fal } from "./fal.ts";
import { gemini } from "./gemini.ts";
import { local } from "./local.ts";
import { openai, openaiCompatible } from "./openai.ts";
import { openclacky } from "./openclacky.ts";
import { openrouter } from "./openrouter.ts";
import { replicate } from "./replicate.ts";
import type { Provider, RequestFacts } from "./types.ts";
import { volcengine } from "./volcengine.ts";

/** Providers by id. Ids accepted by the config schema but missing here answer not_implemented. */
export const PROVIDERS: Partial<Record<ProviderId, Provider>> = {
  openclacky,
  openai,
  "openai-compatible": openaiCompatible,
  gemini,
  openrouter,
  local,
  dashscope,
  volcengine,
  automatic1111,
  elevenlabs,
  fal,
  replicate,
  comfyui,
};

/** The provider method that makes each media type. */
export const METHOD_FOR = { image: "image", video: "video", audio: "speech" } as const satisfies Record<MediaType, keyof Provider>;

/** Whether `provider` can make `type` at all. */
export const canMake = (provider: Provider | undefined, type: MediaType): boolean => provider?.[METHOD_FOR[type]] !== undefined;

/** The billable units a request to `entry` is expected to use, as its provider estimates them (for budgets). */
export function estimateMeter(type: MediaType, entry: ModelEntry, facts: RequestFacts, typicalTokens: Meter["tokens"]): Meter {
  return estimateUnits(type, facts, typicalTokens, PROVIDERS[entry.provider]?.estimateTuning?.(entry, facts));
}
