/**
 * What a configuration's FastCGI mappings build: for each application a
 * pool of connections (and, when boxwire spawns it, the supervisor of its
 * processes) and the backend that runs requests on them; and the routes of
 * the prefix mappings (an extension mapping runs through the document
 * root's scripts route instead: components/gateway/document-scripts.ts).
 */
import { basename, join } from 'node:path';
import { GatewayHandler, type GatewayTarget } from '../gateway/gateway-handler.js';
import type { Route } from '../request-router.js';
import { FastCgiBackend } from './backend.js';
import type { ResolvedFastCgiApp, ResolvedFastCgiOptions } from './options.js';
import { FastCgiPool, type PoolServer } from './pool.js';
import { FastCgiSupervisor } from './supervisor.js';

/** One FastCGI application as a configuration runs it. */
export interface FastCgiApplication {
  readonly app: ResolvedFastCgiApp;
  readonly pool: FastCgiPool;
  /** Its processes, when boxwire starts them. */
  readonly supervisor: FastCgiSupervisor | undefined;
  readonly backend: FastCgiBackend;
}

/** The applications of `options`, their pools and supervisors made, not started. */
export function fastCgiApplications(options: ResolvedFastCgiOptions, serverSoftware: string, documentRoot: string): FastCgiApplication[] {
  const limits = {
    queue: options.queue,
    connectTimeout: options.connectTimeout,
    readTimeout: options.readTimeout,
    idleTimeout: options.idleTimeout,
    abortGrace: options.abortGrace,
    multiplex: options.multiplex,
  };
  return options.apps.map((app) => {
    let supervisor: FastCgiSupervisor | undefined;
    let servers: PoolServer[];
    if (app.spawn) {
      let pool: FastCgiPool | undefined;
      supervisor = new FastCgiSupervisor(app.name, app.spawn, (index, ready) => pool?.setStarting(index, !ready));
      const connections = app.spawn.connections;
      servers = supervisor.sockets.map((path) => ({ address: { kind: 'unix', path }, connections, starting: true }));
      pool = new FastCgiPool(app.name, servers, limits);
      return { app, pool, supervisor, backend: new FastCgiBackend(pool, options, serverSoftware, documentRoot) };
    }
    servers = [{ address: app.address!, connections: options.connections }];
    const pool = new FastCgiPool(app.name, servers, limits);
    return { app, pool, supervisor, backend: new FastCgiBackend(pool, options, serverSoftware, documentRoot) };
  });
}

/**
 * The routes of the prefix mappings: every method, SCRIPT_NAME the prefix
 * and PATH_INFO the rest of the path, as `--cgi` maps one program.
 * SCRIPT_FILENAME is where the prefix would be in the document root (what
 * lighttpd gives a FastCGI application mapped by prefix).
 */
export function fastCgiRoutes(applications: readonly FastCgiApplication[], documentRoot: string): Route[] {
  return applications
    .filter(({ app }) => app.mount !== undefined)
    .map(({ app, backend }) => {
      const mount = app.mount!;
      const target: GatewayTarget = {
        kind: 'fastcgi',
        locate: (request) => ({
          kind: 'script',
          backend,
          script: {
            scriptName: request.mount ?? mount,
            pathInfo: request.params?.['*'] ?? '',
            filename: join(documentRoot, mount),
            name: basename(mount),
            executable: false,
          },
        }),
      };
      return { path: app.route!, name: `fastcgi ${app.name}`, component: () => new GatewayHandler(target), halfClose: 'abort' };
    });
}
