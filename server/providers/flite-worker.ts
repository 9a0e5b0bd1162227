// Worker thread running Flite, so a long synthesis never blocks the daemon's event loop.
import { synthesizeInProcess, type FliteVoice } from "./flite.ts";

declare const self: Worker;

/** A synthesis request from the daemon. */
export type FliteRequest = { id: number; text: string; voice: FliteVoice };
/** Its answer: the WAV bytes, or the failure's message. */
export type FliteAnswer = { id: number; wav: Uint8Array } | { id: number; error: string };

self.onmessage = async (event: MessageEvent<FliteRequest>) => {
  const { id, text, voice } = event.data;
  try {
    const wav = await synthesizeInProcess(text, voice);
    self.postMessage({ id, wav } satisfies FliteAnswer, [wav.buffer]);
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies FliteAnswer);
  }
};
