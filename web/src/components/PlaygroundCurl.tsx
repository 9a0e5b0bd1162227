import { createEffect, createSignal, on, Show } from "solid-js";
import { token } from "../lib/api.ts";
import { curlCommand, type CurlRequest } from "../lib/curl.ts";
import { t } from "../lib/i18n.ts";

/**
 * "Copy as curl": puts the blocking curl command of the current request on the clipboard; where the
 * clipboard is unavailable (plain http off localhost) the command is shown, selected, to copy by hand. Either note
 * goes away when the media type changes (and with the page).
 */
export function PlaygroundCurl(props: { request: () => CurlRequest }) {
  const [state, setState] = createSignal<"idle" | "copied" | "manual">("idle");
  const [command, setCommand] = createSignal("");
  // What was copied belongs to the media type it was copied on: another tab starts afresh.
  createEffect(on(() => props.request().type, () => setState("idle"), { defer: true }));

  const copy = async () => {
    const text = curlCommand(props.request(), location.host, token.get() !== null);
    setCommand(text);
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("manual");
    }
  };

  return (
    <>
      <button type="button" class="secondary" onClick={() => void copy()}>
        {t("playground.curl.copy")}
      </button>
      <Show when={state() === "copied"}>
        <span class="ok" role="status">
          {t("playground.curl.copied")}
        </span>
      </Show>
      <Show when={state() === "manual"}>
        <label class="playground-curl">
          {t("playground.curl.manual")}
          <textarea readonly value={command()} ref={(el) => queueMicrotask(() => el.select())} />
        </label>
      </Show>
    </>
  );
}
