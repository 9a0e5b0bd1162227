// The provider registry: provider id -> implementation.
import type { ProviderId } from "../config/schema.ts";
import { local } from "./local.ts";
import { openclacky } from "./openclacky.ts";
import type { Provider } from "./types.ts";

/** Providers by id. Ids accepted by the config schema but missing here answer not_implemented. */
export const PROVIDERS: Partial<Record<ProviderId, Provider>> = {
  openclacky,
  local,
};
