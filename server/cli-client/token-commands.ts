// `mediagen token create|list|budget|revoke`: person and team tokens, managed through the running daemon's API with an
// admin token (MEDIAGEN_TOKEN: server.token or a token of role admin). With no daemon there is nothing to change:
// the command says so and exits 5 (the daemon holds the tokens' cache, so it alone may create and revoke them).
import type { Answer } from "../client/daemon-client.ts";
import type { TokenCreated, TokenList, TokenView } from "../tokens/schema.ts";
import { clientFor, reachDaemon } from "./daemon.ts";
import { EXIT, exitCodeFor, type ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import { EXIT_HELP, type Flag, helpText, parseFlags, type Parsed } from "./options.ts";

const USAGE =
  "mediagen token create NAME|--name NAME [--team TEAM] [--role member|admin] [--budget-daily USD] [--budget-monthly USD] | token list |\n" +
  "       token budget <id|name> [--budget-daily USD|none] [--budget-monthly USD|none] | token revoke <id|name>";
const SUMMARY =
  "Manages person and team tokens on the daemon (POST, GET, PATCH and DELETE /api/tokens); needs an admin token in MEDIAGEN_TOKEN.\n" +
  "create prints the new token once on stdout: give it to its owner, who sends it as Authorization: Bearer <token>.";

const FLAGS: Record<string, Flag> = {
  name: { kind: "value", arg: "NAME", help: "create: whose token (a person or a team); unique among active tokens." },
  team: { kind: "value", arg: "TEAM", help: "create: the team it spends for (budget.per_team applies; Costs and History filter by it)." },
  role: { kind: "value", arg: "ROLE", help: "create: member (default: generate and read) or admin (also models, config, tokens)." },
  "budget-daily": { kind: "value", arg: "USD", help: "create, budget: the token's own daily limit in USD (budget: none removes it)." },
  "budget-monthly": { kind: "value", arg: "USD", help: "create, budget: the token's own monthly limit in USD (budget: none removes it)." },
};

/** The flags each action takes (besides --url, --json and --help). */
const ACTION_FLAGS: Record<string, readonly string[]> = {
  create: ["name", "team", "role", "budget-daily", "budget-monthly"],
  list: [],
  budget: ["budget-daily", "budget-monthly"],
  revoke: [],
};

/** An amount given as a flag (`none` is null where `allowNone`), or a usage error naming the flag. */
function usdFlag(values: Parsed["values"], flag: string, allowNone = false): number | null | undefined | { error: string } {
  const text = values[flag] as string | undefined;
  if (text === undefined) return undefined;
  if (allowNone && text === "none") return null;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : { error: `--${flag} must be a positive amount in USD${allowNone ? " or none" : ""}, got "${text}"` };
}

const line = (token: TokenView) =>
  [
    token.id,
    token.name.padEnd(16),
    (token.team ?? "-").padEnd(12),
    token.role.padEnd(6),
    `${token.prefix}…`,
    token.budget_daily_usd === null ? "-" : `$${token.budget_daily_usd}/day`,
    token.budget_monthly_usd === null ? "-" : `$${token.budget_monthly_usd}/month`,
    token.last_used_at ? `last used ${token.last_used_at}` : "never used",
    token.revoked_at ? `revoked ${token.revoked_at}` : `created ${token.created_at}`,
  ].join("  ");

/** Runs `mediagen token ...` with `argv` (after `token`). */
export async function runToken(argv: readonly string[], io: Io): Promise<ExitCode> {
  const parsed = parseFlags(argv, FLAGS);
  const help = helpText(USAGE, SUMMARY, FLAGS, EXIT_HELP);
  if ("error" in parsed) {
    io.err(`mediagen token: ${parsed.error}\n\n${help}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.out(help);
    return EXIT.ok;
  }
  const [action, target, extra] = parsed.positionals;
  const usage = (message: string) => {
    io.err(`mediagen token: ${message}\n\n${help}`);
    return EXIT.usage;
  };
  if (!action || !Object.hasOwn(ACTION_FLAGS, action)) return usage(action ? `unknown action "${action}"; use create, list, budget or revoke` : "say create, list, budget or revoke");
  const stray = ACTION_FLAGS.create!.find((flag) => parsed.values[flag] !== undefined && !ACTION_FLAGS[action]!.includes(flag));
  if (stray) return usage(`--${stray} is not for token ${action}`);
  const targeted = action === "revoke" || action === "budget";
  // `token create alice` is `token create --name alice`.
  const named = action === "create" && target !== undefined && parsed.values.name === undefined && extra === undefined;
  if (targeted ? !target || extra !== undefined : target !== undefined && !named) {
    return usage(targeted ? `${action} takes one token id or name` : `unexpected argument "${target}"`);
  }

  let call: (client: ReturnType<typeof clientFor>) => Promise<Answer<unknown>>;
  if (action === "create") {
    const name = named ? target : parsed.values.name;
    if (!name) return usage("create needs a name: token create NAME (or --name NAME)");
    const daily = usdFlag(parsed.values, "budget-daily");
    const monthly = usdFlag(parsed.values, "budget-monthly");
    for (const amount of [daily, monthly]) if (amount !== null && typeof amount === "object") return usage(amount.error);
    const body = {
      name,
      team: parsed.values.team,
      role: parsed.values.role,
      budget_daily_usd: daily,
      budget_monthly_usd: monthly,
    };
    call = (client) => client.call("POST", "/api/tokens", body);
  } else if (action === "list") {
    call = (client) => client.call("GET", "/api/tokens");
  } else if (action === "budget") {
    const daily = usdFlag(parsed.values, "budget-daily", true);
    const monthly = usdFlag(parsed.values, "budget-monthly", true);
    for (const amount of [daily, monthly]) if (amount !== null && typeof amount === "object") return usage(amount.error);
    if (daily === undefined && monthly === undefined) return usage("budget needs --budget-daily and/or --budget-monthly");
    call = (client) => client.call("PATCH", `/api/tokens/${encodeURIComponent(target!)}`, { budget_daily_usd: daily, budget_monthly_usd: monthly });
  } else {
    call = (client) => client.call("DELETE", `/api/tokens/${encodeURIComponent(target!)}`);
  }

  const answer = await reachDaemon(io, () => call(clientFor(parsed.values, io)));
  if (typeof answer === "number") return answer;
  if (parsed.values.json) io.out(`${JSON.stringify(answer.body, null, 2)}\n`);
  if (answer.status !== 200 && answer.status !== 201) {
    const error = answer.body as { error?: string; error_type?: string; field?: string };
    const hint = error.error_type === "unauthorized" ? " (set MEDIAGEN_TOKEN to server.token or an admin token)" : "";
    io.err(`mediagen token ${action}: ${error.error ?? `the daemon answered ${answer.status}`}${error.field ? ` (field ${error.field})` : ""}${error.error_type ? ` [${error.error_type}]` : ""}${hint}\n`);
    return exitCodeFor(error.error_type);
  }
  if (parsed.values.json) return EXIT.ok;
  if (action === "create") {
    const created = answer.body as TokenCreated;
    io.out(`${created.token}\n`);
    io.err(`Token ${created.id} for ${created.name}${created.team ? ` (team ${created.team})` : ""}, role ${created.role}. It is shown only now: give it to its owner.\n`);
  } else if (action === "list") {
    const list = answer.body as TokenList;
    if (list.items.length === 0) io.err("No tokens yet: mediagen token create --name NAME\n");
    for (const token of list.items) io.out(`${line(token)}\n`);
  } else if (action === "budget") {
    io.out(`${line(answer.body as TokenView)}\n`);
  } else {
    const revoked = answer.body as TokenView;
    io.out(`revoked ${revoked.id} (${revoked.name})\n`);
  }
  return EXIT.ok;
}
