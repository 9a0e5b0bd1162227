// The portable ledger file of `mediagen export` / `import`: NDJSON, one JSON object a line. The first line is the
// header (format name and version, the source's backend and schema version, when, whether tokens are in it), then one
// line per generations row ({"generation": {...}}) and per token ({"token": {...}}), in the source's order, and a last
// line counting them ({"end": {...}}), so that a truncated file is told apart from a complete one. Rows carry every
// column the ledger keeps for a job, exactly as stored (times in ms since the epoch, JSON columns as their text).
import { z } from "zod";
import { CostSource, Door, GenerationStatus } from "../ledger/schema.ts";
import { MediaType } from "../config/schema.ts";

/** The `format` field of the header line. */
export const FORMAT_NAME = "mediagen-ledger";
/** The version of the file format this binary writes and the newest it reads. */
export const FORMAT_VERSION = 1;

const text = z.string();
const maybeText = z.string().nullable();
const maybeNumber = z.number().nullable();
const maybeInteger = z.number().int().nullable();

/** One generations row as the file carries it: every column both engines keep, without `seq` (a database's own order). */
export const GenerationLine = z
  .object({
    id: text.min(1),
    type: MediaType,
    status: GenerationStatus.exclude(["refused"]),
    model: text,
    model_name: maybeText,
    provider: text,
    prompt: text,
    params: text,
    output_path: maybeText,
    mime_type: maybeText,
    bytes: maybeInteger,
    width: maybeInteger,
    height: maybeInteger,
    duration_seconds: maybeNumber,
    thumbnail: maybeText,
    thumbnail_error: maybeText,
    usage: maybeText,
    cost_usd: maybeNumber,
    cost_source: CostSource,
    cost_unit: maybeText,
    cost_quantity: maybeNumber,
    cost_unit_price: maybeNumber,
    cost_breakdown: maybeText,
    cost_note: maybeText,
    estimated_cost_usd: maybeNumber,
    error: maybeText,
    error_type: maybeText,
    upstream_status: maybeInteger,
    created_at: z.number().int(),
    started_at: maybeInteger,
    finished_at: maybeInteger,
    latency_ms: maybeInteger,
    session_id: maybeText,
    client: maybeText,
    door: Door,
    refusal_count: maybeInteger,
    token_id: maybeText,
    owner: maybeText,
    team: maybeText,
    operation_id: maybeText,
    progress: maybeNumber,
    attempts: text,
    idempotency_key: maybeText,
    request_hash: maybeText,
    response: maybeText,
    response_status: maybeInteger,
  })
  .strict();
export type GenerationLine = z.infer<typeof GenerationLine>;

/** The generations columns a file carries, in the order written. */
export const GENERATION_COLUMNS = Object.keys(GenerationLine.shape) as (keyof GenerationLine)[];

/** Columns holding whole numbers (PostgreSQL bigint or integer). */
export const INTEGER_COLUMNS: ReadonlySet<string> = new Set(
  GENERATION_COLUMNS.filter((column) => ["bytes", "width", "height", "upstream_status", "created_at", "started_at", "finished_at", "latency_ms", "refusal_count", "response_status"].includes(column)),
);
/** Columns holding other numbers (double precision / REAL). */
export const REAL_COLUMNS: ReadonlySet<string> = new Set(["duration_seconds", "cost_usd", "cost_quantity", "cost_unit_price", "estimated_cost_usd", "progress"]);

/** One token as the file carries it: its hash and prefix only (the secret is never stored anywhere). */
export const TokenLine = z
  .object({
    id: text.min(1),
    name: text.min(1),
    team: maybeText,
    role: z.enum(["member", "admin"]),
    prefix: text,
    hash: text.regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hash (64 hex digits)"),
    budget_daily_usd: maybeNumber,
    budget_monthly_usd: maybeNumber,
    created_at: z.number().int(),
    revoked_at: maybeInteger,
  })
  .strict();
export type TokenLine = z.infer<typeof TokenLine>;

