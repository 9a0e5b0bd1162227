// Throughput: 8 concurrent clients sending ~1 MB image generations to the minimal gateway (baseline) and to mediagen,
// both allowing `--concurrency` provider calls at once (mediagen's jobs.image.concurrency), in alternating rounds.
// Run: bun bench/throughput.ts [--concurrency 8] [--clients 8] [--requests 400] [--rounds 4]
import { benchDir, fixed, flags, type Gateway, mediagenBinary, minimalBinary, startMediagen, startMinimal, startProvider } from "./gateways.ts";

const { concurrency, clients, requests, rounds } = flags({ concurrency: 8, clients: 8, requests: 400, rounds: 4 });
using dir = benchDir();
const fake = startProvider();
const gateways = [
  await startMinimal(await minimalBinary(dir.path), fake, dir.path, concurrency),
  await startMediagen(await mediagenBinary(), fake, dir.path, concurrency),
];
const totals = new Map<Gateway, { done: number; ms: number }>(gateways.map((g) => [g, { done: 0, ms: 0 }]));

/** `clients` clients each sending `each` requests back to back; returns the wall time in ms. */
async function flood(gateway: Gateway, each: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < each; i++) await gateway.generate(`throughput benchmark ${c}-${i}`);
    }),
  );
  return performance.now() - started;
}

for (const gateway of gateways) await flood(gateway, 4);
const each = Math.ceil(requests / rounds / clients);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? gateways : [...gateways].reverse();
  for (const gateway of order) {
    const total = totals.get(gateway)!;
    total.ms += await flood(gateway, each);
    total.done += each * clients;
  }
}

const [minimal, mediagen] = gateways.map((g) => totals.get(g)!) as [{ done: number; ms: number }, { done: number; ms: number }];
const rate = (t: { done: number; ms: number }) => t.done / (t.ms / 1000);
console.log(
  JSON.stringify(
    { clients, concurrency, requests_each: minimal.done, baseline_per_s: fixed(rate(minimal), 1), mediagen_per_s: fixed(rate(mediagen), 1), ratio: fixed(rate(mediagen) / rate(minimal)) },
    null,
    2,
  ),
);
for (const gateway of gateways) await gateway.stop();
await fake.close();
