/** CORS: an API that pages from one origin (and its subdomains) may call with cookies. */
import { cors, createServer, type BoxwireServer } from '../../src/index.js';

export function apiServer(): BoxwireServer {
  return createServer({
    port: 0,
    before: [
      cors({
        origins: ['https://app.example.com', 'https://*.app.example.com'],
        credentials: true,
        exposeHeaders: ['X-Total-Count'],
      }),
    ],
    routes: [{ path: '/api/items', methods: ['GET', 'POST'], handler: () => ({ headers: { 'X-Total-Count': '2' }, body: '["a","b"]' }) }],
  });
}
