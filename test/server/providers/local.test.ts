// The built-in offline voice: Flite runs in worker threads, so synthesis never blocks the daemon.
import { describe, expect, test } from "bun:test";
import { fliteVoice, synthesizeFlite } from "../../../server/providers/local.ts";
import { decodeWav } from "../../../server/formats/wav.ts";

const PARAGRAPH = "This paragraph is long enough to keep the synthesiser busy for a while. ".repeat(6);

describe("synthesizeFlite", () => {
  test("returns Flite's native WAV for each voice", async () => {
    const wav = decodeWav(await synthesizeFlite("Hello.", "slt"));
    expect(wav.sampleRate).toBe(16_000);
    expect(wav.samples.length).toBeGreaterThan(4000);
    expect(decodeWav(await synthesizeFlite("Hello.", "kal")).sampleRate).toBe(8000);
  });

  test("the event loop keeps running while a paragraph is synthesised", async () => {
    await synthesizeFlite("warm up", "slt");
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await synthesizeFlite(PARAGRAPH, "rms");
    } finally {
      clearInterval(timer);
    }
    // On the calling thread the WASM run would block every timer until it ended (0 ticks).
    expect(ticks).toBeGreaterThan(0);
  });

  test("two syntheses at once both complete", async () => {
    const [a, b] = await Promise.all([synthesizeFlite(PARAGRAPH, "slt"), synthesizeFlite("Second voice.", "awb")]);
    expect(decodeWav(a).samples.length).toBeGreaterThan(decodeWav(b).samples.length);
  });
});

describe("fliteVoice", () => {
  test.each([
    [undefined, "slt"],
    ["RMS", "rms"],
    ["Kore", "slt"],
    ["Puck", "kal16"],
    ["Charon", "rms"],
    ["Fenrir", "awb"],
  ] as const)("%p -> %s", (requested, voice) => {
    expect(fliteVoice(requested)).toBe(voice);
  });

  test("an unknown voice is a 400 listing the allowed ones", () => {
    expect(() => fliteVoice("Zephyr")).toThrow(/choose one of slt, rms, awb, kal16, kal, Kore/);
  });
});
