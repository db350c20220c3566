// boxwire serving the document root in $ROOT with its defaults (cache on, no compression).
import { createServer } from '../../dist/src/index.js';
const server = createServer({ port: 0, root: process.env.ROOT, accessLog: false, log: { print: false } });
await server.listen();
process.send({ port: server.addresses[0].port });
