// A provider catalogue and model list shaped like GET /api/config/catalog and /api/config/models answer.
import type { ModelView, ProviderInfo } from "../../web/src/lib/api.ts";

/** Part of the real catalogue: providers with different media types, known models and voices. */
export const PROVIDERS: ProviderInfo[] = [
  {
    id: "openclacky",
    key_required: true,
    default_base_url: "https://api.openclacky.com",
    key_env: "CLACKY_API_KEY",
    types: ["image", "video", "audio"],
    models: { image: ["or-gpt-image-2"], video: ["or-veo-3-1", "or-veo-3-1-fast"], audio: ["or-tts-gemini-2-5-flash"] },
    voices: { "or-tts-gemini-2-5-flash": ["Kore", "Puck"] },
  },
  {
    id: "openai",
    key_required: true,
    default_base_url: "https://api.openai.com/v1",
    types: ["image", "audio"],
    models: { image: ["gpt-image-2", "gpt-image-1.5"], audio: ["gpt-4o-mini-tts", "tts-1"] },
    voices: { "gpt-4o-mini-tts": ["alloy", "coral"], "tts-1": ["alloy"] },
  },
  { id: "openrouter", key_required: true, default_base_url: "https://openrouter.ai/api/v1", types: ["image", "video"], models: { image: ["openai/gpt-image-2"] }, voices: {} },
  { id: "openai-compatible", key_required: false, default_base_url: "http://localhost:8080/v1", types: ["image", "audio"], models: {}, voices: {} },
  { id: "local", key_required: false, default_base_url: "local:", types: ["audio"], models: { audio: ["flite"] }, voices: { flite: ["slt", "kal"] } },
];

/** Two saved entries: an image model with a saved key, the offline voice in use for speech. */
export const MODELS: ModelView[] = [
  {
    index: 0,
    name: "pics",
    type: "image",
    provider: "openai",
    model: "gpt-image-2",
    default: false,
    in_use: true,
    options: { quality: "high" },
    api_key: { set: true, masked: "sk-t****fXYZ" },
  },
  { index: 1, name: "offline-speech", type: "audio", provider: "local", model: "flite", default: true, in_use: true, api_key: { set: false, masked: "" } },
];
