// What each CLI client command's exit status means, and which error_type of the API leads to which.

/** The exit statuses of `mediagen image|video|speak|types|history|costs|jobs|skill`. */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** Anything else: a budget or queue limit, the daemon's own failure, a job cancelled, a file not overwritten, a remote result not downloaded. */
  other: 1,
  /** Bad input or usage: an unknown flag, a missing prompt, a field the daemon refused, a missing input file. */
  usage: 2,
  /** Not configured: no model for the type, no API key, or the daemon wants a token (MEDIAGEN_TOKEN) not given. */
  notConfigured: 3,
  /** The provider failed: its error, unreachable, timed out, refused the content, overloaded, out of credit. */
  provider: 4,
  /** No daemon answers at the URL (`--url`, MEDIAGEN_URL, default http://127.0.0.1:7070). */
  unreachable: 5,
  /** Interrupted with Ctrl-C (the job was cancelled). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_ERROR_TYPE: Record<string, ExitCode> = {
  invalid_argument: EXIT.usage,
  payload_too_large: EXIT.usage,
  not_found: EXIT.usage,
  not_configured: EXIT.notConfigured,
  not_implemented: EXIT.notConfigured,
  auth_required: EXIT.notConfigured,
  unauthorized: EXIT.notConfigured,
  forbidden: EXIT.notConfigured,
  api_error: EXIT.provider,
  network_error: EXIT.provider,
  invalid_response: EXIT.provider,
  empty_response: EXIT.provider,
  content_filtered: EXIT.provider,
  rate_limited: EXIT.provider,
  overloaded: EXIT.provider,
  timeout: EXIT.provider,
  insufficient_credits: EXIT.provider,
};

/**
 * The exit status for an API error. `unknown_model` is bad input when the command named the model (`--model`),
 * else the configured model's name is wrong: not configured.
 */
export function exitCodeFor(errorType: string | undefined, options: { modelGiven?: boolean } = {}): ExitCode {
  if (errorType === "unknown_model") return options.modelGiven ? EXIT.usage : EXIT.notConfigured;
  return (errorType && BY_ERROR_TYPE[errorType]) || EXIT.other;
}
