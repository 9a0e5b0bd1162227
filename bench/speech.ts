// Offline speech: mediagen's whole local pipeline (Flite in a worker thread + resampling to 24 kHz + WAV)
// against Flite alone on the calling thread, measured in the same run, and the real-time factor
// (seconds of work per second of audio).
// Run: bun bench/speech.ts [repetitions]
import { synthesizeInProcess } from "../server/providers/flite.ts";
import { synthesizeFlite } from "../server/providers/local.ts";
import { decodeWav, normalizeWav } from "../server/formats/wav.ts";

const repetitions = Number(process.argv[2] ?? 20);
const text =
  "Hello and welcome to mediagen. This paragraph is read aloud by the offline voice built into the daemon, " +
  "with no key and no network, and saved as a twenty-four kilohertz mono WAV file.";

await synthesizeInProcess("warm up", "slt");
await synthesizeFlite("warm up", "slt");
let fliteMs = 0;
let pipelineMs = 0;
let audioSeconds = 0;
for (let i = 0; i < repetitions; i++) {
  let started = performance.now();
  const native = await synthesizeInProcess(text, "slt");
  fliteMs += performance.now() - started;
  started = performance.now();
  const wav = normalizeWav(await synthesizeFlite(text, "slt"), 24_000);
  pipelineMs += performance.now() - started;
  const pcm = decodeWav(wav);
  audioSeconds += pcm.samples.length / pcm.sampleRate;
  void native;
}
console.log(
  JSON.stringify(
    {
      repetitions,
      audio_seconds_each: +(audioSeconds / repetitions).toFixed(2),
      flite_ms_each: +(fliteMs / repetitions).toFixed(1),
      pipeline_ms_each: +(pipelineMs / repetitions).toFixed(1),
      ratio_pipeline_to_flite: +(pipelineMs / fliteMs).toFixed(2),
      real_time_factor: +(pipelineMs / 1000 / audioSeconds).toFixed(3),
    },
    null,
    2,
  ),
);
