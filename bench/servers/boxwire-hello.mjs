// boxwire: a hello-world route through the full per-connection graph
// (BOXWIRE_INTROSPECTION=off: without the runtime's counting, for its cost).
import { createServer } from '../../dist/src/index.js';
const server = createServer({
  port: 0,
  accessLog: false,
  log: { print: false },
  introspection: process.env.BOXWIRE_INTROSPECTION !== 'off',
  routes: [{ path: '/', handler: () => ({ headers: { 'Content-Type': 'text/plain' }, body: 'hello world' }) }],
});
await server.listen();
process.send({ port: server.addresses[0].port });
