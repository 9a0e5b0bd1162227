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
/** Seconds running generations get to finish after SIGINT/SIGTERM before they are recorded as interrupted. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 30;
/** Total time allowed for one provider call, in seconds, per media type. */
export const DEFAULT_TIMEOUT_SECONDS = { image: 300, video: 900, audio: 120 } as const;
/** Delay between polls of a long-running provider operation (Veo, video jobs), in seconds. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 10;
/** Longest prompt accepted, in characters. */
export const MAX_PROMPT_CHARS = 32_000;
/** Longest speech input accepted, in characters. */
export const MAX_SPEECH_INPUT_CHARS = 8_000;
/** Sample rate of every WAV the API returns, in Hz (mono, 16-bit PCM). */
export const SPEECH_SAMPLE_RATE_HZ = 24_000;
/** Page size of `GET /api/generations` when no `limit` is given, and its maximum. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** Default window of `GET /api/costs/summary` when no `from` is given, in days. */
export const DEFAULT_COST_WINDOW_DAYS = 30;
/** Longest upstream error text quoted in an error message, in characters. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 500;
