// History's first load with thumbnails against full files: the first page of the gallery (PAGE_SIZE pictures of
// 3840×2160 PNG, grained like photographs) fetched over HTTP from the real app, once asking each card's thumbnail
// and once each full file, as the UI did before thumbnails. Reports bytes and time for each and the ratio.
// Run: bun bench/history-thumbnails.ts [rounds]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../server/app.ts";
import { ConfigStore } from "../server/config/store.ts";
import { openDatabase } from "../server/ledger/database.ts";
import { SqliteLedger } from "../server/ledger/ledger.ts";
import { memoryLogger } from "../server/log.ts";
import { MediaService } from "../server/media/service.ts";
import { Thumbnails } from "../server/thumbnails/thumbnails.ts";
import { SqliteTokenStore } from "../server/tokens/store.ts";
import { TokenService } from "../server/tokens/service.ts";
import { PAGE_SIZE } from "../web/src/lib/history.ts";
import { tempDir } from "../test/helpers.ts";
import { gradient, jpeg, png } from "../test/server/thumbnails/pictures.ts";

const rounds = Number(process.argv[2] ?? 3);
/** Distinct source files; the page's rows point at them in turn (each row still has its own thumbnail). */
const SOURCES = 6;

using dir = tempDir("mediagen-bench-thumbs-");
const dataDir = join(dir.path, "data");
const out = join(dir.path, "out");
mkdirSync(out, { recursive: true });
const config = ConfigStore.open(dataDir);
const db = openDatabase(join(dataDir, "mediagen.db"));
const log = memoryLogger();
const ledger = new SqliteLedger(db);
const thumbnails = new Thumbnails({ dataDir, ledger, log });
const media = new MediaService({ config, ledger, log });
const tokens = new TokenService(new SqliteTokenStore(db));
const app = createApp({ config, ledger, media, tokens, log, version: "bench", startedAt: Date.now(), bindHost: "127.0.0.1" });

const sources: { path: string; bytes: number; mime: string }[] = [];
for (let i = 0; i < SOURCES; i++) {
  const pixels = gradient(3840, 2160, 48, i + 1);
  const asJpeg = i % 2 === 1;
  const bytes = asJpeg ? await jpeg(pixels) : png(pixels);
  const path = join(out, `img_${i}.${asJpeg ? "jpg" : "png"}`);
  writeFileSync(path, bytes);
  sources.push({ path, bytes: bytes.length, mime: asJpeg ? "image/jpeg" : "image/png" });
}
let made = performance.now();
for (let i = 0; i < PAGE_SIZE; i++) {
  const source = sources[i % SOURCES]!;
  const id = await ledger.start({ type: "image", model: "m", provider: "p", prompt: `picture ${i}`, params: {} });
  await ledger.succeed(id, { outputPath: source.path, mimeType: source.mime, bytes: source.bytes, width: 3840, height: 2160, cost: { costUsd: 0.04, source: "upstream" } });
  thumbnails.saved({ id, type: "image", outputPath: source.path, mimeType: source.mime });
}
await thumbnails.idle();
made = performance.now() - made;

const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => app.handle(request) });
const base = `http://127.0.0.1:${server.port}`;

/** One first load: the page of records, then every card's picture, six at a time as a browser would. */
async function firstLoad(kind: "thumbnail" | "file"): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  const page = (await (await fetch(`${base}/api/generations?limit=${PAGE_SIZE}`)).json()) as { items: { id: string }[] };
  let bytes = 0;
  const queue = page.items.map((g) => `${base}/api/generations/${g.id}/${kind}`);
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let url = queue.shift(); url; url = queue.shift()) bytes += (await (await fetch(url)).arrayBuffer()).byteLength;
    }),
  );
  return { bytes, ms: performance.now() - started };
}

const results: Record<"thumbnail" | "file", { bytes: number; ms: number[] }> = { thumbnail: { bytes: 0, ms: [] }, file: { bytes: 0, ms: [] } };
for (let round = 0; round < rounds; round++) {
  for (const kind of ["thumbnail", "file"] as const) {
    const { bytes, ms } = await firstLoad(kind);
    results[kind].bytes = bytes;
    results[kind].ms.push(ms);
  }
}
server.stop(true);
thumbnails.close();
ledger.close();
db.close();

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (bytes: number) => (bytes / 1048576).toFixed(2);
console.log(`${PAGE_SIZE} cards, ${SOURCES} sources of 3840×2160 (PNG ${mib(sources[0]!.bytes)} MiB, JPEG ${mib(sources[1]!.bytes)} MiB); ${PAGE_SIZE} thumbnails made in ${(made / 1000).toFixed(1)} s (${(made / PAGE_SIZE).toFixed(0)} ms each)`);
console.log(`| first load | bytes | median ms (of ${rounds}) |`);
console.log(`|---|---|---|`);
console.log(`| thumbnails | ${mib(results.thumbnail.bytes)} MiB | ${median(results.thumbnail.ms).toFixed(0)} |`);
console.log(`| full files | ${mib(results.file.bytes)} MiB | ${median(results.file.ms).toFixed(0)} |`);
console.log(`| ratio | ${(results.file.bytes / results.thumbnail.bytes).toFixed(0)}x less | ${(median(results.file.ms) / median(results.thumbnail.ms)).toFixed(1)}x faster |`);
