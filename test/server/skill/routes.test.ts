// GET /skill.md: the seed skill filled in with the address the daemon was reached at, behind the API's guards.
import { describe, expect, test } from "bun:test";
import { renderSkill } from "../../../server/skill/template.ts";
import { createHarness } from "../../helpers.ts";

const get = (h: ReturnType<typeof createHarness>, host: string, headers: Record<string, string> = {}) =>
  h.app.handle(new Request(`http://${host}/skill.md`, { headers: { host, ...headers } }));

describe("GET /skill.md", () => {
  test("is the skill with this daemon's host and port in every URL, and the CLI and MCP doors named", async () => {
    using h = createHarness();
    const response = await get(h, "127.0.0.1:7171");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/markdown");
    const text = await response.text();
    expect(text).toStartWith("---\nname: media-gen\ndescription: 'Generate or edit images");
    expect(text).not.toContain("CLACKY_SERVER");
    expect(text).toContain("POST http://127.0.0.1:7171/api/media/image");
    expect(text).toContain("curl -s -X POST http://127.0.0.1:7171/api/media/video");
    expect(text).toContain("curl -s -X POST http://127.0.0.1:7171/api/media/audio/speech");
    expect(text).toContain("curl -s http://127.0.0.1:7171/api/media/types");
    expect(text).toContain(`mediagen image "a prompt" --out "$(pwd)"`);
    expect(text).toContain("mediagen mcp --print-config");
    expect(text).not.toContain("Authorization");
    // The contract's fields, word for word.
    for (const field of ["`output_dir`", "`aspect_ratio`", "`images`", "`duration_seconds`", "`input`", "`voice`", '"error_type": "api_error"']) expect(text).toContain(field);
  });

  test("another allowed name of the daemon (localhost) is what the skill says", async () => {
    using h = createHarness();
    const text = await (await get(h, "localhost:7070")).text();
    expect(text).toContain("http://localhost:7070/api/media/image");
  });

  test("a foreign Host is refused like /api (DNS rebinding), and a cross-site Origin too", async () => {
    using h = createHarness();
    const foreign = await get(h, "evil.example:7070");
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error_type: "forbidden" });
    const crossSite = await get(h, "127.0.0.1:7070", { origin: "http://evil.example" });
    expect(crossSite.status).toBe(403);
  });

  test("with server.token set it needs the token, and its examples send it", async () => {
    using h = createHarness({ config: { server: { token: "s3cret-token-value" } } });
    expect((await get(h, "127.0.0.1:7070")).status).toBe(401);
    const response = await get(h, "127.0.0.1:7070", { authorization: "Bearer s3cret-token-value" });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('-H "Authorization: Bearer $MEDIAGEN_TOKEN"');
    expect(text).toContain("curl -s -H \"Authorization: Bearer $MEDIAGEN_TOKEN\" http://127.0.0.1:7070/api/media/types");
    expect(text).not.toContain("s3cret-token-value");
  });
});

describe("renderSkill", () => {
  test("its front matter is valid YAML with the seed's name and description", async () => {
    const { parse } = await import("yaml");
    const text = renderSkill({ authority: "127.0.0.1:7070", tokenRequired: false });
    const front = parse(text.split("---\n")[1]!) as Record<string, unknown>;
    expect(front).toMatchObject({ name: "media-gen", "user-invocable": true, "disable-model-invocation": false });
    expect(String(front.description)).toContain("画一张");
  });
});
