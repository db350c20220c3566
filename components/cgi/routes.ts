/**
 * The routes that serve CGI: one prefix route per mapping, every method,
 * each request answered by a fresh GatewayHandler running the CGI backend.
 * The server puts them after its user routes and before the static
 * catch-all. A client that ends its side before the script has answered is
 * taken for gone (halfClose), and the script's process group killed, as
 * nginx and lighttpd do.
 */
import { GatewayHandler } from '../gateway/gateway-handler.js';
import type { Route } from '../request-router.js';
import { CgiBackend } from './backend.js';
import { cgiTarget, type CgiContext } from './cgi-handler.js';

export function cgiRoutes(
  context: CgiContext,
  backend = new CgiBackend(context.options, context.processes, context.serverSoftware),
): Route[] {
  return context.options.mappings.map((mapping) => {
    const target = cgiTarget(mapping, backend);
    return {
      path: mapping.route,
      name: `cgi ${mapping.mount || '/'} -> ${mapping.path}`,
      component: () => new GatewayHandler(target),
      halfClose: 'abort',
    };
  });
}
