/**
 * Serving a document root: the StaticFile handler, what it shares per root
 * (StaticSite: options and cache), and the route that puts it last in a
 * server's routes.
 */
import type { Route } from '../request-router.js';
import type { ResolvedStaticOptions } from '../../src/options-static.js';
import { StaticFile, StaticSite } from './static-file.js';

export { StaticFile, StaticSite, redirectToSlash } from './static-file.js';
export { FileCache, type FileEntry, type Lookup, type Representation } from './file-cache.js';
export { fileResponse, type FileResponseOptions } from './file-response.js';

/**
 * The route serving `root` at `path` (default "/*", the catch-all, which
 * goes last): GET and HEAD; the router answers other methods 405 with Allow.
 */
export function staticRoute(root: string, options: ResolvedStaticOptions, path = '/*'): Route {
  const site = new StaticSite(root, options);
  return { path, methods: ['GET', 'HEAD'], name: 'static', component: () => new StaticFile(site) };
}
