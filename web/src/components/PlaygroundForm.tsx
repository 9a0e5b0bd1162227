import { type JSX, Show } from "solid-js";
import type { CurlRequest } from "../lib/curl.ts";
import { t } from "../lib/i18n.ts";
import { ErrorMessage } from "./ErrorMessage.tsx";
import { PlaygroundCurl } from "./PlaygroundCurl.tsx";

/**
 * A generation form: its fields (the children), Generate (or the caller's label for it), Copy as curl of the same
 * request, what is wrong with the form before sending (`problem`), and why a submission was refused (`error`).
 */
export function PlaygroundForm(props: {
  request: () => CurlRequest;
  submitting: boolean;
  error: unknown;
  problem?: string;
  submitLabel?: string;
  onSubmit: (event: Event) => void;
  children: JSX.Element;
}) {
  return (
    <form class="card playground-form" novalidate onSubmit={(e) => props.onSubmit(e)}>
      {props.children}
      <div class="row">
        <button type="submit" disabled={props.submitting}>
          {props.submitting ? t("playground.submitting") : (props.submitLabel ?? t("playground.generate"))}
        </button>
        <PlaygroundCurl request={props.request} />
      </div>
      <Show when={props.problem}>
        <p class="error playground-problem" role="alert">
          {props.problem}
        </p>
      </Show>
      <Show when={props.error}>{(error) => <ErrorMessage error={error()} />}</Show>
    </form>
  );
}
