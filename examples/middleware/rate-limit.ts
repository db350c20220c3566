/** Rate limits: 20 requests a second per client server-wide, and 5 a minute on the login route. */
import { createServer, rateLimit, type BoxwireServer } from '../../src/index.js';

export function limitedServer(): BoxwireServer {
  return createServer({
    port: 0,
    // The same as `rateLimit: '20/s,burst=40'`.
    before: [rateLimit({ rate: 20, burst: 40 })],
    routes: [
      { path: '/login', methods: ['POST'], before: [rateLimit('5/m')], handler: () => ({ body: 'welcome\n' }) },
      { path: '/', handler: () => ({ body: 'home\n' }) },
    ],
  });
}
