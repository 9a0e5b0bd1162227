// The owner filter of History and Costs: people and teams from the tokens, hidden when the caller may not list them.
import { afterEach, expect, test } from "bun:test";
import { createSignal } from "solid-js";
import { OwnerSelect } from "../../../web/src/components/OwnerSelect.tsx";
import { choose, optionValues } from "../dom.ts";
import { errorAnswer, fakeRoutes } from "../fake-routes.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => restore());

test("offers everyone, each person and each team, and reports the choice", async () => {
  restore = fakeRoutes({
    "GET /api/tokens": {
      items: [
        { id: "1", name: "bob", team: "design", role: "member", prefix: "mg_x", budget_daily_usd: null, budget_monthly_usd: null, created_at: "", revoked_at: null },
        { id: "2", name: "alice", team: null, role: "admin", prefix: "mg_y", budget_daily_usd: null, budget_monthly_usd: null, created_at: "", revoked_at: "" },
      ],
    },
  }).restore;
  const [value, setValue] = createSignal("");
  using view = mount(() => <OwnerSelect value={value()} onChange={setValue} />);
  await until(() => view.root.querySelector("select") !== null);
  const select = view.root.querySelector("select")!;
  expect(optionValues(select)).toEqual(["", "owner:alice", "owner:bob", "team:design"]);
  expect([...select.querySelectorAll("optgroup")].map((g) => g.label)).toEqual(["People", "Teams"]);
  choose(select, "team:design");
  expect(value()).toBe("team:design");
});

test("a member (403) or a daemon without tokens gets no select", async () => {
  for (const answer of [() => errorAnswer(403, "Only an admin may manage tokens", "forbidden"), () => Response.json({ items: [] })]) {
    const fake = fakeRoutes({ "GET /api/tokens": answer });
    restore = fake.restore;
    using view = mount(() => <OwnerSelect value="" onChange={() => {}} />);
    await until(() => fake.sent.length === 1);
    await Bun.sleep(20);
    expect(view.root.querySelector("select")).toBeNull();
    fake.restore();
  }
});
