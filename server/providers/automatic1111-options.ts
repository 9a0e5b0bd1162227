// The `options:` of an automatic1111 entry (AUTOMATIC1111, Forge, SD.Next): sampler, steps, cfg, checkpoint, sizes.
import { z } from "zod";

/** A `WxH` size; `1024 x 576` or `1024*576` written by hand is read as `1024x576`. */
const SdSize = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toLowerCase().replace(/\s*[x×*]\s*/, "x") : v),
  z.string().regex(/^\d{2,5}x\d{2,5}$/, "must be WxH, e.g. 1024x576"),
);

export const Automatic1111Options = z
  .object({
    /** `sampler_name` (e.g. "Euler a", "DPM++ 2M"); absent: the web UI's default. */
    sampler: z.string().min(1).optional(),
    /** `scheduler` (A1111 1.9+ and Forge: "Automatic", "Karras", ...). */
    scheduler: z.string().min(1).optional(),
    steps: z.number().int().min(1).max(150).optional(),
    /** `cfg_scale`. */
    cfg: z.number().min(1).max(30).optional(),
    /** `override_settings.sd_model_checkpoint`; absent: the entry's model, or the loaded checkpoint when that is `current`. */
    checkpoint: z.string().min(1).optional(),
    negative_prompt: z.string().optional(),
    seed: z.number().int().min(-1).optional(),
    /** img2img (edits) only: how far the result may move from its input (the web UI's default 0.75). */
    denoising_strength: z.number().min(0).max(1).optional(),
    /** Output sizes per aspect replacing the defaults (SDXL 1024x576, 1024x1024, 576x1024; SD 1.5 768x512, 512x512, 512x768). */
    sizes: z.object({ landscape: SdSize.optional(), square: SdSize.optional(), portrait: SdSize.optional() }).strict().optional(),
  })
  .strict();
export type Automatic1111Options = z.infer<typeof Automatic1111Options>;
