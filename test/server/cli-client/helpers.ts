// A daemon for the CLI client tests: the real app on a loopback port (the CLI speaks HTTP), and an Io that records.
import type { ClientCommandName } from "../../../server/cli.ts";
import type { Io } from "../../../server/cli-client/io.ts";
import { runClientCommand } from "../../../server/cli-client/run.ts";

/** What a command printed and the status it ended with. */
export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Options of a recorded run. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  tty?: boolean;
  stdin?: string;
  /** Called with everything written to stderr so far, each time it grows, and the run's Ctrl-C. */
  onErr?: (err: string, interrupt: () => void) => void;
}

/** Runs `mediagen <name> <argv...>` in this process against `url`. */
export async function run(url: string, name: ClientCommandName, argv: string[], options: RunOptions = {}): Promise<Run> {
  let out = "";
  let err = "";
  let interrupt: () => void = () => {};
  const io: Io = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
      options.onErr?.(err, () => interrupt());
    },
    tty: options.tty ?? false,
    cwd: options.cwd ?? process.cwd(),
    env: { MEDIAGEN_URL: url, ...options.env },
    stdin: async () => options.stdin ?? "",
    onInterrupt(handler) {
      interrupt = handler;
      return () => {
        interrupt = () => {};
      };
    },
  };
  const code = await runClientCommand({ kind: "client", name, argv }, io);
  return { code, out, err };
}

/** Serves `handle` on a free loopback port. */
export function serveApp(handle: (request: Request) => Promise<Response>) {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handle, idleTimeout: 0 });
  return { url: server.url.href.replace(/\/$/, ""), stop: () => server.stop(true) };
}
