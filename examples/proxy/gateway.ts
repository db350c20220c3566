// examples/proxy/gateway.ts: a gateway (docs/proxy.md): static files at /, /api/ passed on to two
// application servers, balanced, with a health check; it sits behind a
// load balancer on the same network, whose X-Forwarded-For it believes,
// and takes a TCP load balancer's PROXY protocol on a second port.
import { createServer, type BoxwireServer } from 'boxwire';

export function gateway(apps: readonly string[], root: string): BoxwireServer {
  return createServer({
    root,
    interfaces: [
      { host: '127.0.0.1', port: 0 },
      { host: '127.0.0.1', port: 0, proxyProtocol: true },
    ],
    proxy: [
      {
        prefix: '/api/',
        to: apps,
        balance: 'least-in-flight',
        healthCheck: { path: '/healthz', interval: 5_000 },
        timeouts: { response: 30_000 },
      },
    ],
    trustProxy: ['loopback', '10.0.0.0/8'],
  });
}
