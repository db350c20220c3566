// boxwire: every request passed on to the upstream on UPSTREAM_PORT, over pooled keep-alive connections.
import { createServer } from '../../dist/src/index.js';
const server = createServer({
  port: 0,
  accessLog: false,
  log: { print: false },
  root: false,
  cgi: false,
  proxy: [{ prefix: '/', to: `http://127.0.0.1:${process.env.UPSTREAM_PORT}`, connections: 128, idle: 128 }],
});
await server.listen();
process.send({ port: server.addresses[0].port });
