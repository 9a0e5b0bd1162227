import { t } from "../lib/i18n.ts";
import { navigate } from "../lib/router.ts";

/** Any path the route table does not know. */
export function NotFound() {
  return (
    <section>
      <h1>{t("notfound.title")}</h1>
      <a href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
        {t("notfound.back")}
      </a>
    </section>
  );
}
