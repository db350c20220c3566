// boxwire: a WebSocket echo route (the component sends back what it gets), for the websocket scenario.
import { createServer, map } from '../../dist/src/index.js';
const server = createServer({
  port: 0,
  accessLog: false,
  log: { print: false },
  limits: { connections: 20_000 },
  routes: [{ path: '/echo', websocket: () => map((message) => message), allowedOrigins: '*', websocketOptions: { pingInterval: 0 } }],
});
await server.listen();
process.send({ port: server.addresses[0].port });
// The scenario measures memory after a full collection (it starts the server with --expose-gc).
process.on('message', (message) => message === 'gc' && (globalThis.gc?.(), process.send('gc')));
