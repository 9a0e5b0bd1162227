// openrouter: work in progress.
import type { Provider } from "./types.ts";

/** openrouter (to be implemented). */
export const openrouter: Provider = {
  id: "openrouter",
  requiresKey: true,
  defaultBaseUrl: "https://openrouter.ai/api/v1",
};
