import { t } from "../lib/i18n.ts";

/** The Jobs page (being built). */
export function Jobs() {
  return (
    <section>
      <h1>{t("nav.jobs")}</h1>
    </section>
  );
}
