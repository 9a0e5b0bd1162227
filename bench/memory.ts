// Memory: mediagen's idle RSS against a compiled hello-world Bun.serve, and its RSS after 500 ~1 MB image
// generations (once idle again) against its own idle RSS; the minimal gateway's figures printed beside them.
// Run: bun bench/memory.ts [--generations 500] [--clients 8] [--settle 5]
import { join } from "node:path";
import { benchDir, compile, spawnServer, fixed, flags, type Gateway, mediagenBinary, minimalBinary, rssMb, startMediagen, startMinimal, startProvider } from "./gateways.ts";

const { generations, clients, settle } = flags({ generations: 500, clients: 8, settle: 5 });
using dir = benchDir();
const fake = startProvider();

async function helloWorldRss(): Promise<number> {
  const bin = await compile(join(import.meta.dir, "hello-world.ts"), join(dir.path, "hello-world"));
  const { proc } = await spawnServer((port) => [bin, String(port)], (port) => `http://127.0.0.1:${port}/`);
  await Bun.sleep(settle * 1000);
  const rss = await rssMb(proc.pid);
  proc.kill();
  await proc.exited;
  return rss;
}

/** Idle RSS (after start and one health check) and RSS once idle again after `generations` generations by `clients` clients. */
async function measure(gateway: Gateway): Promise<{ idle: number; after: number }> {
  await Bun.sleep(settle * 1000);
  const idle = await rssMb(gateway.pid);
  const each = Math.ceil(generations / clients);
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < each; i++) await gateway.generate(`memory benchmark ${c}-${i}`);
  }));
  await Bun.sleep(settle * 1000);
  const after = await rssMb(gateway.pid);
  await gateway.stop();
  return { idle, after };
}

const hello = await helloWorldRss();
const minimal = await measure(await startMinimal(await minimalBinary(dir.path), fake, dir.path, clients));
const mediagen = await measure(await startMediagen(await mediagenBinary(), fake, dir.path, clients));
console.log(
  JSON.stringify(
    {
      generations: Math.ceil(generations / clients) * clients,
      clients,
      idle_rss_mb: { baseline_hello_world: fixed(hello, 1), mediagen: fixed(mediagen.idle, 1), ratio: fixed(mediagen.idle / hello) },
      after_rss_mb: { baseline_mediagen_idle: fixed(mediagen.idle, 1), mediagen: fixed(mediagen.after, 1), ratio: fixed(mediagen.after / mediagen.idle) },
      minimal_gateway_rss_mb: { idle: fixed(minimal.idle, 1), after: fixed(minimal.after, 1), ratio: fixed(minimal.after / minimal.idle) },
    },
    null,
    2,
  ),
);
await fake.close();
