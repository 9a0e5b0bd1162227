// The only module that calls fetch: one function per API resource.
import type { MediaTypes } from "../../../server/schemas/media.ts";
import type { GenerationPage } from "../../../server/schemas/generation.ts";

/** Body of GET /api/health. */
export interface Health {
  ok: boolean;
  version: string;
  uptime_seconds: number;
  config: { ok: boolean; error?: string };
  running_generations: number;
  token_required: boolean;
}

/** An API error with the server's message and error_type. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const TOKEN_KEY = "mediagen.token";

async function getJson<T>(path: string): Promise<T> {
  const token = localStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new ApiError(String(body.error ?? `HTTP ${response.status}`), String(body.error_type ?? "unknown"), response.status);
  }
  return body as T;
}

/** Daemon status. */
export const getHealth = () => getJson<Health>("/api/health");
/** Which model serves each media type. */
export const getMediaTypes = () => getJson<MediaTypes>("/api/media/types");
/** The newest generations. */
export const getRecentGenerations = (limit = 10) => getJson<GenerationPage>(`/api/generations?limit=${limit}`);
