// The MCP tools, declared once and served by both doors: `mediagen mcp` over stdio (an HTTP backend) and the
// daemon's /mcp (the in-process backend). Each tool takes the seed API's fields, calls the backend and answers
// with the API's record; generations run as jobs so they report progress and can be cancelled while queued.
import { fileURLToPath } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ListRootsResultSchema,
  RootsListChangedNotificationSchema,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { MEDIA_TYPES, MediaType } from "../config/schema.ts";
import { AppError, ERROR_CATALOGUE, invalidArgument } from "../errors.ts";
import { issueToError } from "../validate.ts";
import { CostGroupBy, CostSummary, Door, GenerationPage, GenerationStatus } from "../ledger/schema.ts";
import { JobView, MediaResponse, MediaTypeStatus, type JobAccepted, type MediaTypes } from "../media/schema.ts";
import type { McpBackend } from "./backend.ts";
import { answerError, mediaResult, progressMessage, recordResult, RESULT_FIELD, toolError } from "./results.ts";

/** Seconds between progress notifications while a job's state does not change (keeps clients' timeouts alive). */
export const PROGRESS_INTERVAL_SECONDS = 5;
/** How long the client may take to list its roots before output_dir falls back to the daemon's folder, in ms. */
export const ROOTS_TIMEOUT_MS = 5_000;

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** How a door serves the tools. */
export interface ToolOptions {
  /** mediagen's version, reported in the initialize handshake. */
  version: string;
  /**
   * The backend for one call; `client` is the MCP client's name from the handshake and `session` the transport's
   * session id (Streamable HTTP), both recorded in the ledger.
   */
  backend: (client: string, session?: string) => McpBackend;
  /** Turns an error the backend threw (no daemon answering) into a tool error; others become `internal`. */
  failure?: (error: unknown) => CallToolResult | undefined;
  /** Where an unexpected error is reported in full (the client gets the generic `internal`). */
  logError: (message: string) => void;
  /** Told when a tool call starts (+1) and ends (-1), so a session is not closed in the middle of one. */
  activity?: (delta: 1 | -1) => void;
  /**
   * Brings a finished generation's file to the caller's machine (`mediagen mcp` with a remote daemon): the answer
   * naming the local file. `outputDir` is the folder asked for (or the client's root), if any. Throws when it fails.
   */
  deliver?: (type: MediaType, record: MediaResponse, outputDir: string | undefined) => Promise<MediaResponse>;
}

/** Shown to the model once per session: the skill's rules in brief. */
export const INSTRUCTIONS = `mediagen generates images, video clips and speech with the models the user configured, saves them as files and records their cost.
Generations are slow (seconds for speech, up to minutes for images and video) and cost real money: confirm a vague request with the user first, and run one generation at a time, never in parallel.
The model is the user's choice: leave \`model\` out unless the user named one; never edit mediagen's config. If a type is not configured, ask the user to add a model in mediagen's settings page.`;

const RULES = "Slow and costs money: one call at a time, never in parallel. Leave `model` out unless the user named one (the configured model is the user's choice; media_types lists them).";

const outputDir = z
  .string()
  .optional()
  .describe("Absolute folder; the file is saved under <output_dir>/assets/generated/. Default: the client's root folder, else mediagen's output folder");
const model = z.string().optional().describe("A configured model's name, only when the user asked for that model");

/** Arguments of each generation tool: the seed API's fields (the daemon checks ranges and answers with the field at fault). */
const GENERATE_ARGS = {
  image: {
    prompt: z.string().describe("What to generate, or the change to make to the input image(s): subject, style, composition, mood"),
    aspect_ratio: z.string().optional().describe("landscape (default), square, portrait, or a ratio like 16:9; a hint, not exact pixels"),
    image: z.string().optional().describe("One image to edit: an absolute file path, base64 or a data: URL"),
    images: z.array(z.string()).optional().describe("Several input images for a combined edit (wins over image)"),
    output_dir: outputDir,
    model,
  },
  video: {
    prompt: z.string().describe("The clip to generate: subject, camera, lighting, mood"),
    aspect_ratio: z.string().optional().describe("landscape (default, 16:9) or portrait (9:16)"),
    duration_seconds: z.number().optional().describe("Length in whole seconds, 4 to 8 (default 8); billed per second"),
    image: z
      .union([z.string(), z.object({ b64_json: z.string(), mime_type: z.string().optional() })])
      .optional()
      .describe("First frame: an absolute file path, base64, a data: URL, or {b64_json, mime_type}"),
    output_dir: outputDir,
    model,
  },
  audio: {
    input: z.string().describe("The text to speak; style cues like 'Say cheerfully:' work. Split text over a minute into paragraphs"),
    voice: z.string().optional().describe("Voice name (default Kore; e.g. Kore, Puck, Charon, Fenrir, Aoede); keep one voice per project"),
    output_dir: outputDir,
    model,
  },
} as const;

