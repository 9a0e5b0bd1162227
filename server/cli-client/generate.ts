// `mediagen image|video|speak`: one generation through the daemon, followed live on a terminal, its file's path
// (or with --json the API's own answer) printed at the end.
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { MediaType } from "../config/schema.ts";
import { DownloadFailed, downloadResult } from "../client/download.ts";
import type { DaemonClient } from "../client/daemon-client.ts";
import type { JobAccepted, JobView, MediaResponse } from "../media/schema.ts";
import { clientFor, reachDaemon } from "./daemon.ts";
import { EXIT, exitCodeFor, type ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import { EXIT_HELP, type Flag, helpText, parseFlags, type Parsed } from "./options.ts";
import { progressDisplay } from "./progress.ts";

/** A generating command: its flags, and how its flags become the request body of its media type. */
interface GenerateCommand {
  type: MediaType;
  usage: string;
  summary: string;
  /** The body field the positional text goes to. */
  textField: "prompt" | "input";
  /** The answer's field holding the saved file's path. */
  pathField: "image" | "video" | "audio";
  flags: Record<string, Flag>;
  /** The body fields of the flags; input files are already absolute paths (or data URLs for a remote daemon). */
  fields(values: Parsed["values"], file: (path: string) => string): Record<string, unknown>;
}

const out: Flag = { kind: "value", arg: "DIR", help: "Folder the file is saved under (in DIR/assets/generated/); default the current folder." };
const model: Flag = { kind: "value", arg: "NAME", help: "A configured model's name for this request (default: the type's default model)." };

/** The generating commands by name. */
export const GENERATE_COMMANDS: Record<"image" | "video" | "speak", GenerateCommand> = {
  image: {
    type: "image",
    usage: "mediagen image <prompt> [--aspect A] [--edit FILE ...] [--out DIR] [--model NAME] [--url URL] [--json]",
    summary: "Generates an image (or edits the --edit images) with the configured image model and prints the saved file's path.\nA prompt of - is read from standard input.",
    textField: "prompt",
    pathField: "image",
    flags: {
      aspect: { kind: "value", arg: "A", help: "landscape (default), square or portrait: a hint, not exact pixels." },
      edit: { kind: "values", arg: "FILE", help: "An image to edit; repeat for a multi-image edit. Relative paths are from the current folder." },
      out,
      model,
    },
    fields: (values, file) => {
      const edits = (values.edit as string[] | undefined)?.map(file) ?? [];
      return {
        ...(values.aspect ? { aspect_ratio: values.aspect } : {}),
        ...(edits.length === 1 ? { image: edits[0] } : edits.length > 1 ? { images: edits } : {}),
      };
    },
  },
  video: {
    type: "video",
    usage: "mediagen video <prompt> [--duration S] [--aspect A] [--first-frame FILE] [--out DIR] [--model NAME] [--url URL] [--json]",
    summary: "Generates a video clip with the configured video model (slow: minutes) and prints the saved MP4's path.\nA prompt of - is read from standard input.",
    textField: "prompt",
    pathField: "video",
    flags: {
      duration: { kind: "value", arg: "S", help: "Length in whole seconds, 4 to 8 (default 8)." },
      aspect: { kind: "value", arg: "A", help: "landscape (default) or portrait." },
      "first-frame": { kind: "value", arg: "FILE", help: "An image the clip starts from." },
      out,
      model,
    },
    fields: (values, file) => ({
      ...(values.aspect ? { aspect_ratio: values.aspect } : {}),
      ...(values.duration ? { duration_seconds: /^\d+$/.test(String(values.duration)) ? Number(values.duration) : values.duration } : {}),
      ...(values["first-frame"] ? { image: file(String(values["first-frame"])) } : {}),
    }),
  },
  speak: {
    type: "audio",
    usage: "mediagen speak <text> [--voice V] [--out DIR] [--model NAME] [--url URL] [--json]",
    summary: "Speaks the text with the configured audio model and prints the saved WAV's path (24 kHz mono 16-bit).\nA text of - is read from standard input.",
    textField: "input",
    pathField: "audio",
    flags: {
      voice: { kind: "value", arg: "V", help: "A voice of the model (e.g. Kore, Puck for Gemini; the model's default otherwise)." },
      out,
      model,
    },
    fields: (values) => (values.voice ? { voice: values.voice } : {}),
  },
};

/** An input file the command line named that cannot be sent. */
class InputFileError extends Error {}

/** Runs `mediagen image|video|speak` with `argv` (after the command's name). */
export async function runGenerate(name: keyof typeof GENERATE_COMMANDS, argv: readonly string[], io: Io): Promise<ExitCode> {
  const command = GENERATE_COMMANDS[name];
  const parsed = parseFlags(argv, command.flags);
  if ("error" in parsed) {
    io.err(`mediagen ${name}: ${parsed.error}\n\n${helpText(command.usage, command.summary, command.flags, EXIT_HELP)}`);
    return EXIT.usage;
  }
  const { values } = parsed;
  if (values.help) {
    io.out(helpText(command.usage, command.summary, command.flags, EXIT_HELP));
    return EXIT.ok;
  }
  let text = parsed.positionals.join(" ");
  if (text === "-") text = (await io.stdin()).trim();
  if (text.trim() === "") {
    io.err(`mediagen ${name}: the ${command.textField === "input" ? "text to speak" : "prompt"} is missing\n\nUsage: ${command.usage}\n`);
    return EXIT.usage;
  }

  const client = clientFor(values, io);
  // A daemon on another machine reads no file of this one: input files go as bytes, the result comes back by download.
  const remote = client.downloads;
  let body: Record<string, unknown>;
  try {
    body = {
      [command.textField]: text,
      // The daemon needs an absolute folder: the skill's $(pwd), here the current folder.
      output_dir: resolve(io.cwd, String(values.out ?? ".")),
      ...(values.model ? { model: values.model } : {}),
      ...command.fields(values, (path) => inputFile(path, io.cwd, remote)),
    };
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    io.err(`mediagen ${name}: ${error.message}\n`);
    return EXIT.usage;
  }

  const submitted = await reachDaemon(io, () => client.submit(command.type, body, { async: true }));
  if (typeof submitted === "number") return submitted;
  const modelGiven = Boolean(values.model);
  const json = Boolean(values.json);
  const done = async (record: MediaResponse): Promise<ExitCode> => {
    // The daemon decides too: behind a reverse proxy on this machine it keeps the file and says `delivery: download`.
    if ((!remote && record.delivery !== "download") || record.success !== true) return finish(record, io, json, command, modelGiven);
    const local = await reachDaemon(io, () => fetchResult(client, command, record, String(body.output_dir), io, json));
    return typeof local === "number" ? local : finish(local, io, json, command, modelGiven);
  };
  if (submitted.status !== 202) return done(submitted.body as MediaResponse);

  const accepted = submitted.body as JobAccepted;
  const progress = progressDisplay(io);
  const abort = new AbortController();
  let interrupted = false;
  const unregister = io.onInterrupt(() => {
    if (interrupted) return;
    interrupted = true;
    abort.abort();
  });
  let job: JobView | ExitCode | undefined;
  try {
    job = await reachDaemon(io, () => client.follow(accepted.id, (state) => progress.update(state), abort.signal)).catch((error: unknown) => {
      if (interrupted) return undefined;
      throw error;
    });
  } finally {
    progress.stop();
    unregister();
  }
  if (interrupted) {
    // A queued job is cancelled; one already running at its provider finishes (and is billed) anyway.
    const cancel = await client.cancel(accepted.id).catch(() => undefined);
    const reason = (cancel?.body as { error?: string } | undefined)?.error;
    io.err(`mediagen ${name}: interrupted; ${cancel?.status === 200 ? `job ${accepted.id} cancelled` : `job ${accepted.id} not cancelled: ${reason ?? "the daemon did not answer"}`}\n`);
    return EXIT.interrupted;
  }
  if (typeof job === "number") return job;
  if (!job) return EXIT.other;
  const record = job.result ?? { success: false, error: job.error ?? `The job ended ${job.status}`, error_type: job.error_type ?? job.status, model: job.model, provider: job.provider };
  if (job.status === "cancelled" && !values.json) {
    io.err(`mediagen ${name}: job ${job.id} was cancelled\n`);
    return EXIT.other;
  }
  return done(record as MediaResponse);
}

/**
 * A remote daemon's result downloaded into the output folder asked for: the answer naming the local file, or, when
 * the download fails, the exit status after saying where the (paid) result is kept and under which id.
 */
async function fetchResult(client: DaemonClient, command: GenerateCommand, record: MediaResponse, outputDir: string, io: Io, json: boolean): Promise<MediaResponse | ExitCode> {
  try {
    return await downloadResult(client, command.type, record, outputDir);
  } catch (error) {
    if (!(error instanceof DownloadFailed)) throw error;
    if (json) io.out(`${JSON.stringify({ ...record, download_error: error.reason }, null, 2)}\n`);
    io.err(`mediagen: ${error.message}\n`);
    return EXIT.other;
  }
}

/** Prints the final answer (the path, or the error) and returns the exit status it means. */
function finish(record: MediaResponse, io: Io, json: boolean, command: GenerateCommand, modelGiven: boolean): ExitCode {
  const ok = record.success === true;
  if (json) io.out(`${JSON.stringify(record, null, 2)}\n`);
  if (ok) {
    if (!json) {
      io.out(`${String(record[command.pathField])}\n`);
      io.err(`${summaryOf(record)}\n`);
    }
    if (record.warning) io.err(`warning: ${record.warning}\n`);
    return EXIT.ok;
  }
  const field = typeof record.field === "string" ? ` (field ${record.field})` : "";
  io.err(`mediagen: ${record.error ?? "the request failed"}${field}${record.error_type ? ` [${record.error_type}]` : ""}\n`);
  return exitCodeFor(record.error_type, { modelGiven });
}

/** `openai/gpt-image-1 · 1536x1024 · $0.042` from a successful answer. */
function summaryOf(record: MediaResponse): string {
  const parts = [`${record.provider}/${record.model}`];
  if (record.size) parts.push(record.size);
  if (record.duration_seconds !== undefined) parts.push(`${record.duration_seconds}s`);
  if (record.voice) parts.push(`voice ${record.voice}`);
  if (record.cost_usd !== undefined) parts.push(`$${record.cost_usd}`);
  return parts.join(" · ");
}

/**
 * An input image as the daemon reads it: its absolute path (relative paths are from the current folder), or, for a
 * daemon on another machine, the file's bytes as a data: URL. A file that does not exist is an InputFileError.
 */
export function inputFile(path: string, cwd: string, remote: boolean): string {
  if (/^data:/i.test(path)) return path;
  const absolute = resolve(cwd, path);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) throw new InputFileError(`no such file: ${absolute}`);
  if (!remote) return absolute;
  const type = Bun.file(absolute).type.split(";")[0] || "application/octet-stream";
  return `data:${type};base64,${readFileSync(absolute).toString("base64")}`;
}
