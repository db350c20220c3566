/**
 * Serving a document root: the StaticFile handler, what it shares per root
 * (StaticSite: options and cache), and the route that puts it last in a
 * server's routes.
 */
import type { Route } from '../request-router.js';
import type { StaticSite } from './site.js';

export { StaticSite, redirectToSlash } from './site.js';
export { StaticFile } from './static-file.js';
export { FileCache, type FileEntry, type Lookup, type Representation } from './file-cache.js';
export { fileResponse, type FileResponseOptions } from './file-response.js';

/**
 * The route serving a document root at `path` (default "/*", the catch-all,
 * which goes last): GET and HEAD; the router answers other methods 405 with
 * Allow. It calls the site directly, as a function handler: a cache hit is
 * answered without making a component, which on a small file is a good
 * part of the work (see `npm run bench -- static`, 1 KiB file).
 * `new StaticFile(site)` is the same handler as a component, for graphs of
 * your own.
 */
export function staticRoute(site: StaticSite, path = '/*'): Route {
  return { path, methods: ['GET', 'HEAD'], name: 'static', handler: (request) => site.serve(request) };
}
