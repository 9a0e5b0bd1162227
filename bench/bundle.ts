// Web UI bundle size: the shipped UI against a minimal Solid page built with the same toolchain in the same run
// (the baseline: what Solid and the build cost before any of mediagen's UI).
// Run: bun bench/bundle.ts
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { solidPlugin } from "../web/solid-plugin.ts";

type Sizes = { js: number; js_gzip: number; css: number; css_gzip: number };

async function bundle(entry: string, outdir: string): Promise<Sizes> {
  const result = await Bun.build({ entrypoints: [entry], outdir, plugins: [solidPlugin], minify: true, target: "browser" });
  if (!result.success) throw new Error(result.logs.join("\n"));
  const sizes: Sizes = { js: 0, js_gzip: 0, css: 0, css_gzip: 0 };
  for (const name of readdirSync(outdir, { recursive: true }) as string[]) {
    const path = join(outdir, name);
    if (!statSync(path).isFile()) continue;
    const bytes = await Bun.file(path).bytes();
    if (name.endsWith(".js")) {
      sizes.js += bytes.length;
      sizes.js_gzip += gzipSync(bytes).length;
    } else if (name.endsWith(".css")) {
      sizes.css += bytes.length;
      sizes.css_gzip += gzipSync(bytes).length;
    }
  }
  return sizes;
}

// Inside the repository, so the baseline resolves solid-js from node_modules like the UI does.
const root = mkdtempSync(join(process.cwd(), ".bench-bundle-"));
const baselineDir = join(root, "web", "baseline");
Bun.spawnSync(["mkdir", "-p", baselineDir]);
writeFileSync(join(baselineDir, "index.html"), `<!doctype html><div id="root"></div><script type="module" src="./main.tsx"></script>`);
writeFileSync(
  join(baselineDir, "main.tsx"),
  `import { render } from "solid-js/web";\nimport { createSignal } from "solid-js";\nfunction App() { const [n, setN] = createSignal(0); return <button onClick={() => setN(n() + 1)}>{n()}</button>; }\nrender(() => <App />, document.getElementById("root")!);\n`,
);
const baseline = await bundle(join(baselineDir, "index.html"), join(root, "out-baseline"));
const ui = await bundle("./web/index.html", join(root, "out-ui"));
rmSync(root, { recursive: true, force: true });
const kb = (n: number) => +(n / 1024).toFixed(1);
console.log(
  JSON.stringify(
    {
      ui_js_kb: kb(ui.js),
      ui_js_gzip_kb: kb(ui.js_gzip),
      ui_css_kb: kb(ui.css),
      ui_css_gzip_kb: kb(ui.css_gzip),
      baseline_js_kb: kb(baseline.js),
      baseline_js_gzip_kb: kb(baseline.js_gzip),
      ratio_js: +(ui.js / baseline.js).toFixed(1),
      ratio_js_gzip: +(ui.js_gzip / baseline.js_gzip).toFixed(1),
    },
    null,
    2,
  ),
);
