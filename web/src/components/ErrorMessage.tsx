import { Show } from "solid-js";
import { ApiError } from "../lib/api.ts";
import { hasText, locale, t } from "../lib/i18n.ts";

/**
 * An API (or any) error as a readable sentence, with an optional retry button. The daemon writes its sentences in
 * English, so in another language the error type's own words come first and the daemon's sentence follows.
 */
export function ErrorMessage(props: { error: unknown; onRetry?: () => void }) {
  const local = () => (props.error instanceof ApiError ? props.error.local : undefined);
  const message = () => (local() ? t(local()!.key, local()!.vars) : props.error instanceof Error ? props.error.message : String(props.error));
  const kind = () => (props.error instanceof ApiError ? props.error.errorType : undefined);
  const summary = () => (locale() !== "en" && !local() && kind() && hasText(`errortype.${kind()}`) ? t(`errortype.${kind()}`) : undefined);
  return (
    <div class="error" role="alert">
      <strong>{t("common.error")}:</strong> <Show when={summary()}>{(text) => <span class="error-summary">{text()} </span>}</Show>
      {message()}
      <Show when={kind()}>{(k) => <code class="muted"> ({k()})</code>}</Show>
      <Show when={props.onRetry}>
        {(retry) => (
          <button type="button" class="link" onClick={() => retry()()}>
            {t("common.retry")}
          </button>
        )}
      </Show>
    </div>
  );
}
