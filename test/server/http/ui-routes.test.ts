// Which paths the front door answers with the UI (a page, a redirect to a page's own path, or the page with a 404 for
// the client's Not Found page) and which keep the API's JSON 404, through the real app and the real UI bundle.
import { afterAll, describe, expect, test } from "bun:test";
import { createFrontDoor } from "../../../server/http/front-door.ts";
import { memoryLogger } from "../../../server/log.ts";
import { isApiPath } from "../../../server/ui.ts";
import { createHarness } from "../../helpers.ts";

const harness = createHarness();
afterAll(() => harness[Symbol.dispose]());

const door = createFrontDoor({
  handle: (request) => harness.app.handle(request),
  uiGuard: () => undefined,
  apiGuard: () => undefined,
  maxBodyBytes: () => 1048576,
  log: memoryLogger(),
});
const server = { timeout: () => {} };
const send = (path: string, method = "GET") => door.fetch(new Request(`http://127.0.0.1:7070${path}`, { method }), server);

describe("redirects to a page's own path", () => {
  test.each([
    ["/settings", 302, "/models"],
    ["/settings/", 302, "/models"],
    ["/Settings", 302, "/models"],
    ["/models/", 301, "/models"],
    ["/Costs", 301, "/costs"],
    ["/HISTORY//", 301, "/history"],
    ["/jobs/?id=abc", 301, "/jobs?id=abc"],
  ])("GET %s -> %d %s", async (path, status, location) => {
    const response = await send(path);
    expect(response.status).toBe(status);
    expect(response.headers.get("location")).toBe(location);
  });
});

describe("any other path outside the API gets the UI page with a 404", () => {
  test.each(["/playground", "/settings/keys", "/models/3", "/nowhere", "/apix"])("GET %s", async (path) => {
    const response = await send(path);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain('<div id="root">');
  }, 60_000);

  test("HEAD of an unknown path: the 404 without a body", async () => {
    const response = await send("/nowhere", "HEAD");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toBe("");
  });

  test("the pages themselves answer 200", async () => {
    for (const path of ["/", "/models", "/history", "/costs", "/jobs"]) expect((await send(path)).status).toBe(200);
  });
});

describe("the API keeps its JSON answers", () => {
  test.each([
    ["GET", "/api/nope"],
    ["GET", "/api/"],
    ["GET", "/API/health"],
    ["GET", "/v1/nope"],
    ["GET", "/missing-asset.js"],
    ["POST", "/settings"],
    ["DELETE", "/models"],
  ])("%s %s -> JSON 404", async (method, path) => {
    const response = await send(path, method);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as Record<string, unknown>;
    expect(JSON.stringify(body)).toContain("not_found");
  });

  test("/api/health and /skill.md still answer", async () => {
    expect((await send("/api/health")).status).toBe(200);
    const skill = await send("/skill.md");
    expect(skill.status).toBe(200);
    expect(skill.headers.get("content-type")).toContain("text/markdown");
  });

  test.each([
    ["/api", true],
    ["/api/media/image", true],
    ["/Api/x", true],
    ["/v1", true],
    ["/v1/images/generations", true],
    ["/mcp", true],
    ["/skill.md", true],
    ["/SKILL.md", true],
    ["/apis", false],
    ["/settings", false],
    ["/", false],
    ["/v10", false],
  ])("isApiPath(%s) is %p", (path, expected) => {
    expect(isApiPath(path)).toBe(expected);
  });
});
