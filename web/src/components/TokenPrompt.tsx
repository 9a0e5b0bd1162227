import { createSignal } from "solid-js";
import { token } from "../lib/api.ts";
import { t } from "../lib/i18n.ts";

/** Asks once for the daemon's bearer token (needed when it is bound to a non-loopback address) and remembers it. */
export function TokenPrompt(props: { onSaved: () => void }) {
  const [value, setValue] = createSignal("");
  return (
    <form
      class="card token"
      onSubmit={(event) => {
        event.preventDefault();
        if (!value().trim()) return;
        token.set(value());
        props.onSaved();
      }}
    >
      <h2>{t("token.title")}</h2>
      <p class="muted">{t("token.help")}</p>
      <label>
        {t("token.label")}
        <input type="password" autocomplete="off" value={value()} onInput={(e) => setValue(e.currentTarget.value)} />
      </label>
      <button type="submit">{t("token.submit")}</button>
    </form>
  );
}
