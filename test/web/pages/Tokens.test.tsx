// The Tokens page: create (the secret shown once), list, revoke with a confirmation, a member's 403, bad input, Chinese.
import { afterEach, expect, test } from "bun:test";
import type { TokenCreated, TokenView } from "../../../web/src/lib/api.ts";
import { setLocale } from "../../../web/src/lib/i18n.ts";
import { Tokens } from "../../../web/src/pages/Tokens.tsx";
import { button, choose, typeInto } from "../dom.ts";
import { errorAnswer, fakeRoutes, type Route, type SentRequest } from "../fake-routes.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => {
  restore();
  setLocale("en");
});

const view = (fields: Partial<TokenView> & Pick<TokenView, "id" | "name">): TokenView => ({
  team: null,
  role: "member",
  prefix: "mg_Ab12",
  budget_daily_usd: null,
  budget_monthly_usd: null,
  created_at: "2026-11-29T10:00:00.000Z",
  revoked_at: null,
  last_used_at: null,
  ...fields,
});

function daemon(items: TokenView[], routes: Record<string, Route> = {}) {
  const fake = fakeRoutes({ "GET /api/tokens": () => Response.json({ items }), ...routes });
  restore = fake.restore;
  return fake;
}

const rows = (root: HTMLElement) => [...root.querySelectorAll(".tokens-row")].map((row) => [...row.querySelectorAll("td")].map((td) => td.textContent?.trim()));

test("lists tokens with name, team, role, prefix, limits and state; never a secret", async () => {
  daemon([
    view({ id: "t1", name: "alice", team: "backend", budget_daily_usd: 2, budget_monthly_usd: 30, last_used_at: "2026-11-29T11:00:00.000Z" }),
    view({ id: "t2", name: "root", role: "admin", prefix: "mg_Zz99" }),
    view({ id: "t3", name: "old", revoked_at: "2026-11-28T10:00:00.000Z" }),
  ]);
  using page = mount(() => <Tokens />);
  await until(() => rows(page.root).length === 3);
  const [alice, root, old] = rows(page.root);
  expect(alice!.slice(0, 4)).toEqual(["alice", "backend", "Member", "mg_Ab12…"]);
  expect(alice![4]).toContain("$2.00/day");
  expect(alice![4]).toContain("$30.00/month");
  expect(root!.slice(0, 4)).toEqual(["root", "—", "Admin", "mg_Zz99…"]);
  expect(root![4]).toStartWith("none");
  expect(alice![6]).not.toBe("Never");
  expect(alice![6]).toMatch(/\d/);
  expect(root![6]).toBe("Never");
  expect(old![7]).toContain("Revoked");
  expect(page.root.querySelectorAll(".tokens-row")[2]!.querySelector("button")).toBeNull();
});

test("creating a token sends the form and shows the secret once, with a copy button", async () => {
  const items: TokenView[] = [];
  const made: TokenCreated = { ...view({ id: "t9", name: "bob", team: "design", budget_daily_usd: 5 }), token: "mg_SECRETSECRETSECRET" };
  const { sent } = daemon(items, {
    "POST /api/tokens": () => {
      items.push(made);
      return Response.json(made, { status: 201 });
    },
  });
  using page = mount(() => <Tokens />);
  await until(() => page.root.textContent?.includes("No tokens yet") === true);
  typeInto(page.root.querySelector('input[name="name"]'), " bob ");
  typeInto(page.root.querySelector('input[name="team"]'), "design");
  typeInto(page.root.querySelector('input[name="daily"]'), "5");
  choose(page.root.querySelector('select[name="role"]'), "member");
  button(page.root, "Create token").click();
  await until(() => page.root.querySelector(".tokens-secret") !== null);
  expect(sent.find((r) => r.method === "POST")!.body).toEqual({ name: "bob", team: "design", role: "member", budget_daily_usd: 5 });
  expect(page.root.querySelector(".tokens-secret")!.textContent).toBe("mg_SECRETSECRETSECRET");
  expect(page.root.textContent).toContain("shown only once");
  await until(() => rows(page.root).length === 1);
  button(page.root, "Done").click();
  expect(page.root.textContent).not.toContain("mg_SECRETSECRETSECRET");
});

