/**
 * The per-connection HTTP graph, as data. For each accepted connection:
 *
 *   bytes -> parser -> router -> [stages] -> errorPage -> responder -> bytes
 *                 \____________ rejected ______/  ^           |
 *                  \___________ framing __________|           +-> sent -> parser, accessLog
 *
 * The parser's refusals skip the router; the responder tells the parser when
 * each response has gone (so it reads the next request) and tells the access
 * log what was sent. `stages` are components of your own, put between the
 * router and the error page: each takes responses on `inbox` and passes them
 * on from `outbox`. Copy `httpConnectionLinks` to rewire it further.
 */
import type { Component } from '../src/core/component.js';
import type { ConnectionInfo } from '../src/core/connection-info.js';
import { Graphline, type LinkSpec } from '../src/core/graph.js';
import type { ServerCounters } from '../src/http/counters.js';
import { AccessLog, type AccessLogOption } from './access-log.js';
import { ErrorPage, type ErrorPageOptions } from './error-page.js';
import { HttpParser, defaultParserLimits, defaultParserTimeouts, type ParserLimits, type ParserTimeouts } from './http-parser.js';
import { RequestRouter, type RouteTable } from './request-router.js';
import { Responder } from './responder.js';

export interface HttpConnectionOptions {
  readonly routes: RouteTable;
  readonly limits?: ParserLimits;
  readonly timeouts?: ParserTimeouts & { readonly handler?: number };
  /** The Server field; false for none. */
  readonly server?: string | false;
  readonly accessLog?: AccessLogOption | false;
  readonly errorPages?: ErrorPageOptions;
  /** Response stages between the router and the error page, made fresh per connection. */
  readonly stages?: readonly (() => Component<any>)[];
  /** Server-wide figures the responder records into. */
  readonly counters?: ServerCounters;
}

type Children = Record<string, Component<any>>;

const shapes = new Map<number, LinkSpec<Children>[]>();

/** The links of the default graph, with `stages` (named stage0, stage1, ...) between router and errorPage. */
export function httpConnectionLinks(stageCount = 0, accessLog = true): readonly LinkSpec<Children>[] {
  const key = stageCount * 2 + (accessLog ? 1 : 0);
  const known = shapes.get(key);
  if (known) return known;
  const chain = ['router', ...Array.from({ length: stageCount }, (_, i) => `stage${i}`), 'errorPage'];
  const links: LinkSpec<Children>[] = [
    ['self.inbox', 'parser.inbox'],
    ['self.control', 'parser.control'],
    ['parser.outbox', 'router.inbox'],
    ['parser.signal', 'router.control'],
    ['parser.rejected', 'errorPage.inbox'],
    ['parser.framing', 'responder.framing'],
    ['parser.flow', 'self.flow'],
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
  for (let i = 0; i + 1 < chain.length; i++) {
    links.push([`${chain[i]}.outbox`, `${chain[i + 1]}.inbox`], [`${chain[i]}.signal`, `${chain[i + 1]}.control`]);
  }
  if (accessLog) {
    links.push(['responder.sent', 'accessLog.inbox'], ['responder.signal', 'accessLog.control'], ['accessLog.outbox', 'self.log']);
  }
  shapes.set(key, links);
  return links;
}

/** Builds one connection's graph. */
export function httpConnection(info: ConnectionInfo, options: HttpConnectionOptions): Graphline {
  const children: Children = {
    parser: new HttpParser(info, options.limits ?? defaultParserLimits, options.timeouts ?? defaultParserTimeouts),
    router: new RequestRouter(options.routes, { handlerTimeout: options.timeouts?.handler }),
    errorPage: new ErrorPage(options.errorPages),
    responder: new Responder({ server: options.server, counters: options.counters }),
  };
  const stages = options.stages;
  if (stages) for (let i = 0; i < stages.length; i++) children[`stage${i}`] = stages[i]!();
  const accessLog = options.accessLog !== false;
  if (accessLog) children.accessLog = new AccessLog(options.accessLog || 'combined');
  return new Graphline(children, httpConnectionLinks(stages ? stages.length : 0, accessLog), `http#${info.id}`);
}
