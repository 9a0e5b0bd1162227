// The only module that calls fetch: one function per API call, grouped by resource. Server types come in with
// `import type` only, so no zod reaches the bundle.
import type { z } from "zod";
import type { CostQuery, CostSummary, Deleted, Door, Generation, GenerationPage, GenerationQuery } from "../../../server/ledger/schema.ts";
import type { ImageRequest, JobAccepted, JobList, JobView, MediaResponse, MediaTypes, SpeechRequest, VideoRequest } from "../../../server/media/schema.ts";
import type { ModelInput, ModelList, ModelView, ProviderCatalog, ProviderInfo } from "../../../server/config/editor.ts";
import type { BudgetStatus, SpendSoFar } from "../../../server/costs/summary.ts";
import type { EstimateAnswer, EstimateRequest, ModelEstimate } from "../../../server/costs/estimate.ts";
import type { Health } from "../../../server/health/schema.ts";
import type { ModelTestResult } from "../../../server/config/model-test.ts";
import type { Budget } from "../../../server/config/schema.ts";
import type { TokenBudgetUpdate, TokenCreate, TokenCreated, TokenList, TokenView, Whoami } from "../../../server/tokens/schema.ts";
import type { FolderOpened, FolderOpenerStatus } from "../../../server/files/schema.ts";

export type { CostSummary, Door, EstimateAnswer, EstimateRequest, ModelEstimate, FolderOpenerStatus, Generation, GenerationPage, Health, JobAccepted, JobView, MediaResponse, MediaTypes, ModelInput, ModelTestResult, ModelView, ProviderInfo, SpendSoFar, Budget, TokenCreated, TokenView, Whoami };

/** The UI's own words for an error it made itself (no daemon sentence to show): an i18n key and its values. */
export interface LocalText {
  key: string;
  vars: Record<string, string | number>;
}

/** An API error with the server's sentence, error_type and, for bad input, the field at fault; `local` when the UI wrote the sentence. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
    readonly status: number,
    readonly field?: string,
    readonly local?: LocalText,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const TOKEN_KEY = "mediagen.token";

/** This tab's session, sent as X-Mediagen-Session with what it generates (a new one per page load). */
export const UI_SESSION = `ui-${typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : String(Date.now())}`;

/** The bearer token the daemon asked for, remembered in this browser. */
export const token = {
  get: (): string | null => localStorage.getItem(TOKEN_KEY),
  set: (value: string) => localStorage.setItem(TOKEN_KEY, value.trim()),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

function headers(json: boolean): Record<string, string> {
  // Generations started here are recorded as coming through the web UI's door, in this tab's session.
  const out: Record<string, string> = json ? { "content-type": "application/json", "x-mediagen-door": "ui", "x-mediagen-session": UI_SESSION } : {};
  const saved = token.get();
  if (saved) out.authorization = `Bearer ${saved}`;
  return out;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ApiError(`The daemon cannot be reached (${detail})`, "network_error", 0, undefined, { key: "error.daemonUnreachable", vars: { detail } });
  }
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    const local = { key: "error.unexpectedAnswer", vars: { status: response.status } };
    throw new ApiError(`Unexpected answer from the daemon (HTTP ${response.status})`, "invalid_response", response.status, undefined, local);
  }
  if (!response.ok) {
    const field = typeof parsed.field === "string" ? parsed.field : undefined;
    throw new ApiError(String(parsed.error ?? `HTTP ${response.status}`), String(parsed.error_type ?? "unknown"), response.status, field);
  }
  return parsed as T;
}

const query = (params: Record<string, string | number | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
};

/** The URL of a generation's file or thumbnail with the saved token (media elements cannot send headers). */
function mediaUrl(id: string, what: "file" | "thumbnail", params: Record<string, string> = {}): string {
  const saved = token.get();
  const pairs = Object.entries({ ...params, ...(saved ? { access_token: saved } : {}) }).map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  return `/api/generations/${encodeURIComponent(id)}/${what}${pairs.length ? `?${pairs.join("&")}` : ""}`;
}

/** Request bodies of the three generation endpoints, as a client sends them (before the server's defaults). */
export type ImageBody = z.input<typeof ImageRequest>;
export type VideoBody = z.input<typeof VideoRequest>;
export type SpeechBody = z.input<typeof SpeechRequest>;

/** Calls a job's SSE stream (with the token, which EventSource cannot send) until it ends or `stop()` is called. */
function jobEvents(id: string, onEvent: (view: JobView) => void, onError: (error: ApiError) => void): () => void {
  const controller = new AbortController();
  void (async () => {
    try {
      const response = await fetch(`/api/media/jobs/${encodeURIComponent(id)}/events`, { headers: headers(false), signal: controller.signal });
      if (!response.ok || !response.body) {
        const local = { key: "error.eventsUnavailable", vars: { status: response.status } };
        throw new ApiError(`Job events unavailable (HTTP ${response.status})`, "api_error", response.status, undefined, local);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const data = buffer
            .slice(0, end)
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trim())
            .join("\n");
          buffer = buffer.slice(end + 2);
          if (data) onEvent(JSON.parse(data) as JobView);
          end = buffer.indexOf("\n\n");
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      onError(error instanceof ApiError ? error : new ApiError(String(error), "network_error", 0));
    }
  })();
  return () => controller.abort();
}

