// Reading a ledger's rows out of SQLite or PostgreSQL page by page (never the whole table in memory), and writing
// rows into one in batches, each batch in one transaction: a row whose id is already there is skipped when it is the
// same row, and reported as a conflict (never overwritten) when it differs.
import { SQL } from "bun";
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { MIGRATIONS } from "../ledger/database.ts";
import { pgSchemaVersion } from "../ledger/postgres-schema.ts";
import { maskSecret, migrateStorage, type StorageTarget } from "../storage.ts";
import { GENERATION_COLUMNS, normalizeGeneration, normalizeToken, sameRow, TOKEN_COLUMNS, type GenerationLine, type TokenLine } from "./format.ts";

/** Rows read per query while exporting. */
export const EXPORT_PAGE_ROWS = 1000;

/** A ledger being read: its schema version and its rows, oldest first. */
export interface LedgerSource {
  backend: "sqlite" | "postgres";
  schemaVersion: number;
  generations(): AsyncIterable<GenerationLine>;
  tokens(): AsyncIterable<TokenLine>;
  close(): Promise<void>;
}

/** What one batch of writes did. */
export interface BatchOutcome {
  imported: number;
  skipped: number;
  /** Ids already holding a different row. */
  conflicts: string[];
}

/** A ledger being written. */
export interface LedgerTarget {
  /** Writes a batch of generations in one transaction. */
  writeGenerations(rows: GenerationLine[]): Promise<BatchOutcome>;
  /** Writes tokens in one transaction (a token whose id, hash or active name is taken by another is a conflict). */
  writeTokens(rows: TokenLine[]): Promise<BatchOutcome>;
  close(): Promise<void>;
}

/** `sqlite:PATH` or a postgres:// URL as a storage target; undefined for anything else. */
export function parseLocation(text: string): StorageTarget | undefined {
  if (text.startsWith("sqlite:") && text.length > "sqlite:".length) return { backend: "sqlite", path: text.slice("sqlite:".length) };
  if (/^postgres(ql)?:\/\/./.test(text) && URL.canParse(text)) return { backend: "postgres", url: text };
  return undefined;
}

/** A database error's message with the URL's password masked. */
export function databaseMessage(error: unknown, target: StorageTarget): string {
  const message = error instanceof Error ? error.message : String(error);
  return target.backend === "postgres" ? maskSecret(message, target.url) : message;
}

const generationList = GENERATION_COLUMNS.join(", ");
const tokenList = TOKEN_COLUMNS.join(", ");

/**
 * Opens a ledger for reading. A SQLite file at an older schema is migrated first (as a daemon's start would); one at
 * the current schema is opened read-only, so a running daemon may keep it. Rows are those present when reading began.
 */
export async function openSource(target: StorageTarget): Promise<LedgerSource> {
  if (target.backend === "sqlite") {
    if (!existsSync(target.path)) throw new Error(`no ledger at ${target.path}`);
    const probe = new Database(target.path, { readonly: true });
    const { user_version: version } = probe.query<{ user_version: number }, []>("PRAGMA user_version").get()!;
    probe.close();
    if (version > MIGRATIONS.length) throw new Error(`the ledger's schema version ${version} is newer than this mediagen (${MIGRATIONS.length}); upgrade mediagen`);
    if (version < MIGRATIONS.length) await migrateStorage(target);
    const db = new Database(target.path, { readonly: true });
    db.exec("PRAGMA busy_timeout = 5000");
    const last = (table: string) => db.query<{ last: number | null }, []>(`SELECT max(${table === "generations" ? "seq" : "rowid"}) AS last FROM ${table}`).get()!.last ?? 0;
    return {
      backend: "sqlite",
      schemaVersion: MIGRATIONS.length,
      async *generations() {
        const until = last("generations");
        const page = db.query<Record<string, unknown> & { seq: number }, [number, number, number]>(`SELECT seq, ${generationList} FROM generations WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`);
        for (let after = 0; ; ) {
          const rows = page.all(after, until, EXPORT_PAGE_ROWS);
          if (rows.length === 0) return;
          for (const row of rows) yield normalizeGeneration(row);
          after = rows[rows.length - 1]!.seq;
        }
      },
      async *tokens() {
        for (const row of db.query<Record<string, unknown>, []>(`SELECT ${tokenList} FROM tokens ORDER BY created_at, id`).all()) yield normalizeToken(row);
      },
      async close() {
        db.close();
      },
    };
  }
  const sql = new SQL(target.url);
  try {
    const { current } = await pgSchemaVersion(sql);
    if (current === 0) throw new Error("the database holds no mediagen ledger (schema version 0)");
    return {
      backend: "postgres",
      schemaVersion: current,
      async *generations() {
        const [top] = await sql`SELECT coalesce(max(seq), 0)::text AS last FROM generations`;
        const until = BigInt((top as { last: string }).last);
        for (let after = 0n; ; ) {
          const rows = (await sql.unsafe(`SELECT seq, ${generationList} FROM generations WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ${EXPORT_PAGE_ROWS}`, [after, until])) as Record<string, unknown>[];
          if (rows.length === 0) return;
          for (const row of rows) yield normalizeGeneration(row);
          after = BigInt(rows[rows.length - 1]!.seq as string | number);
        }
      },
      async *tokens() {
        const rows = (await sql.unsafe(`SELECT ${tokenList} FROM tokens ORDER BY created_at, id`)) as Record<string, unknown>[];
        for (const row of rows) yield normalizeToken(row);
      },
      async close() {
        await sql.close();
      },
    };
  } catch (error) {
    await sql.close();
    throw error;
  }
}

