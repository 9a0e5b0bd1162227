// A fake OpenRouter API on an ephemeral loopback port, speaking OpenRouter's own wire format (shared/docs/providers.md §1.3, §8):
//   POST /api/v1/chat/completions        image generation: `modalities: ["image","text"]`, `image_config {aspect_ratio, image_size}`,
//                                        input images as `image_url` content parts; answer in choices[0].message.images[] as data URLs,
//                                        `usage.cost` (USD, authoritative) and token counts
//   POST /api/v1/videos                  video job submit -> 202 {id, polling_url, status: "pending"}
//   GET  /api/v1/videos/{id}             poll: pending -> in_progress -> completed (unsigned_urls, usage.cost) | failed | cancelled | expired
//   GET  /api/v1/videos/{id}/content     ?index=0, needs the Bearer key, streams video/mp4
//   GET  /api/v1/videos/models           public capability list of the fake's video models
//   GET  /api/v1/key                     the key's label, limit, usage and limit_remaining (401 for a bad key)
//   GET  /api/v1/models                  public model list, filtered by ?output_modalities= (default text, "all", or a list)
// Bearer auth; errors as {"error":{"code":<http status>,"message","metadata"?}}.
// A scenario is chosen per request: queued with `next()` (every authenticated API request takes one, polls and downloads
// included), or named in the prompt as `[[fake:<scenario>]]` (a video job remembers it, so its polls answer accordingly).
//
// The video API is NOT in providers.md. It follows OpenRouter's public docs as found with the search tool (API reference pages
// "Submit a video generation request", "Poll video generation status", "Download generated video content", the SDK
// `VideoGenerationResponse` model, the openrouter-video skill) and a live-verified description in CopilotKit/aimock#261.
// Unconfirmed there: `polling_url` is relative ("/api/v1/videos/<id>", as in the API reference example and SDK docs; set
// `absolutePollingUrl` for an absolute one); the job id format; the texts of every video 400/404 and of failed/cancelled/expired
// `error`; the capability figures and per-second prices of the fake's video models; the content endpoint's answer before
// completion (400 here); that `/videos/models` needs no key. A newer "signed storage URL" field (`urls`) mentioned by one
// docs page is not sent (it is absent from the SDK schema).
// Also unconfirmed (chat): the texts of 400/401/402/408/500/502/503, the 404 for output modalities an image-only model cannot
// produce, the aspect/image_size 400s, the shape of the 200-with-`error` answer (code given as a number here), and token
// counts/prices for models other than google/gemini-2.5-flash-image (whose figures reproduce the recorded usage in providers.md).
// `/key` follows the API reference's GetCurrentKeyResponse (label, limit, usage, limit_remaining, is_free_tier, ...) and
// `/models` the Models guide (`{data: [{id, canonical_slug, architecture.output_modalities, pricing}]}`, public, text-only
// unless `output_modalities` says otherwise); the models listed and the key's figures are the fake's own.
import { ASPECT_SIZES_1K, EXTENDED_ASPECT_SIZES_1K, json, parseDataUrl, randomId, type RecordedRequest } from "./common.ts";
import { type FakeCall, startFakeServer } from "./harness.ts";
import { b64, imageInfo, makeJpeg, makeMp4, makePng } from "./media.ts";

export type { RecordedPart, RecordedRequest } from "./common.ts";

