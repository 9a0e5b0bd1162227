// A clock for live displays (elapsed times) that ticks while the component using it lives.
import { createSignal, onCleanup, type Accessor } from "solid-js";

/** The current time in ms, updated every `intervalMs`; the timer stops with the owning component. */
export function createNow(intervalMs = 1000): Accessor<number> {
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), intervalMs);
  onCleanup(() => clearInterval(timer));
  return now;
}
