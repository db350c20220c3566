/** A single-page application at the root, another site for docs.example.com, and security headers on everything. */
import { createServer, type BoxwireServer } from '../../src/index.js';

export function sitesServer(appRoot: string, docsRoot: string): BoxwireServer {
  return createServer({
    port: 0,
    root: appRoot,
    static: { spa: true },
    vhosts: [{ host: 'docs.example.com', root: docsRoot }],
    securityHeaders: { frameOptions: 'DENY', hsts: { maxAge: 63_072_000, includeSubDomains: true } },
  });
}