/** What the fake can be told to do with one request. */
export type OpenRouterScenario =
  | "ok"
  | "400"
  | "401"
  | "402" // insufficient credits
  | "403" // moderation flagged the input (ModerationErrorMetadata)
  | "403_permission" // 403 with metadata.error_type permission_denied (the key may not use this model): not a safety refusal
  | "400_policy" // 400 whose metadata.error_type is content_policy_violation (the provider refused the prompt)
  | "404"
  | "408"
  | "429" // rate limited, with Retry-After and X-RateLimit-* headers
  | "500"
  | "502" // upstream provider error
  | "503" // no provider meets the routing requirements
  | "content_filter" // 200, finish_reason content_filter / native IMAGE_SAFETY, a refusal text and no images
  | "no_image" // 200, finish_reason stop, text only
  | "empty" // 200, message.images: []
  | "error_in_200" // 200 whose body carries `error` and finish_reason "error" (failure after generation started)
  | "jpeg" // the image comes back as a data:image/jpeg URL
  | "byok" // bring-your-own-key: usage.cost is only OpenRouter's 5% fee, the provider's bill is cost_details.upstream_inference_cost
  | "not_media" // 200 whose data URL holds plain text
  | "malformed" // 200 with an HTML body
  | "video_failed" // video job ends with status failed + error
  | "video_cancelled"
  | "video_expired"
  | "slow" // answer ok after `slowMs`
  | "hang" // never answer
  | "reset"; // close the connection without answering

/** A running fake OpenRouter. */
export interface FakeOpenRouter {
  url: string;
  key: string;
  requests: RecordedRequest[];
  /** Queue scenarios for the next API requests, in order. */
  next(...scenarios: OpenRouterScenario[]): void;
  slowMs: number;
  /** How many polls of a video job answer pending / in_progress before it reaches its final status. */
  pendingPolls: number;
  /** Answer `polling_url` as an absolute URL instead of the documented relative "/api/v1/videos/<id>". */
  absolutePollingUrl: boolean;
  /** The key's spending limit in USD reported by GET /key (null: no limit, so limit_remaining is null too). */
  keyLimit: number | null;
  close(): Promise<void>;
}

/** Per-model prices (USD per token) and token counts the fake bills image generations with. */
export interface OpenRouterImagePricing {
  prompt: number;
  completion: number;
  image: number;
  /** Output image tokens per image_size (the "1K" entry is used when none is given). */
  imageTokens: Record<string, number>;
  /** Prompt tokens per input image. */
  inputImageTokens: number;
}
export const OPENROUTER_IMAGE_PRICING: Record<string, OpenRouterImagePricing> = {
  "google/gemini-2.5-flash-image": { prompt: 0.3e-6, completion: 2.5e-6, image: 30e-6, imageTokens: { "1K": 1290 }, inputImageTokens: 258 },
  "google/gemini-3-pro-image-preview": { prompt: 2e-6, completion: 12e-6, image: 120e-6, imageTokens: { "1K": 1120, "2K": 1120, "4K": 2000 }, inputImageTokens: 560 },
  "google/gemini-3.1-flash-image-preview": {
    prompt: 0.5e-6,
    completion: 3e-6,
    image: 60e-6,
    imageTokens: { "0.5K": 747, "1K": 1120, "2K": 1680, "4K": 2520 },
    inputImageTokens: 258,
  },
  /** Every other model slug. */
  default: { prompt: 5e-6, completion: 10e-6, image: 40e-6, imageTokens: { "1K": 1056 }, inputImageTokens: 194 },
};
/** Models that only output images (must be asked with modalities ["image"]). */
export const OPENROUTER_IMAGE_ONLY = /^(black-forest-labs|sourceful|recraft|bytedance-seed)\//;

/** Usage figures the fake reports, so tests can compute expected costs by hand. */
export const OPENROUTER_REPORTS = {
  /** prompt_tokens for the text of every request, whatever the prompt. */
  promptTextTokens: 6,
  /** completion text tokens when the answer has text content. */
  completionTextTokens: 9,
  /** completion tokens of a refusal / text-only answer. */
  refusalTokens: 24,
};

/** OpenRouter's bring-your-own-key fee, a share of the upstream cost (docs: BYOK). */
export const OPENROUTER_BYOK_FEE = 0.05;

/** Rounds a USD amount the way the fake reports it. */
const usd = (value: number) => Number(value.toFixed(10));

