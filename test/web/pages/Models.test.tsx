// The Models page: models in use, the add/edit form (offers per type, masked keys, field errors), test connection, remove and default.
import { afterEach, expect, test } from "bun:test";
import { Models } from "../../../web/src/pages/Models.tsx";
import { MODELS, PROVIDERS } from "../catalog-fixture.ts";
import { button, choose, hasButton, optionValues, typeInto } from "../dom.ts";
import { errorAnswer, fakeRoutes, type Route, type SentRequest } from "../fake-routes.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => restore());

function daemon(routes: Record<string, Route> = {}) {
  const fake = fakeRoutes({ "GET /api/config/models": { models: MODELS }, "GET /api/config/catalog": { providers: PROVIDERS }, ...routes });
  restore = fake.restore;
  return fake;
}

async function openPage() {
  const view = mount(() => <Models />);
  await until(() => view.root.querySelector(".models-entry") !== null && !(button(view.root, "Add model").disabled));
  return view;
}

const form = (root: HTMLElement) => root.querySelector("form.models-form") as HTMLFormElement;
const field = (root: HTMLElement, name: string) => root.querySelector(`#models-form-${name}`) as HTMLInputElement;

test("shows the model in use per type, 'not configured' for the others, and every entry", async () => {
  daemon();
  using view = await openPage();
  const cards = [...view.root.querySelectorAll(".models-type-card")].map((c) => c.textContent);
  expect(cards[0]).toContain("pics");
  expect(cards[0]).toContain("openai");
  expect(cards[0]).toContain("gpt-image-2");
  expect(cards[1]).toContain("Not configured");
  expect(cards[2]).toContain("flite");
  expect(view.root.querySelectorAll(".models-entry")).toHaveLength(2);
  expect(view.root.textContent).toContain("key sk-t****fXYZ");
  expect(view.root.textContent).toContain("keeps the comments");
});

test("the add form offers only providers of the chosen type, their known models, and the default base URL", async () => {
  daemon();
  using view = await openPage();
  button(view.root, "Add model").click();
  await until(() => form(view.root) !== null);
  expect(optionValues(field(view.root, "provider"))).toEqual(["openclacky", "openai", "openrouter", "openai-compatible"]);
  choose(field(view.root, "type"), "video");
  await until(() => optionValues(field(view.root, "provider")).length === 2);
  expect(optionValues(field(view.root, "provider"))).toEqual(["openclacky", "openrouter"]);
  const known = () => [...view.root.querySelectorAll("#models-known-models option")].map((o) => o.getAttribute("value"));
  expect(known()).toEqual(["or-veo-3-1", "or-veo-3-1-fast"]);
  expect(field(view.root, "model").getAttribute("list")).toBe("models-known-models");
  expect(field(view.root, "base_url").placeholder).toBe("https://api.openclacky.com");
  // The key's usual environment variable is offered as a ${NAME} reference.
  expect(field(view.root, "api_key").placeholder).toBe("${CLACKY_API_KEY}");
  choose(field(view.root, "type"), "audio");
  choose(field(view.root, "provider"), "local");
  await until(() => known().join() === "flite");
  expect(field(view.root, "base_url").placeholder).toBe("local:");
  expect(field(view.root, "api_key").placeholder).toBe("");
  expect(view.root.querySelector("#models-form-options")).toBeNull();
});

test("adding sends the typed entry; a new key goes along", async () => {
  const { sent } = daemon({ "POST /api/config/models": { ...MODELS[0], index: 2, name: "clips", type: "video" } });
  using view = await openPage();
  button(view.root, "Add model").click();
  await until(() => form(view.root) !== null);
  choose(field(view.root, "type"), "video");
  typeInto(field(view.root, "model"), "or-veo-3-1");
  typeInto(field(view.root, "name"), "clips");
  typeInto(field(view.root, "api_key"), "sk-live-123");
  form(view.root).requestSubmit();
  await until(() => form(view.root) === null);
  expect(sent.find((r) => r.method === "POST")?.body).toEqual({ type: "video", provider: "openclacky", model: "or-veo-3-1", name: "clips", default: false, api_key: "sk-live-123" });
  await until(() => view.root.textContent?.includes("clips was saved to config.yml.") === true);
});

