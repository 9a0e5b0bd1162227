import { expect, test } from "bun:test";
import { ownerChoices, ownerParams, ownerValue } from "../../../web/src/lib/owners.ts";

test("ownerChoices lists each owner and team once, sorted, revoked ones too", () => {
  expect(
    ownerChoices([
      { name: "bob", team: "design" },
      { name: "alice", team: "backend" },
      { name: "alice", team: null },
      { name: "carol", team: "design" },
    ]),
  ).toEqual({ owners: ["alice", "bob", "carol"], teams: ["backend", "design"] });
  expect(ownerChoices([])).toEqual({ owners: [], teams: [] });
});

test("ownerParams turns a select value into the owner or team query", () => {
  expect(ownerParams(ownerValue("owner", "alice"))).toEqual({ owner: "alice" });
  expect(ownerParams(ownerValue("team", "back:end"))).toEqual({ team: "back:end" });
  expect(ownerParams("")).toEqual({});
  expect(ownerParams("owner:")).toEqual({});
  expect(ownerParams("other:x")).toEqual({});
});
