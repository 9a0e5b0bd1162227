// `mediagen types|history|costs|jobs`: what the daemon has configured, recorded, spent and is running.
import type { Answer } from "../client/daemon-client.ts";
import type { CostSummary, GenerationPage } from "../ledger/schema.ts";
import type { JobList, MediaTypes } from "../media/schema.ts";
import { clientFor, reachDaemon } from "./daemon.ts";
import { EXIT, exitCodeFor, type ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import { EXIT_HELP, type Flag, helpText, parseFlags, type Parsed } from "./options.ts";
import { formatSeconds } from "./progress.ts";
import type { DaemonClient } from "../client/daemon-client.ts";

/** A command that reads one endpoint and prints its answer as text (or as the API's JSON with --json). */
interface ReadCommand<T> {
  usage: string;
  summary: string;
  flags: Record<string, Flag>;
  fetch(client: DaemonClient, values: Parsed["values"], now: Date): Promise<Answer<T>>;
  print(body: T, io: Io): void;
}

const filter = (arg: string, help: string): Flag => ({ kind: "value", arg, help });

/** YYYY-MM-DD of the first day of `now`'s month, local time. */
export function monthStart(now: Date): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-01`;
}

const money = (usd: number) => `$${usd.toFixed(usd !== 0 && Math.abs(usd) < 0.01 ? 6 : 2)}`;
const short = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const types: ReadCommand<MediaTypes> = {
  usage: "mediagen types [--url URL] [--json]",
  summary: "Shows which model each media type (image, video, audio) uses, or that none is configured.",
  flags: {},
  fetch: (client) => client.types(),
  print(body, io) {
    for (const [type, status] of Object.entries(body)) {
      const model = status.configured ? `${status.provider}/${status.model}${status.name && status.name !== status.model ? ` (${status.name})` : ""}` : "not configured (add a model in the settings page)";
      io.out(`${type.padEnd(6)} ${model}\n`);
    }
  },
};

const history: ReadCommand<GenerationPage> = {
  usage: "mediagen history [--type T] [--status S] [--model M] [--door D] [--client C] [--session S] [--owner NAME] [--team T] [--q TEXT] [--from DATE] [--to DATE] [--limit N] [--cursor C] [--url URL] [--json]",
  summary: "Lists recorded generations, newest first (GET /api/generations).",
  flags: {
    type: filter("T", "image, video or audio."),
    status: filter("S", "queued, running, succeeded, failed, cancelled, interrupted or refused."),
    model: filter("M", "A model id or configured name."),
    door: filter("D", "api, ui, mcp, openai or cli: the way the request came in."),
    client: filter("C", "The caller's User-Agent or MCP client name."),
    session: filter("S", "The caller's session (MCP session, X-Mediagen-Session, MEDIAGEN_SESSION)."),
    owner: filter("NAME", "Only requests made with this person's or team's token."),
    team: filter("T", "Only requests made with tokens of this team."),
    q: filter("TEXT", "Words in the prompt."),
    from: filter("DATE", "From this local date (YYYY-MM-DD) or ISO time."),
    to: filter("DATE", "Up to this local date (inclusive) or ISO time."),
    limit: filter("N", "At most N generations (default 50)."),
    cursor: filter("C", "The next page: the cursor the previous page printed."),
  },
  fetch: (client, values) => {
    const keys = ["type", "status", "model", "door", "client", "session", "owner", "team", "q", "from", "to", "limit", "cursor"] as const;
    return client.generations(Object.fromEntries(keys.map((key) => [key, values[key] as string | undefined])));
  },
  print(body, io) {
    if (body.items.length === 0) io.err("No generations match.\n");
    // Team mode: an owner column (the token's name, and its team) when any row was made with a person or team token.
    const owners = body.items.map((item) => (item.owner ? `${item.owner}${item.team ? ` (${item.team})` : ""}` : "-"));
    const ownerWidth = owners.some((owner) => owner !== "-") ? Math.max(...owners.map((owner) => owner.length)) : 0;
    body.items.forEach((item, index) => {
      const cost = item.cost_usd === null ? "?" : money(item.cost_usd);
      const what = item.status === "succeeded" ? (item.output_path ?? "") : `${item.error_type ?? ""} ${item.error ?? ""}`.trim();
      const owner = ownerWidth > 0 ? `${owners[index]!.padEnd(ownerWidth)} ` : "";
      io.out(`${item.created_at}  ${item.type.padEnd(5)} ${item.status.padEnd(11)} ${cost.padStart(10)}  ${item.door.padEnd(6)} ${owner}${item.id}  ${short(item.prompt.replace(/\s+/g, " "), 40)}  ${what}\n`);
    });
    if (body.next_cursor) io.err(`More: mediagen history --cursor ${body.next_cursor} (with the same filters)\n`);
  },
};

const costs: ReadCommand<CostSummary> = {
  usage: "mediagen costs [--month | --from DATE --to DATE] [--group-by G] [--type T] [--door D] [--client C] [--owner NAME] [--team T] [--url URL] [--json]",
  summary: "Shows spend, grouped by day (default), model, type, provider, door or client (GET /api/costs/summary). Default: the last 30 days.",
  flags: {
    month: { kind: "switch", help: "This calendar month so far (from its first day, local time)." },
    from: filter("DATE", "From this local date (YYYY-MM-DD) or ISO time."),
    to: filter("DATE", "Up to this local date (inclusive) or ISO time."),
    "group-by": filter("G", "day, model, type, provider, door or client."),
    type: filter("T", "Only image, video or audio."),
    door: filter("D", "Only requests that came in this way: api, ui, mcp, openai or cli."),
    client: filter("C", "Only this client (User-Agent or MCP client name)."),
    owner: filter("NAME", "Only what this person's or team's token spent."),
    team: filter("T", "Only what tokens of this team spent."),
  },
  fetch: (client, values, now) =>
    client.costs({
      from: (values.from as string | undefined) ?? (values.month ? monthStart(now) : undefined),
      to: values.to as string | undefined,
      group_by: values["group-by"] as string | undefined,
      type: values.type as string | undefined,
      door: values.door as string | undefined,
      client: values.client as string | undefined,
      owner: values.owner as string | undefined,
      team: values.team as string | undefined,
    }),
  print(body, io) {
    const unknown = body.total.unknown_cost_count > 0 ? ` (${body.total.unknown_cost_count} without a known cost)` : "";
    const refused = body.total.refused_count > 0 ? `, ${body.total.refused_count} refused` : "";
    const billed = body.total.billed_failure_count > 0 ? `, ${body.total.billed_failure_count} billed failure(s) (${money(body.total.billed_failure_usd)})` : "";
    io.out(`${body.from} to ${body.to}: ${body.total.count} generation(s), ${money(body.total.cost_usd)}${unknown}${refused}${billed}\n`);
    for (const group of body.groups) io.out(`  ${group.key.padEnd(28)} ${String(group.count).padStart(6)}  ${money(group.cost_usd).padStart(12)}${group.unknown_cost_count ? `  (${group.unknown_cost_count} unknown)` : ""}\n`);
  },
};

const jobs: ReadCommand<JobList> = {
  usage: "mediagen jobs [--url URL] [--json]",
  summary: "Lists the daemon's live jobs (queued and running), whichever door submitted them.",
  flags: {},
  fetch: (client) => client.jobs(),
  print(body, io) {
    if (body.items.length === 0) io.err("No jobs are queued or running.\n");
    for (const job of body.items) {
      const where = job.status === "queued" ? `position ${job.position ?? "?"}` : `${formatSeconds(job.elapsed_seconds ?? 0)}${job.progress !== undefined ? ` ${Math.round(job.progress)}%` : ""}`;
      io.out(`${job.id}  ${job.type.padEnd(5)} ${job.status.padEnd(8)} ${where.padEnd(12)} ${job.provider}/${job.model}\n`);
    }
  },
};

/** The reading commands by name. */
export const READ_COMMANDS = { types, history, costs, jobs } as const;

/** Runs `mediagen types|history|costs|jobs` with `argv` (after the command's name). */
export async function runRead(name: keyof typeof READ_COMMANDS, argv: readonly string[], io: Io, now = new Date()): Promise<ExitCode> {
  const command = READ_COMMANDS[name] as ReadCommand<unknown>;
  const parsed = parseFlags(argv, command.flags);
  const help = helpText(command.usage, command.summary, command.flags, EXIT_HELP);
  if ("error" in parsed) {
    io.err(`mediagen ${name}: ${parsed.error}\n\n${help}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.out(help);
    return EXIT.ok;
  }
  if (parsed.positionals.length > 0) {
    io.err(`mediagen ${name}: unexpected argument "${parsed.positionals[0]}"\n\n${help}`);
    return EXIT.usage;
  }
  const answer = await reachDaemon(io, () => command.fetch(clientFor(parsed.values, io), parsed.values, now));
  if (typeof answer === "number") return answer;
  if (parsed.values.json) io.out(`${JSON.stringify(answer.body, null, 2)}\n`);
  if (answer.status !== 200) {
    const error = answer.body as { error?: string; error_type?: string; field?: string };
    io.err(`mediagen ${name}: ${error.error ?? `the daemon answered ${answer.status}`}${error.field ? ` (field ${error.field})` : ""}${error.error_type ? ` [${error.error_type}]` : ""}\n`);
    return exitCodeFor(error.error_type);
  }
  if (!parsed.values.json) command.print(answer.body, io);
  return EXIT.ok;
}