/** The `usage` object the fake answers an image generation with. */
export function openrouterImageUsage(model: string, opts: { inputImages?: number; imageSize?: string; withText?: boolean; images?: boolean; byok?: boolean } = {}) {
  const price = OPENROUTER_IMAGE_PRICING[model] ?? OPENROUTER_IMAGE_PRICING.default!;
  const prompt = OPENROUTER_REPORTS.promptTextTokens + (opts.inputImages ?? 0) * price.inputImageTokens;
  const imageTokens = opts.images === false ? 0 : (price.imageTokens[opts.imageSize ?? "1K"] ?? price.imageTokens["1K"]!);
  const text = opts.images === false ? OPENROUTER_REPORTS.refusalTokens : opts.withText === false ? 0 : OPENROUTER_REPORTS.completionTextTokens;
  const promptCost = prompt * price.prompt;
  const completionCost = text * price.completion + imageTokens * price.image;
  return {
    prompt_tokens: prompt,
    completion_tokens: imageTokens + text,
    total_tokens: prompt + imageTokens + text,
    completion_tokens_details: { reasoning_tokens: 0, image_tokens: imageTokens },
    prompt_tokens_details: { cached_tokens: 0 },
    // With BYOK the account is charged OpenRouter's fee only (5% of what the provider bills the user's own key).
    cost: opts.byok ? usd((promptCost + completionCost) * OPENROUTER_BYOK_FEE) : usd(promptCost + completionCost),
    is_byok: opts.byok === true,
    cost_details: {
      upstream_inference_cost: opts.byok ? usd(promptCost + completionCost) : null,
      upstream_inference_prompt_cost: usd(promptCost),
      upstream_inference_completions_cost: usd(completionCost),
    },
  };
}

/** Output pixel sizes per aspect_ratio at 1K (OpenRouter's documented table); Gemini 3 models scale it by image_size. */
export const OPENROUTER_ASPECT_SIZES = ASPECT_SIZES_1K;
const SIZE_SCALE: Record<string, number> = { "0.5K": 0.5, "1K": 1, "2K": 2, "4K": 4 };

/** The fake's video models and what they accept (its answer to GET /api/v1/videos/models). */
export interface OpenRouterVideoModel {
  resolutions: string[];
  aspectRatios: string[];
  durations: number[];
  defaultDuration: number;
  frameTypes: string[];
  generateAudio: boolean;
  seed: boolean;
  /** USD per second of video, by resolution. */
  pricePerSecond: Record<string, number>;
}
const VEO_31 = {
  resolutions: ["720p", "1080p"],
  aspectRatios: ["16:9", "9:16"],
  durations: [4, 6, 8],
  defaultDuration: 8,
  frameTypes: ["first_frame", "last_frame"],
  generateAudio: true,
  seed: true,
};
export const OPENROUTER_VIDEO_MODELS: Record<string, OpenRouterVideoModel> = {
  "google/veo-3.1": { ...VEO_31, pricePerSecond: { "720p": 0.4, "1080p": 0.4 } },
  "google/veo-3.1-fast": { ...VEO_31, pricePerSecond: { "720p": 0.1, "1080p": 0.12 } },
  "openai/sora-2-pro": {
    resolutions: ["720p", "1080p"],
    aspectRatios: ["16:9", "9:16"],
    durations: [4, 8, 12],
    defaultDuration: 4,
    frameTypes: ["first_frame"],
    generateAudio: true,
    seed: false,
    pricePerSecond: { "720p": 0.3, "1080p": 0.5 },
  },
  "alibaba/wan-2.6": {
    resolutions: ["480p", "720p", "1080p"],
    aspectRatios: ["16:9", "9:16", "1:1"],
    durations: [5, 10],
    defaultDuration: 5,
    frameTypes: ["first_frame", "last_frame"],
    generateAudio: false,
    seed: true,
    pricePerSecond: { "480p": 0.04, "720p": 0.04, "1080p": 0.06 },
  },
};

