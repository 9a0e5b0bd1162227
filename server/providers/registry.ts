// The provider registry: provider id -> implementation.
import type { ProviderId } from "../config/schema.ts";
import { gemini } from "./gemini.ts";
import { local } from "./local.ts";
import { openai, openaiCompatible } from "./openai.ts";
import { openclacky } from "./openclacky.ts";
import { openrouter } from "./openrouter.ts";
import type { Provider } from "./types.ts";

/** Providers by id. Ids accepted by the config schema but missing here answer not_implemented. */
export const PROVIDERS: Partial<Record<ProviderId, Provider>> = {
  openclacky,
  openai,
  "openai-compatible": openaiCompatible,
  gemini,
  openrouter,
  local,
};