/** Name and description of each generation tool. */
const GENERATE_TOOLS: Record<MediaType, { name: string; title: string; description: string }> = {
  image: {
    name: "generate_image",
    title: "Generate or edit an image",
    description: `Generate an image, or edit existing ones (image/images), with the user's configured image model; returns the saved file's absolute path. Takes up to ~2 minutes. ${RULES} No exact pixel sizes: resize or crop afterwards. Ask one clarifying question when the request is vague.`,
  },
  video: {
    name: "generate_video",
    title: "Generate a video clip",
    description: `Generate a short MP4 clip (optionally from a first-frame image) with the user's configured video model. Takes 1-3 minutes or more and is billed per second of video: confirm the prompt with the user first. ${RULES}`,
  },
  audio: {
    name: "generate_speech",
    title: "Generate speech",
    description: `Speak text aloud with the user's configured speech model; saves a WAV (mono 16-bit, 24 kHz). Takes seconds. ${RULES}`,
  },
};

/** The record each generation tool answers: the seed API's body, its file path under `image`, `video` or `audio`. */
const MEDIA_OUTPUT = {
  image: MediaResponse.extend({ image: z.string().nullable() }),
  video: MediaResponse.extend({ video: z.string().nullable() }),
  audio: MediaResponse.extend({ audio: z.string().nullable() }),
} satisfies Record<MediaType, z.ZodType>;

/** `GET /api/media/types` as an object schema (MCP output schemas are objects). */
const MediaTypesOutput = z.object(Object.fromEntries(MEDIA_TYPES.map((type) => [type, MediaTypeStatus])) as Record<MediaType, typeof MediaTypeStatus>);

/** Arguments with a value (clients may send nulls for fields they leave out). */
function given(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined && value !== null));
}

/** Sends progress notifications for one tool call when the client asked for them with a progress token. */
function progressReporter(extra: Extra) {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { report: (_job: JobView) => {}, stop: () => {} };
  const started = performance.now();
  let last = 0;
  let state: JobView | undefined;
  let stateAt = started;
  const send = () => {
    if (!state) return;
    // `progress` must grow with every notification: seconds since the call began, in tenths.
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    last = Math.max(seconds, Math.round((last + 0.1) * 10) / 10);
    const elapsed = state.status === "running" && state.elapsed_seconds !== undefined ? state.elapsed_seconds + (performance.now() - stateAt) / 1000 : undefined;
    extra
      .sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: last, message: progressMessage(state, elapsed) } })
      .catch(() => {});
  };
  const timer = setInterval(send, PROGRESS_INTERVAL_SECONDS * 1000);
  return {
    report(job: JobView) {
      state = job;
      stateAt = performance.now();
      send();
    },
    stop: () => clearInterval(timer),
  };
}

