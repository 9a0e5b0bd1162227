// Defaults as named constants with their units.

/** Loopback address the daemon binds unless told otherwise. */
export const DEFAULT_HOST = "127.0.0.1";
/** The original Clacky server's port, so existing agent setups work unchanged. */
export const DEFAULT_PORT = 7070;
/** Data folder name under the user's home directory. */
export const DEFAULT_DATA_DIR_NAME = ".mediagen";
/** Largest request body accepted, in MiB (base64 input images make bodies large). */
export const DEFAULT_MAX_BODY_MIB = 64;
/** Largest single input image accepted, in MiB. */
export const MAX_INPUT_IMAGE_MIB = 20;
/** Largest reference video / audio clip read from a file or inline data for Seedance, in MiB (Ark's own limits per item, as mirrored). */
export const MAX_REFERENCE_VIDEO_MIB = 50;
export const MAX_REFERENCE_AUDIO_MIB = 15;
/** Seconds running generations get to finish after SIGINT/SIGTERM before they are recorded as interrupted. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 30;
/** Total time allowed for one generation (all attempts), in seconds, per media type. */
export const DEFAULT_TIMEOUT_SECONDS = { image: 300, video: 900, audio: 120 } as const;
/** Time allowed to open a connection to a provider, in seconds. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;
/** Generations of each type running at once (what the provider sees in parallel). */
export const DEFAULT_CONCURRENCY = { image: 1, video: 1, audio: 2 } as const;
/** Requests of each type allowed to wait for a free slot; more get 429 queue_full. */
export const DEFAULT_QUEUE_LENGTH = 32;
/** Attempts per generation when the provider answers 429, 5xx or cannot be reached. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** First retry delay and the cap of the exponential backoff, in ms. */
export const RETRY_BASE_DELAY_MS = 1000;
export const RETRY_MAX_DELAY_MS = 60_000;
/**
 * Quiet time after the last job ends before the daemon runs one full garbage collection, in ms: a burst of
 * generations leaves megabytes of answers and media buffers that the engine would otherwise keep until the next
 * allocation-driven collection, which an idle daemon never reaches.
 */
export const IDLE_GC_DELAY_MS = 1000;
/** How long an Idempotency-Key is remembered, in hours. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;
/** Delay between polls of a long-running provider operation (Veo, video jobs), in seconds. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 10;
/** Longest prompt accepted, in characters. */
export const MAX_PROMPT_CHARS = 32_000;
/** Longest speech input accepted, in characters. */
export const MAX_SPEECH_INPUT_CHARS = 8_000;
/** Total bytes of input images one request may pass (every reference counts, even to the same file), in MiB. */
export const MAX_INPUT_MIB_PER_REQUEST = 64;
/** Total bytes of input images held by all queued and running jobs together, in MiB. */
export const MAX_QUEUED_INPUT_MIB = 256;
/** Longest value of a short identifying field (session_id, voice, a model id or label, a list filter), in characters. */
export const MAX_NAME_CHARS = 256;
/** Longest file path or URL accepted in a request or config field, in characters (Linux PATH_MAX). */
export const MAX_PATH_CHARS = 4096;
/** Longest API key or token accepted, in characters. */
export const MAX_SECRET_CHARS = 1024;
/** Longest free-text search (`q`) of the ledger, in characters. */
export const MAX_QUERY_TEXT_CHARS = 1000;
/** Largest provider `options:` of one model entry, in characters of JSON. */
export const MAX_OPTIONS_JSON_CHARS = 16_384;
/** Deepest nesting of arrays and objects accepted in a JSON request body. */
export const MAX_JSON_DEPTH = 32;
/** Longest `timeout_seconds` of a job (setTimeout overflows past 2^31-1 ms, about 24.8 days), in seconds. */
export const MAX_TIMEOUT_SECONDS = 86_400;
/** Longest `connect_timeout_seconds`, in seconds. */
export const MAX_CONNECT_TIMEOUT_SECONDS = 600;
/** Longest `shutdown_grace_seconds`, in seconds. */
export const MAX_SHUTDOWN_GRACE_SECONDS = 3_600;
/** Largest `server.max_body_mib`, in MiB. */
export const MAX_BODY_MIB_LIMIT = 1024;
/** Sample rate of every WAV the API returns, in Hz (mono, 16-bit PCM). */
export const SPEECH_SAMPLE_RATE_HZ = 24_000;
/** Page size of `GET /api/generations` when no `limit` is given, and its maximum. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** Default window of `GET /api/costs/summary` when no `from` is given, in days. */
export const DEFAULT_COST_WINDOW_DAYS = 30;
/** Longest upstream error text quoted in an error message, in characters. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 500;

/** Largest cost one generation may plausibly have, in USD: a provider's figure above it is recorded as unknown. */
export const MAX_PLAUSIBLE_COST_USD = 100;

