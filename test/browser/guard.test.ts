// The page guard of browser.ts on a page of its own (no daemon): it records every request, flags the ones leaving
// loopback and collects console and uncaught errors; and every browser test file installs it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { browserAvailable, guardPages, isLoopbackUrl, launchBrowser, openPage } from "./browser.ts";

const enabled = browserAvailable();
guardPages();
let browser: Browser;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  if (!enabled) return;
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("<!doctype html><title>t</title><p>hello</p>", { headers: { "content-type": "text/html" } }) });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop(true);
});

describe("page guard", () => {
  test.each([
    ["http://127.0.0.1:7070/api/health", true],
    ["http://localhost:5173/", true],
    ["http://127.0.0.2/", true],
    ["http://[::1]:7070/", true],
    ["data:image/png;base64,AAAA", true],
    ["blob:http://127.0.0.1:7070/4f1c", true],
    ["about:blank", true],
    ["https://cdn.example.com/lib.js", false],
    ["http://10.0.0.5/", false],
    ["http://127.0.0.1.example.com/", false],
    ["not a url", false],
  ] as const)("%s stays on loopback: %p", (url, loopback) => {
    expect(isLoopbackUrl(url)).toBe(loopback);
  });

  test.if(enabled)("records requests, and collects console errors, uncaught errors and requests leaving loopback", async () => {
    const watched = await openPage(browser, `http://127.0.0.1:${server.port}/`, { allowConsole: [/^expected by the test$/] });
    const { page } = watched;
    // 0.0.0.0 is not loopback by the guard's rule, and Chromium refuses to connect to it: nothing leaves the machine.
    await page.evaluate(async () => {
      console.error("something broke");
      console.error("expected by the test");
      console.warn("only a warning");
      setTimeout(() => {
        throw new Error("thrown later");
      });
      await fetch("http://0.0.0.0:9/outside").catch(() => undefined);
      await fetch("/inside");
    });
    await page.waitForFunction(() => true);
    await Bun.sleep(200);
    expect(watched.requests).toContain(`GET http://127.0.0.1:${server.port}/inside`);
    expect(watched.outside).toEqual(["http://0.0.0.0:9/outside"]);
    expect(watched.errors.filter((error) => !error.startsWith("console: Failed to load resource"))).toEqual(["console: something broke", "uncaught: thrown later"]);
    expect(watched.errors.some((error) => error.includes("expected by the test") || error.includes("only a warning"))).toBe(false);
    // Seen: cleared so that the guard after this test passes.
    watched.errors.length = 0;
    watched.outside.length = 0;
  });

  test("every browser test file installs the guard and opens its pages through openPage", () => {
    const files = readdirSync(import.meta.dir).filter((name) => name.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(3);
    const source = (name: string) => readFileSync(`${import.meta.dir}/${name}`, "utf8");
    expect(files.filter((name) => !/^guardPages\(\);$/m.test(source(name)))).toEqual([]);
    // A context or page made directly would escape the guard.
    expect(files.filter((name) => /\.(newContext|newPage)\(/.test(source(name)))).toEqual([]);
  });
});
