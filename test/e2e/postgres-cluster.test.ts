// Three daemons of the built executable on one PostgreSQL database as one service, under a bounded flood of mixed
// jobs spread round-robin over them, with one daemon killed (kill -9) mid-flood. The fakes are the truth: each counts
// its requests in flight (never above the type's limit, summed over every daemon) and sees one create per job; the
// ledger is sampled for running rows with a live lease; the killed daemon's jobs are taken over once their leases
// expire (Veo operations resumed, the rest recorded as interrupted); the video budget holds within one estimate.
import { SQL } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { startFakeGemini, type FakeGemini } from "../fakes/gemini.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../fakes/openai.ts";
import { tempDir } from "../helpers.ts";
import { postgresAvailable, testDatabase, type TestDatabase } from "../postgres.ts";
import { BUILD_TIMEOUT_MS, cleanEnv, poll, prepareExecutable, startDaemon, writeConfig, type Daemon } from "./daemon.ts";

const TEST_TIMEOUT_MS = 150_000;
/** Slots per type, the same in every daemon's config: the limits the whole service must hold. */
const LIMITS = { image: 3, video: 2, audio: 4 } as const;
/** Jobs in the flood, and how many requests are on the wire at once. */
const FLOOD = { image: 150, audio: 120, video: 30 } as const;
const CLIENTS = 24;
/** Leases short enough for the takeover to show within the test. */
const LEASE_SECONDS = 3;
/** The video budget (USD a day): less than the flood's videos would cost, so that some are refused. */
const VIDEO_BUDGET_USD = 40;

const available = await postgresAvailable();
const root = tempDir("mediagen-e2e-cluster-");
let binary = "";
let runDir = "";
let database: TestDatabase | undefined;
let sql: SQL;
let images: FakeOpenAI;
let speech: FakeOpenAI;
let gemini: FakeGemini;
const daemons: Daemon[] = [];

beforeAll(async () => {
  if (!available) return;
  ({ binary, runDir } = await prepareExecutable(root.path));
  database = (await testDatabase())!;
  sql = new SQL(database.url);
  images = startFakeOpenAI("sk-test-img");
  speech = startFakeOpenAI("sk-test-tts");
  gemini = startFakeGemini();
  images.slowMs = 300;
  speech.slowMs = 150;
  gemini.pendingPolls = 6;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(daemons.map((daemon) => daemon.dispose()));
  await Promise.all([images?.close(), speech?.close(), gemini?.close()]);
  await sql?.close();
  await database?.drop();
  root[Symbol.dispose]();
});

/** Starts daemon `name` on its own data folder and the shared database. */
async function launch(name: string): Promise<Daemon> {
  const dataDir = join(root.path, name);
  writeConfig(dataDir, {
    models: [
      { type: "image", provider: "openai", model: "gpt-image-1", api_key: "sk-test-img", base_url: `${images.url}/v1` },
      { type: "audio", provider: "openai", model: "tts-1", api_key: "sk-test-tts", base_url: `${speech.url}/v1` },
      { type: "video", provider: "gemini", model: "veo-3.1-generate-preview", api_key: gemini.key, base_url: gemini.url },
    ],
    jobs: Object.fromEntries(Object.entries(LIMITS).map(([type, concurrency]) => [type, { concurrency, queue: 1000 }])),
    budget: { per_type: { video: { daily_usd: VIDEO_BUDGET_USD } } },
  });
  const env = cleanEnv({ HOME: root.path, MEDIAGEN_DATABASE_URL: database!.url, MEDIAGEN_LEASE_SECONDS: String(LEASE_SECONDS), MEDIAGEN_POLL_INTERVAL_SECONDS: "0.1" });
  const daemon = await startDaemon({ cmd: [binary], cwd: runDir, dataDir, env });
  daemons.push(daemon);
  return daemon;
}

type Planned = { type: "image" | "audio" | "video"; marker: string };

/** The request body of a planned job (the marker makes its prompt unique; "[[fake:slow]]" makes the fakes take their time). */
function body(job: Planned, outDir: string): Record<string, unknown> {
  if (job.type === "audio") return { input: `[[fake:slow]] Speech ${job.marker}.`, voice: "nova", output_dir: outDir, async: true };
  if (job.type === "video") return { prompt: `A slow pan ${job.marker}`, duration_seconds: 4, output_dir: outDir, async: true };
  return { prompt: `[[fake:slow]] A lighthouse ${job.marker}`, output_dir: outDir, async: true };
}

const PATHS = { image: "/api/media/image", audio: "/api/media/audio/speech", video: "/api/media/video" } as const;

