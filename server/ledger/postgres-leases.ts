// Several daemons on one PostgreSQL database as one service: a job runs only once it holds a slot counted in the
// database (the running rows of its type with a live lease, counted under a per-type advisory lock), each unfinished
// job carries a lease its daemon renews, and a job whose lease expired is taken over by another daemon with one
// atomic UPDATE, so that it is never run twice. Times are the database's clock (ms), never a daemon's.
import type { SQL } from "bun";
import { MEDIA_TYPES, type MediaType } from "../config/schema.ts";
import type { GenerationFailure, Row, StoredResponse } from "./records.ts";
import { toGeneration } from "./records.ts";
import type { Generation } from "./schema.ts";
import type { ClaimResult, FileHolder, JobLeases, ResumeCandidate, TypeDepth } from "./store.ts";

/** The database's clock in ms, as the SQL of a bigint. */
export const NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/** Advisory lock keys: one per media type for the slot count ("mgslot" + index), one for admissions ("mgadmit"). */
const SLOT_LOCK = (type: MediaType) => 0x6d67736c6f7400n + BigInt(MEDIA_TYPES.indexOf(type));
const ADMIT_LOCK = 0x6d6761646d6974n;

/**
 * An expired lease: its daemon stopped renewing it. A negative lease_until is a job taken over only to be closed
 * (recorded interrupted): held by its new daemon until -lease_until, but holding no slot and no place in the queue.
 */
const EXPIRED = `abs(lease_until) < ${NOW_MS}`;

/** A running job holding a live lease: it fills one of its type's slots. */
const LIVE_RUNNING = `status = 'running' AND lease_until > ${NOW_MS}`;

/** The channel a daemon NOTIFYs with a type's name when it frees one of its slots. */
const SLOTS_CHANNEL = "mediagen_slots";

/** How many jobs one takeover sweep takes at most. */
const TAKEOVER_BATCH = 50;

/** Slots, leases and takeover of a PostgresLedger whose daemon is named. */
export class PostgresLeases implements JobLeases {
  constructor(
    private readonly sql: SQL,
    readonly daemon: string,
    readonly leaseMs: number,
    /** Turns a raw row into a Row (bigint columns as numbers). */
    private readonly toRow: (raw: Record<string, unknown>) => Row,
    /** The ledger's clock, for started_at (leases use the database's). */
    private readonly now: () => number = Date.now,
    /** The ledger's write that takes a queued job and records its end (see cancelQueued). */
    private readonly closeQueued: (id: string, failure: GenerationFailure, answer: StoredResponse) => Promise<boolean> = async () => false,
  ) {}

  /** Moves this daemon's queued job to running when its type has a free slot and no older live queued job waits. */
  async claim(id: string, type: MediaType, limit: number): Promise<ClaimResult> {
    return await this.sql.begin(async (tx) => {
      await tx.unsafe("SELECT pg_advisory_xact_lock($1)", [SLOT_LOCK(type)]);
      const [row] = (await tx.unsafe(
        `SELECT (SELECT count(*) FROM generations WHERE type = $1 AND ${LIVE_RUNNING})::int AS running,
           (SELECT id FROM generations WHERE type = $1 AND status = 'queued' AND lease_until > ${NOW_MS} ORDER BY seq LIMIT 1) AS head,
           (SELECT status = 'queued' AND daemon = $2 FROM generations WHERE id = $3) AS mine`,
        [type, this.daemon, id],
      )) as { running: number; head: string | null; mine: boolean | null }[];
      if (!row?.mine) return "lost";
      // An expired queued job of this daemon (a renewal came late) is still its own: it may run once it is the head.
      if (row.running >= limit || (row.head !== null && row.head !== id)) return "wait";
      const moved = (await tx.unsafe(
        `UPDATE generations SET status = 'running', started_at = $4, lease_until = ${NOW_MS} + $3
         WHERE id = $1 AND daemon = $2 AND status = 'queued'`,
        [id, this.daemon, BigInt(this.leaseMs), BigInt(this.now())],
      )) as unknown as { count: number | null };
      return (moved.count ?? 0) > 0 ? "claimed" : "lost";
    });
  }

