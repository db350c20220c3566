// boxwire: the sample scripts in cgi/ at /cgi-bin/, through the full per-connection graph.
import { fileURLToPath } from 'node:url';
import { createServer } from '../../dist/src/index.js';

const server = createServer({
  port: 0,
  accessLog: false,
  log: { print: false },
  cgi: [{ prefix: '/cgi-bin/', path: fileURLToPath(new URL('../../cgi/', import.meta.url)) }],
  cgiOptions: { concurrency: 64 },
});
await server.listen();
process.send({ port: server.addresses[0].port });