function costText(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** The SDK's own check of a tool call's arguments (a private method of McpServer; test/server/mcp covers that it is still called). */
type ArgumentCheck = { validateToolInput?: (tool: unknown, args: unknown, name: string) => Promise<unknown> };

/** Calls `onRefused` with the tool's name and arguments whenever the SDK refuses a call's arguments, before the tool runs. */
function watchRefusedArguments(server: McpServer, onRefused: (name: string, args: unknown) => void, logError: (message: string) => void): void {
  const internals = server as unknown as ArgumentCheck;
  const check = internals.validateToolInput;
  if (typeof check !== "function") return logError("the MCP SDK no longer checks arguments through validateToolInput: calls it refuses are not recorded");
  internals.validateToolInput = async (tool, args, name) => {
    try {
      return await check.call(server, tool, args, name);
    } catch (error) {
      onRefused(name, args);
      throw error;
    }
  };
}

/** The type each generation tool makes, by tool name. */
const TOOL_TYPES = new Map(MEDIA_TYPES.map((type) => [GENERATE_TOOLS[type].name, type]));

/** An MCP server with mediagen's seven tools, for one client session. */
export function createMcpServer(options: ToolOptions): McpServer {
  const server = new McpServer({ name: "mediagen", version: options.version }, { instructions: INSTRUCTIONS });
  const clientName = () => server.server.getClientVersion()?.name ?? "mcp-client";
  const backend = (extra?: Extra) => options.backend(clientName(), extra?.sessionId);

  // A generation whose arguments the SDK refuses never reaches a tool: it is recorded as refused, naming the field.
  watchRefusedArguments(
    server,
    (name, args) => {
      const type = TOOL_TYPES.get(name);
      if (!type) return;
      const fields = typeof args === "object" && args !== null ? (args as Record<string, unknown>) : {};
      const issue = z.object(GENERATE_ARGS[type]).safeParse(fields).error?.issues[0];
      const error = issue ? issueToError(issue) : invalidArgument("arguments", `Invalid arguments for tool ${name}`);
      const sessionId = (server.server.transport as { sessionId?: string } | undefined)?.sessionId;
      options.backend(clientName(), sessionId).refused?.(type, fields, error);
    },
    options.logError,
  );

  // The client's first file:// root, asked once per session (again after it says its roots changed).
  let root: Promise<string | undefined> | undefined;
  server.server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
    root = undefined;
  });
  const rootDir = (extra: Extra): Promise<string | undefined> => {
    if (!server.server.getClientCapabilities()?.roots) return Promise.resolve(undefined);
    root ??= extra
      .sendRequest({ method: "roots/list" }, ListRootsResultSchema, { timeout: ROOTS_TIMEOUT_MS })
      .then(({ roots }) => {
        const first = roots.find((r) => r.uri.startsWith("file://"));
        return first ? fileURLToPath(first.uri) : undefined;
      })
      .catch(() => {
        root = undefined;
        return undefined;
      });
    return root;
  };

  /** Runs a tool body; a backend that cannot be reached or a bug becomes a tool error instead of a protocol error. */
  const safely = async (run: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    options.activity?.(1);
    try {
      return await run();
    } catch (error) {
      if (error instanceof AppError) return toolError(error.type, error.message);
      const described = options.failure?.(error);
      if (described) return described;
      options.logError(`MCP tool call failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return toolError("internal", ERROR_CATALOGUE.internal.message);
    } finally {
      options.activity?.(-1);
    }
  };

  const generate = async (type: MediaType, args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> => {
    const schema = MEDIA_OUTPUT[type];
    const api = backend(extra);
    const body = given(args);
    if (body.output_dir === undefined) {
      const dir = await rootDir(extra);
      if (dir) body.output_dir = dir;
    }
    const outputDir = typeof body.output_dir === "string" ? body.output_dir : undefined;
    const finished = async (record: MediaResponse) => mediaResult(type, options.deliver && record.success === true ? await options.deliver(type, record, outputDir) : record, schema);
    const submitted = await api.submit(type, body, { async: true });
    if (submitted.status === 200) return finished(submitted.body as MediaResponse);
    if (submitted.status !== 202) return answerError(submitted.status, submitted.body, schema);
    const id = (submitted.body as JobAccepted).id;
    const progress = progressReporter(extra);
    let job: JobView;
    try {
      job = await api.follow(id, (state) => progress.report(state), extra.signal);
    } catch (error) {
      if (!extra.signal.aborted) throw error;
      // The client cancelled the call: a queued job is cancelled (nothing charged); a running one finishes and is recorded.
      const cancelled = await api.cancel(id).catch(() => undefined);
      return cancelled?.status === 200
        ? toolError("cancelled", `Cancelled job ${id} before it started; nothing was charged`)
        : toolError("not_cancellable", `Job ${id} was already running; it will finish and be recorded (get_job "${id}")`);
    } finally {
      progress.stop();
    }
    const record = (job.result ?? {}) as MediaResponse;
    if (job.status === "succeeded") return finished(record);
    return answerError(0, { error: job.error ?? `The job ended ${job.status}`, error_type: job.error_type ?? job.status, ...record }, schema);
  };

  for (const type of MEDIA_TYPES) {
    const tool = GENERATE_TOOLS[type];
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: GENERATE_ARGS[type],
        outputSchema: MEDIA_OUTPUT[type],
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      },
      (args: Record<string, unknown>, extra: Extra) => safely(() => generate(type, args, extra)),
    );
  }

  server.registerTool(
    "media_types",
    {
      title: "Configured models",
      description: "Which model mediagen uses for image, video and audio (speech), and whether each is configured. Check before generating; if a type is not configured, ask the user to add a model in mediagen's settings page.",
      outputSchema: MediaTypesOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      safely(async () => {
        const { status, body } = await backend().types();
        if (status !== 200) return answerError(status, body);
        const lines = Object.entries(body as MediaTypes).map(([type, s]) => `${type}: ${s.configured ? `${s.model} (${s.provider}${s.name ? `, "${s.name}"` : ""})` : "not configured"}`);
        return recordResult(MediaTypesOutput, body, lines.join("\n"));
      }),
  );

  server.registerTool(
    "get_job",
    {
      title: "A generation job",
      description: "The state of a generation job by id: queued (position), running (elapsed_seconds, progress), or finished with `result` (the generate tool's record).",
      inputSchema: { id: z.string().describe("The job's id (the generation id)") },
      outputSchema: JobView,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ id }) =>
      safely(async () => {
        const { status, body } = await backend().job(id);
        if (status !== 200) return answerError(status, body);
        const path = body.result?.[RESULT_FIELD[body.type]];
        const summary = [`Job ${body.id} (${body.type}): ${progressMessage(body)}`];
        if (typeof path === "string") summary.push(`File: ${path}`);
        if (body.error) summary.push(`${body.error_type}: ${body.error}`);
        return recordResult(JobView, body, summary.join("\n"));
      }),
  );

  server.registerTool(
    "list_generations",
    {
      title: "Past generations",
      description: "mediagen's ledger of generations, newest first: prompt, model, status, file, cost. Filter by type, status (refused: turned away before any provider call), model, door, client, session, q (words of the prompt), from/to (YYYY-MM-DD or ISO time); page with limit and cursor (the previous page's next_cursor).",
      inputSchema: {
        type: MediaType.optional(),
        status: GenerationStatus.optional(),
        model: z.string().optional().describe("Model id or configured name"),
        door: Door.optional().describe("How the request came in: api, ui, mcp, openai, cli"),
        client: z.string().optional().describe("The caller's User-Agent or MCP client name"),
        session: z.string().optional().describe("The caller's session id"),
        q: z.string().optional().describe("Words of the prompt"),
        from: z.string().optional().describe("From this local date (YYYY-MM-DD) or ISO time"),
        to: z.string().optional().describe("To this local date (inclusive) or ISO time"),
        limit: z.number().optional().describe("Items per page"),
        cursor: z.string().optional().describe("next_cursor of the previous page"),
      },
      outputSchema: GenerationPage,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      safely(async () => {
        const { status, body } = await backend().generations(given(args) as Record<string, string | number>);
        if (status !== 200) return answerError(status, body);
        const lines = body.items.map(
          (g) => `${g.id} ${g.created_at} ${g.type} ${g.status} ${g.model_name ?? g.model} ${g.cost_usd === null ? "cost unknown" : costText(g.cost_usd)} ${g.output_path ?? "-"} "${g.prompt.slice(0, 80)}"`,
        );
        lines.unshift(`${body.items.length} generation(s)${body.next_cursor ? `; more with cursor ${body.next_cursor}` : ""}`);
        return recordResult(GenerationPage, body, lines.join("\n"));
      }),
  );

  server.registerTool(
    "cost_summary",
    {
      title: "Spend",
      description: "Money spent on generations from `from` to `to` (local dates, `to` inclusive, or ISO times; default the last 30 days), grouped by day, model, type, provider, door or client (the caller). Generations of unknown cost are counted apart, never as $0; requests refused before any provider call and failures the provider charged for are counted too.",
      inputSchema: {
        from: z.string().optional().describe("YYYY-MM-DD or ISO time"),
        to: z.string().optional().describe("YYYY-MM-DD (inclusive) or ISO time"),
        group_by: CostGroupBy.optional().describe("day (default), model, type, provider, door or client"),
        type: MediaType.optional().describe("Only this media type"),
        door: Door.optional().describe("Only requests that came in this way: api, ui, mcp, openai, cli"),
        client: z.string().optional().describe("Only this client (User-Agent or MCP client name)"),
      },
      outputSchema: CostSummary,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      safely(async () => {
        const { status, body } = await backend().costs(given(args) as Record<string, string>);
        if (status !== 200) return answerError(status, body);
        const unknown = (n: number) => (n > 0 ? `, ${n} of unknown cost` : "");
        const lines = [`${costText(body.total.cost_usd)} over ${body.total.count} generation(s)${unknown(body.total.unknown_cost_count)}, ${body.from} to ${body.to}`];
        for (const g of body.groups) lines.push(`${g.key}: ${costText(g.cost_usd)} (${g.count}${unknown(g.unknown_cost_count)})`);
        return recordResult(CostSummary, body, lines.join("\n"));
      }),
  );

  return server;
}

