// The smallest Bun server, compiled like mediagen: the idle-memory baseline of bench/memory.ts.
const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.argv[2] ?? 7600), reusePort: false, fetch: () => new Response("hello") });
console.log(`hello world on ${server.url.href}`);