  /**
   * Gives this daemon's resumed job `id` (running at its provider since before a restart) a slot when fewer than `limit`
   * live running jobs of its type fill them, not counting `waiting`: this daemon's resumed jobs still waiting for a slot
   * (`id` among them), whose rows say running and hold renewed leases but no slot. Other daemons count those as
   * running meanwhile, so they wait too: safe, and resumed jobs are older than any job queued since.
   */
  async claimResumed(id: string, type: MediaType, limit: number, waiting: readonly string[]): Promise<ClaimResult> {
    return await this.sql.begin(async (tx) => {
      await tx.unsafe("SELECT pg_advisory_xact_lock($1)", [SLOT_LOCK(type)]);
      const [row] = (await tx.unsafe(
        `SELECT (SELECT count(*) FROM generations WHERE type = $1 AND ${LIVE_RUNNING}
                   AND id NOT IN (SELECT jsonb_array_elements_text($4::text::jsonb)))::int AS running,
           (SELECT status = 'running' AND daemon = $2 FROM generations WHERE id = $3) AS mine`,
        [type, this.daemon, id, JSON.stringify([...new Set([id, ...waiting])])],
      )) as { running: number; mine: boolean | null }[];
      if (!row?.mine) return "lost";
      if (row.running >= limit) return "wait";
      const renewed = (await tx.unsafe(`UPDATE generations SET lease_until = ${NOW_MS} + $3 WHERE id = $1 AND daemon = $2 AND status = 'running'`, [
        id,
        this.daemon,
        BigInt(this.leaseMs),
      ])) as unknown as { count: number | null };
      return (renewed.count ?? 0) > 0 ? "claimed" : "lost";
    });
  }

  /** Extends the leases of this daemon's unfinished jobs among `ids`; resolves to those another daemon took over. */
  async renew(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = (await this.sql.unsafe(
      `WITH renewed AS (
         UPDATE generations SET lease_until = ${NOW_MS} + $3
         WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) AND daemon = $2 AND status IN ('queued', 'running'))
       SELECT id FROM generations WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) AND daemon IS DISTINCT FROM $2`,
      [JSON.stringify(ids), this.daemon, BigInt(this.leaseMs)],
    )) as { id: string }[];
    return rows.map((row) => row.id);
  }

  /**
   * Takes over unfinished jobs whose lease expired. A running job with a provider operation is taken only while its
   * type has a free slot (it will be resumed and fill it); the others are taken to be closed as interrupted.
   */
  async takeOver(limits: Record<MediaType, number>, canResume: (job: ResumeCandidate) => boolean = () => true): Promise<Generation[]> {
    const rows = await this.sql.begin(async (tx) => {
      // Jobs with an operation last: those to close never wait behind resumable ones that wait for a slot.
      const expired = (await tx.unsafe(
        `SELECT id, type, status, operation_id, provider, model FROM generations
         WHERE status IN ('queued', 'running') AND ${EXPIRED}
         ORDER BY (status = 'running' AND operation_id IS NOT NULL), seq LIMIT ${TAKEOVER_BATCH} FOR UPDATE SKIP LOCKED`,
      )) as (ResumeCandidate & { id: string; status: string; operation_id: string | null })[];
      if (expired.length === 0) return [];
      const taken: string[] = [];
      const resumed: string[] = [];
      const resumes = (row: (typeof expired)[number]) => row.status === "running" && row.operation_id !== null && canResume(row);
      for (const type of MEDIA_TYPES) {
        const ofType = expired.filter((row) => row.type === type);
        if (ofType.length === 0) continue;
        const resumable = ofType.filter(resumes);
        let free = 0;
        if (resumable.length > 0) {
          await tx.unsafe("SELECT pg_advisory_xact_lock($1)", [SLOT_LOCK(type)]);
          const [count] = (await tx.unsafe(`SELECT count(*)::int AS running FROM generations WHERE type = $1 AND ${LIVE_RUNNING}`, [type])) as { running: number }[];
          free = Math.max(0, limits[type] - (count?.running ?? 0));
        }
        for (const row of ofType) {
          if (resumes(row)) {
            if (free === 0) continue;
            free--;
            resumed.push(row.id);
          }
          taken.push(row.id);
        }
      }
      if (taken.length === 0) return [];
      // Atomic: a row whose lease was renewed (or taken by another daemon) since the SELECT is not matched again. Only
      // a job to be resumed gets a live lease (it fills a slot); the others, to be closed as interrupted, run nowhere:
      // their negative lease keeps them this daemon's while their end is written, without a slot or a place in the queue.
      return (await tx.unsafe(
        `UPDATE generations SET daemon = $2,
           lease_until = CASE WHEN id IN (SELECT jsonb_array_elements_text($4::text::jsonb)) THEN ${NOW_MS} + $3 ELSE -(${NOW_MS} + $3) END
         WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) AND status IN ('queued', 'running') AND ${EXPIRED}
         RETURNING *`,
        [JSON.stringify(taken), this.daemon, BigInt(this.leaseMs), JSON.stringify(resumed)],
      )) as Record<string, unknown>[];
    });
    return rows.map((raw) => this.toRow(raw)).sort((a, b) => a.seq - b.seq).map(toGeneration);
  }