/** Free space an output folder needs before a provider is called, in MiB per media type. */
export const MIN_FREE_OUTPUT_MIB = { image: 8, video: 64, audio: 8 } as const;

/** Largest JSON (or text) answer read from a provider, in MiB: base64 media included, so about 190 MiB of media. */
export const MAX_UPSTREAM_JSON_MIB = 256;
/**
 * Largest result accepted per media type, in MiB: a download whose Content-Length or streamed bytes pass it, or
 * base64 whose decoded size does, is cancelled as an invalid_response naming the limit. Videos stream to disk, so
 * their cap guards the disk (a 4K 8 s Veo clip is about 100 MiB); images and speech are checked in memory (a 4K PNG
 * is about 50 MiB; 8,000 characters of 48 kHz stereo WAV about 100 MiB before resampling).
 */
export const MAX_RESULT_MIB = { image: 64, video: 2048, audio: 128 } as const;
/** Downloads are written to their temp file in pieces of this size, in KiB (fewer system calls than fetch's chunks). */
export const SPOOL_WRITE_KIB = 1024;
/** A result larger than this, in MiB, is followed by a garbage collection once saved, so its buffers go back to the system. */
export const COLLECT_AFTER_RESULT_MIB = 16;

/**
 * What budgets count for a finished generation billed at an unknown cost with no estimate, in USD per request:
 * about the most a typical request of that type costs among catalogued models (gpt-image-1 high at 1536x1024,
 * an 8 s Veo clip at $0.60/s, 8,000 characters of HD speech). Never $0: an unknown cost is not free.
 */
export const ASSUMED_COST_USD = { image: 0.25, video: 4.8, audio: 0.25 } as const;

/** Refusals of the same caller, type and error within this window share one ledger row (its count grows), in ms. */
export const REFUSAL_FOLD_MS = 60_000;
/** Most new refused rows written per hour; past it, refusals fold into the newest one (a flood cannot grow the ledger without limit). */
export const MAX_REFUSED_ROWS_PER_HOUR = 120;
/** Largest spending limit accepted in `budget:`, in USD (a typo guard, not a policy). */
export const MAX_BUDGET_USD = 1_000_000;
/** Longest side of a History thumbnail, in px. */
export const THUMBNAIL_MAX_SIDE_PX = 512;
/** WebP quality (0-100) of thumbnails. */
export const THUMBNAIL_WEBP_QUALITY = 75;
/** Largest picture decoded for a thumbnail, in pixels (about 64 MP: 256 MiB of RGBA); larger ones keep the full file. */
export const THUMBNAIL_MAX_PIXELS = 64 * 1024 * 1024;
/** Largest picture file read for a thumbnail, in MiB. */
export const THUMBNAIL_MAX_INPUT_MIB = 64;

/** Several daemons on one PostgreSQL database: how long a job's lease lasts without renewal, in seconds. */
export const LEASE_SECONDS = 30;
/** How often a daemon renews its jobs' leases and looks for expired ones to take over, as a fraction of LEASE_SECONDS. */
export const LEASE_RENEW_FRACTION = 1 / 3;
/** A daemon whose queued job waits for a slot held elsewhere asks again after this delay, doubling up to the maximum (ms). */
export const SLOT_POLL_MIN_MS = 100;
export const SLOT_POLL_MAX_MS = 1000;
/** Several daemons on one database: the most unfinished jobs `GET /api/media/jobs` lists (every daemon's, oldest first). */
export const LIVE_JOBS_LISTED = 1000;
/** How often a daemon reads the row of a job another daemon runs, for a caller following that job's events (ms). */
export const FOLLOW_ELSEWHERE_MS = 500;
