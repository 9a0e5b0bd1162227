// WAV containers and resampling: every speech result is served as 24 kHz mono 16-bit PCM WAV.

/** Decoded PCM audio. */
export interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

/** Reads a PCM WAV (16-bit, any channel count; channels are mixed down to mono). Throws on anything else. */
export function decodeWav(bytes: Uint8Array): Pcm {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error("not a RIFF/WAVE file");
  let offset = 12;
  let format: { channels: number; sampleRate: number; bits: number; codec: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      format = {
        codec: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    }
    if (id === "data") {
      if (!format) throw new Error("WAV data chunk before fmt chunk");
      if (format.codec !== 1 || format.bits !== 16) throw new Error("only 16-bit PCM WAV is supported");
      const end = Math.min(body + size, bytes.length);
      const frames = Math.floor((end - body) / (2 * format.channels));
      const samples = new Int16Array(frames);
      for (let frame = 0; frame < frames; frame++) {
        let sum = 0;
        for (let channel = 0; channel < format.channels; channel++) {
          sum += view.getInt16(body + (frame * format.channels + channel) * 2, true);
        }
        samples[frame] = Math.round(sum / format.channels);
      }
      return { sampleRate: format.sampleRate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error("WAV has no data chunk");
}

/** Wraps mono 16-bit PCM in a 44-byte RIFF/WAVE header. */
export function encodeWav({ sampleRate, samples }: Pcm): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const write = (at: number, text: string) => [...text].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  write(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  write(8, "WAVE");
  write(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  write(36, "data");
  view.setUint32(40, dataBytes, true);
  new Int16Array(out.buffer, 44, samples.length).set(samples);
  return out;
}

const KERNEL_HALF_WIDTH = 16;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Resamples mono PCM with a Hann-windowed sinc kernel (low-passed at the lower of the two Nyquist
 * frequencies). Output length is round(input length * to / from). Rates are integers, so the kernel's
 * fractional offsets repeat every `to / gcd` outputs: the weights are computed once per phase (polyphase).
 */
export function resample(pcm: Pcm, toRate: number): Pcm {
  const { sampleRate: fromRate, samples } = pcm;
  if (fromRate === toRate) return { sampleRate: toRate, samples: samples.slice() };
  const divisor = gcd(toRate, fromRate);
  const up = toRate / divisor;
  const down = fromRate / divisor;
  const length = Math.round((samples.length * toRate) / fromRate);
  const out = new Int16Array(length);
  const cutoff = Math.min(1, toRate / fromRate);
  const halfWidth = KERNEL_HALF_WIDTH / cutoff;
  const taps = 2 * Math.ceil(halfWidth) + 1;
  // weights[phase][k] is the weight of input sample floor(center) - ceil(halfWidth) + k for output phase `phase`.
  const weights = Array.from({ length: up }, (_, phase) => {
    const fraction = (phase * down) / up - Math.floor((phase * down) / up);
    return Float64Array.from({ length: taps }, (_, k) => {
      const x = k - Math.ceil(halfWidth) - fraction;
      if (Math.abs(x) > halfWidth) return 0;
      const window = 0.5 + 0.5 * Math.cos((Math.PI * x) / halfWidth);
      const arg = Math.PI * x * cutoff;
      return cutoff * (x === 0 ? 1 : Math.sin(arg) / arg) * window;
    });
  });
  const reach = Math.ceil(halfWidth);
  for (let i = 0; i < length; i++) {
    const position = (i * down) / up;
    const base = Math.floor(position) - reach;
    const kernel = weights[i % up]!;
    let sum = 0;
    const first = Math.max(0, -base);
    const last = Math.min(taps - 1, samples.length - 1 - base);
    for (let k = first; k <= last; k++) sum += samples[base + k]! * kernel[k]!;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(sum)));
  }
  return { sampleRate: toRate, samples: out };
}

/** Converts any 16-bit PCM WAV to mono at `rate` Hz. */
export function normalizeWav(bytes: Uint8Array, rate: number): Uint8Array {
  return encodeWav(resample(decodeWav(bytes), rate));
}

/** Duration in seconds of a 16-bit PCM WAV; undefined if it cannot be read. */
export function wavDurationSeconds(bytes: Uint8Array): number | undefined {
  try {
    const { sampleRate, samples } = decodeWav(bytes);
    return samples.length / sampleRate;
  } catch {
    return undefined;
  }
}
