/**
 * The routes of the WSGI applications: one prefix route per application,
 * whose handler is a fresh WsgiGateway per request, linked to the server's
 * one WorkerPool. The link is made here, by the composer, for that request
 * alone; it is undone when the gateway stops, since closing a box undoes its
 * links. The pool answers through the reply inbox each job names.
 */
import { link } from '../../src/core/link.js';
import { HttpError } from '../../src/http/errors.js';
import type { Route } from '../request-router.js';
import { WsgiGateway, type GatewayOptions } from './gateway.js';
import type { AppModule } from './messages.js';
import type { WorkerPool } from './pool.js';

/** An application and where it is mounted. */
export interface WsgiApp extends AppModule {
  /** The mount: SCRIPT_NAME of its requests. '' at the root, else "/app" (no trailing slash). */
  readonly prefix: string;
}

export function wsgiRoutes(apps: readonly WsgiApp[], pool: WorkerPool, options: GatewayOptions): Route[] {
  return apps.map((app, index) => ({
    path: `${app.prefix}/*`,
    name: `wsgi ${app.prefix || '/'}`,
    component: () => {
      if (pool.state === 'stopped') throw new HttpError(503, 'the application pool has stopped');
      const gateway = new WsgiGateway(index, options);
      link(gateway.outboxes.jobs, pool.inboxes.jobs);
      return gateway;
    },
  }));
}
