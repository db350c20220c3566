/**
 * A PHP application served by boxwire, as docs/php.md shows it, each way
 * tested in test/examples-php.test.ts against the PHP test application:
 * - through php-fpm, a FastCGI application server you run yourself;
 * - through php-cgi, a process per request (no daemon to run);
 * - through php-cgi processes boxwire starts and supervises itself;
 * - a FastCGI application mapped to a URL prefix, beside the PHP site.
 *
 * In every case the document root is served as files, its .php files run as
 * PHP, and no .php file is ever sent as text.
 */
import { createServer, type BoxwireServer, type ServerOptions } from '../src/index.js';

/** index.php before index.html: "/blog/" runs blog/index.php. */
const index = { index: ['index.php', 'index.html'] };

/** php-fpm listening on a Unix socket (Debian: /run/php/php8.2-fpm.sock). */
export function phpFpmSite(root: string, socket: string): ServerOptions {
  return {
    root,
    static: index,
    fastcgi: [{ extension: '.php', address: `unix:${socket}` }],
    // No more connections than php-fpm has children (pm.max_children): a kept-open connection holds one.
    fastcgiOptions: { connections: 4, headTimeout: 30_000, params: { APP_ENV: 'production' } },
  };
}

/** php-cgi, started for each request, as CGI. */
export function phpCgiSite(root: string): ServerOptions {
  return { root, static: index, cgiExtensions: { '.php': true }, cgiOptions: { timeLimit: 30_000 } };
}

/** php-cgi processes that boxwire runs itself, each on a socket of its own, restarted when they die. */
export function spawnedPhpSite(root: string): ServerOptions {
  return {
    root,
    static: index,
    fastcgi: [{ extension: '.php', spawn: { command: 'php-cgi -b {socket}', processes: 2, env: { PHP_FCGI_MAX_REQUESTS: '0' } } }],
  };
}

/** The PHP site, and a FastCGI application (a Python or Go one, say) at /api/. */
export function siteWithApi(root: string, socket: string, api: string): ServerOptions {
  const site = phpFpmSite(root, socket);
  return { ...site, fastcgi: [...(site.fastcgi ?? []), { prefix: '/api/', address: api }] };
}

/** Starts one of them on a port; `stop()` it when done. */
export async function serve(options: ServerOptions, port = 8080): Promise<BoxwireServer> {
  const server = createServer({ port, ...options });
  await server.listen();
  return server;
}
