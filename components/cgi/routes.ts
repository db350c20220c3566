/**
 * The routes that serve CGI: one prefix route per mapping, every method,
 * each request answered by a fresh CgiHandler. The server puts them after
 * its user routes and before the static catch-all.
 */
import type { Route } from '../request-router.js';
import { CgiHandler, type CgiContext } from './cgi-handler.js';

export function cgiRoutes(context: CgiContext): Route[] {
  return context.options.mappings.map((mapping) => ({
    path: mapping.route,
    name: `cgi ${mapping.mount || '/'} -> ${mapping.path}`,
    component: () => new CgiHandler(mapping, context),
  }));
}