/** Opens a ledger for writing, applying its pending migrations first. */
export async function openTarget(target: StorageTarget): Promise<LedgerTarget> {
  await migrateStorage(target);
  if (target.backend === "sqlite") {
    const db = new Database(target.path, { strict: true });
    db.exec("PRAGMA busy_timeout = 5000");
    return sqliteTarget(db);
  }
  return postgresTarget(new SQL(target.url));
}

/** Splits a batch against the rows already stored under the same ids. */
function classify<T extends { id: string }>(rows: T[], existing: Map<string, T>, columns: readonly (keyof T)[], outcome: BatchOutcome): T[] {
  const fresh: T[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const stored = existing.get(row.id);
    if (stored) {
      if (sameRow(stored, row, columns)) outcome.skipped++;
      else outcome.conflicts.push(row.id);
    } else if (seen.has(row.id)) {
      outcome.conflicts.push(row.id);
    } else {
      seen.add(row.id);
      fresh.push(row);
    }
  }
  return fresh;
}

function sqliteTarget(db: Database): LedgerTarget {
  const insertGeneration = db.query<{ id: string }, Record<string, string | number | null>>(
    `INSERT INTO generations (${generationList}) VALUES (${GENERATION_COLUMNS.map((c) => `$${c}`).join(", ")}) ON CONFLICT DO NOTHING RETURNING id`,
  );
  const insertToken = db.query<{ id: string }, Record<string, string | number | null>>(
    `INSERT INTO tokens (${tokenList}) VALUES (${TOKEN_COLUMNS.map((c) => `$${c}`).join(", ")}) ON CONFLICT DO NOTHING RETURNING id`,
  );
  const stored = <T extends { id: string }>(table: string, columns: string, ids: string[], normalize: (row: Record<string, unknown>) => T) =>
    new Map(
      db
        .query<Record<string, unknown>, string[]>(`SELECT ${columns} FROM ${table} WHERE id IN (${ids.map(() => "?").join(", ")})`)
        .all(...ids)
        .map((row) => [String(row.id), normalize(row)] as const),
    );
  const write = <T extends { id: string }>(rows: T[], table: string, columns: readonly (keyof T)[], normalize: (row: Record<string, unknown>) => T, insert: typeof insertGeneration) =>
    db.transaction((): BatchOutcome => {
      const outcome: BatchOutcome = { imported: 0, skipped: 0, conflicts: [] };
      if (rows.length === 0) return outcome;
      const existing = stored(table, columns.join(", "), rows.map((row) => row.id), normalize);
      for (const row of classify(rows, existing, columns, outcome)) {
        if (insert.get(row as unknown as Record<string, string | number | null>)) outcome.imported++;
        else outcome.conflicts.push(row.id);
      }
      return outcome;
    })();
  return {
    async writeGenerations(rows) {
      return write(rows, "generations", GENERATION_COLUMNS, normalizeGeneration, insertGeneration);
    },
    async writeTokens(rows) {
      return write(rows, "tokens", TOKEN_COLUMNS, normalizeToken, insertToken);
    },
    async close() {
      db.close();
    },
  };
}

/** A value as sent to PostgreSQL: whole numbers as bigint (as the ledger binds them). */
const bind = (value: unknown) => (typeof value === "number" && Number.isSafeInteger(value) ? BigInt(value) : value);

/** PostgreSQL's SQLSTATE for a transaction cancelled to break a deadlock (a batch against a live daemon's rollup writes). */
const DEADLOCK = "40P01";

/** Runs a batch again (up to 5 times) when PostgreSQL cancelled it to break a deadlock; nothing of it was written. */
async function retryDeadlocks<T>(batch: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await batch();
    } catch (error) {
      if ((error as { errno?: unknown }).errno !== DEADLOCK || attempt === 5) throw error;
      await Bun.sleep(20 * attempt);
    }
  }
}

function postgresTarget(sql: SQL): LedgerTarget {
  const write = async <T extends { id: string }>(rows: T[], table: string, columns: readonly (keyof T)[], normalize: (row: Record<string, unknown>) => T): Promise<BatchOutcome> => {
    const outcome: BatchOutcome = { imported: 0, skipped: 0, conflicts: [] };
    if (rows.length === 0) return outcome;
    const list = columns.join(", ");
    return await retryDeadlocks(() => sql.begin(async (tx) => {
      const ids = rows.map((row) => row.id);
      const found = (await tx.unsafe(`SELECT ${list} FROM ${table} WHERE id IN (${ids.map((_, i) => `$${i + 1}`).join(", ")})`, ids)) as Record<string, unknown>[];
      const fresh = classify(rows, new Map(found.map((row) => [String(row.id), normalize(row)] as const)), columns, outcome);
      if (fresh.length === 0) return outcome;
      const values: unknown[] = [];
      const tuples = fresh.map((row) => `(${columns.map((column) => `$${values.push(bind(row[column]))}`).join(", ")})`);
      const inserted = (await tx.unsafe(`INSERT INTO ${table} (${list}) VALUES ${tuples.join(", ")} ON CONFLICT DO NOTHING RETURNING id`, values)) as { id: string }[];
      const written = new Set(inserted.map((row) => row.id));
      outcome.imported += written.size;
      // Not inserted: taken meanwhile by another writer, or (tokens) another token's hash or active name.
      for (const row of fresh) if (!written.has(row.id)) outcome.conflicts.push(row.id);
      return outcome;
    }));
  };
  return {
    writeGenerations: (rows) => write(rows, "generations", GENERATION_COLUMNS, normalizeGeneration),
    writeTokens: (rows) => write(rows, "tokens", TOKEN_COLUMNS, normalizeToken),
    async close() {
      await sql.close();
    },
  };
}
