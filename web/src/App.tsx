import { createResource, For, Show } from "solid-js";
import { getHealth, getMediaTypes, getRecentGenerations } from "./lib/api.ts";

/** Status page: daemon health, the model serving each media type, and the latest generations. */
export function App() {
  const [health] = createResource(getHealth);
  const [types] = createResource(getMediaTypes);
  const [recent] = createResource(() => getRecentGenerations(10));
  return (
    <main>
      <h1>mediagen</h1>
      <Show when={health()} fallback={<p>{health.error ? `Daemon unreachable: ${health.error.message}` : "Loading…"}</p>}>
        {(h) => (
          <p>
            Version {h().version}, up {h().uptime_seconds} s, {h().running_generations} running.{" "}
            {h().config.ok ? "Config OK." : `Config error: ${h().config.error}`}
          </p>
        )}
      </Show>
      <h2>Models</h2>
      <Show when={types()} fallback={<p>{types.error ? types.error.message : "Loading…"}</p>}>
        {(t) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Model</th>
                <th scope="col">Provider</th>
              </tr>
            </thead>
            <tbody>
              <For each={Object.entries(t())}>
                {([type, status]) => (
                  <tr>
                    <td>{type}</td>
                    <td>{status.configured ? status.model : "not configured"}</td>
                    <td>{status.provider ?? ""}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        )}
      </Show>
      <h2>Recent generations</h2>
      <Show when={recent()} fallback={<p>{recent.error ? recent.error.message : "Loading…"}</p>}>
        {(page) => (
          <ul>
            <For each={page().items} fallback={<li>None yet.</li>}>
              {(g) => (
                <li>
                  {g.created_at} {g.type} {g.model}: {g.status}
                  {g.cost_usd !== null ? ` ($${g.cost_usd.toFixed(4)})` : ""}
                </li>
              )}
            </For>
          </ul>
        )}
      </Show>
    </main>
  );
}
