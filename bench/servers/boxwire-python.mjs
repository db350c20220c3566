// boxwire: bench/apps/hello.py at / on BENCH_PROCESSES python processes of one thread (BENCH_PYTHON).
import { fileURLToPath } from 'node:url';
import { createServer } from '../../dist/src/index.js';

const server = createServer({
  port: 0,
  accessLog: false,
  log: { print: false },
  cgi: false,
  root: false,
  wsgi: ['/=python:hello:application'],
  python: {
    executable: process.env.BENCH_PYTHON ?? 'python3',
    cwd: fileURLToPath(new URL('../apps/', import.meta.url)),
    processes: Number(process.env.BENCH_PROCESSES ?? 1),
  },
});
await server.listen();
// Answer once the processes are up, as the peers do.
while (server.pythonPools[0].status.idle < Number(process.env.BENCH_PROCESSES ?? 1)) await new Promise((r) => setTimeout(r, 20));
process.send({ port: server.addresses[0].port });
