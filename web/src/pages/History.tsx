import { t } from "../lib/i18n.ts";

/** The History page (being built). */
export function History() {
  return (
    <section>
      <h1>{t("nav.history")}</h1>
    </section>
  );
}
