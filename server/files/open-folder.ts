// Opening a result's folder in the desktop's file manager: xdg-open, open or explorer, started and left alone.
import { isLoopback } from "../http/guard.ts";

/** How to open a folder on this machine, or why it cannot be done. */
export type FolderOpener = { argv: (folder: string) => string[] } | { reason: string };

/**
 * The file manager command for `platform`, or why there is none: a daemon bound beyond loopback (a request may come
 * from another machine), Linux without a desktop session (no DISPLAY or WAYLAND_DISPLAY) or without xdg-open.
 */
export function folderOpener(bindHost: string, platform: NodeJS.Platform = process.platform, env: Record<string, string | undefined> = process.env, which: (name: string) => string | null = Bun.which): FolderOpener {
  if (!isLoopback(bindHost)) return { reason: `the daemon listens on ${bindHost}, so a request may come from another machine; folders open only for a daemon bound to 127.0.0.1` };
  if (platform === "darwin") return { argv: (folder) => ["open", folder] };
  if (platform === "win32") return { argv: (folder) => ["explorer.exe", folder] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return { reason: "the daemon runs without a desktop session (no DISPLAY or WAYLAND_DISPLAY)" };
  const xdgOpen = which("xdg-open");
  if (!xdgOpen) return { reason: "xdg-open is not installed" };
  return { argv: (folder) => [xdgOpen, folder] };
}

/** Starts the file manager on `folder` without waiting for it. */
export function spawnOpener(argv: string[]): void {
  const child = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  child.unref();
}
