import { type JSX, Show } from "solid-js";
import type { CurlRequest } from "../lib/curl.ts";
import { t } from "../lib/i18n.ts";
import { ErrorMessage } from "./ErrorMessage.tsx";
import { PlaygroundCurl } from "./PlaygroundCurl.tsx";

/** A generation form: its fields (the children), Generate, Copy as curl of the same request, and why a submission was refused. */
export function PlaygroundForm(props: { request: () => CurlRequest; submitting: boolean; error: unknown; onSubmit: (event: Event) => void; children: JSX.Element }) {
  return (
    <form class="card playground-form" onSubmit={(e) => props.onSubmit(e)}>
      {props.children}
      <div class="row">
        <button type="submit" disabled={props.submitting}>
          {props.submitting ? t("playground.submitting") : t("playground.generate")}
        </button>
        <PlaygroundCurl request={props.request} />
      </div>
      <Show when={props.error}>{(error) => <ErrorMessage error={error()} />}</Show>
    </form>
  );
}
