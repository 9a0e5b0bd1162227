// Several daemons on one PostgreSQL database: this daemon renews the leases of the jobs it holds, lets go of those
// another daemon took over, and takes over (resumes or closes) the jobs of a daemon whose leases expired.
import { MEDIA_TYPES, type MediaType } from "../config/schema.ts";
import { LEASE_RENEW_FRACTION } from "../defaults.ts";
import type { JobLeases } from "../ledger/store.ts";
import type { Provider } from "../providers/types.ts";
import type { Jobs } from "./jobs.ts";
import { canResume, settleJobs } from "./recovery.ts";
import type { RunnerDeps } from "./runner.ts";

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Renews this daemon's leases and takes over expired ones, every LEASE_RENEW_FRACTION of a lease; listens for freed slots. */
export class LeaseKeeper {
  private timer?: ReturnType<typeof setInterval>;
  private ticking = false;
  private unlisten?: Promise<() => Promise<void>>;

  constructor(
    private readonly leases: JobLeases,
    private readonly deps: RunnerDeps,
    private readonly jobs: Jobs,
    private readonly providers: Partial<Record<string, Provider>>,
  ) {}

  /** Starts the periodic renewal and takeover. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), Math.max(500, Math.round(this.leases.leaseMs * LEASE_RENEW_FRACTION)));
    this.timer.unref?.();
    // Woken when another daemon frees a slot; the queue's own polling covers a lost notification.
    this.unlisten = this.leases.onFreed((type) => this.jobs.wake(type));
    this.unlisten.catch((error: unknown) => this.deps.log.warn(`slot notifications unavailable (queued jobs poll instead): ${message(error)}`));
  }

  /** Stops renewing (at shutdown: what is left running expires and is taken over, or resumed at the next start). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    void this.unlisten?.then((unlisten) => unlisten()).catch(() => {});
    this.unlisten = undefined;
  }

  /** One round: renew, let go of what was lost, take over what expired; never throws. Resolves to how many were taken over. */
  async tick(): Promise<number> {
    if (this.ticking) return 0;
    this.ticking = true;
    try {
      for (const id of await this.leases.renew(this.jobs.ids())) this.jobs.lose(id);
      if (this.jobs.closing) return 0;
      const config = this.deps.config.get();
      const limits = Object.fromEntries(MEDIA_TYPES.map((type) => [type, config.jobs[type].concurrency])) as Record<MediaType, number>;
      // Only what this daemon can resume takes a slot; the rest is taken to be closed.
      const rows = await this.leases.takeOver(limits, (job) => canResume(config.models, this.providers, job));
      if (rows.length === 0) return 0;
      const settled = await settleJobs(this.deps, this.jobs, this.providers, rows, "The daemon running this job stopped renewing its lease", this.leases.leaseMs);
      this.deps.log.info(`took over ${rows.length} job(s) whose daemon stopped renewing their leases: ${settled.resumed} resumed, ${settled.interrupted} recorded as interrupted`);
      return rows.length;
    } catch (error) {
      this.deps.log.error(`job leases could not be renewed or taken over: ${message(error)}`);
      return 0;
    } finally {
      this.ticking = false;
    }
  }
}