describe.skipIf(!available)("three daemons on one PostgreSQL database", () => {
  test(
    "a flood spread over them holds the global limits, runs no job twice, and survives a kill -9 of one",
    async () => {
      const cluster = await Promise.all(["a", "b", "c"].map(launch));
      const victim = cluster[2]!;
      const victimName = `${hostname()}:${victim.dataDir}`;
      const outDir = join(root.path, "out");
      mkdirSync(outDir, { recursive: true });

      // The plan: types interleaved, each job with its own marker.
      const plan: Planned[] = [];
      const counts = { ...FLOOD };
      for (let i = 0; plan.length < FLOOD.image + FLOOD.audio + FLOOD.video; i++) {
        const type = (["image", "audio", "video"] as const)[i % 3]!;
        if (counts[type]-- > 0) plan.push({ type, marker: `j${plan.length}x` });
      }

      // The ledger sampled every 50 ms: running rows holding a live lease, per type.
      const seen = { image: 0, video: 0, audio: 0 };
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const rows = await sql`SELECT type, count(*)::int AS n FROM generations
            WHERE status = 'running' AND lease_until > (extract(epoch FROM clock_timestamp()) * 1000)::bigint GROUP BY type`;
          for (const row of rows as { type: keyof typeof seen; n: number }[]) seen[row.type] = Math.max(seen[row.type], row.n);
          await Bun.sleep(50);
        }
      })();

      // Clients round-robin over the daemons still up; the victim is killed once a third of the flood is accepted.
      const started = performance.now();
      const accepted = new Map<string, Planned>();
      const refused: string[] = [];
      const lost: Planned[] = [];
      let next = 0;
      let killedAt = 0;
      let victimHeld = 0;
      let victimOperations: string[] = [];
      const up = () => (killedAt ? cluster.slice(0, 2) : cluster);
      const client = async (n: number) => {
        for (let i = n; next < plan.length; i++) {
          const job = plan[next++]!;
          const targets = up();
          const daemon = targets[i % targets.length]!;
          try {
            const response = await fetch(`${daemon.url}${PATHS[job.type]}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body(job, outDir)) });
            const answer = (await response.json()) as Record<string, any>;
            if (response.status === 202) accepted.set(String(answer.id), job);
            else refused.push(String(answer.error_type));
          } catch {
            // The victim died with this request on the wire: never accepted (the client may retry elsewhere).
            lost.push(job);
          }
          if (!killedAt && accepted.size >= plan.length / 3) {
            killedAt = performance.now();
            const [row] = await sql`SELECT count(*)::int AS n FROM generations WHERE daemon = ${victimName} AND status IN ('queued', 'running')`;
            victimHeld = (row as { n: number }).n;
            victim.proc.kill("SIGKILL");
            const polled = await sql`SELECT id FROM generations WHERE daemon = ${victimName} AND status = 'running' AND operation_id IS NOT NULL`;
            victimOperations = (polled as { id: string }[]).map((r) => r.id);
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
      const floodSeconds = (performance.now() - started) / 1000;
      expect(killedAt).toBeGreaterThan(0);
      expect(victimHeld).toBeGreaterThan(0);
      await victim.waitExit(15_000);
      expect(victim.proc.signalCode).toBe("SIGKILL");

      // The victim's jobs change hands once their leases expire (a Veo job only once a video slot is free).
      let firstTakeoverMs = 0;
      const takeoverMs = await poll(
        async () => {
          const [row] = await sql`SELECT count(*)::int AS n FROM generations WHERE daemon = ${victimName} AND status IN ('queued', 'running')`;
          const left = (row as { n: number }).n;
          if (!firstTakeoverMs && left < victimHeld) firstTakeoverMs = performance.now() - killedAt;
          return left === 0 ? performance.now() - killedAt : undefined;
        },
        60_000,
        "the killed daemon's jobs to be taken over",
        50,
      );
      // Every accepted job ends (or, for Veo, is resumed elsewhere and then ends).
      await poll(
        async () => {
          const [row] = await sql`SELECT count(*)::int AS n FROM generations WHERE status IN ('queued', 'running')`;
          return (row as { n: number }).n === 0 ? true : undefined;
        },
        90_000,
        "every job to end",
        200,
      );
      sampling = false;
      await sampler;
      const totalSeconds = (performance.now() - started) / 1000;

      // Ledger rows = accepted jobs (refusals are rows of their own, marked by refusal_count).
      const rows = (await sql`SELECT id, type, status, daemon, estimated_cost_usd, cost_usd, cost_note, prompt FROM generations WHERE refusal_count IS NULL`) as Record<string, any>[];
      // The only others are requests the victim recorded but died before answering (the client saw its connection drop).
      const ids = new Set(rows.map((row) => row.id));
      for (const id of accepted.keys()) expect(ids.has(id)).toBe(true);
      const unanswered = rows.filter((row) => !accepted.has(row.id));
      const lostMarkers = new Set(lost.map((job) => job.marker));
      for (const row of unanswered) expect(lostMarkers.has(/j\d+x/.exec(row.prompt)![0])).toBe(true);
      expect(rows.length).toBe(accepted.size + unanswered.length);
      // Every job answered: succeeded, or interrupted by the kill (only the victim's, and no more than it held).
      const byStatus: Record<string, number> = {};
      for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
      // On a failure, the daemons' errors say why.
      const failures = rows.filter((row) => row.status !== "succeeded" && row.status !== "interrupted");
      if (failures.length) for (const d of cluster) console.log(`${d.stdout()}${d.stderr()}`.split("\n").filter((l) => /ERROR|WARN|unexpected/.test(l)).slice(0, 8).join("\n"));
      expect(Object.keys(byStatus).every((status) => status === "succeeded" || status === "interrupted")).toBe(true);
      expect(byStatus.interrupted ?? 0).toBeLessThanOrEqual(victimHeld);
      const answers = await Promise.all(
        [...accepted.keys()].slice(0, 40).map(async (id) => (await (await fetch(`${cluster[id.charCodeAt(id.length - 1) % 2]!.url}/api/media/jobs/${id}`)).json()) as Record<string, any>),
      );
      for (const view of answers) expect(view.result ?? view.error).toBeDefined();

      // The fakes are the truth: never more requests in flight than the type's limit, and one create per job.
      expect(images.maxInFlight).toBeLessThanOrEqual(LIMITS.image);
      expect(speech.maxInFlight).toBeLessThanOrEqual(LIMITS.audio);
      for (const type of ["image", "video", "audio"] as const) expect(seen[type]).toBeLessThanOrEqual(LIMITS[type]);
      const creates = new Map<string, number>();
      const count = (text: string) => {
        const marker = /j\d+x/.exec(text)?.[0];
        if (marker) creates.set(marker, (creates.get(marker) ?? 0) + 1);
      };
      for (const r of images.requests) if (r.path === "/v1/images/generations") count(JSON.stringify(r.body));
      for (const r of speech.requests) if (r.path === "/v1/audio/speech") count(JSON.stringify(r.body));
      for (const r of gemini.requests) if (r.path.endsWith(":predictLongRunning")) count(JSON.stringify(r.body));
      expect([...creates.values()].every((n) => n === 1)).toBe(true);
      // Every job that succeeded was created at its provider.
      for (const row of rows.filter((r) => r.status === "succeeded")) expect(creates.get(/j\d+x/.exec(row.prompt)![0])).toBe(1);

      // The video budget: what the videos cost stays within the limit plus one in-flight estimate; some were refused.
      const videos = rows.filter((row) => row.type === "video");
      const spent = videos.reduce((sum, row) => sum + Number(row.cost_usd ?? row.estimated_cost_usd ?? 0), 0);
      const estimate = Math.max(...videos.map((row) => Number(row.estimated_cost_usd ?? 0)));
      expect(spent).toBeLessThanOrEqual(VIDEO_BUDGET_USD + estimate + 1e-9);
      expect(refused.filter((type) => type === "budget_exceeded").length).toBeGreaterThan(0);
      // Veo jobs the victim was polling at its death: resumed by another daemon, none submitted again (checked above).
      const resumed = rows.filter((row) => victimOperations.includes(row.id) && row.status === "succeeded").length;

      console.log(
        [
          `cluster e2e: ${plan.length} jobs planned, ${accepted.size} accepted, ${refused.length} refused (${refused.filter((t) => t === "budget_exceeded").length} by the video budget), ${lost.length} lost on the killed daemon's wire (${unanswered.length} of them recorded)`,
          `flood sent in ${floodSeconds.toFixed(1)} s, all ended after ${totalSeconds.toFixed(1)} s; statuses ${JSON.stringify(byStatus)}`,
          `max in flight at the fakes: image ${images.maxInFlight}/${LIMITS.image}, audio ${speech.maxInFlight}/${LIMITS.audio}; ledger running with live lease: ${JSON.stringify(seen)}`,
          `killed daemon held ${victimHeld} unfinished job(s); first taken over ${(firstTakeoverMs / 1000).toFixed(1)} s and all ${(takeoverMs / 1000).toFixed(1)} s after kill -9 (lease ${LEASE_SECONDS} s); video spend $${spent.toFixed(2)} of $${VIDEO_BUDGET_USD} (estimate $${estimate.toFixed(2)}); ${resumed} of the ${victimOperations.length} Veo operation(s) it was polling resumed elsewhere and succeeded`,
        ].join("\n"),
      );
    },
    TEST_TIMEOUT_MS,
  );
});
