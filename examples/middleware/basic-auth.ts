/** Basic authentication: everything under /admin/ for the users of an htpasswd file, and one route with its own. */
import { basicAuth, createServer, type BoxwireServer } from '../../src/index.js';

export function adminServer(usersFile: string, staffFile: string): BoxwireServer {
  return createServer({
    port: 0,
    // Server-wide, by prefix: the same as `auth: [{ file: usersFile, prefix: '/admin/', realm: 'Admin' }]`.
    before: [basicAuth({ file: usersFile, prefix: '/admin/', realm: 'Admin' })],
    routes: [
      { path: '/admin/*', handler: (request) => ({ body: `hello, ${request.identity?.user}\n` }) },
      // One route's own stage: only this route asks, with its own file and realm.
      { path: '/reports', before: [basicAuth({ file: staffFile, realm: 'Staff' })], handler: () => ({ body: 'reports\n' }) },
      { path: '/', handler: () => ({ body: 'open to all\n' }) },
    ],
  });
}
