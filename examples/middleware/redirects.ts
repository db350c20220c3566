/** Redirects and rewrites: an old blog moved away for good, and pretty URLs served by one script. */
import { createServer, type BoxwireServer } from '../../src/index.js';

export function movedServer(): BoxwireServer {
  return createServer({
    port: 0,
    redirects: [
      { from: '/blog/(.*)', to: 'https://blog.example.com/$1', status: 301 },
      { from: '/old-page', to: '/new-page' },
    ],
    rewrites: [{ from: '/users/(?<name>[a-z]+)', to: '/profile?user=$<name>' }],
    routes: [
      { path: '/profile', handler: (request) => ({ body: `profile ${new URLSearchParams(request.query).get('user')}\n` }) },
      { path: '/new-page', handler: () => ({ body: 'the new page\n' }) },
    ],
  });
}
