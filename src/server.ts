/**
 * createServer: builds the default server graph from one options object.
 *
 *   server = Graphline({ tcp: TcpServer, logger: Logger })
 *   tcp builds, per connection, httpConnection(...) (or your `protocol`)
 *
 * `listen()` resolves with the bound addresses; `stop()` stops accepting,
 * lets requests in flight finish (up to `timeouts.shutdown`), then closes
 * everything. `channels` are the log channels as streams.
 */
import type { Observable } from 'rxjs';
import { Graphline } from './core/graph.js';
import { link } from './core/link.js';
import { logRecord, type LogRecord } from './core/log.js';
import type { Component } from './core/component.js';
import type { ConnectionInfo } from './core/connection-info.js';
import { gracefulShutdown } from './core/signals.js';
import { Sink } from '../components/sink.js';
import { TcpServer, type BoundAddress, type ServerEvent } from '../components/tcp-server/index.js';
import { httpConnection } from '../components/http-connection.js';
import { Logger, type ChannelName } from '../components/logger.js';
import { RouteTable, type Route } from '../components/request-router.js';
import { healthRoute, statusRoute } from '../components/status.js';
import { ServerCounters } from './http/counters.js';
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js';

/** The minimal answer to a connection over the limit (RFC 9110 §15.6.4). */
const overloaded =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\nServer overloaded.\r\n';

/** Everything one configuration builds: what reload replaces. */
interface Site {
  readonly options: ResolvedOptions;
  readonly routes: RouteTable;
  readonly protocol: (info: ConnectionInfo) => Component<any>;
}

export class BoxwireServer {
  /** Server-wide figures, kept by the components (see the status page). */
  readonly counters = new ServerCounters();
  readonly tcp: TcpServer;
  readonly logger: Logger;
  readonly graph: Graphline<{ tcp: TcpServer; logger: Logger }>;
  private site: Site;
  private listening: Promise<readonly BoundAddress[]> | undefined;

  constructor(options: ServerOptions = {}) {
    this.site = this.build(resolveOptions(options));
    const o = this.site.options;
    this.tcp = new TcpServer({
      interfaces: [{ host: o.host, port: o.port }],
      maxConnections: o.limits.connections,
      refusal: overloaded,
      writeTimeout: o.timeouts.write,
      // Read at each accept, so a reload changes what new connections get.
      protocol: (info) => this.site.protocol(info),
    });
    this.logger = new Logger(o.log);
    this.graph = new Graphline({ tcp: this.tcp, logger: this.logger }, [
      ['tcp.log', 'logger.inbox'],
      ['tcp.signal', 'logger.control'],
      ['tcp.events', 'self.events'],
    ]);
    const tcp = this.tcp;
    this.counters.connections = () => ({ open: tcp.connectionCount, total: tcp.accepted, refused: tcp.refused });
  }

  /** The options in force. */
  get options(): ResolvedOptions {
    return this.site.options;
  }

  get routes(): RouteTable {
    return this.site.routes;
  }

  /**
   * Takes a new configuration without closing the listening sockets
   * (Rocket's restart): new connections get graphs built from it; open
   * connections finish what they are doing on their old graph and close, so
   * their clients reconnect to the new one. The addresses cannot change this
   * way (stop and start again for that); options that do not name them keep
   * them. Bad options throw and change nothing.
   */
  reload(options: ServerOptions): void {
    const now = this.site.options;
    // Options that do not say where to listen keep the addresses in use.
    const next = resolveOptions({ host: now.host, port: now.port, ...options });
    if (next.host !== now.host || next.port !== now.port) {
      throw new TypeError(`boxwire: a reload cannot move the server from ${now.host}:${now.port} to ${next.host}:${next.port}; restart it`);
    }
    this.site = this.build(next);
    this.tcp.inboxes.renew.send({ type: 'renew' });
    this.logger.inboxes.inbox.send(logRecord('server', 'info', 'configuration reloaded; open connections finish on the old one'));
  }

  private build(o: ResolvedOptions): Site {
    const routes = new RouteTable(builtInRoutes(o, this.counters).concat(o.routes));
    const counters = this.counters;
    const protocol = (info: ConnectionInfo): Component<any> =>
      o.protocol
        ? o.protocol(info, o)
        : httpConnection(info, {
            routes,
            limits: o.limits,
            timeouts: o.timeouts,
            server: o.serverHeader,
            accessLog: o.accessLog,
            errorPages: o.errorPages,
            stages: o.stages,
            counters,
          });
    return { options: o, routes, protocol };
  }

  /** The log channels, as streams. */
  get channels(): Record<ChannelName, Observable<LogRecord>> {
    const boxes = this.logger.outboxes;
    return { server: boxes.server, errors: boxes.errors, requests: boxes.requests, monitor: boxes.monitor };
  }

  /** The bound addresses, once listening. */
  get addresses(): readonly BoundAddress[] {
    return this.tcp.addresses;
  }

  /** The URL of the first address. */
  get url(): string {
    const a = this.addresses[0];
    if (!a) throw new Error('boxwire: not listening');
    const host = a.family === 'IPv6' ? `[${a.host}]` : a.host;
    return `${a.secure ? 'https' : 'http'}://${host}:${a.port}`;
  }

  /** Starts the server; resolves with the bound addresses, rejects when it cannot listen. */
  listen(): Promise<readonly BoundAddress[]> {
    this.listening ??= new Promise((resolve, reject) => {
      const events = new Sink<ServerEvent>((event) => {
        if (event.type === 'listening') resolve(event.addresses);
      });
      link(this.graph.outboxes.events!, events.inboxes.inbox);
      events.start();
      void this.graph.done.then((ended) => {
        void events.shutdown();
        reject(ended.reason === 'failed' ? ended.error : new Error('boxwire: stopped before listening'));
      });
      this.graph.start();
    });
    return this.listening;
  }

  /**
   * Stops accepting, lets requests in flight finish and closes idle
   * connections; after `timeouts.shutdown` ms closes whatever is left.
   */
  async stop(deadline = this.options.timeouts.shutdown): Promise<void> {
    if (this.graph.state === 'created') {
      await this.graph.shutdown();
      return;
    }
    this.tcp.inboxes.control.send(gracefulShutdown);
    const timer = setTimeout(() => void this.graph.shutdown(), deadline);
    timer.unref();
    await this.graph.done;
    clearTimeout(timer);
  }
}

/** The routes the server brings itself, before the user's: status and health checks, when asked for. */
function builtInRoutes(o: ResolvedOptions, counters: ServerCounters): Route[] {
  const routes: Route[] = [];
  if (o.status) routes.push(statusRoute(o.status, counters, o.serverHeader || 'boxwire'));
  if (o.healthz) routes.push(healthRoute(o.healthz));
  return routes;
}

export function createServer(options: ServerOptions = {}): BoxwireServer {
  return new BoxwireServer(options);
}
