// gemini: work in progress.
import type { Provider } from "./types.ts";

/** gemini (to be implemented). */
export const gemini: Provider = {
  id: "gemini",
  requiresKey: true,
  defaultBaseUrl: "https://generativelanguage.googleapis.com",
};