/** The chat models GET /api/v1/models lists, with their output modalities. */
export const OPENROUTER_MODELS: Record<string, string[]> = {
  "google/gemini-2.5-flash-image": ["image", "text"],
  "google/gemini-3-pro-image-preview": ["image", "text"],
  "google/gemini-3.1-flash-image-preview": ["image", "text"],
  "openai/gpt-5-image": ["image", "text"],
  "black-forest-labs/flux.2-pro": ["image"],
  "openai/gpt-4o-mini": ["text"],
};
/** What GET /api/v1/key reports as the key's spend so far, in USD. */
export const OPENROUTER_KEY_USAGE = 0.1015644762;

/** The `usage.cost` of a completed video job. */
export function openrouterVideoCost(model: string, duration: number, resolution: string): number {
  const caps = OPENROUTER_VIDEO_MODELS[model]!;
  return usd((caps.pricePerSecond[resolution] ?? 0) * duration);
}

// ---------------------------------------------------------------------------------------------------------------

class RouterError {
  constructor(
    readonly code: number,
    readonly message: string,
    readonly metadata?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {}
}
const errorResponse = (e: RouterError) => json(e.code, { error: { code: e.code, message: e.message, ...(e.metadata ? { metadata: e.metadata } : {}) } }, e.headers);
const providerOf = (model: string) =>
  model.startsWith("google/") ? "Google AI Studio" : model.startsWith("openai/") ? "OpenAI" : model.startsWith("black-forest-labs/") ? "Black Forest Labs" : "Fake Provider";

function scenarioError(scenario: OpenRouterScenario, model: string, prompt: string): RouterError | undefined {
  switch (scenario) {
    case "400":
      return new RouterError(400, "Provider returned error", { raw: "Invalid image_config", provider_name: providerOf(model) });
    case "402":
      return new RouterError(402, "Insufficient credits. Add more using https://openrouter.ai/settings/credits", { error_type: "payment_required" });
    case "403":
      return new RouterError(403, `${model} requires moderation on ${providerOf(model)}. Your input was flagged for "violence". No credits were charged.`, {
        reasons: ["violence"],
        flagged_input: prompt.slice(0, 100),
        provider_name: providerOf(model),
        model_slug: model,
      });
    case "403_permission":
      return new RouterError(403, `This API key is not permitted to use ${model}.`, { error_type: "permission_denied", provider_code: "forbidden" });
    case "400_policy":
      return new RouterError(400, "Provider returned error", { error_type: "content_policy_violation", provider_name: providerOf(model), raw: "Your request was rejected as a result of our safety system." });
    case "404":
      return new RouterError(404, `No endpoints found for ${model}.`);
    case "408":
      return new RouterError(408, "Request timed out. Please try again.");
    case "429": {
      const reset = String(Date.now() + 7000);
      return new RouterError(
        429,
        `Rate limit exceeded: limit_rpm/${model}. High demand for this model. Please retry shortly.`,
        { headers: { "X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset }, error_type: "rate_limit_exceeded" },
        { "retry-after": "7", "x-ratelimit-limit": "20", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      );
    }
    case "500":
      return new RouterError(500, "Internal Server Error");
    case "502":
      return new RouterError(502, "Provider returned error", {
        raw: '{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}',
        provider_name: providerOf(model),
        error_type: "provider_overloaded",
      });
    case "503":
      return new RouterError(503, "No allowed providers are available for the selected model.", { error_type: "provider_unavailable" }, { "retry-after": "5" });
    default:
      return undefined;
  }
}

interface ChatInput {
  text: string;
  images: { kind: "data" | "url"; mime?: string; bytes?: Uint8Array; url: string }[];
}

function readMessages(messages: unknown): ChatInput | RouterError {
  if (!Array.isArray(messages) || messages.length === 0) return new RouterError(400, 'Input required: specify "prompt" or "messages"');
  const input: ChatInput = { text: "", images: [] };
  const texts: string[] = [];
  for (const message of messages) {
    const content = (message as Record<string, unknown> | null)?.content;
    if (typeof content === "string") texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content as Record<string, unknown>[]) {
        if (part?.type === "text" && typeof part.text === "string") texts.push(part.text);
        else if (part?.type === "image_url") {
          const raw = part.image_url;
          const url = typeof raw === "string" ? raw : typeof (raw as Record<string, unknown> | null)?.url === "string" ? String((raw as Record<string, unknown>).url) : undefined;
          if (!url) return new RouterError(400, "Invalid image_url content part: expected image_url.url to be a string.");
          if (url.startsWith("data:")) {
            const data = parseDataUrl(url);
            if (!data || !imageInfo(data.bytes) || !data.mime.startsWith("image/"))
              return new RouterError(400, "Provider returned error", { raw: "Unable to process input image.", provider_name: "Fake Provider" });
            input.images.push({ kind: "data", mime: data.mime, bytes: data.bytes, url: `${url.slice(0, 40)}...` });
          } else if (/^https?:\/\//.test(url)) input.images.push({ kind: "url", url });
          else return new RouterError(400, "Invalid image_url: expected an http(s) URL or a base64 data URL.");
        }
      }
    }
  }
  input.text = texts.join("\n");
  return input;
}

interface VideoJob {
  id: string;
  model: string;
  duration: number;
  resolution: string;
  polls: number;
  outcome: "completed" | "failed" | "cancelled" | "expired";
  generationId: string;
}

/** Starts the fake on 127.0.0.1 with a random port. `key` is the only API key it accepts. */
export function startFakeOpenRouter(key = "fake-openrouter-key-0123456789"): FakeOpenRouter {
  const jobs = new Map<string, VideoJob>();

  const chat = (rec: RecordedRequest, scenario: OpenRouterScenario): Response => {
    const b = rec.body;
    if (rec.rawText !== undefined) return errorResponse(new RouterError(400, "Invalid JSON in request body"));
    const model = typeof b.model === "string" ? b.model : "";
    if (!/^[a-z0-9][\w.-]*\/[\w.:-]+$/i.test(model)) return errorResponse(new RouterError(400, `${model || "(none)"} is not a valid model ID`));
    const input = readMessages(b.messages);
    if (input instanceof RouterError) return errorResponse(input);
    const modalities = Array.isArray(b.modalities) ? b.modalities.map(String) : ["text"];
    const badModality = modalities.find((m) => !["text", "image", "audio"].includes(m));
    if (badModality) return errorResponse(new RouterError(400, `Invalid modality "${badModality}". Expected "text", "image" or "audio".`));
    const imageOnly = OPENROUTER_IMAGE_ONLY.test(model);
    if (imageOnly && modalities.includes("text"))
      return errorResponse(new RouterError(404, `No endpoints found that support the requested output modalities: ${modalities.join(", ")}`));
    if (b.stream === true) return errorResponse(new RouterError(400, "This fake does not implement streaming."));
    const config = (typeof b.image_config === "object" && b.image_config !== null ? b.image_config : {}) as Record<string, unknown>;
    const extended = model === "google/gemini-3.1-flash-image-preview";
    const aspect = config.aspect_ratio === undefined ? "1:1" : String(config.aspect_ratio);
    const dims = OPENROUTER_ASPECT_SIZES[aspect] ?? (extended ? EXTENDED_ASPECT_SIZES_1K[aspect] : undefined);
    if (!dims) return errorResponse(new RouterError(400, `Invalid aspect_ratio "${aspect}" for ${model}.`));
    const scalable = /^google\/gemini-3/.test(model);
    const imageSize = scalable && config.image_size !== undefined ? String(config.image_size) : "1K";
    if (scalable && !(extended ? ["0.5K", "1K", "2K", "4K"] : ["1K", "2K", "4K"]).includes(imageSize))
      return errorResponse(new RouterError(400, `Invalid image_size "${imageSize}" for ${model}.`));

    const created = Math.floor(Date.now() / 1000);
    const base = { id: `gen-${created}-${randomId(20)}`, provider: providerOf(model), model, object: "chat.completion", created, system_fingerprint: null };
    const wantsImage = modalities.includes("image");
    const withText = modalities.includes("text");
    const nativeStop = model.startsWith("google/") ? "STOP" : "stop";
    const choice = (message: Record<string, unknown>, finish: string, native: string | null) => ({
      index: 0,
      finish_reason: finish,
      native_finish_reason: native,
      logprobs: null,
      message: { role: "assistant", refusal: null, reasoning: null, ...message },
    });
    const textOnlyUsage = () => openrouterImageUsage(model, { inputImages: input.images.length, images: false });

    if (scenario === "content_filter")
      return json(200, {
        ...base,
        choices: [choice({ content: "I can't create that image because it may violate the content policy." }, "content_filter", model.startsWith("google/") ? "IMAGE_SAFETY" : "content_filter")],
        usage: textOnlyUsage(),
      });
    if (scenario === "error_in_200")
      return json(200, {
        ...base,
        error: { code: 502, message: "Provider disconnected unexpectedly", metadata: { provider_name: providerOf(model) } },
        choices: [choice({ content: "" }, "error", null)],
      });
    if (scenario === "no_image" || !wantsImage)
      return json(200, { ...base, choices: [choice({ content: "Picture a calm lake at dawn, with mist drifting over the water." }, "stop", nativeStop)], usage: textOnlyUsage() });

    const scale = SIZE_SCALE[imageSize] ?? 1;
    const [w, h] = [Math.round(dims[0] * scale), Math.round(dims[1] * scale)];
    const mime = scenario === "jpeg" ? "image/jpeg" : "image/png";
    const bytes = scenario === "not_media" ? new TextEncoder().encode("this is plain text, not an image") : scenario === "jpeg" ? makeJpeg(w, h) : makePng(w, h);
    const images = scenario === "empty" ? [] : [{ type: "image_url", image_url: { url: `data:${mime};base64,${b64(bytes)}` }, index: 0 }];
    return json(200, {
      ...base,
      choices: [choice({ content: withText ? "Here is your image." : "", images }, "stop", nativeStop)],
      usage: openrouterImageUsage(model, { inputImages: input.images.length, imageSize, withText, byok: scenario === "byok" }),
    });
  };

  const videoView = (job: VideoJob): Record<string, unknown> => {
    const polling_url = `${fake.absolutePollingUrl ? fake.url : ""}/api/v1/videos/${job.id}`;
    job.polls++;
    if (job.polls <= fake.pendingPolls) return { id: job.id, polling_url, status: job.polls === 1 ? "pending" : "in_progress" };
    if (job.outcome === "completed")
      return {
        id: job.id,
        polling_url,
        status: "completed",
        generation_id: job.generationId,
        unsigned_urls: [`${fake.url}/api/v1/videos/${job.id}/content?index=0`],
        usage: { cost: openrouterVideoCost(job.model, job.duration, job.resolution), is_byok: false },
      };
    const error =
      job.outcome === "failed"
        ? "Video generation failed: the provider rejected the request (content policy)."
        : job.outcome === "cancelled"
          ? "Video generation was cancelled."
          : "Video generation expired before it completed.";
    return { id: job.id, polling_url, status: job.outcome, generation_id: job.generationId, error };
  };

  const submitVideo = (rec: RecordedRequest, scenario: OpenRouterScenario): Response => {
    const b = rec.body;
    if (rec.rawText !== undefined) return errorResponse(new RouterError(400, "Invalid JSON in request body"));
    const model = typeof b.model === "string" ? b.model : "";
    const caps = OPENROUTER_VIDEO_MODELS[model];
    if (!caps) return errorResponse(new RouterError(400, `${model || "(none)"} is not a valid video model ID`));
    if (typeof b.prompt !== "string" || b.prompt.trim() === "") return errorResponse(new RouterError(400, "prompt is required"));
    const duration = b.duration === undefined ? caps.defaultDuration : b.duration;
    if (typeof duration !== "number" || !caps.durations.includes(duration))
      return errorResponse(new RouterError(400, `duration ${String(duration)} is not supported by ${model}. Supported durations: ${caps.durations.join(", ")}`));
    const resolution = b.resolution === undefined ? "720p" : String(b.resolution);
    if (!caps.resolutions.includes(resolution))
      return errorResponse(new RouterError(400, `resolution ${resolution} is not supported by ${model}. Supported resolutions: ${caps.resolutions.join(", ")}`));
    const aspect = b.aspect_ratio === undefined ? caps.aspectRatios[0]! : String(b.aspect_ratio);
    if (!caps.aspectRatios.includes(aspect))
      return errorResponse(new RouterError(400, `aspect_ratio ${aspect} is not supported by ${model}. Supported aspect ratios: ${caps.aspectRatios.join(", ")}`));
    if (b.seed !== undefined && !caps.seed) return errorResponse(new RouterError(400, `seed is not supported by ${model}`));
    for (const field of ["frame_images", "input_references"] as const) {
      if (b[field] === undefined) continue;
      const list = b[field];
      if (!Array.isArray(list)) return errorResponse(new RouterError(400, `${field} must be an array`));
      for (const item of list as Record<string, unknown>[]) {
        const url = (item?.image_url as Record<string, unknown> | undefined)?.url;
        const okShape = item?.type === "image_url" && typeof url === "string" && (field === "input_references" || caps.frameTypes.includes(String(item.frame_type)));
        if (!okShape)
          return errorResponse(
            new RouterError(
              400,
              field === "frame_images"
                ? `Invalid frame_images entry: expected {type: "image_url", image_url: {url}, frame_type: ${caps.frameTypes.map((t) => `"${t}"`).join(" | ")}}`
                : `Invalid input_references entry: expected {type: "image_url", image_url: {url}}`,
            ),
          );
        if (url.startsWith("data:")) {
          const data = parseDataUrl(url);
          if (!data || !imageInfo(data.bytes)) return errorResponse(new RouterError(400, `Invalid ${field} image: not a base64 image data URL`));
        } else if (!/^https?:\/\//.test(url)) return errorResponse(new RouterError(400, `Invalid ${field} image URL`));
      }
    }
    const id = `job-${randomId(20)}`;
    const outcome =
      scenario === "video_failed" ? "failed" : scenario === "video_cancelled" ? "cancelled" : scenario === "video_expired" ? "expired" : "completed";
    const job: VideoJob = { id, model, duration, resolution, polls: 0, outcome, generationId: `gen-${Math.floor(Date.now() / 1000)}-${randomId(20)}` };
    jobs.set(id, job);
    return json(202, { id, polling_url: `${fake.absolutePollingUrl ? fake.url : ""}/api/v1/videos/${id}`, status: "pending" });
  };

  const handle = async ({ request, rec, path, scenario: take, transport }: FakeCall<OpenRouterScenario>): Promise<Response> => {
    if (request.method === "GET" && path === "/api/v1/videos/models")
      return json(200, {
        data: Object.entries(OPENROUTER_VIDEO_MODELS).map(([id, m]) => ({
          id,
          canonical_slug: id,
          name: id,
          created: 1767225600,
          supported_resolutions: m.resolutions,
          supported_aspect_ratios: m.aspectRatios,
          supported_durations: m.durations,
          supported_frame_images: m.frameTypes,
          generate_audio: m.generateAudio,
          seed: m.seed,
          pricing_skus: Object.fromEntries(Object.entries(m.pricePerSecond).map(([r, p]) => [`per-video-second-${r}`, p.toFixed(2)])),
        })),
      });
    if (request.method === "GET" && path === "/api/v1/models") {
      const wanted = (rec.query.output_modalities ?? "text").split(",").map((m) => m.trim());
      return json(200, {
        data: Object.entries(OPENROUTER_MODELS)
          .filter(([, outputs]) => wanted.includes("all") || outputs.some((m) => wanted.includes(m)))
          .map(([id, outputs]) => ({
            id,
            canonical_slug: id,
            name: id,
            created: 1767225600,
            architecture: { modality: `text+image->${outputs.join("+")}`, input_modalities: ["text", "image"], output_modalities: outputs },
            pricing: { prompt: String(OPENROUTER_IMAGE_PRICING[id]?.prompt ?? OPENROUTER_IMAGE_PRICING.default!.prompt), completion: "0.0000025" },
          })),
      });
    }
    const route =
      request.method === "GET" && path === "/api/v1/key"
        ? "key"
        : request.method === "POST" && path === "/api/v1/chat/completions"
        ? "chat"
        : request.method === "POST" && path === "/api/v1/videos"
          ? "submit"
          : request.method === "GET" && /^\/api\/v1\/videos\/[\w-]+$/.test(path)
            ? "poll"
            : request.method === "GET" && /^\/api\/v1\/videos\/[\w-]+\/content$/.test(path)
              ? "content"
              : undefined;
    if (!route) return errorResponse(new RouterError(404, "Not Found"));
    const messages = Array.isArray(rec.body.messages) ? rec.body.messages : [];
    const prompt =
      route === "chat"
        ? messages
            .flatMap((m) => {
              const c = (m as Record<string, unknown> | null)?.content;
              return typeof c === "string" ? [c] : Array.isArray(c) ? (c as Record<string, unknown>[]).map((p) => (typeof p?.text === "string" ? p.text : "")) : [];
            })
            .join("\n")
        : String(rec.body.prompt ?? "");
    const scenario = take(route === "chat" || route === "submit" ? prompt : "");

    const auth = request.headers.get("authorization");
    if (!auth) return errorResponse(new RouterError(401, "No auth credentials found"));
    if (auth !== `Bearer ${key}` || scenario === "401") return errorResponse(new RouterError(401, "User not found."));
    const model = typeof rec.body.model === "string" ? rec.body.model : "google/gemini-2.5-flash-image";
    const forced = scenarioError(scenario, model, prompt);
    if (forced) return errorResponse(forced);
    await transport(scenario);
    if (scenario === "malformed")
      return new Response("<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>", { status: 200, headers: { "content-type": "text/html" } });
    if (route === "key")
      return json(200, {
        data: {
          label: `${key.slice(0, 11)}...${key.slice(-3)}`,
          limit: fake.keyLimit,
          usage: OPENROUTER_KEY_USAGE,
          limit_remaining: fake.keyLimit === null ? null : usd(fake.keyLimit - OPENROUTER_KEY_USAGE),
          limit_reset: null,
          include_byok_in_limit: false,
          is_free_tier: false,
          is_provisioning_key: false,
          is_management_key: false,
          usage_daily: OPENROUTER_KEY_USAGE,
          usage_weekly: OPENROUTER_KEY_USAGE,
          usage_monthly: OPENROUTER_KEY_USAGE,
          rate_limit: { requests: -1, interval: "10s", note: "This field is deprecated and safe to ignore." },
        },
      });
    if (route === "chat") return chat(rec, scenario);
    if (route === "submit") return submitVideo(rec, scenario);
    const id = path.split("/")[4]!;
    const job = jobs.get(id);
    if (!job) return errorResponse(new RouterError(404, "Video generation job not found"));
    if (route === "poll") return json(200, videoView(job));
    if (job.outcome !== "completed" || job.polls <= fake.pendingPolls) return errorResponse(new RouterError(400, "Video generation is not completed"));
    const index = rec.query.index === undefined ? 0 : Number(rec.query.index);
    if (index !== 0) return errorResponse(new RouterError(404, `No video content at index ${rec.query.index}`));
    return new Response(makeMp4(4096) as Uint8Array<ArrayBuffer>, { headers: { "content-type": "video/mp4" } });
  };

  const fake: FakeOpenRouter = Object.assign(startFakeServer<OpenRouterScenario>(handle), { key, pendingPolls: 2, absolutePollingUrl: false, keyLimit: 10 });
  return fake;
}