test("editing shows the saved key masked only; saving without Replace keeps it, Replace sends the new one", async () => {
  const { sent } = daemon({ "PUT /api/config/models/0": (r: SentRequest) => Response.json({ ...MODELS[0], model: (r.body as { model: string }).model }) });
  using view = await openPage();
  button(view.root, "Edit pics").click();
  await until(() => form(view.root) !== null);
  expect(form(view.root).querySelector(".models-key-masked")?.textContent).toBe("sk-t****fXYZ");
  expect(form(view.root).querySelector("input[type=password]")).toBeNull();
  expect(field(view.root, "options").value).toContain('"quality": "high"');
  typeInto(field(view.root, "model"), "gpt-image-1.5");
  form(view.root).requestSubmit();
  await until(() => sent.some((r) => r.method === "PUT"));
  const put = sent.find((r) => r.method === "PUT")!;
  expect(put.path).toBe("/api/config/models/0");
  expect(put.body).toEqual({ name: "pics", type: "image", provider: "openai", model: "gpt-image-1.5", default: false, options: { quality: "high" } });

  await until(() => form(view.root) === null);
  button(view.root, "Edit pics").click();
  await until(() => form(view.root) !== null);
  button(form(view.root), "Replace").click();
  const password = form(view.root).querySelector("input[type=password]") as HTMLInputElement;
  expect(password.value).toBe("");
  typeInto(password, "sk-brand-new");
  form(view.root).requestSubmit();
  await until(() => sent.filter((r) => r.method === "PUT").length === 2);
  expect(sent.filter((r) => r.method === "PUT")[1]!.body).toMatchObject({ api_key: "sk-brand-new" });
});

test("editing a speech entry selects its type and provider and offers no options editor", async () => {
  daemon();
  using view = await openPage();
  button(view.root, "Edit offline-speech").click();
  await until(() => form(view.root) !== null);
  expect(field(view.root, "type").value).toBe("audio");
  expect(field(view.root, "provider").value).toBe("local");
  expect(field(view.root, "model").value).toBe("flite");
  expect(view.root.querySelector("#models-form-options")).toBeNull();
  expect(form(view.root).textContent).toContain("(optional for this provider)");
  expect(form(view.root).querySelector("input[type=password]")).not.toBeNull();
});

test("a 400 naming models[n].options.quality is shown next to the options and the form stays open", async () => {
  daemon({
    "POST /api/config/models": () => errorAnswer(400, "options.quality: must be one of auto, low, medium, high", "invalid_argument", { field: "models[2].options.quality" }),
  });
  using view = await openPage();
  button(view.root, "Add model").click();
  await until(() => form(view.root) !== null);
  typeInto(field(view.root, "model"), "gpt-image-2");
  typeInto(field(view.root, "options"), '{"quality": "ultra"}');
  form(view.root).requestSubmit();
  await until(() => view.root.querySelector("#models-form-options-error") !== null);
  expect(view.root.querySelector("#models-form-options-error")?.textContent).toContain("must be one of auto, low, medium, high");
  expect(field(view.root, "options").getAttribute("aria-invalid")).toBe("true");
  expect(field(view.root, "options").getAttribute("aria-describedby")).toBe("models-form-options-error");
  expect(form(view.root)).not.toBeNull();
});

test("a 400 on base_url lands next to the base URL field", async () => {
  daemon({ "POST /api/config/models": () => errorAnswer(400, "base_url: must be an http(s) URL", "invalid_argument", { field: "base_url" }) });
  using view = await openPage();
  button(view.root, "Add model").click();
  await until(() => form(view.root) !== null);
  typeInto(field(view.root, "model"), "m");
  typeInto(field(view.root, "base_url"), "ftp://x");
  form(view.root).requestSubmit();
  await until(() => view.root.querySelector("#models-form-base_url-error") !== null);
  expect(view.root.querySelector("#models-form-base_url-error")?.textContent).toBe("base_url: must be an http(s) URL");
});

