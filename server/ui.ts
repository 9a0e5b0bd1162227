// The web UI bundle: Bun bundles web/index.html (with the Solid plugin) into the executable, and the daemon
// serves its files from its own fetch handler, so every UI request passes the same Host guard as the API.
// (Bun's native `routes` would answer before any guard runs.)
import { basename, join } from "node:path";
import index from "../web/index.html";
import { canonicalUiPath, UI_ALIASES, UI_PATHS } from "../web/src/routes.ts";

/** Client-side routes that get the UI page (declared in web/src/routes.ts). Listed explicitly so unknown paths still get JSON 404s. */
export const UI_PAGES: ReadonlySet<string> = new Set(UI_PATHS);

/** One file of the built UI. */
interface UiFile {
  body: Blob;
  type: string;
  etag: string;
  /** Its gzip encoding, made once on first demand (text files only). */
  gzip?: Promise<Uint8Array>;
}

const COMPRESSIBLE = /^(text\/|application\/(javascript|json)|image\/svg)/;

/** The gzip encoding of a text file, computed once; undefined for files that gain nothing (images, fonts). */
function gzipOf(file: UiFile): Promise<Uint8Array> | undefined {
  if (!COMPRESSIBLE.test(file.type)) return undefined;
  file.gzip ??= file.body.arrayBuffer().then((bytes) => Bun.gzipSync(new Uint8Array(bytes), { level: 9 }));
  return file.gzip;
}

/** The built UI: its page and its assets by URL path. */
interface UiBundle {
  page: UiFile;
  assets: Map<string, UiFile>;
}

let bundle: Promise<UiBundle> | undefined;

/** The UI files, built on first use and kept. */
function uiBundle(): Promise<UiBundle> {
  bundle ??= loadBundle().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

async function loadBundle(): Promise<UiBundle> {
  const assets = new Map<string, UiFile>();
  let page: UiFile | undefined;
  // In the executable the bundle was built ahead of time and its files are embedded (/$bunfs/root/...).
  if (index.files) {
    for (const file of index.files) {
      const entry = { body: Bun.file(file.path), type: file.headers["content-type"], etag: `"${file.headers.etag}"` };
      if (file.loader === "html") page = entry;
      else assets.set(`/${basename(file.path)}`, entry);
    }
  } else {
    // From source: bundle now, with the same Solid plugin build.ts uses (loaded by path so the executable never embeds it).
    const pluginPath = join(import.meta.dir, "..", "web", "solid-plugin.ts");
    const { solidPlugin } = (await import(pluginPath)) as typeof import("../web/solid-plugin.ts");
    const result = await Bun.build({
      entrypoints: [index.index],
      plugins: [solidPlugin],
      minify: true,
      publicPath: "/",
      define: { "process.env.NODE_ENV": JSON.stringify("production") },
    });
    if (!result.success) throw new Error(`web UI build failed: ${result.logs.map(String).join("; ")}`);
    for (const output of result.outputs) {
      const entry = { body: output as Blob, type: output.type, etag: `"${output.hash ?? Bun.hash(await output.arrayBuffer()).toString(36)}"` };
      if (output.path.endsWith(".html")) page = entry;
      else assets.set(`/${basename(output.path)}`, entry);
    }
  }
  if (!page) throw new Error("web UI bundle has no page");
  return { page, assets };
}

/** A top-level asset of the built UI (a hashed script, stylesheet, image or font). */
const ASSET_PATH = /^\/[\w.-]+\.(?:js|css|map|svg|png|ico|woff2?)$/;

/**
 * Whether a path belongs to the API or a door (`/api`, `/v1`, `/mcp`, `/skill.md`, in any letter case): those keep
 * their JSON answers and JSON 404s; every other path is the UI's.
 */
export function isApiPath(path: string): boolean {
  return /^\/(?:api|v1|mcp)(?:\/|$)/i.test(path) || path.toLowerCase() === "/skill.md";
}

/**
 * The UI's answer to a GET/HEAD of a path outside the API, or undefined for other methods and for an asset the
 * bundle does not have (left to the API's JSON 404). A page path gets the page; the same path in other case or with
 * a trailing slash, or an alias such as `/settings`, is redirected to the page's own path (query kept); any other
 * path gets the page with status 404, so the client router shows its Not Found page.
 */
export async function serveUi(request: Request, path: string): Promise<Response | undefined> {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const canonical = canonicalUiPath(path);
  if (canonical) {
    const alias = Object.hasOwn(UI_ALIASES, path.replace(/\/+$/, "").toLowerCase());
    const search = new URL(request.url).search;
    return new Response(null, { status: alias ? 302 : 301, headers: { location: `${canonical}${search}`, "cache-control": "no-cache" } });
  }
  const { page, assets } = await uiBundle();
  const isPage = UI_PAGES.has(path);
  const file = isPage ? page : ASSET_PATH.test(path) ? assets.get(path) : page;
  if (!file) return undefined;
  const status = isPage || file !== page ? 200 : 404;
  // Text files go gzipped to clients that accept it (the JavaScript shrinks to about a third).
  const gzip = /\bgzip\b/i.test(request.headers.get("accept-encoding") ?? "") ? gzipOf(file) : undefined;
  const etag = gzip ? `${file.etag.slice(0, -1)}-gz"` : file.etag;
  // Asset names carry a content hash; the page is revalidated so a new build is picked up at once.
  const headers: Record<string, string> = {
    "content-type": file.type,
    etag,
    vary: "accept-encoding",
    "cache-control": file === page ? "no-cache" : "public, max-age=31536000, immutable",
  };
  if (gzip) headers["content-encoding"] = "gzip";
  if (status === 200 && request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  if (request.method === "HEAD") return new Response(null, { status, headers });
  return new Response(gzip ? ((await gzip) as Uint8Array<ArrayBuffer>) : file.body, { status, headers });
}

/** Bytes of each UI file as sent to a browser that accepts gzip (text gzipped, the rest as is), by URL path ("/" for the page). */
export async function uiWireSizes(): Promise<Map<string, number>> {
  const { page, assets } = await uiBundle();
  const sizes = new Map<string, number>();
  for (const [path, file] of [["/", page] as const, ...assets]) {
    const gzip = gzipOf(file);
    sizes.set(path, gzip ? (await gzip).length : file.body.size);
  }
  return sizes;
}
