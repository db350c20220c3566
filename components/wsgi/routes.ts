/**
 * The routes of the WSGI applications: one prefix route per application,
 * whose task is a fresh WsgiGateway per request, which sends its job to the
 * pool that runs the application (the server's one WorkerPool for
 * JavaScript ones, a PythonPool per Python one: any component with a `jobs`
 * inbox). The pool answers through the reply box each job names.
 */
import type { Box } from '../../src/core/box.js';
import type { Component } from '../../src/core/component.js';
import { HttpError } from '../../src/http/errors.js';
import type { Route } from '../request-router.js';
import { WsgiGateway, type GatewayOptions } from './gateway.js';
import type { AppModule, FromGateway } from './messages.js';

/** An application and where it is mounted. */
export interface WsgiApp extends AppModule {
  /** The mount: SCRIPT_NAME of its requests. '' at the root, else "/app" (no trailing slash). */
  readonly prefix: string;
}

/** What runs WSGI jobs: a component with a `jobs` inbox (WorkerPool, PythonPool). */
export type JobRunner = Component<any> & { readonly inboxes: { readonly jobs: Box<FromGateway> } };

/** The route of one application: application number `app` of `pool`, mounted at `prefix`. */
export function wsgiRoute(prefix: string, pool: JobRunner, app: number, options: GatewayOptions, kind = 'wsgi'): Route {
  return {
    path: `${prefix}/*`,
    name: `${kind} ${prefix || '/'}`,
    // A client that ends its side before the application has answered is taken for gone: its job is called off.
    halfClose: 'abort',
    task: (request, call) => {
      if (pool.state === 'stopped') throw new HttpError(503, 'the application pool has stopped');
      return new WsgiGateway(request, call, pool.inboxes.jobs, app, options);
    },
  };
}

export function wsgiRoutes(apps: readonly WsgiApp[], pool: JobRunner, options: GatewayOptions): Route[] {
  return apps.map((app, index) => wsgiRoute(app.prefix, pool, index, options));
}

/** Routes in the order their applications were given: those `placed` at their positions, the `others` in between. */
export function inGivenOrder(others: readonly Route[], placed: readonly { readonly position: number; readonly route: Route }[]): Route[] {
  const at = new Map(placed.map((p) => [p.position, p.route]));
  const routes: Route[] = [];
  let next = 0;
  for (let i = 0; i < others.length + placed.length; i++) routes.push(at.get(i) ?? others[next++]!);
  return routes;
}
