/**
 * The per-connection HTTP graph, described once, by name. For each accepted
 * connection:
 *
 *   bytes -> parser -> [before...] -> router -> [after...] -> errorPage -> responder -> bytes
 *              |  \          \___ answer __________________/^              |
 *              |   \_______________ rejected _______________/               |
 *              \_____________________ framing ______________________________/ (to the responder)
 *                                                             sent -> parser, accessLog
 *   parser.ended -> router.peer; router.flow -> the socket (a client taken for gone is dropped)
 *
 * The parser's refusals skip the router; request stages (`before`) may
 * answer a request themselves, straight to the error page; response stages
 * (`after`) see every response the router sends. The responder tells the
 * parser when each response has gone (so it reads the next request) and
 * tells the access log what was sent. After a 101, the parser hands the
 * connection (and the bytes it read past the request) to the graph the
 * response switches to, on `handover`, and this graph ends.
 *
 * `httpConnectionPlan(options)` is that graph as a GraphPlan: edit it by
 * name (insert between two children, replace one, tap a box) and build it
 * per connection. `httpConnectionLinks` is its list of links, the low-level
 * form a Graphline of your own takes.
 */
import type { Component } from '../src/core/component.js';
import type { ConnectionInfo } from '../src/core/connection-info.js';
import type { Graphline, LinkSpec } from '../src/core/graph.js';
import { GraphPlan, type PlanLink } from '../src/core/graph-plan.js';
import type { ServerCounters } from '../src/http/counters.js';
import { AccessLog, type AccessLogOption } from './access-log.js';
import { ErrorPage, type ErrorPageOptions } from './error-page.js';
import { HttpParser, defaultParserLimits, defaultParserTimeouts, type ParserLimits, type ParserTimeouts } from './http-parser.js';
import { RequestRouter, type RouteTable } from './request-router.js';
import { Responder } from './responder.js';
import { stageBoxesOf, stageChainLinks, type StageBoxes } from './request-stage.js';

/** Makes a stage of the connection graph, fresh for each connection. */
export type StageFactory = (info: ConnectionInfo) => Component<any>;

export interface HttpConnectionOptions {
  readonly routes: RouteTable;
  readonly limits?: ParserLimits;
  readonly timeouts?: ParserTimeouts & { readonly handler?: number };
  /** The Server field; false for none. */
  readonly server?: string | false;
  readonly accessLog?: AccessLogOption | false;
  readonly errorPages?: ErrorPageOptions;
  /** Request stages between the parser and the router (see request-stage.ts). */
  readonly before?: readonly StageFactory[];
  /** Response stages between the router and the error page. */
  readonly after?: readonly StageFactory[];
  /** Server-wide figures the responder records into. */
  readonly counters?: ServerCounters;
}

type Children = Record<string, Component<any>>;

/** The default graph's children and links, by name: `before0...` and `after0...` are the stages. */
export function httpConnectionPlan(options: HttpConnectionOptions): GraphPlan<ConnectionInfo> {
  const limits = options.limits ?? defaultParserLimits;
  const timeouts = options.timeouts ?? defaultParserTimeouts;
  const handlerTimeout = options.timeouts?.handler;
  const before = options.before ?? [];
  const after = options.after ?? [];
  const accessLog = options.accessLog === false ? false : (options.accessLog ?? 'combined');
  const children: Record<string, { make: (info: ConnectionInfo) => Component<any>; role: string }> = {
    parser: { make: (info) => new HttpParser(info, limits, timeouts), role: 'bytes to requests (RFC 9112), limits and framing' },
  };
  before.forEach((make, i) => {
    children[`before${i}`] = { make, role: 'request stage' };
  });
  children.router = { make: () => new RequestRouter(options.routes, { handlerTimeout }), role: 'picks and runs the handler' };
  after.forEach((make, i) => {
    children[`after${i}`] = { make, role: 'response stage' };
  });
  children.errorPage = { make: () => new ErrorPage(options.errorPages), role: 'pages for bodiless errors, the errors log' };
  children.responder = {
    make: () => new Responder({ server: options.server, counters: options.counters }),
    role: 'responses to bytes, in request order',
  };
  if (accessLog) children.accessLog = { make: () => new AccessLog(accessLog), role: 'a line per response sent' };
  const probe = { id: 0 } as ConnectionInfo;
  const boxes = (make: StageFactory): StageBoxes => stageBoxesOf(make, probe);
  const links = connectionLinks(before.map(boxes), after.map(boxes), accessLog !== false);
  return GraphPlan.of(children, links, { name: (info) => `http#${info.id}`, title: 'HTTP connection' });
}

/** Builds one connection's graph from the default plan. */
export function httpConnection(info: ConnectionInfo, options: HttpConnectionOptions): Graphline {
  return httpConnectionPlan(options).build(info);
}

const plainStage: StageBoxes = { answer: false, log: false };

/**
 * The links of the default graph, for a Graphline of your own: `before`
 * and `after` stages (named before0..., after0...) have only the standard
 * boxes; give more to link their answer and log boxes too.
 */
export function httpConnectionLinks(after = 0, accessLog = true, before = 0): readonly LinkSpec<Children>[] {
  return connectionLinks(Array(before).fill(plainStage), Array(after).fill(plainStage), accessLog) as readonly LinkSpec<Children>[];
}

function connectionLinks(before: readonly StageBoxes[], after: readonly StageBoxes[], accessLog: boolean): PlanLink[] {
  const links: PlanLink[] = [
    ['self.inbox', 'parser.inbox'],
    ['self.control', 'parser.control'],
    ['parser.rejected', 'errorPage.inbox'],
    ['parser.framing', 'responder.framing'],
    ['parser.flow', 'self.flow'],
    // A client that ends its side: the router may take it for gone, and drop the connection.
    ['parser.ended', 'router.peer'],
    ['router.flow', 'self.flow'],
    ['parser.handover', 'self.handover'],
    ['errorPage.outbox', 'responder.inbox'],
    ['errorPage.signal', 'responder.control'],
    ['self.writable', 'responder.writable'],
    ['responder.outbox', 'self.outbox'],
    ['responder.sent', 'parser.sent'],
    ['parser.log', 'self.log'],
    ['router.log', 'self.log'],
    ['errorPage.log', 'self.log'],
    ['responder.log', 'self.log'],
  ];
  links.push(
    ...stageChainLinks('before', before, { from: 'parser', to: 'router', answers: 'errorPage.inbox', logs: 'self.log' }),
    ...stageChainLinks('after', after, { from: 'router', to: 'errorPage', answers: 'errorPage.inbox', logs: 'self.log' }),
  );
  if (accessLog)
    links.push(['responder.sent', 'accessLog.inbox'], ['responder.signal', 'accessLog.control'], ['accessLog.outbox', 'self.log']);
  return links;
}
