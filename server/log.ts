// One line per request and per generation on stdout. Callers never hand it a key.

/** Facts of one finished generation for its log line. */
export interface GenerationLogLine {
  id: string;
  type: string;
  model: string;
  provider: string;
  outcome: string;
  costUsd: number | null;
  latencyMs: number;
  errorType?: string;
}

/** The daemon's logger. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  request(method: string, path: string, status: number, latencyMs: number): void;
  generation(line: GenerationLogLine): void;
}

/** A logger writing timestamped lines through `write` (stdout by default). */
export function createLogger(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  const emit = (level: string, text: string) => write(`${new Date().toISOString()} ${level} ${text}`);
  return {
    info: (message) => emit("INFO", message),
    warn: (message) => emit("WARN", message),
    error: (message) => emit("ERROR", message),
    request: (method, path, status, latencyMs) => emit("INFO", `${method} ${path} ${status} ${Math.round(latencyMs)}ms`),
    generation: (g) =>
      emit(
        g.outcome === "succeeded" ? "INFO" : "WARN",
        `generation ${g.type} model=${g.model} provider=${g.provider} outcome=${g.outcome}` +
          `${g.errorType ? ` error_type=${g.errorType}` : ""} cost_usd=${g.costUsd === null ? "unknown" : g.costUsd.toFixed(6)}` +
          ` latency=${Math.round(g.latencyMs)}ms id=${g.id}`,
      ),
  };
}

/** A logger that keeps its lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger((line) => lines.push(line)), { lines });
}

/** Removes every occurrence of the secrets from a text, in any letter case (upstreams sometimes echo the key, lower-cased or not). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  return secrets.reduce<string>((out, secret) => {
    if (!secret || secret.length < 6) return out;
    const lower = out.toLowerCase();
    const needle = secret.toLowerCase();
    let result = "";
    let from = 0;
    for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
      result += `${out.slice(from, at)}[redacted]`;
      from = at + needle.length;
    }
    return result + out.slice(from);
  }, text);
}
