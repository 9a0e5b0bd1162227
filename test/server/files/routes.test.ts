// The gallery's file routes over a real ledger and real files: thumbnails made after a generation, downloads under
// the file's own name, and opening a result's folder only for files the ledger knows.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { imageSize, sniffMedia } from "../../../server/formats/media-bytes.ts";
import { folderOpener } from "../../../server/files/open-folder.ts";
import { clackyConfig, createHarness, type Harness, withClackyHarness } from "../../helpers.ts";
import { startFakeClacky } from "../../fakes/openclacky.ts";

let h: Harness;
const ids = {} as Record<"image" | "video" | "speech" | "failed", string>;

withClackyHarness(async (made) => {
  ({ h } = made);
  ids.image = (await h.post("/api/media/image", { prompt: "A cat on a sofa", output_dir: h.workDir })).body.id;
  ids.video = (await h.post("/api/media/video", { prompt: "A cat video", duration_seconds: 4, output_dir: h.workDir })).body.id;
  ids.speech = (await h.post("/api/media/audio/speech", { input: "Hello", output_dir: h.workDir })).body.id;
  ids.failed = (await h.post("/api/media/image", { prompt: "broken [[fake:500]]", output_dir: h.workDir })).body.id;
  await h.thumbnails.idle();
});

describe("thumbnails", () => {
  test("a saved picture gets a WebP of at most 512 px in the data folder, never beside the user's file", async () => {
    const record = (await h.get(`/api/generations/${ids.image}`)).body;
    expect(record.has_thumbnail).toBe(true);
    const response = await h.call(`/api/generations/${ids.image}/thumbnail`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/webp");
    expect(response.headers.get("cache-control")).toContain("max-age=86400");
    expect(response.headers.get("etag")).toBeTruthy();
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(sniffMedia(bytes)?.mimeType).toBe("image/webp");
    const size = imageSize(bytes)!;
    expect(Math.max(size.width, size.height)).toBe(512);
    expect(bytes.length).toBeLessThan(record.bytes);
    expect(existsSync(join(h.dataDir, "thumbnails", `${ids.image}.webp`))).toBe(true);
    // The user's folder holds the result alone.
    expect(readFileSync(record.output_path).length).toBe(record.bytes);
    const again = await h.call(`/api/generations/${ids.image}/thumbnail`, { headers: { "if-none-match": response.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  test("video and speech have no thumbnail; their duration is stored", async () => {
    for (const id of [ids.video, ids.speech]) {
      const record = (await h.get(`/api/generations/${id}`)).body;
      expect(record.has_thumbnail).toBe(false);
      expect(record.duration_seconds).toBeGreaterThan(0);
      const response = await h.get(`/api/generations/${id}/thumbnail`);
      expect(response.status).toBe(404);
      expect(response.body.error_type).toBe("not_found");
    }
  });

  test("an unknown id and a failed job have none", async () => {
    expect((await h.get("/api/generations/nope/thumbnail")).status).toBe(404);
    expect((await h.get(`/api/generations/${ids.failed}/thumbnail`)).status).toBe(404);
  });
});

describe("GET /api/generations/:id/file", () => {
  test("?download=1 names the file in Content-Disposition; without it the file is shown inline", async () => {
    const record = (await h.get(`/api/generations/${ids.image}`)).body;
    const download = await h.call(`/api/generations/${ids.image}/file?download=1`);
    expect(download.status).toBe(200);
    const name = basename(record.output_path);
    expect(download.headers.get("content-disposition")).toBe(`attachment; filename="${name}"; filename*=UTF-8''${name}`);
    expect((await download.arrayBuffer()).byteLength).toBe(record.bytes);
    const inline = await h.call(`/api/generations/${ids.image}/file`);
    expect(inline.headers.get("content-disposition")).toBeNull();
  });

  test("unknown ids are a JSON 404", async () => {
    const response = await h.get("/api/generations/nope/file?download=1");
    expect(response.status).toBe(404);
    expect(response.body.error_type).toBe("not_found");
  });

  test("the list says when a file has gone from disk, so the UI does not ask for it", async () => {
    const made = (await h.post("/api/media/image", { prompt: "A file that will vanish", output_dir: h.workDir })).body;
    await h.thumbnails.idle();
    rmSync((await h.get(`/api/generations/${made.id}`)).body.output_path);
    const listed = (await h.get("/api/generations?limit=10")).body.items as { id: string; file_missing?: boolean }[];
    expect(listed.find((g) => g.id === made.id)?.file_missing).toBe(true);
    expect(listed.find((g) => g.id === ids.image)?.file_missing).toBe(false);
  });
});

describe("DELETE /api/generations/:id", () => {
  test("removes the record's thumbnail with it, and leaves the user's file unless asked", async () => {
    const made = (await h.post("/api/media/image", { prompt: "A picture to delete", output_dir: h.workDir })).body;
    await h.thumbnails.idle();
    const thumbnail = join(h.dataDir, "thumbnails", `${made.id}.webp`);
    expect(existsSync(thumbnail)).toBe(true);
    const path = (await h.get(`/api/generations/${made.id}`)).body.output_path;
    expect((await h.call(`/api/generations/${made.id}`, { method: "DELETE" })).status).toBe(200);
    expect(existsSync(thumbnail)).toBe(false);
    expect(existsSync(path)).toBe(true);
  });
});

describe("attachment names", () => {
  test("non-ASCII names are sent as RFC 5987 UTF-8 with an ASCII fallback", async () => {
    const { attachment } = await import("../../../server/ledger/routes.ts");
    expect(attachment("猫 \"cat\".png")).toBe(`attachment; filename="_ _cat_.png"; filename*=UTF-8''%E7%8C%AB%20%22cat%22.png`);
  });
});

describe("open the folder", () => {
  test("the opener: never beyond loopback, needs a desktop on Linux, uses open and explorer elsewhere", () => {
    expect(folderOpener("0.0.0.0", "linux", { DISPLAY: ":0" }, () => "/usr/bin/xdg-open")).toEqual({ reason: expect.stringContaining("listens on 0.0.0.0") });
    expect(folderOpener("127.0.0.1", "linux", {}, () => "/usr/bin/xdg-open")).toEqual({ reason: expect.stringContaining("no DISPLAY") });
    expect(folderOpener("127.0.0.1", "linux", { DISPLAY: ":0" }, () => null)).toEqual({ reason: "xdg-open is not installed" });
    const linux = folderOpener("127.0.0.1", "linux", { WAYLAND_DISPLAY: "wayland-0" }, () => "/usr/bin/xdg-open");
    expect("argv" in linux && linux.argv("/a b")).toEqual(["/usr/bin/xdg-open", "/a b"]);
    const mac = folderOpener("localhost", "darwin", {});
    expect("argv" in mac && mac.argv("/x")).toEqual(["open", "/x"]);
    const windows = folderOpener("::1", "win32", {});
    expect("argv" in windows && windows.argv("C:\\x")).toEqual(["explorer.exe", "C:\\x"]);
  });

  test("runs the opener on the folder of a known file only", async () => {
    const fake = startFakeClacky();
    const marker = join(h.root, "opened.txt");
    using own = createHarness({
      config: clackyConfig(fake.url, fake.key),
      folderOpener: () => ({ argv: (folder) => ["/bin/sh", "-c", 'printf %s "$1" > "$2"', "sh", folder, marker] }),
    });
    try {
      const id = (await own.post("/api/media/image", { prompt: "A cat", output_dir: own.workDir })).body.id;
      const record = (await own.get(`/api/generations/${id}`)).body;
      const opened = await own.post(`/api/generations/${id}/open-folder`, {});
      expect(opened.status).toBe(200);
      expect(opened.body).toEqual({ opened: true, folder: dirname(record.output_path) });
      const deadline = Date.now() + 5000;
      // The opener's shell creates the file before it writes the line: wait for the line.
      while (!(existsSync(marker) && readFileSync(marker, "utf8").length > 0) && Date.now() < deadline) await Bun.sleep(20);
      expect(readFileSync(marker, "utf8")).toBe(dirname(record.output_path));
      expect((await own.post("/api/generations/not-a-record/open-folder", {})).status).toBe(404);
      expect((await own.get("/api/files/folder-opener")).body).toEqual({ available: true });
      // A caller on another machine (here through a reverse proxy on this one) would open a window on the daemon's desktop.
      const remote = { "x-mediagen-peer": "127.0.0.1", "x-forwarded-for": "203.0.113.8" };
      expect((await own.get("/api/files/folder-opener", remote)).body).toEqual({ available: false, reason: expect.stringContaining("another machine") });
      const refused = await own.post(`/api/generations/${id}/open-folder`, {}, remote);
      expect(refused.status).toBe(422);
      expect(refused.body.error_type).toBe("no_desktop");
    } finally {
      await fake.close();
    }
  });

  test("says why when it cannot: no desktop here, or a daemon listening beyond loopback", async () => {
    using wide = createHarness({ bindHost: "0.0.0.0" });
    const status = await wide.get("/api/files/folder-opener");
    expect(status.body.available).toBe(false);
    expect(status.body.reason).toContain("0.0.0.0");
    const refused = await h.post(`/api/generations/${ids.image}/open-folder`, {});
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
      expect(refused.status).toBe(422);
      expect(refused.body.error_type).toBe("no_desktop");
      expect(refused.body.error).toContain(dirname((await h.get(`/api/generations/${ids.image}`)).body.output_path));
    }
    expect((await h.post(`/api/generations/${ids.failed}/open-folder`, {})).status).toBe(404);
  });
});
