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
import type { LogRecord } from './core/log.js';
import { gracefulShutdown } from './core/signals.js';
import { Sink } from '../components/sink.js';
import { TcpServer, type BoundAddress, type ServerEvent } from '../components/tcp-server/index.js';
import { httpConnection } from '../components/http-connection.js';
import { Logger, type ChannelName } from '../components/logger.js';
import { RouteTable } from '../components/request-router.js';
import { StaticSite, staticRoute } from '../components/static-file/index.js';
import { Compress } from '../components/compress.js';
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js';

/** The minimal answer to a connection over the limit (RFC 9110 §15.6.4). */
const overloaded =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\nServer overloaded.\r\n';

export class BoxwireServer {
  readonly options: ResolvedOptions;
  readonly routes: RouteTable;
  readonly tcp: TcpServer;
  readonly logger: Logger;
  readonly graph: Graphline<{ tcp: TcpServer; logger: Logger }>;
  /** The document root being served, if any. */
  readonly site: StaticSite | undefined;
  private listening: Promise<readonly BoundAddress[]> | undefined;

  constructor(options: ServerOptions = {}) {
    this.options = resolveOptions(options);
    const o = this.options;
    // User routes first; the document root is the catch-all, last.
    this.site = o.root === false ? undefined : new StaticSite(o.root, o.static);
    this.routes = new RouteTable([...o.routes, ...(this.site ? [staticRoute(this.site)] : [])]);
    const routes = this.routes;
    const compress = o.compress;
    // Compression goes after the user's stages, so they see bodies as the handlers made them.
    const stages = compress ? [...o.stages, () => new Compress(compress)] : o.stages;
    this.tcp = new TcpServer({
      interfaces: [{ host: o.host, port: o.port }],
      maxConnections: o.limits.connections,
      refusal: overloaded,
      writeTimeout: o.timeouts.write,
      protocol: (info) =>
        o.protocol
          ? o.protocol(info, o)
          : httpConnection(info, {
              routes,
              limits: o.limits,
              timeouts: o.timeouts,
              server: o.serverHeader,
              accessLog: o.accessLog,
              errorPages: o.errorPages,
              stages,
            }),
    });
    this.logger = new Logger(o.log);
    this.graph = new Graphline({ tcp: this.tcp, logger: this.logger }, [
      ['tcp.log', 'logger.inbox'],
      ['tcp.signal', 'logger.control'],
      ['tcp.events', 'self.events'],
    ]);
    // The site's directory watches end with the server, however it ends.
    void this.graph.done.then(() => this.site?.close());
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

export function createServer(options: ServerOptions = {}): BoxwireServer {
  return new BoxwireServer(options);
}
