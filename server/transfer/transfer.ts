// Export and import as plain functions over a source, a sink and a target: no flags, no console, no process exit
// (server/transfer/command.ts does those). Both stream: an export holds one page of rows, an import one batch.
import type { LedgerSource, LedgerTarget } from "./databases.ts";
import { FORMAT_NAME, FORMAT_VERSION, LedgerFileError, parseEntry, parseHeader, type Entry, type GenerationLine, type Header, type TokenLine, type Trailer } from "./format.ts";

/** Rows written per transaction while importing. */
export const IMPORT_BATCH_ROWS = 500;
/** Conflicting ids kept for the summary (all are counted). */
export const MAX_LISTED_CONFLICTS = 50;

/** What an export wrote. */
export type ExportCounts = Trailer;

/** Writes the source's ledger as NDJSON through `write` (awaited, so a slow reader holds the export back). */
export async function exportLedger(source: LedgerSource, write: (chunk: string) => Promise<void>, options: { withTokens: boolean; now?: number }): Promise<ExportCounts> {
  const header: Header = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    source: { backend: source.backend, schema_version: source.schemaVersion },
    exported_at: new Date(options.now ?? Date.now()).toISOString(),
    with_tokens: options.withTokens,
  };
  await write(`${JSON.stringify(header)}\n`);
  const counts: ExportCounts = { generations: 0, tokens: 0 };
  let chunk = "";
  for await (const generation of source.generations()) {
    chunk += `${JSON.stringify({ generation })}\n`;
    if (++counts.generations % 200 === 0) {
      await write(chunk);
      chunk = "";
    }
  }
  if (options.withTokens) {
    for await (const token of source.tokens()) {
      chunk += `${JSON.stringify({ token })}\n`;
      counts.tokens++;
    }
  }
  await write(`${chunk}${JSON.stringify({ end: counts })}\n`);
  return counts;
}

/** The lines of a byte stream, decoded as UTF-8, one at a time. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const bytes of stream) {
    pending += decoder.decode(bytes, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  if (pending !== "") yield pending;
}

/** What an import reads: the rows, and whether they must end with the trailer line (a file) or not (a database). */
export interface ImportInput {
  entries: AsyncIterable<Entry>;
  expectTrailer: boolean;
}

/** A ledger file's header, and its entries (checked line by line as they are read). */
export async function readLedgerFile(stream: ReadableStream<Uint8Array>): Promise<{ header: Header; input: ImportInput }> {
  const iterator = lines(stream)[Symbol.asyncIterator]();
  const first = await iterator.next();
  const header = parseHeader(first.done ? undefined : first.value);
  async function* entries(): AsyncGenerator<Entry> {
    let lineNumber = 1;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      lineNumber++;
      if (next.value.trim() === "") continue;
      yield parseEntry(next.value, lineNumber);
    }
  }
  return { header, input: { entries: entries(), expectTrailer: true } };
}

/** A database's rows as import entries (tokens only when asked). */
export async function* sourceEntries(source: LedgerSource, withTokens: boolean): AsyncGenerator<Entry> {
  for await (const generation of source.generations()) yield { generation };
  if (withTokens) for await (const token of source.tokens()) yield { token };
}

/** Counts of one kind of row. */
export interface RowCounts {
  read: number;
  imported: number;
  /** Already present, identical. */
  skipped: number;
  /** Already present under the same id with different values (or, for tokens, another token's hash or name). */
  conflicts: number;
  /** The first MAX_LISTED_CONFLICTS conflicting ids. */
  conflictIds: string[];
}

/** What an import did. */
export interface ImportSummary {
  generations: RowCounts;
  tokens: RowCounts;
  /** Rows queued or running at their source, written as interrupted. */
  interrupted: number;
  /** A file's trailer was found and its counts matched (always true for a database source). */
  complete: boolean;
}

const INTERRUPTED_ERROR = "imported from another ledger while it was queued or running; it cannot run here";

/**
 * A job that was queued or running at its source, as it is imported: interrupted (no daemon here knows it). Its end
 * time stays unknown (null), so that two exports of the same ledger import as the same row.
 */
export function asImported(row: GenerationLine): GenerationLine {
  if (row.status !== "queued" && row.status !== "running") return row;
  return { ...row, status: "interrupted", error: row.error ?? INTERRUPTED_ERROR, error_type: row.error_type ?? "interrupted" };
}

const emptyCounts = (): RowCounts => ({ read: 0, imported: 0, skipped: 0, conflicts: 0, conflictIds: [] });

/**
 * Writes the entries into the target in batches of IMPORT_BATCH_ROWS, each in one transaction; `onBatch` hears the
 * running totals. Throws LedgerFileError on a bad line (the batches before it stay written: importing again is safe).
 */
export async function importLedger(input: ImportInput, target: LedgerTarget, onBatch?: (summary: ImportSummary) => void): Promise<ImportSummary> {
  const summary: ImportSummary = { generations: emptyCounts(), tokens: emptyCounts(), interrupted: 0, complete: !input.expectTrailer };
  let generations: GenerationLine[] = [];
  let tokens: TokenLine[] = [];
  const add = (counts: RowCounts, outcome: { imported: number; skipped: number; conflicts: string[] }) => {
    counts.imported += outcome.imported;
    counts.skipped += outcome.skipped;
    counts.conflicts += outcome.conflicts.length;
    counts.conflictIds.push(...outcome.conflicts.slice(0, MAX_LISTED_CONFLICTS - counts.conflictIds.length));
  };
  const flush = async () => {
    if (generations.length > 0) add(summary.generations, await target.writeGenerations(generations));
    if (tokens.length > 0) add(summary.tokens, await target.writeTokens(tokens));
    generations = [];
    tokens = [];
    onBatch?.(summary);
  };
  let trailer: Trailer | undefined;
  for await (const entry of input.entries) {
    if (trailer) throw new LedgerFileError("rows after the end line: the file was altered or two files were joined");
    if ("end" in entry) {
      trailer = entry.end;
      continue;
    }
    if ("generation" in entry) {
      const row = asImported(entry.generation);
      if (row !== entry.generation) summary.interrupted++;
      generations.push(row);
      summary.generations.read++;
    } else {
      tokens.push(entry.token);
      summary.tokens.read++;
    }
    if (generations.length + tokens.length >= IMPORT_BATCH_ROWS) await flush();
  }
  await flush();
  if (input.expectTrailer) {
    if (!trailer) throw new LedgerFileError(`the file ends without its end line after ${summary.generations.read} rows: it is truncated (the rows read were imported; import the complete file again)`);
    if (trailer.generations !== summary.generations.read || trailer.tokens !== summary.tokens.read) {
      throw new LedgerFileError(`the end line counts ${trailer.generations} generations and ${trailer.tokens} tokens but ${summary.generations.read} and ${summary.tokens.read} were read`);
    }
    summary.complete = true;
  }
  return summary;
}
