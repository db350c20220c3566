/**
 * The status route (`--status /server-status`): the server's figures as an
 * HTML page that refreshes itself, or JSON for machines (`?format=json`, or
 * an Accept that prefers it); and the health route (`--healthz /healthz`)
 * for load balancers: 200 while the server accepts work. A graceful stop
 * closes the listeners at once, so a balancer's next check is refused and it
 * takes the instance out while requests in flight finish.
 */
import type { ServerCounters } from '../src/http/counters.js';
import { preferredMediaType } from '../src/http/negotiate.js';
import { statusHtml, statusJson } from '../src/http/status-page.js';
import type { Route } from './request-router.js';

const noStore = { 'Cache-Control': 'no-store' };

export function statusRoute(path: string, counters: ServerCounters, serverName = 'boxwire'): Route {
  return {
    path,
    methods: ['GET'],
    name: 'status',
    handler: (request) => {
      const wantsJson =
        /(^|&)format=json(&|$)/.test(request.query) ||
        preferredMediaType(request.headers.get('accept'), ['text/html', 'application/json']) === 'application/json';
      const snapshot = counters.snapshot();
      if (wantsJson) return { headers: { ...noStore, 'Content-Type': 'application/json; charset=utf-8' }, body: statusJson(snapshot) };
      return {
        headers: { ...noStore, 'Content-Type': 'text/html; charset=utf-8' },
        body: statusHtml(snapshot, `${path}?format=json`, serverName),
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
