// Other spellings of a page's path, shared by the server's redirects and the client router.
import { expect, test } from "bun:test";
import { canonicalUiPath } from "../../web/src/routes.ts";

test.each([
  ["/", undefined],
  ["/models", undefined],
  ["/models/", "/models"],
  ["/Costs", "/costs"],
  ["/JOBS//", "/jobs"],
  ["//", "/"],
  ["/settings", "/models"],
  ["/Settings/", "/models"],
  ["/playground", undefined],
  ["/models/3", undefined],
  ["/constructor", undefined],
  ["/__proto__", undefined],
])("canonicalUiPath(%s) is %p", (path, expected) => {
  expect(canonicalUiPath(path) as string | undefined).toBe(expected as string | undefined);
});
