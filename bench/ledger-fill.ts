// Fills the ledger of a stopped daemon's data directory with N realistic rows: a year of mixed types, models,
// providers, statuses, callers, people and teams, and prompt lengths (English and Chinese), written through the Ledger's own
// methods (enqueue, markRunning, addAttempt, succeed or fail, setResponse) so every index stays consistent.
// created_at comes from an injected clock; rows are written in transactions of BATCH jobs for speed.
// Run: bun bench/ledger-fill.ts DATA_DIR N [seed]
import { join } from "node:path";
import type { MediaType } from "../server/config/schema.ts";
import { openDatabase } from "../server/ledger/database.ts";
import { SqliteLedger } from "../server/ledger/ledger.ts";
import type { NewGeneration } from "../server/ledger/records.ts";
import { prng } from "../test/prng.ts";

const YEAR_MS = 365 * 24 * 3600 * 1000;
const BATCH = 5000;

const [dataDir, countArg, seedArg] = process.argv.slice(2);
if (!dataDir || !countArg) {
  console.error("usage: bun bench/ledger-fill.ts DATA_DIR N [seed]");
  process.exit(2);
}
const total = Number(countArg);

const random = prng(Number(seedArg ?? 42));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const weighted = <T>(items: readonly (readonly [T, number])[]): T => {
  let r = random() * items.reduce((sum, [, w]) => sum + w, 0);
  for (const [item, w] of items) if ((r -= w) < 0) return item;
  return items.at(-1)![0];
};

interface ModelSpec {
  type: MediaType;
  model: string;
  name: string;
  provider: string;
  unit: string;
  price: number;
  weight: number;
}
const MODELS: readonly ModelSpec[] = [
  { type: "image", model: "gpt-image-1", name: "gpt-image", provider: "openai", unit: "image", price: 0.042, weight: 30 },
  { type: "image", model: "gpt-image-1", name: "gpt-image-gw", provider: "openclacky", unit: "image", price: 0.04, weight: 8 },
  { type: "image", model: "flux-pro-1.1", name: "flux", provider: "fal", unit: "image", price: 0.04, weight: 14 },
  { type: "image", model: "imagen-4", name: "imagen", provider: "google", unit: "image", price: 0.04, weight: 8 },
  { type: "image", model: "seedream-4", name: "seedream", provider: "volcengine", unit: "image", price: 0.03, weight: 6 },
  { type: "image", model: "qwen-image", name: "qwen-image", provider: "dashscope", unit: "image", price: 0.035, weight: 4 },
  { type: "video", model: "veo-3", name: "veo", provider: "google", unit: "second", price: 0.4, weight: 5 },
  { type: "video", model: "kling-v2", name: "kling", provider: "fal", unit: "second", price: 0.28, weight: 4 },
  { type: "video", model: "seedance-1-pro", name: "seedance", provider: "volcengine", unit: "second", price: 0.25, weight: 3 },
  { type: "video", model: "sora-2", name: "sora", provider: "openai", unit: "second", price: 0.1, weight: 2 },
  { type: "audio", model: "gpt-4o-mini-tts", name: "tts", provider: "openai", unit: "1k chars", price: 0.015, weight: 8 },
  { type: "audio", model: "eleven-v3", name: "eleven", provider: "elevenlabs", unit: "1k chars", price: 0.3, weight: 4 },
  { type: "audio", model: "flite", name: "local-voice", provider: "local", unit: "1k chars", price: 0, weight: 4 },
];
const MODEL_WEIGHTS = MODELS.map((m) => [m, m.weight] as const);
const CLIENTS = [["claude-code", 40], ["codex", 15], ["cursor", 12], ["web", 18], ["openai-sdk", 10], [undefined, 5]] as const;
/** A team's people: each session is one person's (picked from its index, so the random draws stay those of earlier fills); one session in ten came with no person token. */
const PEOPLE = Array.from({ length: 20 }, (_, i) => ({ tokenId: `tok_person${i}`, name: `person-${i}`, team: `team-${i % 4}` }));
const OUTCOMES = [["succeeded", 86], ["failed", 10], ["cancelled", 2], ["interrupted", 2]] as const;
const ERRORS = [["upstream_error", 502], ["rate_limited", 429], ["content_policy", 400], ["timeout", 504], ["invalid_request", 422]] as const;

const EN = ("a cat sitting on a windowsill at dawn watercolor soft light portrait of an astronaut in a sunflower field " +
  "cinematic wide shot of a neon city in the rain product photo of a ceramic mug on a wooden table isometric " +
  "illustration of a tiny island with a lighthouse the camera slowly pans across a misty mountain lake at sunrise " +
  "read this paragraph in a calm warm voice logo for a coffee shop minimal flat vector").split(" ");
const ZH = "一只猫坐在窗台上清晨水彩柔和的光线宇航员在向日葵田里的肖像雨中霓虹城市的电影感广角镜头木桌上的陶瓷杯产品照片小岛上的灯塔等距插画镜头缓缓扫过薄雾笼罩的山湖日出用平静温暖的声音朗读这段文字咖啡店的极简扁平标志";

