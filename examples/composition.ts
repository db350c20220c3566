/**
 * Composing your own server, as the docs show (docs/composing.md), each
 * tested in test/examples.test.ts:
 * - a request stage that answers for itself (an API key check), before the router;
 * - a response stage after it (headers on every response, errors included);
 * - the default per-connection graph edited by name: a component put
 *   between the parser and the router, and a tap on what the responder sent;
 * - a protocol factory that builds the whole graph itself, from the links as data.
 */
import {
  type Component,
  ErrorPage,
  Graphline,
  type GraphPlan,
  HttpParser,
  RequestRouter,
  Responder,
  RouteTable,
  httpConnectionLinks,
  map,
  requestStage,
  stageAnswer,
  tap,
  type ConnectionInfo,
  type HttpRequest,
  type HttpResponse,
  type LinkSpec,
  type ResolvedOptions,
  type Sent,
} from '../src/index.js';

/** A request stage: requests without the key are answered 401 here, and never reach the router. */
export const apiKey = (key: string) => () =>
  requestStage((request) =>
    request.headers.get('x-api-key') === key ? request : stageAnswer(request, { status: 401, headers: { 'WWW-Authenticate': 'ApiKey' } }),
  );

/** A response stage: every response leaves with security headers and its handling time. */
export const securityHeaders = () =>
  map((response: HttpResponse) => ({
    ...response,
    headers: response.headers
      .clone()
      .set('X-Content-Type-Options', 'nosniff')
      .set('Server-Timing', `app;dur=${(performance.now() - response.request.received).toFixed(1)}`),
  }));

/** Strips a version prefix: /v1/users/7 is served as /users/7. */
const stripVersion = () =>
  map((request: HttpRequest) => (request.path.startsWith('/v1/') ? { ...request, path: request.path.slice(3) } : request));

/**
 * An edit of the default graph, by name: the version stripper between the
 * parser and the router, and a tap that hears every response sent.
 */
export const versioned =
  (heard: (sent: Sent) => void) =>
  (plan: GraphPlan<ConnectionInfo>): GraphPlan<ConnectionInfo> =>
    plan
      .insert('strip', stripVersion, { after: 'parser', before: 'router' })
      .tap('responder.sent', 'listen', () => tap((sent: Sent) => heard(sent)));

/**
 * A protocol factory: the whole graph built by hand, as a Graphline whose
 * links are data: the default list with the parser -> router link replaced
 * by two through the stripper.
 */
export function versionedProtocol(info: ConnectionInfo, options: ResolvedOptions): Graphline {
  const links: Links = httpConnectionLinks(0, false).filter(([from, to]) => !(from === 'parser.outbox' && to === 'router.inbox'));
  links.push(['parser.outbox', 'strip.inbox'], ['strip.outbox', 'router.inbox']);
  return new Graphline<Children>(
    {
      parser: new HttpParser(info, options.limits, options.timeouts),
      strip: stripVersion(),
      router: new RequestRouter(new RouteTable(options.routes)),
      errorPage: new ErrorPage(options.errorPages),
      responder: new Responder({ server: options.serverHeader }),
    },
    links,
  );
}

type Children = Record<string, Component<any>>;
type Links = LinkSpec<Children>[];
