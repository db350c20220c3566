/** The reverse proxy: a ReverseProxy per prefix, its route (a task per request) or its handler component. */
export { ReverseProxy, type ProxyStatus } from './reverse-proxy.js';
export { ProxyExchange } from './exchange.js';
export { ProxyHandler } from './proxy-handler.js';
export {
  resolveProxyOptions,
  resolveProxyList,
  parseProxySpec,
  parseUpstream,
  defaultProxyTimeouts,
  type ProxyOption,
  type ProxyOptions,
  type ResolvedProxyOptions,
  type UpstreamSpec,
  type UpstreamAddress,
} from './options.js';
