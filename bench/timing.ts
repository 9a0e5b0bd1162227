// What the 1M-row benchmarks share: the median of repeated runs after a warm-up, and local calendar dates for the
// from/to filters of the Costs and History queries.

/** Median ms of `repeats` runs of `run` after one warm-up run. */
export async function median(run: () => Promise<unknown>, repeats: number): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const at = performance.now();
    await run();
    times.push(performance.now() - at);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** The local calendar date (YYYY-MM-DD) of a time in ms, as the from/to filters take it. */
export function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
