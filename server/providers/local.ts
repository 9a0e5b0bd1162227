// Offline speech built into the binary: Flite (in worker threads), resampled to 24 kHz mono 16-bit WAV.
import { SPEECH_SAMPLE_RATE_HZ } from "../defaults.ts";
import { AppError, invalidArgument } from "../errors.ts";
import { normalizeWav } from "../formats/wav.ts";
import { FLITE_VOICES, type FliteVoice } from "./flite.ts";
import type { FliteAnswer, FliteRequest } from "./flite-worker.ts";
import type { Provider, SpeechJob } from "./types.ts";

export { FLITE_VOICES } from "./flite.ts";

/** The voice used when a request names none (the skill's default, Kore, maps onto it too). */
export const DEFAULT_FLITE_VOICE = "slt";
/** The skill's Gemini voice names, mapped onto the nearest Flite voice so agents' default requests work offline. */
export const GEMINI_VOICE_ALIASES: Record<string, FliteVoice> = {
  kore: "slt",
  aoede: "slt",
  puck: "kal16",
  charon: "rms",
  fenrir: "awb",
};

const ALLOWED_VOICES = [...FLITE_VOICES, "Kore", "Aoede", "Puck", "Charon", "Fenrir"];

/** The Flite voice a requested voice name selects; throws invalid_argument listing the allowed ones. */
export function fliteVoice(voice: string | undefined): FliteVoice {
  if (!voice) return DEFAULT_FLITE_VOICE;
  const key = voice.toLowerCase();
  const direct = FLITE_VOICES.find((v) => v === key);
  const resolved = direct ?? GEMINI_VOICE_ALIASES[key];
  if (!resolved) {
    throw invalidArgument("voice", `voice "${voice}" is not available offline; choose one of ${ALLOWED_VOICES.join(", ")}`, ALLOWED_VOICES);
  }
  return resolved;
}

/** Speech synthesised at once, each in its own worker (the audio type's default concurrency). */
const MAX_WORKERS = 2;

type Task = { id: number; text: string; voice: FliteVoice; resolve: (wav: Uint8Array) => void; reject: (error: Error) => void };

/** Workers running Flite, created on demand; each compiles flite.wasm once and takes one task at a time. */
class FlitePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private readonly waiting: Task[] = [];
  private nextId = 1;

  run(text: string, voice: FliteVoice): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, text, voice, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const worker = this.idle.pop() ?? (this.busy.size < MAX_WORKERS ? this.spawn() : undefined);
      if (!worker) return;
      const task = this.waiting.shift()!;
      this.busy.set(worker, task);
      worker.postMessage({ id: task.id, text: task.text, voice: task.voice } satisfies FliteRequest);
    }
  }

  private spawn(): Worker {
    // An entry point of build.ts too, so the compiled executable carries it; there it is found by its path under
    // server/ (a URL from import.meta.url would name the build machine's source file, absent anywhere else).
    const worker = new Worker(Bun.isStandaloneExecutable ? "./providers/flite-worker.ts" : new URL("./flite-worker.ts", import.meta.url).href);
    (worker as Worker & { unref(): void }).unref();
    worker.onmessage = (event: MessageEvent<FliteAnswer>) => {
      const task = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (task) {
        if ("wav" in event.data) task.resolve(event.data.wav);
        else task.reject(new Error(event.data.error));
      }
      this.pump();
    };
    worker.onerror = (event) => {
      const task = this.busy.get(worker);
      this.busy.delete(worker);
      worker.terminate();
      task?.reject(new Error(event.message));
      this.pump();
    };
    return worker;
  }
}

const pool = new FlitePool();

/** Synthesises `text` with Flite off the event loop and returns its native WAV (16 kHz, or 8 kHz for `kal`). */
export async function synthesizeFlite(text: string, voice: FliteVoice): Promise<Uint8Array> {
  try {
    return await pool.run(text, voice);
  } catch (error) {
    throw new AppError("internal", `offline speech synthesis failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The built-in offline provider: speech only, no key, no network, no cost. */
export const local: Provider = {
  id: "local",
  requiresKey: false,
  defaultBaseUrl: "local:",
  speechIsWav: true,

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
