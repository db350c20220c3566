// examples/proxy/composed.ts: the proxy composed by hand (docs/proxy.md): a ReverseProxy is the shared
// part (pools, health, balancing); its route runs an exchange per request,
// and a route's own request stage runs before it, here an API key check
// that answers for itself. A ProxyHandler is the same exchange as a
// component, for a graph of your own (here the router runs a fresh one per
// request). The ReverseProxy objects are the caller's to close.
import { ProxyHandler, ReverseProxy, createServer, requestStage, stageAnswer, type BoxwireServer } from 'boxwire';

export function composed(upstream: string, key: string): { server: BoxwireServer; proxies: ReverseProxy[] } {
  const api = new ReverseProxy({ prefix: '/api/', to: upstream, host: 'upstream' });
  const legacy = new ReverseProxy({ prefix: '/legacy/', to: `${upstream}/old` });
  const checkKey = () =>
    requestStage((request) => (request.headers.get('x-api-key') === key ? request : stageAnswer(request, { status: 401 })));
  const server = createServer({
    port: 0,
    root: false,
    cgi: false,
    routes: [
      { ...api.route(), before: [checkKey] },
      { path: '/legacy/*', component: () => new ProxyHandler(legacy) },
    ],
  });
  return { server, proxies: [api, legacy] };
}
