// The "Copy as curl" command: endpoint per type, token from the environment, shell-safe body.
import { expect, test } from "bun:test";
import { curlCommand, shellQuote } from "../../../web/src/lib/curl.ts";

test.each([
  [{ type: "image", body: { prompt: "a cat", aspect_ratio: "square" } }, "/api/media/image"],
  [{ type: "video", body: { prompt: "waves", aspect_ratio: "portrait", duration_seconds: 6 } }, "/api/media/video"],
  [{ type: "audio", body: { input: "hello", voice: "alloy" } }, "/api/media/audio/speech"],
] as const)("%j goes to %s as a blocking call", (request, path) => {
  const command = curlCommand(request, "127.0.0.1:7070", false);
  expect(command).toBe(`curl -s -X POST http://127.0.0.1:7070${path} -H "Content-Type: application/json" -d '${JSON.stringify(request.body)}'`);
  expect(command).not.toContain("async");
  expect(command).not.toContain("Authorization");
});

test("with a token set the command reads it from $MEDIAGEN_TOKEN, never inlines it", () => {
  const command = curlCommand({ type: "image", body: { prompt: "x" } }, "box.lan:7070", true);
  expect(command).toContain(`-H "Authorization: Bearer $MEDIAGEN_TOKEN"`);
  expect(command.startsWith("curl -s -X POST http://box.lan:7070/api/media/image ")).toBe(true);
});

test("single quotes in the body are escaped as '\\'' so the shell gets the JSON unchanged", () => {
  const command = curlCommand({ type: "audio", body: { input: "it's $HOME `now`" } }, "127.0.0.1:7070", false);
  expect(command.endsWith(`-d '{"input":"it'\\''s $HOME \`now\`"}'`)).toBe(true);
});

test("input images as data URLs are kept complete", () => {
  const dataUrl = `data:image/png;base64,${"A".repeat(5000)}`;
  const command = curlCommand({ type: "image", body: { prompt: "edit", images: [dataUrl, dataUrl] } }, "127.0.0.1:7070", false);
  expect(command.split(dataUrl)).toHaveLength(3);
});

test("a shell word round-trips through sh", async () => {
  const text = `a 'b' "c" $d \\e`;
  const proc = Bun.spawn(["sh", "-c", `printf %s ${shellQuote(text)}`], { stdout: "pipe" });
  expect(await new Response(proc.stdout).text()).toBe(text);
});
