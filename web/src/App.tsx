import { type Component, createResource, createSignal, For, Match, Show, Switch } from "solid-js";
import { Dynamic } from "solid-js/web";
import { ErrorMessage } from "./components/ErrorMessage.tsx";
import { Link } from "./components/Link.tsx";
import { TokenPrompt } from "./components/TokenPrompt.tsx";
import { api, ApiError } from "./lib/api.ts";
import { LOCALES, locale, setLocale, t, type Locale } from "./lib/i18n.ts";
import { currentPath } from "./lib/router.ts";
import { Costs } from "./pages/Costs.tsx";
import { History } from "./pages/History.tsx";
import { Jobs } from "./pages/Jobs.tsx";
import { Models } from "./pages/Models.tsx";
import { NotFound } from "./pages/NotFound.tsx";
import { Playground } from "./pages/Playground.tsx";
import { Tokens } from "./pages/Tokens.tsx";
import { UI_ROUTES, type UiPath } from "./routes.ts";

/** The page of each route in routes.ts. */
const PAGES: Record<UiPath, Component> = {
  "/": Playground,
  "/models": Models,
  "/history": History,
  "/costs": Costs,
  "/jobs": Jobs,
  "/tokens": Tokens,
};

/** The shell: navigation, language switch, the token prompt when the daemon asks for one, and the current page. */
export function App() {
  const [unlock, setUnlock] = createSignal(0);
  // The types call needs the token when one is set; a 401 means "ask for it".
  const [access] = createResource(unlock, async () => {
    const health = await api.health();
    try {
      await api.mediaTypes();
      return { health, locked: false };
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return { health, locked: true };
      throw error;
    }
  });
  // Members do not manage tokens: their navigation leaves the page out (the daemon refuses them anyway).
  const [me] = createResource(unlock, () => api.tokens.me().catch(() => undefined));
  const routes = () => UI_ROUTES.filter((route) => route.path !== "/tokens" || me()?.role !== "member");
  const page = () => (Object.hasOwn(PAGES, currentPath()) ? PAGES[currentPath() as UiPath] : NotFound);
  return (
    <>
      <header>
        <Link class="brand" href="/">
          {t("app.title")}
        </Link>
        <nav aria-label="main">
          <For each={routes()}>
            {(route) => (
              <Link href={route.path} aria-current={currentPath() === route.path ? "page" : undefined}>
                {t(route.label)}
              </Link>
            )}
          </For>
        </nav>
        <label class="language">
          <span class="sr-only">{t("nav.language")}</span>
          <select value={locale()} onChange={(e) => setLocale(e.currentTarget.value as Locale)} aria-label={t("nav.language")}>
            <For each={Object.entries(LOCALES)}>{([code, name]) => <option value={code}>{name}</option>}</For>
          </select>
        </label>
      </header>
      <main>
        <Switch>
          <Match when={access.error}>
            <ErrorMessage error={access.error} onRetry={() => setUnlock((n) => n + 1)} />
          </Match>
          <Match when={access.loading && !access()}>
            <p class="muted">{t("common.loading")}</p>
          </Match>
          <Match when={access()?.locked}>
            <TokenPrompt onSaved={() => setUnlock((n) => n + 1)} />
          </Match>
          <Match when={access()}>
            <Show when={access()?.health.config.ok === false}>
              <div class="error" role="status">
                {t("health.configError")} {access()?.health.config.error}
              </div>
            </Show>
            <Dynamic component={page()} />
          </Match>
        </Switch>
      </main>
    </>
  );
}
