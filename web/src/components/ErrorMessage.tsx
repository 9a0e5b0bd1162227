import { Show } from "solid-js";
import { ApiError } from "../lib/api.ts";
import { t } from "../lib/i18n.ts";

/** An API (or any) error as a readable sentence, with an optional retry button. */
export function ErrorMessage(props: { error: unknown; onRetry?: () => void }) {
  const message = () => (props.error instanceof Error ? props.error.message : String(props.error));
  const kind = () => (props.error instanceof ApiError ? props.error.errorType : undefined);
  return (
    <div class="error" role="alert">
      <strong>{t("common.error")}:</strong> {message()}
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
