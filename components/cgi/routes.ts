/**
 * The routes that serve CGI: one prefix route per mapping, every method,
 * each request answered by a fresh CgiHandler. The server puts them after
 * its user routes and before the static catch-all. A client that ends its
 * side before the script has answered is taken for gone (halfClose), and
 * the script's process group killed, as nginx and lighttpd do.
 */
import type { Route } from '../request-router.js';
import { CgiHandler, type CgiContext } from './cgi-handler.js';

export function cgiRoutes(context: CgiContext): Route[] {
  return context.options.mappings.map((mapping) => ({
    path: mapping.route,
    name: `cgi ${mapping.mount || '/'} -> ${mapping.path}`,
    component: () => new CgiHandler(mapping, context),
    halfClose: 'abort',
  }));
}