  /**
   * Takes a queued job from whichever daemon queued it and records it ended (`failure`, with `answer` stored for
   * replays and waiting callers) in one statement; that daemon lets go at its next claim. False once it is not queued.
   */
  cancelQueued(id: string, failure: GenerationFailure, answer: StoredResponse): Promise<boolean> {
    return this.closeQueued(id, failure, answer);
  }

  /** Records (or refreshes) the address other daemons reach this one at, with the time it was last seen. */
  async announce(url: string): Promise<void> {
    await this.sql.unsafe(
      `INSERT INTO daemons (name, url, seen_at) VALUES ($1, $2, ${NOW_MS})
       ON CONFLICT (name) DO UPDATE SET url = excluded.url, seen_at = excluded.seen_at`,
      [this.daemon, url],
    );
  }

  /** The daemons other than this one that made (and keep the files of) these generations, with their addresses. */
  async holders(ids: readonly string[]): Promise<Map<string, FileHolder>> {
    if (ids.length === 0) return new Map();
    const rows = (await this.sql.unsafe(
      `SELECT g.id, g.daemon, d.url, d.seen_at FROM generations g LEFT JOIN daemons d ON d.name = g.daemon
       WHERE g.id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) AND g.daemon IS NOT NULL AND g.daemon <> $2`,
      [JSON.stringify(ids), this.daemon],
    )) as { id: string; daemon: string; url: string | null; seen_at: bigint | number | null }[];
    return new Map(rows.map((row) => [row.id, { daemon: row.daemon, url: row.url, seenAt: row.seen_at === null ? null : Number(row.seen_at) }]));
  }

  /** Every daemon's unfinished jobs holding live leases, oldest first (at most `limit`), in one query. */
  async liveRows(limit: number): Promise<Generation[]> {
    const rows = (await this.sql.unsafe(
      `SELECT * FROM generations WHERE status IN ('queued', 'running') AND lease_until > ${NOW_MS} ORDER BY seq LIMIT $1`,
      [limit],
    )) as Record<string, unknown>[];
    return rows.map((raw) => toGeneration(this.toRow(raw)));
  }

  /** The jobs of `type` holding live leases on every daemon: running (slots taken) and queued (the shared queue). */
  async depth(type: MediaType): Promise<TypeDepth> {
    const [row] = (await this.sql.unsafe(
      `SELECT count(*) FILTER (WHERE status = 'running')::int AS running, count(*) FILTER (WHERE status = 'queued')::int AS queued
       FROM generations WHERE type = $1 AND status IN ('queued', 'running') AND lease_until > ${NOW_MS}`,
      [type],
    )) as TypeDepth[];
    return { running: row?.running ?? 0, queued: row?.queued ?? 0 };
  }

  /** NOTIFYs the other daemons that a `type` slot is free, so that a waiting one claims it without waiting for its next poll. */
  freed(type: MediaType): void {
    this.sql.notify(SLOTS_CHANNEL, type).catch(() => {
      // the waiting daemons poll as well
    });
  }

  /** LISTENs for freed slots (Bun's client keeps one dedicated connection and re-subscribes after a drop). */
  async onFreed(listener: (type: MediaType) => void): Promise<() => Promise<void>> {
    const subscription = await this.sql.listen(SLOTS_CHANNEL, (payload) => {
      if ((MEDIA_TYPES as readonly string[]).includes(payload)) listener(payload as MediaType);
    });
    return () => subscription.unlisten();
  }

  /** Runs `step` holding the admission lock in a transaction of its own (step's queries use other connections). */
  async admit<T>(step: () => Promise<T>): Promise<T> {
    return await this.sql.begin(async (tx) => {
      await tx.unsafe("SELECT pg_advisory_xact_lock($1)", [ADMIT_LOCK]);
      return await step();
    });
  }
}
