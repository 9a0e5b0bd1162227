import { Link } from "../components/Link.tsx";
import { t } from "../lib/i18n.ts";

/** Any path the route table does not know. */
export function NotFound() {
  return (
    <section>
      <h1>{t("notfound.title")}</h1>
      <Link href="/">{t("notfound.back")}</Link>
    </section>
  );
}
