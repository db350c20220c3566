// boxwire serving a PHP hello: through php-fpm (BOXWIRE_PHP_MODE=fastcgi, the socket in
// BOXWIRE_PHP_SOCKET) or through php-cgi per request (BOXWIRE_PHP_MODE=cgi), the document
// root in BOXWIRE_PHP_ROOT, through the full per-connection graph.
import { createServer } from '../../dist/src/index.js';

const env = process.env;
const gateway =
  env.BOXWIRE_PHP_MODE === 'cgi'
    ? { cgiExtensions: { '.php': true }, cgiOptions: { concurrency: 64 } }
    : {
        fastcgi: [{ extension: '.php', address: `unix:${env.BOXWIRE_PHP_SOCKET}` }],
        fastcgiOptions: { connections: Number(env.BOXWIRE_PHP_CONNECTIONS ?? 4) },
      };
const server = createServer({ port: 0, accessLog: false, log: { print: false }, cgi: false, root: env.BOXWIRE_PHP_ROOT, ...gateway });
await server.listen();
process.send({ port: server.addresses[0].port });
