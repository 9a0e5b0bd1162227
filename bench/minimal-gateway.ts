// The baseline the gateway benchmarks compare mediagen with: the least a Bun gateway must do per image. Per
// POST /image {prompt, output_dir}: ask the provider (the openclacky dialect), decode its base64, write the file
// atomically (temp file, fsync, rename) into output_dir, insert one row into SQLite (WAL) and answer JSON.
// At most `--concurrency` provider calls at once (the rest wait in order), like mediagen's per-type slots.
// Run: bun bench/minimal-gateway.ts --port 7500 --data-dir DIR --provider URL --key KEY [--concurrency 8]
import { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

const flags = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) flags.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1]!);
const port = Number(flags.get("port") ?? 7500);
const dataDir = flags.get("data-dir") ?? ".";
const provider = flags.get("provider") ?? "";
const key = flags.get("key") ?? "";
const concurrency = Number(flags.get("concurrency") ?? 8);

mkdirSync(dataDir, { recursive: true });
const db = new Database(join(dataDir, "minimal.db"), { create: true, strict: true });
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = NORMAL");
db.exec(
  "CREATE TABLE IF NOT EXISTS generations (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, prompt TEXT NOT NULL, output_path TEXT NOT NULL, bytes INTEGER NOT NULL, cost_usd REAL, created_at INTEGER NOT NULL)",
);
const insert = db.query("INSERT INTO generations (id, prompt, output_path, bytes, cost_usd, created_at) VALUES ($id, $prompt, $path, $bytes, $cost, $at)");

let running = 0;
const waiting: (() => void)[] = [];
async function slot(): Promise<void> {
  if (running < concurrency) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}
function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

async function writeAtomically(dir: string, bytes: Uint8Array): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const target = join(dir, `img_${Date.now()}_${randomBytes(4).toString("hex")}.png`);
  const temp = join(dir, `.partial-${randomBytes(6).toString("hex")}`);
  const handle = await open(temp, "wx", 0o644);
  await handle.writeFile(bytes);
  await handle.sync();
  await handle.close();
  renameSync(temp, target);
  return target;
}

async function generate(prompt: string, outputDir: string): Promise<Record<string, unknown>> {
  await slot();
  try {
    const response = await fetch(`${provider}/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "or-gpt-image-2", n: 1, prompt, size: "1536x1024" }),
    });
    const json = (await response.json()) as { data: { b64_json: string }[]; cost_usd?: number };
    const bytes = new Uint8Array(Buffer.from(json.data[0]!.b64_json, "base64"));
    const path = await writeAtomically(join(outputDir, "assets", "generated"), bytes);
    const id = Bun.randomUUIDv7();
    insert.run({ id, prompt, path, bytes: bytes.length, cost: json.cost_usd ?? null, at: Date.now() });
    return { success: true, image: path, id, cost_usd: json.cost_usd };
  } finally {
    release();
  }
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  reusePort: false,
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (request.method === "GET" && path === "/health") return Response.json({ ok: true });
    if (request.method !== "POST" || path !== "/image") return Response.json({ error: "not found" }, { status: 404 });
    const body = (await request.json()) as { prompt: string; output_dir: string };
    return Response.json(await generate(body.prompt, body.output_dir));
  },
});
console.log(`minimal gateway on ${server.url.href}`);
