import { t } from "../lib/i18n.ts";

/** The Costs page (being built). */
export function Costs() {
  return (
    <section>
      <h1>{t("nav.costs")}</h1>
    </section>
  );
}
