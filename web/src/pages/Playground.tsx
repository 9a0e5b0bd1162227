import { t } from "../lib/i18n.ts";

/** The Playground page (being built). */
export function Playground() {
  return (
    <section>
      <h1>{t("nav.playground")}</h1>
    </section>
  );
}
