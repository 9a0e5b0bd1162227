// The shell: navigation between pages, the language switch, and the token prompt on a 401.
import { afterEach, expect, test } from "bun:test";
import { App } from "../../web/src/App.tsx";
import { setLocale } from "../../web/src/lib/i18n.ts";
import { mount, until } from "./render.ts";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
  localStorage.clear();
  setLocale("en");
});

function fakeApi(locked: boolean) {
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const auth = new Headers(init?.headers).get("authorization");
    if (url.endsWith("/api/health")) return Response.json({ ok: true, version: "t", uptime_seconds: 1, config: { ok: true }, running_generations: 0, token_required: locked });
    if (locked && auth !== "Bearer secret-token-123") return Response.json({ success: false, error: "token needed", error_type: "unauthorized" }, { status: 401 });
    return Response.json({ image: { configured: false }, video: { configured: false }, audio: { configured: true, model: "flite", provider: "local" } });
  }) as typeof fetch;
}

test("navigation links switch pages without reloading, and the language switch translates them", async () => {
  fakeApi(false);
  using view = mount(() => <App />);
  await until(() => view.root.querySelector("main h1") !== null);
  const link = [...view.root.querySelectorAll("nav a")].find((a) => a.textContent === "History") as HTMLAnchorElement;
  link.click();
  expect(location.pathname).toBe("/history");
  expect(link.getAttribute("aria-current")).toBe("page");
  const select = view.root.querySelector("header select") as HTMLSelectElement;
  select.value = "zh";
  select.dispatchEvent(new Event("change", { bubbles: true }));
  await until(() => link.textContent === "历史");
});

test("a daemon that needs a token gets a prompt once, and the token is remembered", async () => {
  fakeApi(true);
  using view = mount(() => <App />);
  await until(() => view.root.querySelector("form.token") !== null);
  const input = view.root.querySelector("form.token input") as HTMLInputElement;
  input.value = "secret-token-123";
  input.dispatchEvent(new Event("input", { bubbles: true }));
  (view.root.querySelector("form.token") as HTMLFormElement).requestSubmit();
  await until(() => view.root.querySelector("form.token") === null && view.root.querySelector("main h1") !== null);
  expect(localStorage.getItem("mediagen.token")).toBe("secret-token-123");
});

test("an unknown path shows the Not Found page; /settings opens Models at its own path", async () => {
  fakeApi(false);
  const { navigate } = await import("../../web/src/lib/router.ts");
  navigate("/playground");
  {
    using view = mount(() => <App />);
    await until(() => view.root.querySelector("main h1") !== null);
    expect(view.root.querySelector("main h1")?.textContent).toBe("Page not found");
  }
  navigate("/settings");
  expect(location.pathname).toBe("/models");
  navigate("/Costs/");
  expect(location.pathname).toBe("/costs");
  navigate("/");
});