/** The token columns a file carries, in the order written. */
export const TOKEN_COLUMNS = Object.keys(TokenLine.shape) as (keyof TokenLine)[];

/** The first line of a ledger file. */
export const Header = z.object({
  format: z.literal(FORMAT_NAME),
  version: z.number().int().min(1),
  /** The database the rows came from: its engine and its schema version (each engine numbers its own migrations). */
  source: z.object({ backend: z.enum(["sqlite", "postgres"]), schema_version: z.number().int() }),
  exported_at: z.string(),
  with_tokens: z.boolean(),
});
export type Header = z.infer<typeof Header>;

/** The last line of a ledger file: how many rows of each kind precede it. */
export const Trailer = z.object({ generations: z.number().int().min(0), tokens: z.number().int().min(0) });
export type Trailer = z.infer<typeof Trailer>;

/** One line after the header. */
export type Entry = { generation: GenerationLine } | { token: TokenLine } | { end: Trailer };

/** A row read from a database, with numbers as numbers (PostgreSQL gives bigint columns as strings). */
export function normalizeGeneration(raw: Record<string, unknown>): GenerationLine {
  const row: Record<string, unknown> = {};
  for (const column of GENERATION_COLUMNS) {
    const value = raw[column] ?? null;
    row[column] = value !== null && (INTEGER_COLUMNS.has(column) || REAL_COLUMNS.has(column)) ? Number(value) : value;
  }
  return row as GenerationLine;
}

/** A token row read from a database, with numbers as numbers. */
export function normalizeToken(raw: Record<string, unknown>): TokenLine {
  const row: Record<string, unknown> = {};
  for (const column of TOKEN_COLUMNS) {
    const value = raw[column] ?? null;
    row[column] = value !== null && ["budget_daily_usd", "budget_monthly_usd", "created_at", "revoked_at"].includes(column) ? Number(value) : value;
  }
  return row as TokenLine;
}

/** Whether two rows hold the same values in every column the file carries. */
export function sameRow<T extends Record<string, unknown>>(a: T, b: T, columns: readonly (keyof T)[]): boolean {
  return columns.every((column) => a[column] === b[column]);
}

/** A bad line of a ledger file: which line and what is wrong with it. */
export class LedgerFileError extends Error {
  override name = "LedgerFileError";
}

/** Parses one line after the header; throws LedgerFileError naming the line and the field. */
export function parseEntry(line: string, lineNumber: number): Entry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new LedgerFileError(`line ${lineNumber}: not JSON`);
  }
  const record = value as Record<string, unknown>;
  const kind = value && typeof value === "object" ? Object.keys(record) : [];
  const schema = kind.length === 1 ? { generation: GenerationLine, token: TokenLine, end: Trailer }[kind[0]!] : undefined;
  if (!schema) throw new LedgerFileError(`line ${lineNumber}: expected one of {"generation": ...}, {"token": ...}, {"end": ...}`);
  const parsed = schema.safeParse(record[kind[0]!]);
  if (!parsed.success) throw new LedgerFileError(`line ${lineNumber}: ${kind[0]}.${describeIssue(parsed.error)}`);
  return { [kind[0]!]: parsed.data } as Entry;
}

/** Parses the header line; throws LedgerFileError for another format or a newer version. */
export function parseHeader(line: string | undefined): Header {
  if (line === undefined) throw new LedgerFileError("the file is empty (expected a mediagen ledger export)");
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new LedgerFileError("line 1: not JSON (expected the header of a mediagen ledger export)");
  }
  const parsed = Header.safeParse(value);
  if (!parsed.success) throw new LedgerFileError(`line 1: not a mediagen ledger export header: ${describeIssue(parsed.error)}`);
  if (parsed.data.version > FORMAT_VERSION) {
    throw new LedgerFileError(`line 1: format version ${parsed.data.version} is newer than this mediagen reads (${FORMAT_VERSION}); upgrade mediagen`);
  }
  return parsed.data;
}

/** "field: message" of a zod error's first issue. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join(".") || "(value)"}: ${issue.message}`;
}
