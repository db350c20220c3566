/**
 * Composing your own server, as the README shows: a response stage of your
 * own between the router and the responder, and a protocol factory that
 * rewires the default per-connection graph.
 */
import {
  type Component,
  ErrorPage,
  Graphline,
  HttpParser,
  RequestRouter,
  Responder,
  RouteTable,
  httpConnectionLinks,
  map,
  type ConnectionInfo,
  type HttpRequest,
  type HttpResponse,
  type LinkSpec,
  type ResolvedOptions,
} from '../src/index.js';

/** A stage: every response leaves with security headers and its handling time. */
export const securityHeaders = () =>
  map((response: HttpResponse) => ({
    ...response,
    headers: response.headers
      .clone()
      .set('X-Content-Type-Options', 'nosniff')
      .set('Server-Timing', `app;dur=${(performance.now() - response.request.received).toFixed(1)}`),
  }));

/**
 * A protocol factory: the default graph with one more component between the
 * parser and the router, which serves /v1/... as if it were /... . The links
 * are data: take the default list, drop one link, add two.
 */
export function versionedProtocol(info: ConnectionInfo, options: ResolvedOptions): Graphline {
  const links: Links = httpConnectionLinks(0, false).filter(([from, to]) => !(from === 'parser.outbox' && to === 'router.inbox'));
  links.push(['parser.outbox', 'strip.inbox'], ['strip.outbox', 'router.inbox']);
  return new Graphline<Children>(
    {
      parser: new HttpParser(info, options.limits, options.timeouts),
      strip: map((request: HttpRequest) => (request.path.startsWith('/v1/') ? { ...request, path: request.path.slice(3) } : request)),
      router: new RequestRouter(new RouteTable(options.routes)),
      errorPage: new ErrorPage(options.errorPages),
      responder: new Responder({ server: options.serverHeader }),
    },
    links,
  );
}

type Children = Record<string, Component<any>>;
type Links = LinkSpec<Children>[];
