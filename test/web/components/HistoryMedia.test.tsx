// A generation's media that fails to load: a file gone from disk, or one this browser cannot decode.
import { afterEach, expect, test } from "bun:test";
import { HistoryMedia } from "../../../web/src/components/HistoryCard.tsx";
import type { Generation } from "../../../web/src/lib/api.ts";
import { apiError, fakeFetch } from "../history-costs-fetch.ts";
import { mount, until } from "../render.ts";

let restore = () => {};
afterEach(() => restore());

const VIDEO = {
  id: "gen-video",
  type: "video",
  status: "succeeded",
  prompt: "Waves at dusk",
  output_path: "/home/me/out/gen-video.mp4",
} as Generation;

test.each([
  ["still on disk but not decodable", new Response(new Uint8Array([0]), { status: 206 }), "This browser cannot play the file; open it"],
  ["gone from disk", apiError(404, "The file of this generation is no longer on disk", "not_found"), "The file is no longer there"],
])("%s", async (_name, answer, text) => {
  const fake = fakeFetch({ "GET /api/generations/gen-video/file": answer });
  restore = fake.restore;
  using view = mount(() => <HistoryMedia generation={VIDEO} full />);
  view.root.querySelector("video")!.dispatchEvent(new Event("error"));
  await until(() => view.root.textContent?.includes(text) === true);
  expect(view.root.querySelector("video")).toBeNull();
  expect(fake.sent.at(-1)!.path).toBe("/api/generations/gen-video/file");
});
