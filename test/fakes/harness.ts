// The server every provider fake runs on: a loopback port, request recording, the scenario queue and prompt marker,
// in-flight counting and the transport scenarios (hang, reset, slow). A fake adds only its provider's dialect.
import type { Server } from "bun";
import { readRequest, type RecordedRequest } from "./common.ts";

/** The part of a running fake that the harness provides; each fake's own interface names the fields it promises. */
export interface FakeServer<S extends string, R = RecordedRequest> {
  url: string;
  /** Every request recorded, in arrival order (across every origin of the fake). */
  requests: R[];
  /** Queue scenarios for the next requests that take one, in order. */
  next(...scenarios: S[]): void;
  /** How long the "slow" scenario waits before answering, in milliseconds. */
  slowMs: number;
  /** Requests that took a scenario and are not answered yet, and the most ever at once. */
  inFlight: number;
  maxInFlight: number;
  /** Adds a second loopback origin (another host, as a signed storage URL is) sharing the recording; returns its URL. */
  addOrigin(handle: (call: FakeCall<S, R>) => Response | Promise<Response>): string;
  close(): Promise<void>;
}

/** One request as a fake's handler sees it. */
export interface FakeCall<S extends string, R = RecordedRequest> {
  request: Request;
  /** The request as read (JSON or multipart), or as the fake's `record` option turned it. */
  rec: R;
  path: string;
  /** Takes this request's scenario: the next queued one, else `[[fake:<scenario>]]` in `prompt`, else "ok". */
  scenario(prompt?: string): S;
  /** Acts out a transport scenario: "hang" and "reset" never return (reset drops the connection after 1 s idle), "slow" waits `slowMs`. */
  transport(scenario: S): Promise<void>;
}

/** How a fake records what it receives. */
export interface FakeServerOptions<R> {
  /** Turns a read request into what `requests` holds; undefined leaves it out of `requests`. */
  record?: (rec: RecordedRequest) => R | undefined;
}

/** Starts a fake on 127.0.0.1 with a random port; `handle` answers every request in the provider's dialect. */
export function startFakeServer<S extends string, R = RecordedRequest>(
  handle: (call: FakeCall<S, R>) => Response | Promise<Response>,
  options: FakeServerOptions<R> = {},
): FakeServer<S, R> {
  const record = options.record ?? ((rec: RecordedRequest) => rec as R);
  const queued: S[] = [];
  const servers: Server<undefined>[] = [];

  const serve = (answer: (call: FakeCall<S, R>) => Response | Promise<Response>): string => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      async fetch(request, srv) {
        const read = await readRequest(request);
        const rec = record(read);
        if (rec !== undefined) fake.requests.push(rec);
        let counted = false;
        const call: FakeCall<S, R> = {
          request,
          rec: rec ?? (read as R),
          path: read.path,
          scenario(prompt = "") {
            if (!counted) {
              counted = true;
              fake.inFlight++;
              fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
            }
            return queued.shift() ?? (/\[\[fake:([a-z_0-9]+)\]\]/.exec(prompt)?.[1] as S | undefined) ?? ("ok" as S);
          },
          async transport(scenario) {
            if (scenario === "slow") await Bun.sleep(fake.slowMs);
            if (scenario !== "hang" && scenario !== "reset") return;
            if (scenario === "reset") srv.timeout(request, 1);
            await new Promise<never>(() => {});
          },
        };
        try {
          return await answer(call);
        } finally {
          if (counted) fake.inFlight--;
        }
      },
    });
    servers.push(server);
    return `http://127.0.0.1:${server.port}`;
  };

  const fake: FakeServer<S, R> = {
    url: "",
    requests: [],
    next: (...scenarios) => void queued.push(...scenarios),
    slowMs: 1500,
    inFlight: 0,
    maxInFlight: 0,
    addOrigin: serve,
    close: async () => {
      await Promise.all(servers.map((server) => server.stop(true)));
    },
  };
  fake.url = serve(handle);
  return fake;
}
