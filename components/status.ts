/**
 * The status route (`--status /server-status`): the running server as a
 * page that draws its graph and plots its last ten minutes, refreshing
 * itself once a second from the feed (`?format=feed&since=T`); the same
 * figures as JSON for machines (`?format=json`: totals; `?format=graph`:
 * the GraphView); the metrics route (`--metrics /metrics`) for monitoring
 * systems, in Prometheus text or OpenMetrics as the scraper's Accept asks;
 * and the health route (`--healthz /healthz`) for load balancers: 200
 * while the server accepts work. A graceful stop closes the listeners at
 * once, so a balancer's next check is refused and it takes the instance
 * out while requests in flight finish.
 *
 * Where the figures come from is the server's business (its own, or with
 * --workers every worker's, gathered by the primary): these routes ask a
 * `StatusSource`.
 */
import type { StatusSnapshot } from '../src/http/counters.js';
import type { GraphView, StatusFeed } from '../src/http/graph-view.js';
import { exposition, openMetricsContentType, prometheusContentType, type MetricFamily } from '../src/http/metrics.js';
import { preferredMediaType } from '../src/http/negotiate.js';
import { statusHtml, statusJson } from '../src/http/status-page.js';
import type { Route } from './request-router.js';

/** Where the status and metrics routes get their figures. */
export interface StatusSource {
  /** Totals: requests, connections, time, gauges. */
  snapshot(): Promise<StatusSnapshot>;
  /** The graph as it runs. */
  view(): Promise<GraphView>;
  /** The graph, and the history rows after `since` (ms since the epoch): what the page polls for. */
  feed(since: number): Promise<StatusFeed>;
  metrics(): Promise<readonly MetricFamily[]>;
}

const noStore = { 'Cache-Control': 'no-store' };
const json = { ...noStore, 'Content-Type': 'application/json; charset=utf-8' };

/** `name=value` from a query string ('' when absent). */
function param(query: string, name: string): string {
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) === name) return eq < 0 ? '' : pair.slice(eq + 1);
  }
  return '';
}

export function statusRoute(path: string, source: StatusSource, serverName = 'boxwire'): Route {
  return {
    path,
    methods: ['GET'],
    name: 'status',
    handler: async (request) => {
      const format =
        param(request.query, 'format') ||
        (preferredMediaType(request.headers.get('accept'), ['text/html', 'application/json']) === 'application/json' ? 'json' : 'html');
      switch (format) {
        case 'json':
          return { headers: json, body: statusJson(await source.snapshot()) };
        case 'graph':
          return { headers: json, body: `${JSON.stringify(await source.view())}\n` };
        case 'feed': {
          const since = Number(param(request.query, 'since'));
          return { headers: json, body: `${JSON.stringify(await source.feed(Number.isFinite(since) ? since : 0))}\n` };
        }
        case 'html':
          return {
            headers: { ...noStore, 'Content-Type': 'text/html; charset=utf-8' },
            body: statusHtml(await source.feed(0), `${path}?format=feed`, serverName),
          };
        default:
          return { status: 400, headers: { ...noStore, 'Content-Type': 'text/plain' }, body: 'format is one of html, json, graph, feed\n' };
      }
    },
  };
}

/**
 * Metrics: Prometheus text 0.0.4 by default, OpenMetrics 1.0 when the
 * scraper's Accept prefers `application/openmetrics-text` (Prometheus
 * sends it first, with 0.0.4 text as its fallback).
 */
export function metricsRoute(path: string, source: StatusSource): Route {
  return {
    path,
    methods: ['GET'],
    name: 'metrics',
    handler: async (request) => {
      const open =
        preferredMediaType(request.headers.get('accept'), ['text/plain', 'application/openmetrics-text']) ===
        'application/openmetrics-text';
      const families = await source.metrics();
      return {
        headers: { ...noStore, 'Content-Type': open ? openMetricsContentType : prometheusContentType },
        body: exposition(families, open ? 'openmetrics' : 'prometheus'),
      };
    },
  };
}

export function healthRoute(path: string): Route {
  return {
    path,
    methods: ['GET'],
    name: 'health',
    handler: () => ({ headers: { ...noStore, 'Content-Type': 'text/plain' }, body: 'ok\n' }),
  };
}