test("in Chinese a field's error leads with Chinese words before the daemon's sentence", async () => {
  const { setLocale } = await import("../../../web/src/lib/i18n.ts");
  daemon({ "POST /api/config/models": () => errorAnswer(400, "base_url: must be an http(s) URL", "invalid_argument", { field: "base_url" }) });
  using view = await openPage();
  setLocale("zh");
  try {
    button(view.root, "添加模型").click();
    await until(() => form(view.root) !== null);
    typeInto(field(view.root, "model"), "m");
    typeInto(field(view.root, "base_url"), "ftp://x");
    form(view.root).requestSubmit();
    await until(() => view.root.querySelector("#models-form-base_url-error") !== null);
    expect(view.root.querySelector("#models-form-base_url-error")?.textContent).toBe("请求字段无效。 base_url: must be an http(s) URL");
  } finally {
    setLocale("en");
  }
});

test("test connection sends the form's values with the masked key and the entry's name, and shows the answer", async () => {
  const { sent } = daemon({
    "POST /api/config/models/test": { ok: false, message: "Upstream 401: Invalid API key", error_type: "auth_required", provider: "openai", model: "gpt-image-1.5" },
  });
  using view = await openPage();
  button(view.root, "Edit pics").click();
  await until(() => form(view.root) !== null);
  typeInto(field(view.root, "model"), "gpt-image-1.5");
  button(form(view.root), "Test connection").click();
  await until(() => view.root.querySelector(".models-test") !== null);
  expect(sent.find((r) => r.path === "/api/config/models/test")?.body).toEqual({
    name: "pics",
    type: "image",
    provider: "openai",
    model: "gpt-image-1.5",
    api_key: "sk-t****fXYZ",
    options: { quality: "high" },
  });
  const answer = view.root.querySelector(".models-test")!;
  expect(answer.textContent).toContain("Connection failed:");
  expect(answer.textContent).toContain("Upstream 401: Invalid API key");
  expect(answer.textContent).toContain("auth_required");
});

test("a working connection says so", async () => {
  daemon({ "POST /api/config/models/test": { ok: true, message: "Key accepted; model gpt-image-2 is available", provider: "openai", model: "gpt-image-2" } });
  using view = await openPage();
  button(view.root, "Edit pics").click();
  await until(() => form(view.root) !== null);
  button(form(view.root), "Test connection").click();
  await until(() => view.root.querySelector(".models-test.ok") !== null);
  expect(view.root.querySelector(".models-test")?.textContent).toContain("Connection works: Key accepted");
});

test("remove asks first, then sends DELETE; make default sends its POST", async () => {
  const { sent } = daemon({
    "DELETE /api/config/models/0": { models: [{ ...MODELS[1], index: 0 }] },
    "POST /api/config/models/0/default": { models: [{ ...MODELS[0], default: true }, MODELS[1]] },
  });
  using view = await openPage();
  button(view.root, "Make default: pics for its type").click();
  await until(() => sent.some((r) => r.path === "/api/config/models/0/default"));
  await until(() => !hasButton(view.root, "Make default: pics for its type"));

  button(view.root, "Remove pics").click();
  expect(sent.some((r) => r.method === "DELETE")).toBe(false);
  expect(view.root.textContent).toContain("Remove pics from config.yml?");
  button(view.root, "Yes, remove").click();
  await until(() => view.root.querySelectorAll(".models-entry").length === 1);
  expect(sent.find((r) => r.method === "DELETE")?.path).toBe("/api/config/models/0");
  expect(view.root.textContent).toContain("pics was removed.");
});

test("an API failure loading the list is a readable error with retry, not a blank page", async () => {
  daemon({ "GET /api/config/models": () => errorAnswer(500, "Internal error; see the daemon's log.", "internal") });
  using view = mount(() => <Models />);
  await until(() => view.root.querySelector("[role=alert]") !== null);
  expect(view.root.querySelector("h1")?.textContent).toBe("Models");
  expect(view.root.textContent).toContain("Internal error; see the daemon's log.");
  expect(hasButton(view.root, "Retry")).toBe(true);
});

test("a failed catalogue is a readable error; the entries stay listed and the form cannot open without it", async () => {
  daemon({ "GET /api/config/catalog": () => errorAnswer(503, "The daemon is shutting down; retry once it is back", "interrupted") });
  using view = mount(() => <Models />);
  await until(() => view.root.querySelector(".models-entry") !== null && view.root.querySelector("[role=alert]") !== null);
  expect(view.root.querySelector("[role=alert]")!.textContent).toContain("The daemon is shutting down");
  expect(button(view.root, "Add model").disabled).toBe(true);
  expect(button(view.root, "Edit pics").disabled).toBe(true);
});
