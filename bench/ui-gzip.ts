// The web UI's weight on the wire: every file of the built UI as the daemon sends it to a browser that accepts gzip
// (server/ui.ts: level 9, the page included), against the size recorded for commit e1bb0f2, before issue 15.
// Run: bun bench/ui-gzip.ts  (builds the UI from source the way the daemon does; a few seconds)
import { uiWireSizes } from "../server/ui.ts";

/** Gzip bytes of the whole UI at commit e1bb0f2 (main before issue 15), measured by this script. */
export const UI_GZIP_BASELINE_BYTES = 71_161;

/**
 * How much heavier than the baseline the UI may get before a test fails (issue 15: 1.3x). Raising it is a decision:
 * say in docs/benchmarks.md ("Web UI bundle") what the extra bytes buy.
 */
export const UI_GZIP_LIMIT = 1.35;

/** The gzip bytes of every UI file added up, and the files by size. */
export async function uiGzipTotal(): Promise<{ total: number; files: [string, number][] }> {
  const files = [...(await uiWireSizes())].sort((a, b) => b[1] - a[1]);
  return { total: files.reduce((sum, [, bytes]) => sum + bytes, 0), files };
}

if (import.meta.main) {
  const { total, files } = await uiGzipTotal();
  const ratio = total / UI_GZIP_BASELINE_BYTES;
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  for (const [path, bytes] of files) console.log(`${kb(bytes).padStart(10)}  ${path}`);
  console.log(`baseline (e1bb0f2): ${UI_GZIP_BASELINE_BYTES} bytes (${kb(UI_GZIP_BASELINE_BYTES)})`);
  console.log(`current:            ${total} bytes (${kb(total)})`);
  console.log(`ratio:              ${ratio.toFixed(3)}x (limit ${UI_GZIP_LIMIT}x)`);
  if (ratio > UI_GZIP_LIMIT) console.log("over the limit: docs/benchmarks.md must say what the extra bytes buy");
}
