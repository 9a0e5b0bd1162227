// Per-image latency, p50 and p99: sequential image generations of a ~1 MB PNG through the minimal gateway
// (baseline: fetch, decode, atomic write, one SQLite row) and through mediagen, in alternating rounds of the same run.
// Run: bun bench/per-image.ts [--requests 400] [--rounds 8]     (MEDIAGEN_BIN=path measures another mediagen build)
import { benchDir, fixed, flags, type Gateway, mediagenBinary, minimalBinary, quantile, startMediagen, startMinimal, startProvider } from "./gateways.ts";

const { requests, rounds } = flags({ requests: 400, rounds: 8 });
using dir = benchDir();
const fake = startProvider();
const gateways = [await startMinimal(await minimalBinary(dir.path), fake, dir.path, 1), await startMediagen(await mediagenBinary(), fake, dir.path, 1)];
const samples = new Map<Gateway, number[]>(gateways.map((g) => [g, []]));

async function sequential(gateway: Gateway, count: number, record: boolean): Promise<void> {
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await gateway.generate(`per-image benchmark ${i}`);
    if (record) samples.get(gateway)!.push(performance.now() - started);
  }
}

for (const gateway of gateways) await sequential(gateway, 30, false);
const perRound = Math.ceil(requests / rounds);
for (let round = 0; round < rounds; round++) {
  // Alternate which side goes first, so neither always runs on a warmer or cooler machine.
  const order = round % 2 === 0 ? gateways : [...gateways].reverse();
  for (const gateway of order) await sequential(gateway, perRound, true);
}

const [minimal, mediagen] = gateways.map((g) => samples.get(g)!) as [number[], number[]];
const row = (q: number) => ({ baseline_ms: fixed(quantile(minimal, q)), mediagen_ms: fixed(quantile(mediagen, q)), ratio: fixed(quantile(mediagen, q) / quantile(minimal, q)) });
console.log(JSON.stringify({ image_bytes: fake.image!.length, requests_each: minimal.length, p50: row(0.5), p99: row(0.99) }, null, 2));
for (const gateway of gateways) await gateway.stop();
await fake.close();
