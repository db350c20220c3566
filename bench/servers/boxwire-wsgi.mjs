// boxwire: a WSGI application (BENCH_APP, in bench/apps) on the thread pool (BENCH_THREADS threads).
import { createServer } from '../../dist/src/index.js';
const threads = Number(process.env.BENCH_THREADS ?? 2);
const server = createServer({
  port: 0,
  accessLog: false,
  log: { print: false },
  wsgi: [{ prefix: '/', module: new URL(`../apps/${process.env.BENCH_APP ?? 'hello'}.mjs`, import.meta.url).href }],
  pool: { minThreads: threads, maxThreads: threads, queueSize: 1024 },
});
await server.listen();
process.send({ port: server.addresses[0].port });
