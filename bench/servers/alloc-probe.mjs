// The server side of `npm run bench:core`'s allocation figures: a hello-world server (BENCH_SERVER:
// boxwire through the default per-connection graph, boxwire with its access log formatting lines, or
// node:http) that measures its own heap when told to. Started with --expose-gc and a young generation
// large enough (--min-semi-space-size) that a measured batch runs without a collection:
//
//   begin   collect garbage, then note heapUsed, arrayBuffers and the collections seen so far
//   end     wait until the connections the batch closed have closed here too, then report the growth since `begin` (nothing
//           collected, so the growth is what was allocated) and how many collections ran meanwhile
//           (a batch with any is thrown away by the caller)
//   retain  collect garbage and report heapUsed: what live objects hold (open idle connections)
import http from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { createServer } from '../../dist/src/index.js';

const kind = process.env.BENCH_SERVER ?? 'boxwire';
let collections = 0;
new PerformanceObserver((list) => (collections += list.getEntries().length)).observe({ entryTypes: ['gc'] });

let port;
let openConnections;
if (kind === 'node') {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('hello world');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
  openConnections = () => new Promise((resolve) => server.getConnections((_, n) => resolve(n)));
} else {
  const server = createServer({
    port: 0,
    accessLog: kind === 'boxwire-log' ? 'combined' : false,
    log: { print: false },
    root: false,
    cgi: false,
    timeouts: { idle: 60_000 },
    routes: [{ path: '/', handler: () => ({ headers: { 'Content-Type': 'text/plain' }, body: 'hello world' }) }],
  });
  await server.listen();
  port = server.addresses[0].port;
  openConnections = async () => server.tcp.connectionCount;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
let start;
process.on('message', async ({ type, open = 0 }) => {
  if (type === 'begin') {
    globalThis.gc();
    globalThis.gc();
    await settle();
    const m = process.memoryUsage();
    start = { heap: m.heapUsed, buffers: m.arrayBuffers, collections };
    process.send({ ok: true });
  } else if (type === 'end') {
    // The connections the batch closed are closed here too before the heap is read (the wait allocates a few timers).
    for (let i = 0; i < 250 && (await openConnections()) > open; i++) await settle();
    const m = process.memoryUsage();
    await settle();
    process.send({ heap: m.heapUsed - start.heap, buffers: m.arrayBuffers - start.buffers, collections: collections - start.collections });
  } else if (type === 'retain') {
    globalThis.gc();
    globalThis.gc();
    await settle();
    process.send({ heap: process.memoryUsage().heapUsed });
  }
});
process.send({ port });
