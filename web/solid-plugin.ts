// Bun plugin that compiles SolidJS JSX/TSX with babel-preset-solid (Bun's own JSX transform is React-style).
import type { BunPlugin } from "bun";
import { transformAsync } from "@babel/core";
// @ts-expect-error: the presets ship no type declarations
import solidPreset from "babel-preset-solid";
// @ts-expect-error: the presets ship no type declarations
import tsPreset from "@babel/preset-typescript";

/** Compiles `.tsx`/`.jsx` files under `web/` to Solid DOM expressions. */
export const solidPlugin: BunPlugin = {
  name: "solid-jsx",
  setup(build) {
    build.onLoad({ filter: /\/web\/.*\.[jt]sx$/ }, async ({ path }) => {
      const source = await Bun.file(path).text();
      const result = await transformAsync(source, {
        filename: path,
        babelrc: false,
        configFile: false,
        presets: [[solidPreset, { generate: "dom", hydratable: false }], [tsPreset, { isTSX: true, allExtensions: true }]],
      });
      return { contents: result?.code ?? "", loader: "js" };
    });
  },
};

export default solidPlugin;
