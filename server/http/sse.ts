// Server-Sent Events of something that changes until it ends (a job's state): the current value first, then
// every change, closed after the last one or when the client goes away.

/** What an event stream follows. */
export interface EventSource<T> {
  /** The value now (sent first). */
  first: T;
  /** Calls `send` on every change; returns the unsubscribe function. */
  subscribe(send: (value: T) => void): () => void;
  /** The value again, read after subscribing (it may have changed in between). */
  current(): T | undefined | Promise<T | undefined>;
  /** The event name of a value, and whether it is the last one. */
  event(value: T): string;
  last(value: T): boolean;
}

/** A `text/event-stream` response following `source` until its last value or the client's disconnect. */
export function eventStream<T>(source: EventSource<T>, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  let unsubscribe = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        controller.close();
      };
      const send = (value: T) => {
        if (closed) return;
        controller.enqueue(encoder.encode(`event: ${source.event(value)}\ndata: ${JSON.stringify(value)}\n\n`));
        if (source.last(value)) close();
      };
      unsubscribe = source.subscribe(send);
      send(source.first);
      signal.addEventListener("abort", close, { once: true });
      // A change between the first look and the subscription: read the state once more.
      void Promise.resolve(source.current())
        .then((now) => {
          if (now && source.event(now) !== source.event(source.first)) send(now);
        })
        .catch(() => close());
    },
    cancel() {
      unsubscribe();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" } });
}
