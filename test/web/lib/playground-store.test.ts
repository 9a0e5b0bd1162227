// What the Playground takes back from sessionStorage after a reload: only values of the shape it saved.
import { afterEach, expect, test } from "bun:test";
import { EMPTY_FORMS, MAX_RUNS, playground, restoredValue } from "../../../web/src/lib/playground-store.ts";

afterEach(() => {
  playground.reset();
  sessionStorage.clear();
});

test("a stored value is taken where its shape matches; missing or odd fields fall back", () => {
  expect(restoredValue({ prompt: "cat", aspect: 3, extra: true }, EMPTY_FORMS.image)).toEqual({ ...EMPTY_FORMS.image, prompt: "cat" });
  expect(restoredValue("image", "video")).toBe("image");
  expect(restoredValue(7, "video")).toBe("video");
  expect(restoredValue(null, { a: 1 })).toEqual({ a: 1 });
  expect(restoredValue({ image: [1] }, { image: [] as number[], video: [] as number[] })).toEqual({ image: [1], video: [] });
  expect(restoredValue("x", [])).toEqual([]);
});

test("runs are kept newest first, at most MAX_RUNS per type", () => {
  for (let i = 0; i < MAX_RUNS + 3; i++) playground.addRun("image", { id: `r${i}`, label: `p${i}`, compare: false, cards: [] });
  expect(playground.runs().image).toHaveLength(MAX_RUNS);
  expect(playground.runs().image[0]!.id).toBe(`r${MAX_RUNS + 2}`);
  expect(playground.runs().video).toEqual([]);
});

test("a prefill shows its type with its form and model, not comparing, and leaves a note", () => {
  playground.setCompare("video", { on: true, models: ["a", "b"] });
  playground.prefill({ type: "video", model: "veo", droppedInputs: true, form: { ...EMPTY_FORMS.video, prompt: "waves" } });
  expect(playground.tab()).toBe("video");
  expect(playground.forms().video.prompt).toBe("waves");
  expect(playground.picked().video).toBe("veo");
  expect(playground.compare().video).toEqual({ on: false, models: ["a", "b"] });
  expect(playground.prefillNote()).toEqual({ type: "video", droppedInputs: true, model: "veo" });
});
