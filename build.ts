// Builds dist/mediagen: one executable with the Bun runtime, the server, the web UI and the Flite voice inside.
import { solidPlugin } from "./web/solid-plugin.ts";

/** Compiles the executable to `outfile`; throws with the bundler's messages on failure. */
export async function buildExecutable(outfile = "dist/mediagen"): Promise<string> {
  const result = await Bun.build({
    // The Flite and thumbnail workers are loaded with `new Worker(...)`, so each must be an entry point of its own.
    entrypoints: ["./server/main.ts", "./server/providers/flite-worker.ts", "./server/thumbnails/worker.ts"],
    plugins: [solidPlugin],
    minify: true,
    bytecode: true,
    sourcemap: "none",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
  });
  if (!result.success) {
    throw new Error(`build failed:\n${result.logs.map((log) => String(log)).join("\n")}`);
  }
  return outfile;
}

if (import.meta.main) {
  const outfile = process.argv[2] ?? "dist/mediagen";
  const started = performance.now();
  await buildExecutable(outfile);
  const size = Bun.file(outfile).size / 1048576;
  console.log(`built ${outfile} (${size.toFixed(1)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
