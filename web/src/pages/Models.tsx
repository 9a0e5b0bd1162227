import { t } from "../lib/i18n.ts";

/** The Models page (being built). */
export function Models() {
  return (
    <section>
      <h1>{t("nav.models")}</h1>
    </section>
  );
}
