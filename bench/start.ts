// Start-up: the compiled executable against compiled yardsticks built in the same run, measured side by side.
//   - start to first 200: spawn, then poll until GET /api/health answers 200 (hello-world: any 200), fresh data
//     folder and (when LEDGER is given) a copy of a filled ledger;
//   - `--version` and `--help` to exit, against a compiled `console.log`.
// Run: bun build.ts && bun bench/start.ts [rounds] [LEDGER_DB]
//   LEDGER_DB: a mediagen.db filled by `bun bench/ledger-fill.ts DIR 1000000` (copied, never modified).
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const rounds = Number(process.argv[2] ?? 15);
const ledgerDb = process.argv[3];
const binary = resolve(process.env.MEDIAGEN_BINARY ?? "dist/mediagen");
const root = mkdtempSync(join(tmpdir(), "mediagen-start-"));

async function compile(name: string, source: string): Promise<string> {
  const file = join(root, `${name}.ts`);
  writeFileSync(file, source);
  const outfile = join(root, name);
  const build = Bun.spawnSync([process.execPath, "build", "--compile", "--minify", "--bytecode", file, "--outfile", outfile], { stdout: "ignore", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error(`could not compile ${name}`);
  return outfile;
}

const hello = await compile("hello", `Bun.serve({ hostname: "127.0.0.1", port: Number(process.argv[2]), fetch: () => new Response("ok") });`);
const echo = await compile("echo", `console.log("mediagen 0.1.0");`);

let nextPort = 20000 + Math.floor(Math.random() * 20000);

/** Spawns `argv` (with the port appended by `args`), polls `path` until it answers 200; returns the ms from spawn. */
async function firstOk(args: (port: number) => string[], path: string): Promise<number> {
  const port = nextPort++;
  const started = performance.now();
  const child = Bun.spawn(args(port), { stdout: "ignore", stderr: "ignore" });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.ok, () => false);
      if (ok) return performance.now() - started;
      if (performance.now() - started > 30_000) throw new Error(`${args(port)[0]} did not answer within 30 s`);
      await Bun.sleep(0.5);
    }
  } finally {
    child.kill("SIGKILL");
    await child.exited;
  }
}

async function exitMs(argv: string[]): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore" });
  await child.exited;
  return performance.now() - started;
}

function dataDir(withLedger: boolean): string {
  const dir = mkdtempSync(join(root, "data-"));
  if (withLedger && ledgerDb) copyFileSync(ledgerDb, join(dir, "mediagen.db"));
  return dir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: [string, string, number[], number[]][] = [];

/** Alternates baseline and mediagen round by round, so drift hits both alike. */
async function pair(label: string, baselineLabel: string, baseline: () => Promise<number>, mediagen: () => Promise<number>) {
  const a: number[] = [];
  const b: number[] = [];
  await baseline();
  await mediagen();
  for (let i = 0; i < rounds; i++) {
    b.push(await baseline());
    a.push(await mediagen());
  }
  rows.push([label, baselineLabel, b, a]);
}

await pair("start to first 200, fresh data folder", "compiled hello-world Bun.serve",
  () => firstOk((port) => [hello, String(port)], "/"),
  () => {
    const dir = dataDir(false);
    return firstOk((port) => [binary, "--port", String(port), "--data-dir", dir], "/api/health");
  });
if (ledgerDb) {
  // One copy, reused: the first start migrates it (timed separately), the rounds start on it as a user's daemon would.
  const dir = dataDir(true);
  const migrateMs = await firstOk((port) => [binary, "--port", String(port), "--data-dir", dir], "/api/health");
  console.log(`first start on the copied ledger (migrations included): ${migrateMs.toFixed(0)} ms`);
  await pair("start to first 200, filled ledger", "compiled hello-world Bun.serve",
    () => firstOk((port) => [hello, String(port)], "/"),
    () => firstOk((port) => [binary, "--port", String(port), "--data-dir", dir], "/api/health"));
}
await pair("--version", "compiled console.log", () => exitMs([echo]), () => exitMs([binary, "--version"]));
await pair("--help", "compiled console.log", () => exitMs([echo]), () => exitMs([binary, "--help"]));

console.log(`median of ${rounds} alternating rounds; ${binary}`);
console.log("| figure | baseline | baseline ms | mediagen ms | ratio |\n|---|---|---|---|---|");
for (const [label, baselineLabel, b, a] of rows) {
  console.log(`| ${label} | ${baselineLabel} | ${median(b).toFixed(1)} | ${median(a).toFixed(1)} | ${(median(a) / median(b)).toFixed(2)}x |`);
}
rmSync(root, { recursive: true, force: true });