/** Every call the web UI makes. */
export const api = {
  health: () => call<Health>("GET", "/api/health"),
  mediaTypes: () => call<MediaTypes>("GET", "/api/media/types"),

  models: {
    list: () => call<ModelList>("GET", "/api/config/models"),
    add: (entry: ModelInput) => call<ModelView>("POST", "/api/config/models", entry),
    update: (index: number, entry: ModelInput) => call<ModelView>("PUT", `/api/config/models/${index}`, entry),
    remove: (index: number) => call<ModelList>("DELETE", `/api/config/models/${index}`),
    makeDefault: (index: number) => call<ModelList>("POST", `/api/config/models/${index}/default`),
    /** Tests an entry as typed (a masked key uses the saved key of the entry with the same name), or a saved one by name. */
    test: (entry: ModelInput | { name: string }) => call<ModelTestResult>("POST", "/api/config/models/test", entry),
    catalog: () => call<ProviderCatalog>("GET", "/api/config/catalog"),
  },

  generate: {
    image: (body: ImageBody) => call<JobAccepted>("POST", "/api/media/image", { ...body, async: true }),
    video: (body: VideoBody) => call<JobAccepted>("POST", "/api/media/video", { ...body, async: true }),
    speech: (body: SpeechBody) => call<JobAccepted>("POST", "/api/media/audio/speech", { ...body, async: true }),
  },

  jobs: {
    list: () => call<JobList>("GET", "/api/media/jobs"),
    get: (id: string) => call<JobView>("GET", `/api/media/jobs/${encodeURIComponent(id)}`),
    cancel: (id: string) => call<JobView>("DELETE", `/api/media/jobs/${encodeURIComponent(id)}`),
    events: jobEvents,
  },

  generations: {
    list: (filters: Partial<GenerationQuery> = {}) => call<GenerationPage>("GET", `/api/generations${query(filters as Record<string, string | number | undefined>)}`),
    get: (id: string) => call<Generation>("GET", `/api/generations/${encodeURIComponent(id)}`),
    remove: (id: string, withFile: boolean) =>
      call<Deleted>("DELETE", `/api/generations/${encodeURIComponent(id)}${withFile ? "?file=true" : ""}`),
    /** Whether a generation's file is still on disk (asks for its first byte). */
    fileExists: async (id: string): Promise<boolean> => {
      try {
        const response = await fetch(`/api/generations/${encodeURIComponent(id)}/file`, { headers: { ...headers(false), range: "bytes=0-0" } });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    },
    /** URL of a generation's file for <img>/<video>/<audio> (which cannot send headers: the token rides along); `download` saves it under its own name. */
    fileUrl: (id: string, options: { download?: boolean } = {}) => mediaUrl(id, "file", options.download ? { download: "1" } : {}),
    /** URL of a generation's WebP thumbnail (at most 512 px). */
    thumbnailUrl: (id: string) => mediaUrl(id, "thumbnail"),
    /** Opens the folder of a generation's file in the desktop's file manager. */
    openFolder: (id: string) => call<FolderOpened>("POST", `/api/generations/${encodeURIComponent(id)}/open-folder`, {}),
    /** Whether this daemon can open folders, and if not why. */
    folderOpener: () => call<FolderOpenerStatus>("GET", "/api/files/folder-opener"),
  },

  costs: {
    summary: (params: Partial<CostQuery>) => call<CostSummary>("GET", `/api/costs/summary${query(params as Record<string, string | undefined>)}`),
    budget: () => call<BudgetStatus>("GET", "/api/costs/budget"),
    /** What a request would cost per model before it is sent (the estimate the budget check uses). */
    estimate: (request: EstimateRequest) => call<EstimateAnswer>("POST", "/api/costs/estimate", request),
    /** Replaces the spending limits in config.yml (a limit left out is removed); answers the new status. */
    setBudget: (budget: Budget) => call<BudgetStatus>("PUT", "/api/costs/budget", budget),
  },

  tokens: {
    list: () => call<TokenList>("GET", "/api/tokens"),
    create: (body: z.input<typeof TokenCreate>) => call<TokenCreated>("POST", "/api/tokens", body),
    revoke: (id: string) => call<TokenView>("DELETE", `/api/tokens/${encodeURIComponent(id)}`),
    /** New limits for a token: a field left out is kept, null removes it. */
    setBudget: (id: string, body: z.input<typeof TokenBudgetUpdate>) => call<TokenView>("PATCH", `/api/tokens/${encodeURIComponent(id)}`, body),
    /** Who this browser's token belongs to, and its role. */
    me: () => call<Whoami>("GET", "/api/tokens/me"),
  },
};