/** A prompt of a realistic length (most short, a long tail), one in five in Chinese. */
function prompt(type: MediaType): string {
  const length = Math.min(4000, Math.floor(20 + -Math.log(1 - random()) * (type === "audio" ? 400 : 160)));
  if (random() < 0.2) {
    let text = "";
    while (text.length < length / 2) {
      const start = Math.floor(random() * (ZH.length - 12));
      text += ZH.slice(start, start + 4 + Math.floor(random() * 8)) + "，";
    }
    return text;
  }
  const words: string[] = [];
  let chars = 0;
  while (chars < length) {
    const word = pick(EN);
    words.push(word);
    chars += word.length + 1;
  }
  return words.join(" ");
}

const yearStart = Date.now() - YEAR_MS;
let clock = yearStart;
const step = YEAR_MS / Math.max(total, 1);
const db = openDatabase(join(dataDir, "mediagen.db"));
const ledger = new SqliteLedger(db, () => clock);
const iso = (ms: number) => new Date(ms).toISOString();

/** One job from queued to its end, as the daemon writes it. */
async function oneJob(index: number, session: string, client: string | undefined, owner: NewGeneration["owner"]): Promise<void> {
  const spec = weighted(MODEL_WEIGHTS);
  const text = prompt(spec.type);
  const quantity = spec.type === "image" ? 1 : spec.type === "video" ? pick([4, 5, 8, 10]) : Math.max(1, Math.round(text.length / 100) / 10);
  const estimate = Math.round(spec.price * quantity * 1e6) / 1e6;
  const params = spec.type === "image" ? { size: pick(["1024x1024", "1536x1024", "1024x1536"]), n: 1 } : spec.type === "video" ? { duration: quantity, resolution: pick(["720p", "1080p"]) } : { voice: pick(["alloy", "nova", "slt"]), format: "wav" };
  const id = await ledger.enqueue({
    type: spec.type,
    model: spec.model,
    modelName: spec.name,
    provider: spec.provider,
    prompt: text,
    params: { ...params, output_dir: "/home/user/media" },
    sessionId: session,
    client,
    owner,
    estimatedCostUsd: estimate,
    idempotencyKey: random() < 0.1 ? `key-${index}` : undefined,
    requestHash: Bun.hash(text).toString(16),
  });
  // A handful of jobs stay queued or running, as after a crash near the end of the year.
  if (index >= total - 3) return;
  clock += 5 + Math.floor(random() * 200);
  await ledger.markRunning(id);
  const startedAt = clock;
  const work = spec.type === "video" ? 30_000 + random() * 240_000 : spec.type === "image" ? 3_000 + random() * 40_000 : 500 + random() * 6_000;
  const outcome = weighted(OUTCOMES);
  const finishedAt = startedAt + Math.floor(outcome === "succeeded" ? work : work * random());
  await ledger.addAttempt(id, { n: 1, started_at: iso(startedAt), finished_at: iso(finishedAt), outcome: outcome === "succeeded" ? "ok" : outcome });
  clock = finishedAt;
  if (outcome === "succeeded") {
    const unknown = random() < 0.02;
    const output = `/home/user/media/${spec.type}-${id}.${spec.type === "image" ? "png" : spec.type === "video" ? "mp4" : "wav"}`;
    await ledger.succeed(id, {
      outputPath: output,
      mimeType: spec.type === "image" ? "image/png" : spec.type === "video" ? "video/mp4" : "audio/wav",
      bytes: Math.floor((spec.type === "image" ? 1.2e6 : spec.type === "video" ? 3e7 : 4e5) * (0.5 + random())),
      width: spec.type === "audio" ? undefined : 1024,
      height: spec.type === "audio" ? undefined : 1024,
      durationSeconds: spec.type === "image" ? undefined : quantity,
      cost: unknown
        ? { costUsd: null, source: "unknown", note: "the provider reported an implausible cost" }
        : { costUsd: estimate, source: random() < 0.3 ? "upstream" : "catalog", unit: spec.unit, quantity, unitPrice: spec.price },
    });
    await ledger.setResponse(id, { status: 200, body: { id, type: spec.type, model: spec.name, path: output, cost_usd: unknown ? null : estimate } });
  } else {
    const [errorType, upstreamStatus] = pick(ERRORS);
    const billed = outcome === "interrupted" && random() < 0.5;
    await ledger.fail(id, {
      status: outcome,
      error: `${errorType}: the provider answered ${upstreamStatus}`,
      errorType,
      upstreamStatus,
      cost: billed ? { costUsd: null, source: "unknown", note: "interrupted after the provider may have billed" } : undefined,
    });
    await ledger.setResponse(id, { status: upstreamStatus, body: { error: { type: errorType, message: "failed" } } });
  }
}

const started = performance.now();
let session = "";
let client: string | undefined;
let owner: NewGeneration["owner"];
/** One batch in one transaction (BEGIN and COMMIT by hand: the ledger's methods are async, db.transaction is not). */
async function fillBatch(from: number, to: number): Promise<void> {
  db.exec("BEGIN");
  for (let i = from; i < to; i++) {
    if (i % 40 === 0) {
      session = `session-${i}`;
      client = weighted(CLIENTS);
      const person = Math.floor(i / 40) * 7;
      owner = person % 10 === 9 ? undefined : PEOPLE[person % PEOPLE.length];
    }
    clock = yearStart + Math.floor(i * step);
    await oneJob(i, session, client, owner);
  }
  db.exec("COMMIT");
}
for (let from = 0; from < total; from += BATCH) {
  await fillBatch(from, Math.min(total, from + BATCH));
  if ((from / BATCH) % 20 === 19) console.error(`${from + BATCH} rows, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
await ledger.close();
db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
db.close();
console.log(`filled ${total} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