test("revoke asks first, then revokes and says so", async () => {
  let items = [view({ id: "t1", name: "alice" })];
  const { sent } = daemon([], {
    "GET /api/tokens": () => Response.json({ items }),
    "DELETE /api/tokens/t1": () => {
      items = [{ ...items[0]!, revoked_at: "2026-11-29T11:00:00.000Z" }];
      return Response.json(items[0]);
    },
  });
  using page = mount(() => <Tokens />);
  await until(() => rows(page.root).length === 1);
  button(page.root, "Revoke the token of alice").click();
  expect(page.root.textContent).toContain("Revoke alice's token? It stops working at once.");
  button(page.root, "Keep it").click();
  expect(sent.some((r) => r.method === "DELETE")).toBe(false);
  button(page.root, "Revoke the token of alice").click();
  button(page.root, "Revoke now").click();
  await until(() => page.root.textContent?.includes("The token of alice was revoked.") === true);
  await until(() => rows(page.root)[0]![7]!.includes("Revoked"));
});

test("a member sees the daemon's 403 instead of the form", async () => {
  daemon([], { "GET /api/tokens": () => errorAnswer(403, "Only an admin may manage tokens; the token of alice has role member.", "forbidden") });
  using page = mount(() => <Tokens />);
  await until(() => page.root.querySelector('[role="alert"]') !== null);
  expect(page.root.textContent).toContain("Only an admin may manage tokens");
  expect(page.root.querySelector("form")).toBeNull();
});

test("a refused create shows the daemon's sentence and keeps the form", async () => {
  daemon([], { "POST /api/tokens": () => errorAnswer(400, 'An active token is already named "bob"', "invalid_argument", { field: "name" }) });
  using page = mount(() => <Tokens />);
  await until(() => page.root.querySelector("form") !== null);
  typeInto(page.root.querySelector('input[name="name"]'), "bob");
  button(page.root, "Create token").click();
  await until(() => page.root.textContent?.includes("already named") === true);
  expect((page.root.querySelector('input[name="name"]') as HTMLInputElement).value).toBe("bob");
});

test("in Chinese", async () => {
  setLocale("zh");
  daemon([view({ id: "t1", name: "alice", role: "admin" })]);
  using page = mount(() => <Tokens />);
  await until(() => rows(page.root).length === 1);
  expect(page.root.querySelector("h1")!.textContent).toBe("令牌");
  expect(rows(page.root)[0]![2]).toBe("管理员");
  expect(page.root.textContent).toContain("创建令牌");
});

test("an admin edits a token's limits in place; a blank field removes that limit", async () => {
  let items = [view({ id: "t1", name: "alice", budget_daily_usd: 2, budget_monthly_usd: 30 })];
  const { sent } = daemon([], {
    "GET /api/tokens": () => Response.json({ items }),
    "PATCH /api/tokens/t1": (request: SentRequest) => {
      const body = request.body as { budget_daily_usd: number | null; budget_monthly_usd: number | null };
      items = [{ ...items[0]!, ...body }];
      return Response.json(items[0]);
    },
  });
  using page = mount(() => <Tokens />);
  await until(() => rows(page.root).length === 1);
  button(page.root, "Edit the limits of alice").click();
  const [daily, monthly] = [...page.root.querySelectorAll(".tokens-limits-edit input")] as HTMLInputElement[];
  expect([daily!.value, monthly!.value]).toEqual(["2", "30"]);
  typeInto(daily!, "5");
  typeInto(monthly!, "");
  button(page.root, "Save").click();
  await until(() => page.root.textContent?.includes("The limits of alice were saved") === true);
  expect(sent.find((r) => r.method === "PATCH")!.body).toEqual({ budget_daily_usd: 5, budget_monthly_usd: null });
  await until(() => rows(page.root)[0]![4]!.startsWith("$5.00/day"));
  expect(rows(page.root)[0]![4]).not.toContain("month");
});
